package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.CertificateIds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Placement at provisioning end to end (issue 16, items 1 and 3): the stack synthesized with a thing type, two thing
 * groups and certificate-derived attributes, on the local IoT Core with the real Lambda jars; the unmodified
 * create-device.sh and jitr.sh, the real AWS CLI and mosquitto_pub, and ops/device-status.sh.
 */
class PlacementIT {
    private static final String TYPE = "sensor";
    private static final List<String> GROUPS = List.of("fleet", "eu-sensors");
    private static E2eFixture e2e;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("placement-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"));
        E2eFixture.Run ca = e2e.run(List.of(e2e.script("ca/create-ca.sh"), "--key-type", "ec"), Map.of(), 60);
        assertEquals(0, ca.exit(), "create-ca.sh:\n" + ca.err());
        Map<String, String> context = new LinkedHashMap<>();
        context.put("truststorePath", e2e.certs.resolve("rootCA.pem").toString());
        context.put("caCertificateId", CertificateIds.fromPem(Files.readString(e2e.certs.resolve("rootCA.pem"))));
        context.put("thingTypeName", TYPE);
        context.put("thingGroupNames", String.join(",", GROUPS));
        context.put("thingAttributes", "org=O,unit=OU,country=C,certSerial=serial,certNotAfter=notAfter");
        Path cdkOut = e2e.synthesize(context, e2e.work.resolve("cdk.out"));
        e2e.startToolOnFreePorts(cdkOut, "--retry-delays", "0.5,1");
        e2e.registerCa();
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    void aDeviceOnboardsIntoItsTypeAndGroups_withAttributesFromItsCertificate() throws Exception {
        String thing = createDevice(Map.of("CERT_O", "Acme-Corp", "CERT_OU", "Sensors", "CERT_C", "DE"));
        Path dir = e2e.certs.resolve("devices/" + thing);

        E2eFixture.Run jitr = e2e.jitr(thing, 300, "--timeout", "60", "--mqtt-timeout", "120",
                "--initial-delay", "1", "--max-delay", "4");
        assertEquals(0, jitr.exit(), "jitr.sh:\n" + jitr.err() + "\n" + e2e.output());

        X509Certificate certificate = CertificateIds.parsePem(Files.readString(dir.resolve("deviceCert.crt")));
        JsonNode described = e2e.cli("describe-thing", "--thing-name", thing);
        assertEquals(TYPE, described.path("thingTypeName").asText(), described.toString());
        Map<String, String> attributes = new LinkedHashMap<>();
        described.path("attributes").fields().forEachRemaining(e -> attributes.put(e.getKey(), e.getValue().asText()));
        assertEquals(Map.of("org", "Acme-Corp", "unit", "Sensors", "country", "DE",
                "certSerial", certificate.getSerialNumber().toString(16),
                "certNotAfter", certificate.getNotAfter().toInstant().truncatedTo(ChronoUnit.SECONDS).toString()),
                attributes);
        assertEquals(GROUPS, groupsOf(thing));
        for (String group : GROUPS) {
            List<String> members = new ArrayList<>();
            e2e.cli("list-things-in-thing-group", "--thing-group-name", group).path("things")
                    .forEach(t -> members.add(t.asText()));
            assertTrue(members.contains(thing), group + ": " + members);
        }

        E2eFixture.Run status = e2e.run(List.of(e2e.script("ops/device-status.sh"), "--thing-name", thing,
                "--endpoint-url", e2e.endpoint()), Map.of(), 60);
        assertEquals(0, status.exit(), "device-status.sh:\n" + status.err());
        String certificateId = CertificateIds.fromCertificate(certificate);
        for (String line : List.of("thing " + thing, "  type: " + TYPE, "    org=Acme-Corp", "    country=DE",
                "groups: fleet eu-sensors", "certificate " + certificateId, "  status: ACTIVE")) {
            assertTrue(status.out().lines().anyMatch(line::equals), line + " in\n" + status.out());
        }
        assertEquals(3, e2e.run(List.of(e2e.script("ops/device-status.sh"), "--thing-name", "no-such-thing",
                "--endpoint-url", e2e.endpoint()), Map.of(), 60).exit(), "exit 3 for no such thing");
    }

    @Test
    void aPublishAllowedOnlyByAGroupPolicy_worksOnceThePolicyIsOnTheGroup() throws Exception {
        String thing = createDevice(Map.of("CERT_O", "Acme-Corp", "CERT_OU", "Sensors", "CERT_C", "DE"));
        Path dir = e2e.certs.resolve("devices/" + thing);
        E2eFixture.Run jitr = e2e.jitr(thing, 300, "--timeout", "60", "--mqtt-timeout", "120",
                "--initial-delay", "1", "--max-delay", "4");
        assertEquals(0, jitr.exit(), "jitr.sh:\n" + jitr.err());
        String topic = "fleet/" + thing + "/telemetry";
        assertNotEquals(0, publish(dir, thing, topic), "the app policy does not allow " + topic);

        String groupArn = e2e.cli("describe-thing-group", "--thing-group-name", "fleet").path("thingGroupArn").asText();
        String topicArn = groupArn.substring(0, groupArn.indexOf(":thinggroup/"))
                + ":topic/fleet/${iot:Connection.Thing.ThingName}/telemetry";
        String policyName = "fleet-telemetry-" + thing.substring(0, 8);
        e2e.cli("create-policy", "--policy-name", policyName, "--policy-document",
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iot:Publish\","
                        + "\"Resource\":\"" + topicArn + "\"}]}");
        e2e.cli("attach-policy", "--policy-name", policyName, "--target", groupArn);

        assertEquals(0, publish(dir, thing, topic), "the group's policy allows " + topic);
    }

    @Test
    void aCertificateFieldThatIsNoAttributeValue_refusesTheThing_withItsReasonLogged() throws Exception {
        String thing = createDevice(Map.of("CERT_O", "Acme Corp", "CERT_OU", "Sensors", "CERT_C", "DE"));

        E2eFixture.Run jitr = e2e.jitr(thing, 180, "--timeout", "60", "--mqtt-timeout", "15",
                "--resend-after", "0", "--initial-delay", "1", "--max-delay", "2");

        assertNotEquals(0, jitr.exit(), "no thing, no app policy:\n" + jitr.err());
        e2e.waitFor("the refusal in the provisioning log", java.time.Duration.ofSeconds(30),
                () -> e2e.output().contains("CERTIFICATE_FIELD_NOT_ATTRIBUTE") && e2e.output().contains(thing));
        E2eFixture.Run describe = e2e.run(List.of("aws", "--endpoint-url", e2e.endpoint(), "iot", "describe-thing",
                "--thing-name", thing), Map.of(), 60);
        assertNotEquals(0, describe.exit());
        assertTrue(describe.err().contains("ResourceNotFoundException"), "no thing was created: " + describe.err());
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private static String createDevice(Map<String, String> subject) {
        E2eFixture.Run device = e2e.run(List.of(e2e.script("device/create-device.sh")), subject, 60);
        assertEquals(0, device.exit(), "create-device.sh:\n" + device.err());
        return device.out().trim();
    }

    private static List<String> groupsOf(String thing) {
        List<String> names = new ArrayList<>();
        e2e.cli("list-thing-groups-for-thing", "--thing-name", thing).path("thingGroups")
                .forEach(g -> names.add(g.path("groupName").asText()));
        return names;
    }

    /** The real mosquitto_pub (QoS 1) with the device's certificate, client id = the thing; its exit code. */
    private static int publish(Path dir, String thing, String topic) {
        return e2e.run(List.of("mosquitto_pub", "-h", "localhost", "-p", Integer.toString(e2e.mqttPort()),
                "--cafile", e2e.serverCa().toString(), "--cert", dir.resolve("deviceCertAndCACert.crt").toString(),
                "--key", dir.resolve("deviceCert.key").toString(), "-i", thing, "-t", topic, "-q", "1",
                "-m", "{\"message\":\"placement test\"}"), Map.of(), 60).exit();
    }
}
