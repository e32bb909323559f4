package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.CertificateIds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Certificate renewal end to end (issue 13, item 1): the synthesized stack on the local IoT Core with the real
 * Lambda jars, the unmodified scripts (create-device.sh, renew-device.sh, jitr.sh, jitr.sh --renew, call-api.sh,
 * ops/rebind.sh) and the real mosquitto_pub, curl and AWS CLI. The authorizer caches decisions for 1 s here
 * ({@code AUTH_CACHE_TTL_SECONDS=1}; the stack's value is 60).
 */
class RenewalIT {
    private static E2eFixture e2e;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("renewal-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"),
                Path.of("lambdas/device-api/target/device-api.jar"));
        Path cdkOut = e2e.createCaAndSynthesize();
        e2e.startToolOnFreePorts(cdkOut, "--retry-delays", "0.5,1", "--function-env", "AUTH_CACHE_TTL_SECONDS=1");
        e2e.registerCa();
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    void renewalWithAnnouncement_movesTheThingToTheNewCertificate_andTheOldOneIsRefused() throws Exception {
        String thing = onboardedDevice();
        Path dir = deviceDir(thing);
        String oldId = certificateId(dir);
        assertEquals(0, e2e.callApi(dir, "--thing-name", thing).exit(), "the API works with the first certificate");
        List<String> appPolicy = e2e.policyNames(arn(oldId));
        String newId = renewDevice(thing);

        E2eFixture.Run renew = e2e.jitr(thing, 300, "--renew", "--timeout", "60", "--mqtt-timeout", "120",
                "--resend-after", "3", "--initial-delay", "1", "--max-delay", "4");

        assertEquals(0, renew.exit(), "jitr.sh --renew:\n" + renew.err() + "\n" + e2e.output());
        assertEquals(newId, certificateId(dir), "the new identity was promoted");
        assertEquals(oldId, certificateId(dir.resolve("previous")), "the old one kept in previous/");
        assertFalse(Files.exists(dir.resolve("next")));

        // jitr.sh is done once MQTT accepts the new certificate; provisioning then retires the old one, and
        // DetachThingPrincipal shows only after its propagation delay.
        awaitRetired(thing, newId);
        assertEquals(appPolicy, e2e.policyNames(arn(newId)), "app policy on, JITR policy off");
        assertEquals("INACTIVE", status(oldId));
        assertEquals(List.of(), e2e.policyNames(arn(oldId)));
        assertEquals(0, e2e.cli("list-principal-things", "--principal", arn(oldId)).path("things").size());
        assertFalse(attributes(thing).has("renewalAnnouncement"), "the announcement is cleared");

        assertEquals(0, mqttPublish(dir, thing), "MQTT accepts the new certificate");
        assertNotEquals(0, mqttPublish(dir.resolve("previous"), thing), "MQTT refuses the old certificate");
        Thread.sleep(1_500);
        E2eFixture.Run apiNew = e2e.callApi(dir, "--thing-name", thing);
        assertEquals(0, apiNew.exit(), "the API accepts the new certificate:\n" + apiNew.err());
        E2eFixture.Run apiOld = e2e.callApi(dir.resolve("previous"), "--thing-name", thing);
        assertEquals(3, apiOld.exit(), "the API refuses the old certificate (HTTP 403):\n" + apiOld.err());

        E2eFixture.Run again = e2e.jitr(thing, 120, "--renew", "--timeout", "30", "--mqtt-timeout", "30");
        assertEquals(0, again.exit(), "after promotion --renew converges on an onboarded device:\n" + again.err());
    }

    @Test
    void aSecondCertificateWithoutAnnouncement_isRefused_andTheFirstKeepsWorking() throws Exception {
        String thing = onboardedDevice();
        Path dir = deviceDir(thing);
        String oldId = certificateId(dir);
        String newId = renewDevice(thing);

        E2eFixture.Run jitr = e2e.jitr(thing, dir.resolve("next"), Map.of(), 180, "--timeout", "60",
                "--mqtt-timeout", "15", "--resend-after", "0", "--initial-delay", "1", "--max-delay", "2");

        assertEquals(5, jitr.exit(), "MQTT never accepts the unannounced certificate:\n" + jitr.err());
        e2e.waitFor("the refusal in the provisioning log", java.time.Duration.ofSeconds(30),
                () -> e2e.output().contains("THING_OWNED_BY_ANOTHER_CERTIFICATE"));
        assertEquals(List.of(arn(oldId)), principals(thing));
        assertEquals("ACTIVE", status(oldId));
        assertEquals(0, e2e.cli("list-principal-things", "--principal", arn(newId)).path("things").size(),
                "the new certificate got no thing");
        assertEquals(0, mqttPublish(dir, thing), "the first certificate keeps working on MQTT");
        assertEquals(0, e2e.callApi(dir, "--thing-name", thing).exit(), "and on the API");
    }

    @Test
    void operatorOverride_rebindsTheThingWhenTheOldKeyIsLost() throws Exception {
        String thing = onboardedDevice();
        Path dir = deviceDir(thing);
        String oldId = certificateId(dir);
        String newId = renewDevice(thing);
        Files.delete(dir.resolve("deviceCert.key"));

        // The local IoT Core serves no STS: the caller identity is unknown, which rebind.sh says and records.
        E2eFixture.Run rebind = e2e.run(List.of(e2e.script("ops/rebind.sh"), "--thing-name", thing,
                "--certificate-id", newId, "--reason", "device flash wiped", "--endpoint-url", e2e.endpoint()),
                Map.of("AWS_ENDPOINT_URL_STS", e2e.endpoint(), "AWS_MAX_ATTEMPTS", "1"), 120);
        assertEquals(0, rebind.exit(), "rebind.sh:\n" + rebind.err());
        JsonNode audit = E2eFixture.JSON.readTree(rebind.out());
        assertTrue(audit.path("audit").asBoolean(), rebind.out());
        assertEquals(thing, audit.path("thingName").asText());
        assertEquals(newId, audit.path("certificateId").asText());
        assertEquals("device flash wiped", audit.path("reason").asText());

        E2eFixture.Run jitr = e2e.jitr(thing, dir.resolve("next"), Map.of(), 300, "--timeout", "60",
                "--mqtt-timeout", "120", "--resend-after", "3", "--initial-delay", "1", "--max-delay", "4");

        assertEquals(0, jitr.exit(), "plain jitr.sh with the new certificate:\n" + jitr.err());
        awaitRetired(thing, newId);
        assertEquals("INACTIVE", status(oldId));
        assertEquals(List.of(), e2e.policyNames(arn(oldId)));
        e2e.waitFor("provisioning's audit line", java.time.Duration.ofSeconds(30),
                () -> e2e.output().contains("\"audit\":true") && e2e.output().contains(newId));
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private static String onboardedDevice() {
        String thing = e2e.createDevice();
        E2eFixture.Run jitr = e2e.jitr(thing, 300, "--timeout", "60", "--mqtt-timeout", "120",
                "--initial-delay", "1", "--max-delay", "4");
        assertEquals(0, jitr.exit(), "jitr.sh:\n" + jitr.err());
        return thing;
    }

    private static Path deviceDir(String thing) {
        return e2e.certs.resolve("devices/" + thing);
    }

    private static String renewDevice(String thing) throws IOException {
        E2eFixture.Run renew = e2e.run(List.of(e2e.script("device/renew-device.sh"), "--thing-name", thing,
                "--key-type", "ec"), Map.of(), 60);
        assertEquals(0, renew.exit(), "renew-device.sh:\n" + renew.err());
        String id = renew.out().trim();
        assertEquals(certificateId(deviceDir(thing).resolve("next")), id, "stdout is the new certificate id");
        return id;
    }

    /** The real mosquitto_pub with the folder's certificate, client id = the thing; its exit code. */
    private static int mqttPublish(Path dir, String thing) {
        return e2e.run(List.of("mosquitto_pub", "-h", "localhost", "-p", Integer.toString(e2e.mqttPort()),
                "--cafile", e2e.serverCa().toString(), "--cert", dir.resolve("deviceCertAndCACert.crt").toString(),
                "--key", dir.resolve("deviceCert.key").toString(), "-i", thing, "-t",
                "things/" + thing + "/confirmation", "-q", "1", "-m", "{\"message\":\"renewal test\"}"),
                Map.of(), 60).exit();
    }

    private static String certificateId(Path dir) throws IOException {
        return CertificateIds.fromPem(Files.readString(dir.resolve("deviceCert.crt")));
    }

    private static String status(String certificateId) {
        return e2e.cli("describe-certificate", "--certificate-id", certificateId).path("certificateDescription")
                .path("status").asText();
    }

    private static String arn(String certificateId) {
        return e2e.cli("describe-certificate", "--certificate-id", certificateId).path("certificateDescription")
                .path("certificateArn").asText();
    }

    private static JsonNode attributes(String thing) {
        return e2e.cli("describe-thing", "--thing-name", thing).path("attributes");
    }

    /** Waits until the thing lists only {@code newId} and its renewal announcement is cleared (the last step). */
    private static void awaitRetired(String thing, String newId) throws InterruptedException {
        e2e.waitFor("the old certificate detached and the announcement cleared", java.time.Duration.ofSeconds(30),
                () -> principals(thing).equals(List.of(arn(newId))) && !attributes(thing).has("renewalAnnouncement"));
    }

    private static List<String> principals(String thing) {
        List<String> out = new ArrayList<>();
        e2e.cli("list-thing-principals", "--thing-name", thing).path("principals").forEach(p -> out.add(p.asText()));
        return out;
    }
}
