package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.CertificateIds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The identity rule end to end: a device is its certificate, and the thing a certificate may hold is the subject CN
 * its CA attested. The stack is synthesized for one CA, the local IoT Core runs the real Lambda jars, and devices
 * are driven with the unmodified scripts and, where an attacker would not use them, with the real curl.
 */
class IdentityIT {
    private static final int MQTT_WAIT_SECONDS = 120;

    private static E2eFixture e2e;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("identity-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"));
        Path cdkOut = e2e.createCaAndSynthesize();
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
    void aDeviceAskingForAnotherDevicesThing_isDeactivated_andTheVictimOnboards() throws Exception {
        String victim = e2e.createDevice();
        String mallory = e2e.createDevice();
        Path malloryDir = e2e.certs.resolve("devices/" + mallory);

        E2eFixture.Run squat = e2e.jitr(victim, malloryDir, Map.of(), 120, "--timeout", "60", "--mqtt-timeout", "20");
        assertNotEquals(0, squat.exit(), "the squatting command must fail:\n" + squat.err());

        // An attacker does not need jitr.sh: the same requests with curl reach the provisioning function.
        awaitActivation(malloryDir);
        assertEquals(200, post(malloryDir, "jitr/request", "{\"thingName\":\"" + victim + "\"}"));
        String malloryId = certificateId(malloryDir);
        e2e.waitFor("the provisioning function to deactivate mallory's certificate", Duration.ofSeconds(60),
                () -> status(malloryId).equals("INACTIVE"));

        assertEquals(List.of(), e2e.policyNames(arn(malloryId)), "the JITR policy is detached");
        assertEquals(List.of(), things());
        assertTrue(e2e.output().contains("THING_NAME_NOT_CERTIFICATE_CN"), "the refusal is logged");

        E2eFixture.Run onboard = e2e.jitr(victim, 300, "--timeout", "60", "--mqtt-timeout",
                Integer.toString(MQTT_WAIT_SECONDS), "--initial-delay", "1", "--max-delay", "4");
        assertEquals(0, onboard.exit(), "the victim onboards normally:\n" + onboard.err());
        String victimId = certificateId(e2e.certs.resolve("devices/" + victim));
        assertEquals(List.of(arn(victimId)), principals(victim));
        assertEquals("INACTIVE", status(malloryId));
        assertEquals(List.of(), e2e.policyNames(arn(malloryId)));
        assertEquals(List.of(victim), things());

        // An onboarded device keeps its thing when a third device of the CA asks for it.
        String eve = e2e.createDevice();
        Path eveDir = e2e.certs.resolve("devices/" + eve);
        awaitActivation(eveDir);
        assertEquals(200, post(eveDir, "jitr/request", "{\"thingName\":\"" + victim + "\"}"));
        String eveId = certificateId(eveDir);
        e2e.waitFor("eve's certificate to be deactivated", Duration.ofSeconds(60),
                () -> status(eveId).equals("INACTIVE"));
        assertEquals(List.of(arn(victimId)), principals(victim));
        assertEquals("ACTIVE", status(victimId));
    }

    @Test
    void theCasVerificationCertificate_presentedAsADevice_isNeverActivated() throws Exception {
        String code = e2e.cli("get-registration-code").path("registrationCode").asText();
        Path dir = Files.createDirectories(e2e.work.resolve("verification"));
        Path key = dir.resolve("verification.key");
        Path csr = dir.resolve("verification.csr");
        Path cert = dir.resolve("deviceCert.crt");
        openssl(Map.of(), "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key.toString());
        openssl(Map.of("CERT_CN", code), "req", "-new", "-config", e2e.root.resolve("openssl.conf").toString(),
                "-key", key.toString(), "-out", csr.toString());
        openssl(Map.of(), "x509", "-req", "-in", csr.toString(), "-CA", e2e.certs.resolve("rootCA.pem").toString(),
                "-CAkey", e2e.certs.resolve("rootCA.key").toString(), "-CAcreateserial", "-days", "1", "-sha256",
                "-extfile", e2e.root.resolve("openssl.conf").toString(), "-extensions", "v3_verification",
                "-out", cert.toString());
        Files.copy(key, dir.resolve("deviceCert.key"));
        Files.writeString(dir.resolve("deviceCertAndCACert.crt"),
                Files.readString(cert) + Files.readString(e2e.certs.resolve("rootCA.pem")));
        String id = certificateId(dir);

        assertNotEquals(200, post(dir, "jitr/start", "{}"), "the first connection only registers it");
        e2e.waitFor("the activation function to refuse the verification certificate", Duration.ofSeconds(60),
                () -> e2e.output().contains("INVALID_CERTIFICATE") && e2e.output().contains(id));
        assertNotEquals(200, post(dir, "jitr/start", "{}"));
        assertEquals("PENDING_ACTIVATION", status(id));
        assertEquals(List.of(), e2e.policyNames(arn(id)));
    }

    @Test
    void aDeviceOfASecondRegisteredCa_isNeverActivated() throws Exception {
        Path otherCerts = Files.createDirectories(e2e.work.resolve("other-ca"));
        Map<String, String> otherCa = Map.of("CERTS_DIR", otherCerts.toString());
        assertEquals(0, e2e.run(List.of(e2e.script("ca/create-ca.sh"), "--key-type", "ec", "--cn", "Other CA"),
                otherCa, 60).exit());
        E2eFixture.Run register = e2e.run(List.of(e2e.script("ca/register-ca.sh"), "--endpoint-url",
                e2e.endpoint()), otherCa, 120);
        assertEquals(0, register.exit(), register.err());
        E2eFixture.Run device = e2e.run(List.of(e2e.script("device/create-device.sh")), otherCa, 60);
        assertEquals(0, device.exit(), device.err());
        String thing = device.out().trim();
        Path dir = otherCerts.resolve("devices/" + thing);
        String id = certificateId(dir);

        E2eFixture.Run jitr = e2e.jitr(thing, dir, otherCa, 60, "--timeout", "15", "--initial-delay", "1",
                "--max-delay", "2");

        assertEquals(3, jitr.exit(), "activation never comes:\n" + jitr.err());
        JsonNode certificate = e2e.cli("describe-certificate", "--certificate-id", id).path("certificateDescription");
        assertEquals("PENDING_ACTIVATION", certificate.path("status").asText());
        assertEquals(register.out().trim(), certificate.path("caCertificateId").asText());
        assertEquals(List.of(), e2e.policyNames(arn(id)));
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    /** POSTs jitr/start with the device's certificate until IoT answers 200 (the activation function ran). */
    private static void awaitActivation(Path deviceDir) throws InterruptedException {
        e2e.waitFor("activation of " + deviceDir.getFileName(), Duration.ofSeconds(60),
                () -> post(deviceDir, "jitr/start", "{}") == 200);
    }

    /** HTTPS publish with the real curl and the device's key; the HTTP status, or 0 when curl got no answer. */
    private static int post(Path deviceDir, String topic, String body) {
        E2eFixture.Run curl = e2e.run(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "--max-time", "10", "--cacert", e2e.serverCa().toString(),
                "--cert", deviceDir.resolve("deviceCertAndCACert.crt").toString(),
                "--key", deviceDir.resolve("deviceCert.key").toString(),
                "-X", "POST", "-d", body,
                "https://localhost:" + e2e.httpsPort() + "/topics/" + topic + "?qos=1"), Map.of(), 30);
        return curl.out().isBlank() ? 0 : Integer.parseInt(curl.out().trim());
    }

    private static void openssl(Map<String, String> env, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        E2eFixture.Run run = e2e.run(command, env, 60);
        assertEquals(0, run.exit(), "openssl " + args[0] + ": " + run.err());
    }

    private static String certificateId(Path deviceDir) throws java.io.IOException {
        return CertificateIds.fromPem(Files.readString(deviceDir.resolve("deviceCert.crt")));
    }

    private static String status(String certificateId) {
        return e2e.cli("describe-certificate", "--certificate-id", certificateId).path("certificateDescription")
                .path("status").asText();
    }

    private static String arn(String certificateId) {
        return e2e.cli("describe-certificate", "--certificate-id", certificateId).path("certificateDescription")
                .path("certificateArn").asText();
    }

    private static List<String> principals(String thing) {
        List<String> out = new java.util.ArrayList<>();
        e2e.cli("list-thing-principals", "--thing-name", thing).path("principals").forEach(p -> out.add(p.asText()));
        return out;
    }

    /** Every thing in the registry (ListThings is not served: the principal listings of every device tell). */
    private static List<String> things() {
        List<String> out = new java.util.ArrayList<>();
        try (var devices = Files.list(e2e.certs.resolve("devices"))) {
            for (Path dir : devices.filter(Files::isDirectory).sorted().toList()) {
                String name = dir.getFileName().toString();
                E2eFixture.Run describe = e2e.run(List.of("aws", "--endpoint-url", e2e.endpoint(), "iot",
                        "describe-thing", "--thing-name", name), Map.of(), 60);
                if (describe.exit() == 0) {
                    out.add(name);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }
}
