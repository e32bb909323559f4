package dev.iotonboard.iot.model;

import static dev.iotonboard.iot.model.RestJson.DEFAULT_PAGE_SIZE;
import static dev.iotonboard.iot.model.RestJson.DOCUMENTED_CERTIFICATE_PAGE_SIZE;
import static dev.iotonboard.iot.model.RestJson.EMPTY;
import static dev.iotonboard.iot.model.RestJson.obj;
import static dev.iotonboard.iot.model.RestJson.ordered;
import static dev.iotonboard.iot.model.RestJson.page;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.iot.model.Registry.Certificate;
import dev.iotonboard.lambda.core.CertificateIds;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Consumer;

/** {@link IotApi}'s operations on device certificates, over {@link Certificates}. */
final class CertificatesApi {

    private final Registry registry;
    private final Consumer<String> events;

    CertificatesApi(Registry registry, Consumer<String> events) {
        this.registry = registry;
        this.events = events;
    }

    void addTo(Routes routes) {
        routes.add("DescribeCertificate", "GET", "/certificates/{certificateId}",
                r -> describe(r.path().get("certificateId")));
        routes.add("UpdateCertificate", "PUT", "/certificates/{certificateId}", r -> {
            registry.certificates().update(r.path().get("certificateId"), r.query("newStatus"));
            events.accept("UpdateCertificate " + r.path().get("certificateId") + " -> " + r.query("newStatus"));
            return EMPTY;
        });
        routes.add("DeleteCertificate", "DELETE", "/certificates/{certificateId}", r -> {
            registry.certificates().delete(r.path().get("certificateId"), r.flag("forceDelete"));
            events.accept("DeleteCertificate " + r.path().get("certificateId")
                    + (r.flag("forceDelete") ? " (forceDelete)" : ""));
            return EMPTY;
        });
        routes.add("RegisterCertificate", "POST", "/certificate/register", r -> {
            Certificate certificate = registry.certificates().register(r.bodyText("certificatePem"),
                    r.bodyText("caCertificatePem"), r.flag("setAsActive"), r.bodyText("status"));
            events.accept("RegisterCertificate " + certificate.id() + " status=" + certificate.status());
            return obj().put("certificateArn", registry.certificateArn(certificate.id()))
                    .put("certificateId", certificate.id());
        });
        routes.add("RegisterCertificateWithoutCA", "POST", "/certificate/register-no-ca", r -> {
            Certificate certificate = registry.certificates().registerWithoutCa(r.bodyText("certificatePem"),
                    r.bodyText("status"));
            events.accept("RegisterCertificateWithoutCA " + certificate.id() + " status=" + certificate.status());
            return obj().put("certificateArn", registry.certificateArn(certificate.id()))
                    .put("certificateId", certificate.id());
        });
        routes.add("ListCertificates", "GET", "/certificates",
                r -> certificatePage(registry.certificates().list(), r, DOCUMENTED_CERTIFICATE_PAGE_SIZE));
        routes.add("ListCertificatesByCA", "GET", "/certificates-by-ca/{caCertificateId}",
                r -> certificatePage(registry.certificates().byCa(r.path().get("caCertificateId")), r,
                        DEFAULT_PAGE_SIZE));
    }

    private Object describe(String id) {
        Certificate certificate = registry.certificates().get(id);
        X509Certificate x509 = CertificateIds.parsePem(certificate.pem());
        ObjectNode description = obj().put("certificateArn", registry.certificateArn(certificate.id()))
                .put("certificateId", certificate.id()).put("caCertificateId", certificate.caCertificateId())
                .put("status", certificate.status())
                .put("certificatePem", certificate.pem()).put("ownedBy", registry.account())
                .put("creationDate", certificate.creationDate())
                .put("lastModifiedDate", certificate.lastModifiedDate())
                .put("customerVersion", certificate.generation())
                .put("generationId", Integer.toString(certificate.generation()))
                .put("certificateMode", mode(certificate));
        description.set("validity", validity(x509));
        ObjectNode out = obj();
        out.set("certificateDescription", description);
        return out;
    }

    /** ListCertificates and ListCertificatesByCA: oldest first, newest first with isAscendingOrder=false. */
    private Object certificatePage(List<Certificate> certificates, Request r, int defaultSize) {
        return page(ordered(certificates, r), r, "pageSize", "marker", defaultSize, "certificates",
                "nextMarker", c -> obj().put("certificateArn", registry.certificateArn(c.id()))
                        .put("certificateId", c.id()).put("status", c.status()).put("certificateMode", mode(c))
                        .put("creationDate", c.creationDate()));
    }

    /** SNI_ONLY for a certificate registered without a CA (RegisterCertificateWithoutCA), else DEFAULT. */
    private static String mode(Certificate certificate) {
        return certificate.caCertificateId() == null ? "SNI_ONLY" : "DEFAULT";
    }

    /** A certificate description's validity: notBefore and notAfter in epoch seconds. */
    static ObjectNode validity(X509Certificate x509) {
        return obj().put("notBefore", x509.getNotBefore().getTime() / 1000.0)
                .put("notAfter", x509.getNotAfter().getTime() / 1000.0);
    }
}
