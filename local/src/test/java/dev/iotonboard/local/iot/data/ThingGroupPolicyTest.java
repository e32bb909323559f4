package dev.iotonboard.local.iot.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.tls.ClientFiles;
import dev.iotonboard.local.tls.Pki;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Policies attached to a thing group apply on the data plane to the certificates of the group's things, each
 * policy's default version (issue 16 item 2), with the real {@code mosquitto_pub}: the certificate's own policy only
 * lets the device connect; publishing to {@code fleet/telemetry} is allowed through the group's policy alone.
 */
class ThingGroupPolicyTest {
    private static final String ARN = "arn:aws:iot:us-east-1:000000000000:";
    private static final String CONNECT_ONLY = """
            {"Version":"2012-10-17","Statement":[
             {"Effect":"Allow","Action":["iot:Connect"],"Resource":["%1$sclient/${iot:Connection.Thing.ThingName}"],
              "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"true"}}}]}""".formatted(ARN);
    private static final String PUBLISH_TELEMETRY = """
            {"Version":"2012-10-17","Statement":[
             {"Effect":"Allow","Action":"iot:Publish","Resource":["%1$stopic/fleet/telemetry"]}]}""".formatted(ARN);
    private static final String PUBLISH_ELSEWHERE = """
            {"Version":"2012-10-17","Statement":[
             {"Effect":"Allow","Action":"iot:Publish","Resource":["%1$stopic/fleet/other"]}]}""".formatted(ARN);

    private static DeviceListeners listeners;
    private static Registry registry;
    private static Mosquitto mosquitto;

    @TempDir
    static Path files;

    @BeforeAll
    static void start() throws Exception {
        listeners = DeviceListeners.logged(Quotas.off());
        registry = listeners.registry;
        registry.policies().put("connect-only", CONNECT_ONLY);
        registry.policies().create("fleet-publish", PUBLISH_TELEMETRY);
        mosquitto = new Mosquitto(new ClientFiles(files), listeners.serverRoot.certificate(), "localhost",
                listeners.mqtt.port());
    }

    @AfterAll
    static void stop() {
        if (listeners != null) {
            listeners.close();
        }
    }

    @Test
    void aPublishAllowedOnlyThroughTheGroupsPolicy_followsMembershipAndTheDefaultVersion() throws Exception {
        Pki.Issued device = Pki.issue(listeners.ca, "sensor-1", Duration.ofDays(1), false, null, null);
        String id = registry.certificates().registerPendingActivation(device.certificate(), listeners.caId).id();
        registry.certificates().update(id, "ACTIVE");
        registry.things().create("sensor-1", Map.of());
        registry.thingPrincipals().attach("sensor-1", registry.certificateArn(id), "EXCLUSIVE_THING");
        registry.policies().attach("connect-only", registry.certificateArn(id));
        registry.thingGroups().create("fleet", null, Map.of());
        registry.policies().attach("fleet-publish", registry.thingGroupArn("fleet"));

        assertNotEquals(0, publish(device), "not in the group yet: the certificate's policy allows no publish");

        registry.thingGroups().addThing("fleet", "sensor-1");
        assertEquals(0, publish(device), "in the group: its policy allows the publish");

        registry.policies().createVersion("fleet-publish", PUBLISH_ELSEWHERE, false);
        assertEquals(0, publish(device), "a version that is not the default changes nothing");
        registry.policies().setDefaultVersion("fleet-publish", "2");
        assertNotEquals(0, publish(device), "the default version is the one evaluated");
        registry.policies().setDefaultVersion("fleet-publish", "1");
        assertEquals(0, publish(device));

        registry.thingGroups().removeThing("fleet", "sensor-1");
        assertNotEquals(0, publish(device), "out of the group: refused again");
    }

    /** mosquitto_pub as sensor-1 to fleet/telemetry at QoS 1: its exit code (non-zero when the broker refused). */
    private static int publish(Pki.Issued device) throws Exception {
        return mosquitto.run("mosquitto_pub", device, listeners.ca.certificate(), "sensor-1", "-q", "1", "-t",
                "fleet/telemetry", "-m", "{\"t\":21}").exit();
    }
}
