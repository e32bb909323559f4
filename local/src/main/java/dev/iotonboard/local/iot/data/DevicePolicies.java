package dev.iotonboard.local.iot.data;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.iot.policy.PolicyEvaluator;
import dev.iotonboard.local.tls.Pki;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
     * Policy variables of an HTTPS connection: certificate ones only. HTTPS has no client id, so
     * {@code iot:ClientId} and the thing variables stay unresolved (thing-policy-variables.md, http.md).
     */
    static Map<String, String> httpsContext(X509Certificate leaf) {
        Map<String, String> context = new LinkedHashMap<>();
        putCertificateVariables(context, leaf);
        return context;
    }

    /**
     * Policy variables of an MQTT connection: the client id, the certificate's, and the thing ones when the client
     * id names a thing attached to the certificate.
     */
    Map<String, String> mqttContext(String clientId, String certificateId, X509Certificate leaf) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("iot:ClientId", clientId);
        putCertificateVariables(context, leaf);
        boolean attached = registry.things().find(clientId).isPresent()
                && registry.thingPrincipals().principals(clientId).contains(registry.certificateArn(certificateId));
        if (attached) {
            context.put("iot:Connection.Thing.ThingName", clientId);
        }
        context.put("iot:Connection.Thing.IsAttached", Boolean.toString(attached));
        return context;
    }

    private static void putCertificateVariables(Map<String, String> context, X509Certificate leaf) {
        String subjectCn = Pki.commonName(leaf);
        if (subjectCn != null) {
            context.put("iot:Certificate.Subject.CommonName", subjectCn);
        }
        context.put("iot:Certificate.SerialNumber", leaf.getSerialNumber().toString());
    }
}
