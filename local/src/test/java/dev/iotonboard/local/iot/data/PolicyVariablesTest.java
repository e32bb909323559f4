package dev.iotonboard.local.iot.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.tls.ClientFiles;
import dev.iotonboard.local.tls.Pki;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The policy variables and condition keys of an MQTT connection beyond the thing's name, with the real
 * {@code mosquitto_pub}: the thing's type and attributes (thing-policy-variables.md), the certificate's subject and
 * issuer attributes (cert-policy-variables.md), the client's address ({@code aws:SourceIp}) and the special
 * variable {@code ${*}}.
 */
class PolicyVariablesTest {
    private static final String ARN = "arn:aws:iot:us-east-1:000000000000:";
    private static final String THING = "sensor-2";

    private static DeviceListeners listeners;
    private static Registry registry;
    private static Mosquitto mosquitto;
    private static Pki.Issued device;

    @TempDir
    static Path files;

    /** Connect as the attached thing of type {@code sensor} from {@code sourceIps}; publish by site and to "*". */
    private static String policy(String sourceIps) {
        return """
                {"Version":"2012-10-17","Statement":[
                 {"Effect":"Allow","Action":"iot:Connect","Resource":"%1$sclient/${iot:Connection.Thing.ThingName}",
                  "Condition":{"StringEquals":{"iot:Connection.Thing.ThingTypeName":"sensor",
                                               "iot:Certificate.Subject.Organization":"Acme Devices",
                                               "iot:Certificate.Issuer.CommonName":"%2$s"},
                               "IpAddress":{"aws:SourceIp":"%3$s"}}},
                 {"Effect":"Allow","Action":"iot:Publish","Resource":[
                  "%1$stopic/sites/${iot:Connection.Thing.Attributes[site]}/*","%1$stopic/literal/${*}"]}]}"""
                .formatted(ARN, Pki.commonName(listeners.ca.certificate()), sourceIps);
    }

    @BeforeAll
    static void start() throws Exception {
        listeners = DeviceListeners.logged(Quotas.off());
        registry = listeners.registry;
        mosquitto = new Mosquitto(new ClientFiles(files), listeners.serverRoot.certificate(), "localhost",
                listeners.mqtt.port());
        device = Pki.issue(listeners.ca, THING + ",O=Acme Devices", Duration.ofDays(1), false, null, null);
        String id = registry.certificates().registerPendingActivation(device.certificate(), listeners.caId).id();
        registry.certificates().update(id, "ACTIVE");
        registry.thingTypes().create("sensor", "a sensor", List.of());
        registry.things().create(THING, "sensor", Map.of("site", "plant-7"));
        registry.thingPrincipals().attach(THING, registry.certificateArn(id), "EXCLUSIVE_THING");
        registry.policies().create("by-site", policy("127.0.0.0/8"));
        registry.policies().attach("by-site", registry.certificateArn(id));
    }

    @AfterAll
    static void stop() {
        if (listeners != null) {
            listeners.close();
        }
    }

    @Test
    void thingAttributesAndTheSpecialStar_resolveInResources() throws Exception {
        assertEquals(0, publish("sites/plant-7/temperature"), "the thing's site attribute");
        assertNotEquals(0, publish("sites/plant-8/temperature"), "another site");
        assertEquals(0, publish("literal/*"), "${*} is a literal star");
        assertNotEquals(0, publish("literal/x"), "${*} is no wildcard");
    }

    @Test
    void theConnectConditions_readTheThingTypeTheCertificateNamesAndTheClientAddress() throws Exception {
        assertEquals(0, publish("sites/plant-7/a"));

        registry.policies().createVersion("by-site", policy("10.0.0.0/8"), true);
        try {
            assertNotEquals(0, publish("sites/plant-7/a"), "the client connects from 127.0.0.1, not 10.0.0.0/8");
        } finally {
            registry.policies().setDefaultVersion("by-site", "1");
        }
        assertEquals(0, publish("sites/plant-7/a"));

        registry.policies().createVersion("by-site", policy("127.0.0.0/8").replace("Acme Devices", "Other Org"),
                true);
        try {
            assertNotEquals(0, publish("sites/plant-7/a"), "the subject's organization is Acme Devices");
        } finally {
            registry.policies().setDefaultVersion("by-site", "1");
        }
    }

    /** mosquitto_pub as the thing to this topic at QoS 1: its exit code (non-zero when the broker refused). */
    private static int publish(String topic) throws Exception {
        return mosquitto.run("mosquitto_pub", device, listeners.ca.certificate(), THING, "-q", "1", "-t", topic,
                "-m", "{\"t\":21}").exit();
    }
}
