package dev.iotonboard.local.iot.data;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.iot.policy.PolicyEvaluator;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a device may do on the data plane: the IoT policies attached to its certificate and to the thing groups of its
 * thing (thing-groups.md: a group's policy applies to the things in the group), each policy's default version,
 * evaluated on this account's and region's IoT resources with the connection's policy variables
 * (thing-policy-variables.md).
 */
final class DevicePolicies {
    private final Registry registry;

    DevicePolicies(Registry registry) {
        this.registry = registry;
    }

    /** {@code arn:aws:iot:<region>:<account>:<type>/<name>}, e.g. {@code topic/things/t/data}. */
    String arn(String type, String name) {
        return "arn:aws:iot:" + registry.region() + ":" + registry.account() + ":" + type + "/" + name;
    }

    /**
     * The decision of the policies that apply to the certificate now: its own, and its thing's groups'. The thing is
     * the connection's ({@code iot:Connection.Thing.ThingName}: an MQTT client id naming a thing the certificate is
     * attached to); without one (HTTPS, another client id) every thing the certificate is attached to (unconfirmed).
     */
    PolicyEvaluator.Decision evaluate(String certificateId, String action, String resource,
            Map<String, String> context) {
        List<String> documents = registry.policies().effective(registry.certificateArn(certificateId),
                context.get("iot:Connection.Thing.ThingName")).stream().map(Registry.Policy::document).toList();
        return PolicyEvaluator.evaluate(documents, action, resource, context);
    }

    /**
     * Policy variables of an HTTPS connection: the client's address ({@code aws:SourceIp}) and the certificate's.
     * HTTPS has no client id, so {@code iot:ClientId} and the thing variables stay unresolved
     * (thing-policy-variables.md, http.md).
     */
    static Map<String, String> httpsContext(X509Certificate leaf, String sourceIp) {
        Map<String, String> context = new LinkedHashMap<>();
        putSourceIp(context, sourceIp);
        putCertificateVariables(context, leaf);
        return context;
    }

    /**
     * Policy variables of an MQTT connection: the client id, the client's address ({@code aws:SourceIp}), the
     * certificate's, and, when the client id names a thing attached to the certificate, the thing's name, type and
     * attributes ({@code iot:Connection.Thing.Attributes[name]}).
     */
    Map<String, String> mqttContext(String clientId, String certificateId, X509Certificate leaf, String sourceIp) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("iot:ClientId", clientId);
        putSourceIp(context, sourceIp);
        putCertificateVariables(context, leaf);
        Optional<Registry.Thing> thing = registry.things().find(clientId)
                .filter(t -> registry.thingPrincipals().principals(clientId)
                        .contains(registry.certificateArn(certificateId)));
        thing.ifPresent(t -> {
            context.put("iot:Connection.Thing.ThingName", clientId);
            if (t.thingTypeName() != null) {
                context.put("iot:Connection.Thing.ThingTypeName", t.thingTypeName());
            }
            t.attributes().forEach((name, value) ->
                    context.put("iot:Connection.Thing.Attributes[" + name + "]", value));
        });
        context.put("iot:Connection.Thing.IsAttached", Boolean.toString(thing.isPresent()));
        return context;
    }

    private static void putSourceIp(Map<String, String> context, String sourceIp) {
        if (sourceIp != null) {
            context.put("aws:SourceIp", sourceIp);
        }
    }

    /**
     * The certificate variables (cert-policy-variables.md): {@code iot:Certificate.SerialNumber}, and
     * {@code iot:Certificate.Subject.<attribute>} and {@code iot:Certificate.Issuer.<attribute>} for each attribute of
     * the subject and issuer names that holds exactly one value (one with several is left unresolved).
     */
    private static void putCertificateVariables(Map<String, String> context, X509Certificate leaf) {
        CertificateNames.attributes(leaf.getSubjectX500Principal())
                .forEach((name, value) -> context.put("iot:Certificate.Subject." + name, value));
        CertificateNames.attributes(leaf.getIssuerX500Principal())
                .forEach((name, value) -> context.put("iot:Certificate.Issuer." + name, value));
        context.put("iot:Certificate.SerialNumber", leaf.getSerialNumber().toString());
    }
}
