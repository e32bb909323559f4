package dev.iotonboard.iot.model;

import static dev.iotonboard.iot.model.RestJson.DOCUMENTED_CERTIFICATE_PAGE_SIZE;
import static dev.iotonboard.iot.model.RestJson.EMPTY;
import static dev.iotonboard.iot.model.RestJson.obj;
import static dev.iotonboard.iot.model.RestJson.ordered;
import static dev.iotonboard.iot.model.RestJson.page;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.iot.model.Registry.CaCertificate;
import dev.iotonboard.lambda.core.CertificateIds;
import java.security.cert.X509Certificate;
import java.util.function.Consumer;

/** {@link IotApi}'s operations on CA certificates and the registration code, over {@link CaCertificates}. */
final class CaCertificatesApi {

    private final Registry registry;
    private final Consumer<String> events;

    CaCertificatesApi(Registry registry, Consumer<String> events) {
        this.registry = registry;
        this.events = events;
    }

    void addTo(Routes routes) {
        routes.add("GetRegistrationCode", "GET", "/registrationcode",
                r -> obj().put("registrationCode", registry.registrationCode()));
        routes.add("RegisterCACertificate", "POST", "/cacertificate", this::register);
        routes.add("ListCACertificates", "GET", "/cacertificates", this::list);
        routes.add("DescribeCACertificate", "GET", "/cacertificate/{caCertificateId}",
                r -> describe(r.path().get("caCertificateId")));
        routes.add("UpdateCACertificate", "PUT", "/cacertificate/{caCertificateId}", r -> {
            if (r.body().path("removeAutoRegistration").asBoolean(false)) {
                throw IotException.invalidRequest("removeAutoRegistration is not supported by the IoT model: use"
                        + " newAutoRegistrationStatus DISABLE");
            }
            String id = r.path().get("caCertificateId");
            Registry.RegistrationConfig config = registrationConfig(r);
            registry.caCertificates().get(id);
            registry.caCertificates().update(id, r.query("newStatus"), r.query("newAutoRegistrationStatus"));
            registry.caCertificates().registrationConfig(id, config);
            events.accept("UpdateCACertificate " + r.path().get("caCertificateId") + " status="
                    + r.query("newStatus") + " autoRegistration=" + r.query("newAutoRegistrationStatus"));
            return EMPTY;
        });
        routes.add("DeleteCACertificate", "DELETE", "/cacertificate/{caCertificateId}", r -> {
            registry.caCertificates().delete(r.path().get("caCertificateId"));
            events.accept("DeleteCACertificate " + r.path().get("caCertificateId"));
            return EMPTY;
        });
    }

    private Object register(Request r) {
        String mode = r.bodyText("certificateMode");
        if (mode != null && !mode.equals("DEFAULT")) {
            throw IotException.invalidRequest("certificateMode " + mode + " is not supported by the IoT model");
        }
        RestJson.refuse(r.body().get("tags"), "tags");
        Registry.RegistrationConfig config = registrationConfig(r);
        CaCertificate ca = registry.caCertificates().register(r.bodyText("caCertificate"),
                r.bodyText("verificationCertificate"), r.flag("setAsActive"), r.flag("allowAutoRegistration"));
        registry.caCertificates().registrationConfig(ca.id(), config);
        events.accept("RegisterCACertificate " + ca.id() + " status=" + ca.status() + " autoRegistration="
                + ca.autoRegistrationStatus());
        return obj().put("certificateArn", registry.caCertificateArn(ca.id())).put("certificateId", ca.id());
    }

    private Object list(Request r) {
        return page(ordered(registry.caCertificates().list(), r), r, "pageSize", "marker",
                DOCUMENTED_CERTIFICATE_PAGE_SIZE, "certificates", "nextMarker",
                ca -> obj().put("certificateArn", registry.caCertificateArn(ca.id()))
                        .put("certificateId", ca.id()).put("status", ca.status())
                        .put("creationDate", ca.creationDate()));
    }

    private Object describe(String id) {
        CaCertificate ca = registry.caCertificates().get(id);
        X509Certificate x509 = CertificateIds.parsePem(ca.pem());
        ObjectNode description = obj().put("certificateArn", registry.caCertificateArn(ca.id()))
                .put("certificateId", ca.id()).put("status", ca.status()).put("certificatePem", ca.pem())
                .put("ownedBy", registry.account())
                .put("creationDate", ca.creationDate()).put("autoRegistrationStatus", ca.autoRegistrationStatus())
                .put("lastModifiedDate", ca.lastModifiedDate()).put("customerVersion", ca.generation())
                .put("generationId", Integer.toString(ca.generation())).put("certificateMode", "DEFAULT");
        description.set("validity", CertificatesApi.validity(x509));
        ObjectNode out = obj();
        out.set("certificateDescription", description);
        ObjectNode config = obj();
        registry.caCertificates().registrationConfig(ca.id()).ifPresent(c -> {
            putIfSet(config, "templateBody", c.templateBody());
            putIfSet(config, "roleArn", c.roleArn());
            putIfSet(config, "templateName", c.templateName());
        });
        out.set("registrationConfig", config);
        return out;
    }

    /** The request's registrationConfig, or null when it has none. */
    private static Registry.RegistrationConfig registrationConfig(Request r) {
        JsonNode config = r.body().get("registrationConfig");
        if (config == null || config.isNull()) {
            return null;
        }
        return new Registry.RegistrationConfig(RestJson.text(config.get("templateBody")),
                RestJson.text(config.get("roleArn")), RestJson.text(config.get("templateName")));
    }

    private static void putIfSet(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }
}
