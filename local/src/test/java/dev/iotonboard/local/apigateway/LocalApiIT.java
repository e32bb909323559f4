package dev.iotonboard.local.apigateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.E2eFixture.Run;
import dev.iotonboard.local.E2eFixture;
import dev.iotonboard.local.tls.ClientFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end for the API custom domain stand-in, with real processes ({@link E2eFixture}): create-ca.sh, the infra
 * app's synthesis, the tool's jar (API on a free port, {@code --function-env AUTH_CACHE_TTL_SECONDS=1}),
 * register-ca.sh, create-device.sh, jitr.sh (HTTPS steps), then scripts/device/call-api.sh (curl) with and without
 * the device certificate, with a certificate of another CA, a self-signed one and a SHA-1 signed one (403
 * Forbidden), by address (no SNI), and after the certificate is revoked with the AWS CLI. One tool instance; ordered
 * tests.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalApiIT {
    private static E2eFixture e2e;
    private static int apiPort;
    private static Path serverCa;
    private static String thing;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("local-api-e2e.log", Path.of("lambdas/device-api/target/device-api.jar"));
        Path cdkOut = e2e.createCaAndSynthesize();
        int closedPort = E2eFixture.freePort();
        e2e.startTool(List.of("--cdk-out", cdkOut.toString(), "--ports", "0,0", "--api-port", "0", "--mqtt-port",
                "0", "--function-env", "AUTH_CACHE_TTL_SECONDS=1", "--state-dir",
                e2e.work.resolve("state").toString(), "--retry-delays", "0.5,1"));
        int httpsPort = e2e.httpsPort();
        apiPort = e2e.apiPort();
        assertTrue(apiPort > 0, "API endpoint in the ready line:\n" + e2e.output());
        serverCa = e2e.work.resolve("state/server-ca.pem");

        // a provisioned device (JITR through the HTTPS steps of jitr.sh)
        e2e.registerCa();
        thing = e2e.createDevice();
        Run jitr = e2e.run(List.of(e2e.script("device/jitr.sh"), "--thing-name", thing, "--endpoint", "localhost",
                "--port", Integer.toString(httpsPort), "--cacert", serverCa.toString(), "--mqtt-port",
                Integer.toString(closedPort), "--mqtt-timeout", "1", "--timeout", "120", "--initial-delay", "1",
                "--max-delay", "4"), Map.of(), 240);
        // steps 1 and 2 (HTTPS) must pass; step 3 is MQTT, here on a closed port (exit 5)
        assertTrue(jitr.exit() == 0 || jitr.exit() == 5, "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());
        e2e.waitFor("thing " + thing + " to have its certificate", Duration.ofSeconds(90),
                () -> e2e.cli("list-thing-principals", "--thing-name", thing).path("principals").size() == 1);
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    @Order(1)
    void withTheDeviceCertificate_200FromTheSampleWithItsThing() throws Exception {
        Run call = callApi("--thing-name", thing);
        assertEquals(0, call.exit(), "call-api.sh exit " + call.exit() + ":\n" + call.err() + "\n" + e2e.output());
        JsonNode body = E2eFixture.JSON.readTree(call.out());
        assertEquals("Good.", body.path("message").asText(), call.out());
        assertEquals(thing, body.path("thingName").asText(), call.out());
    }

    @Test
    @Order(2)
    void missingRoute_403MissingAuthenticationToken() {
        Run call = callApi("--thing-name", thing, "--path", "/nope");
        assertEquals(3, call.exit(), call.err());
        assertTrue(call.out().contains("Missing Authentication Token"), call.out());
        assertTrue(call.err().contains("HTTP 403"), call.err());
    }

    @Test
    @Order(3)
    void withoutACertificate_refusedAtTls() {
        Run call = callApi("--without-cert");
        assertEquals(0, call.exit(), "call-api.sh --without-cert: the server must refuse:\n" + call.err());
        assertTrue(call.err().contains("refused as expected"), call.err());
    }

    /** API Gateway completes the handshake and answers 403 {"message":"Forbidden"}: call-api.sh exit 3. */
    @Test
    @Order(4)
    void certificateOfAnotherCa_403Forbidden() {
        Path otherCerts = e2e.work.resolve("other-certs");
        Map<String, String> other = Map.of("CERTS_DIR", otherCerts.toString());
        assertEquals(0, e2e.run(List.of(e2e.script("ca/create-ca.sh"), "--key-type", "ec"), other, 60).exit());
        Run device = e2e.run(List.of(e2e.script("device/create-device.sh"), "--key-type", "ec"), other, 60);
        assertEquals(0, device.exit(), device.err());
        assertForbidden(callApi("--device-dir", otherCerts.resolve("devices/" + device.out().trim()).toString()));
    }

    /** Self-signed, and signed with SHA-1 by the truststore's own CA (openssl makes both): 403 Forbidden too. */
    @Test
    @Order(4)
    void selfSignedAndSha1Certificates_403Forbidden() {
        Path selfSigned = e2e.work.resolve("self-signed");
        Path sha1 = e2e.work.resolve("sha1");
        Map<String, String> weak = new ClientFiles(e2e.work).weakSignaturesAllowed();
        for (Path dir : List.of(selfSigned, sha1)) {
            assertEquals(0, e2e.run(List.of("mkdir", "-p", dir.toString()), Map.of(), 10).exit());
            assertEquals(0, e2e.run(List.of("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
                    dir.resolve("deviceCert.key").toString()), Map.of(), 30).exit());
        }
        Run self = e2e.run(List.of("openssl", "req", "-x509", "-new", "-key", selfSigned.resolve("deviceCert.key")
                .toString(), "-subj", "/CN=self-signed", "-days", "2", "-out", selfSigned.resolve("deviceCert.crt")
                .toString()), Map.of(), 30);
        assertEquals(0, self.exit(), self.err());
        Run csr = e2e.run(List.of("openssl", "req", "-new", "-key", sha1.resolve("deviceCert.key").toString(),
                "-subj", "/CN=sha1-device", "-out", sha1.resolve("device.csr").toString()), Map.of(), 30);
        assertEquals(0, csr.exit(), csr.err());
        Run signed = e2e.run(List.of("openssl", "x509", "-req", "-sha1", "-in", sha1.resolve("device.csr").toString(),
                "-CA", e2e.certs.resolve("rootCA.pem").toString(), "-CAkey", e2e.certs.resolve("rootCA.key")
                        .toString(), "-set_serial", "7", "-days", "2", "-out", sha1.resolve("deviceCert.crt")
                        .toString()), weak, 30);
        assertEquals(0, signed.exit(), signed.err());
        assertForbidden(callApi("--device-dir", selfSigned.toString()));
        // OpenSSL at its default security level would not even send a SHA-1 signed certificate
        assertForbidden(callApi(weak, "--device-dir", sha1.toString()));
    }

    /** By address, curl sends no SNI, which the custom domain requires: refused at TLS (call-api.sh exit 4). */
    @Test
    @Order(5)
    void byAddress_withoutSni_refusedAtTls() {
        Run call = e2e.run(List.of(e2e.script("device/call-api.sh"), "--domain", "127.0.0.1", "--port",
                Integer.toString(apiPort), "--cacert", serverCa.toString(), "--thing-name", thing), Map.of(), 60);
        assertEquals(4, call.exit(), call.err());
        assertTrue(call.err().contains("curl exit 35"), call.err());
        assertTrue(e2e.output().contains("[api] TLS handshake refused: no SNI"), e2e.output());
    }

    private static void assertForbidden(Run call) {
        assertEquals(3, call.exit(), "expected the API's 403 (exit 3):\n" + call.err());
        assertEquals("{\"message\":\"Forbidden\"}", call.out().trim());
        assertTrue(call.err().contains("refused the client certificate"), call.err());
    }

    @Test
    @Order(5)
    void tls11_refused() {
        Path dir = e2e.certs.resolve("devices/" + thing);
        Run curl = e2e.run(List.of("curl", "--silent", "--show-error", "--max-time", "20", "--tlsv1.1", "--tls-max",
                "1.1", "--cert", dir.resolve("deviceCert.crt").toString(), "--key",
                dir.resolve("deviceCert.key").toString(), "--cacert", serverCa.toString(),
                "https://localhost:" + apiPort + "/sample"), Map.of(), 30);
        assertTrue(curl.exit() != 0, "TLS 1.1 must be refused: " + curl.out());
    }

    @Test
    @Order(6)
    void afterRevocation_403FromTheAuthorizer() throws Exception {
        String pem = Files.readString(e2e.certs.resolve("devices/" + thing + "/deviceCert.crt"));
        e2e.cli("update-certificate", "--certificate-id", CertificateIds.fromPem(pem), "--new-status", "REVOKED");
        Run[] last = new Run[1];
        e2e.waitFor("the API to refuse the revoked certificate (authorizer cache TTL 1 s)", Duration.ofSeconds(30),
                () -> {
                    last[0] = callApi("--thing-name", thing);
                    return last[0].exit() == 3;
                });
        assertTrue(last[0].err().contains("HTTP 403"), last[0].err());
        assertTrue(last[0].out().contains("explicit deny"), last[0].out());
    }

    private static Run callApi(String... args) {
        return callApi(Map.of(), args);
    }

    private static Run callApi(Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(e2e.script("device/call-api.sh"), "--domain", "localhost",
                "--port", Integer.toString(apiPort), "--cacert", serverCa.toString()));
        command.addAll(List.of(args));
        return e2e.run(command, env, 60);
    }
}
