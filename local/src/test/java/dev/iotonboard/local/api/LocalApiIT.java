package dev.iotonboard.local.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.lambda.core.CertificateIds;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end for the API custom domain stand-in, with real processes: create-ca.sh, the infra app's synthesis, the
 * tool's jar (API on a free port, {@code --function-env AUTH_CACHE_TTL_SECONDS=1}), register-ca.sh, create-device.sh,
 * jitr.sh (HTTPS steps), then scripts/device/call-api.sh (curl) with and without the device certificate, with a
 * certificate of another CA, and after the certificate is revoked with the AWS CLI. One tool instance; ordered tests.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path root;
    private static Path work;
    private static Path certs;
    private static Process tool;
    private static int controlPort;
    private static int httpsPort;
    private static int apiPort;
    private static int closedPort;
    private static Path serverCa;
    private static String thing;
    private static final StringBuffer output = new StringBuffer();

    @BeforeAll
    static void start() throws Exception {
        root = Path.of(System.getProperty("repo.root", "..")).toAbsolutePath().normalize();
        Path jar = Path.of(System.getProperty("local.jar", root.resolve("local/target/local-iot-core.jar").toString()));
        for (Path required : List.of(jar, root.resolve("lambdas/device-api/target/device-api.jar"))) {
            if (!Files.isRegularFile(required)) {
                fail("missing " + required + ": build the reactor first (mvn verify from the repository root)");
            }
        }
        work = Files.createTempDirectory("local-api-e2e");
        certs = work.resolve("certs");
        Run ca = run(List.of(script("ca/create-ca.sh"), "--key-type", "ec"), Map.of(), 60);
        assertEquals(0, ca.exit(), "create-ca.sh failed:\n" + ca.err());
        Path cdkOut = work.resolve("cdk.out");
        Run synth = run(List.of(javaBin(), "-cp", System.getProperty("java.class.path"),
                "dev.iotonboard.infra.OnboardingApp"), Map.of("CDK_OUTDIR", cdkOut.toString(), "CDK_CONTEXT_JSON",
                JSON.writeValueAsString(Map.of("truststorePath", certs.resolve("rootCA.pem").toString()))), 300);
        assertEquals(0, synth.exit(), "synthesis failed:\n" + synth.err() + synth.out());

        controlPort = freePort();
        httpsPort = freePort();
        apiPort = freePort();
        closedPort = freePort();
        List<String> command = new ArrayList<>(List.of(javaBin(), "-jar", jar.toString(), "--cdk-out",
                cdkOut.toString(), "--ports", controlPort + "," + httpsPort, "--api-port", Integer.toString(apiPort),
                "--function-env", "AUTH_CACHE_TTL_SECONDS=1", "--state-dir", work.resolve("state").toString(),
                "--retry-delays", "0.5,1", "--mqtt-port", "0"));
        tool = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(tool.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    output.append(line).append('\n');
                }
            } catch (IOException e) {
                // the tool ended
            }
        }, "local-api-e2e-output");
        reader.setDaemon(true);
        reader.start();
        waitFor("the ready line", Duration.ofSeconds(60),
                () -> output.toString().contains("[core] ready") || !tool.isAlive());
        assertTrue(tool.isAlive(), "the local IoT Core exited:\n" + output);
        assertTrue(output.toString().contains("api=https://localhost:" + apiPort), "API endpoint in the ready line:\n"
                + output);
        serverCa = work.resolve("state/server-ca.pem");

        // a provisioned device (JITR through the HTTPS steps of jitr.sh)
        Run register = run(List.of(script("ca/register-ca.sh"), "--endpoint-url", endpoint()), Map.of(), 120);
        assertEquals(0, register.exit(), "register-ca.sh failed:\n" + register.err());
        Run device = run(List.of(script("device/create-device.sh")), Map.of(), 60);
        assertEquals(0, device.exit(), "create-device.sh failed:\n" + device.err());
        thing = device.out().trim();
        Run jitr = run(List.of(script("device/jitr.sh"), "--thing-name", thing, "--endpoint", "localhost", "--port",
                Integer.toString(httpsPort), "--cacert", serverCa.toString(), "--mqtt-port",
                Integer.toString(closedPort), "--mqtt-timeout", "1", "--timeout", "120", "--initial-delay", "1",
                "--max-delay", "4"), Map.of(), 240);
        // steps 1 and 2 (HTTPS) must pass; step 3 is MQTT (exit 5 while the broker is not there)
        assertTrue(jitr.exit() == 0 || jitr.exit() == 5, "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());
        waitFor("thing " + thing + " to have its certificate", Duration.ofSeconds(90),
                () -> cli("list-thing-principals", "--thing-name", thing).path("principals").size() == 1);
    }

    @AfterAll
    static void stop() throws Exception {
        if (tool != null) {
            List<ProcessHandle> children = tool.descendants().toList();
            tool.destroy();
            if (!tool.waitFor(15, TimeUnit.SECONDS)) {
                tool.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            children.forEach(ProcessHandle::destroyForcibly);
            Files.writeString(root.resolve("local/target/local-api-e2e.log"), output.toString());
        }
        if (work != null) {
            try (Stream<Path> paths = Files.walk(work)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void withTheDeviceCertificate_200FromTheSampleWithItsThing() throws Exception {
        Run call = callApi("--thing-name", thing);
        assertEquals(0, call.exit(), "call-api.sh exit " + call.exit() + ":\n" + call.err() + "\n" + output);
        JsonNode body = JSON.readTree(call.out());
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

    @Test
    @Order(4)
    void certificateOfAnotherCa_refusedAtTls() {
        Path otherCerts = work.resolve("other-certs");
        Map<String, String> other = Map.of("CERTS_DIR", otherCerts.toString());
        assertEquals(0, run(List.of(script("ca/create-ca.sh"), "--key-type", "ec"), other, 60).exit());
        Run device = run(List.of(script("device/create-device.sh"), "--key-type", "ec"), other, 60);
        assertEquals(0, device.exit(), device.err());
        Run call = callApi("--device-dir", otherCerts.resolve("devices/" + device.out().trim()).toString());
        assertEquals(4, call.exit(), "expected a TLS failure (exit 4):\n" + call.err());
    }

    @Test
    @Order(5)
    void tls11_refused() {
        Path dir = certs.resolve("devices/" + thing);
        Run curl = run(List.of("curl", "--silent", "--show-error", "--max-time", "20", "--tlsv1.1", "--tls-max", "1.1",
                "--cert", dir.resolve("deviceCert.crt").toString(), "--key", dir.resolve("deviceCert.key").toString(),
                "--cacert", serverCa.toString(), "https://localhost:" + apiPort + "/sample"), Map.of(), 30);
        assertTrue(curl.exit() != 0, "TLS 1.1 must be refused: " + curl.out());
    }

    @Test
    @Order(6)
    void afterRevocation_403FromTheAuthorizer() throws Exception {
        String pem = Files.readString(certs.resolve("devices/" + thing + "/deviceCert.crt"));
        String certificateId = CertificateIds.fromPem(pem);
        cli("update-certificate", "--certificate-id", certificateId, "--new-status", "REVOKED");
        Run[] last = new Run[1];
        waitFor("the API to refuse the revoked certificate (authorizer cache TTL 1 s)", Duration.ofSeconds(30),
                () -> {
                    last[0] = callApi("--thing-name", thing);
                    return last[0].exit() == 3;
                });
        assertTrue(last[0].err().contains("HTTP 403"), last[0].err());
        assertTrue(last[0].out().contains("explicit deny"), last[0].out());
    }

    // ---- helpers ----

    private static Run callApi(String... args) {
        List<String> command = new ArrayList<>(List.of(script("device/call-api.sh"), "--domain", "localhost", "--port",
                Integer.toString(apiPort), "--cacert", serverCa.toString()));
        command.addAll(List.of(args));
        return run(command, Map.of(), 60);
    }

    private static String endpoint() {
        return "http://127.0.0.1:" + controlPort;
    }

    private static JsonNode cli(String... args) {
        List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url", endpoint(), "--output", "json", "iot"));
        command.addAll(List.of(args));
        Run run = run(command, Map.of(), 60);
        if (run.exit() != 0) {
            throw new AssertionError("aws iot " + String.join(" ", args) + " failed (" + run.exit() + "): "
                    + run.err());
        }
        try {
            return run.out().isBlank() ? JSON.createObjectNode() : JSON.readTree(run.out());
        } catch (IOException e) {
            throw new AssertionError("aws iot " + args[0] + " printed no JSON: " + run.out(), e);
        }
    }

    private static String script(String relative) {
        return root.resolve("scripts/" + relative).toString();
    }

    private record Run(int exit, String out, String err) {
    }

    /** Runs a command with the test environment (CERTS_DIR, fake AWS credentials, no AWS config); bounded. */
    private static Run run(List<String> command, Map<String, String> extraEnv, int timeoutSeconds) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("API_") || k.equals("IOT_ENDPOINT")
                || k.startsWith("JITR_"));
        env.put("CERTS_DIR", certs.toString());
        env.put("AWS_ACCESS_KEY_ID", "LOCALTEST");
        env.put("AWS_SECRET_ACCESS_KEY", "local-test");
        env.put("AWS_DEFAULT_REGION", "us-east-1");
        env.put("AWS_REGION", "us-east-1");
        env.put("AWS_PAGER", "");
        env.put("AWS_CONFIG_FILE", work.resolve("no-aws-config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", work.resolve("no-aws-credentials").toString());
        env.putAll(extraEnv);
        try {
            Path out = Files.createTempFile(work, "out", ".txt");
            Path err = Files.createTempFile(work, "err", ".txt");
            Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            process.getOutputStream().close();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutSeconds
                        + " s; stderr:\n" + Files.readString(err) + "\nlocal IoT Core output:\n" + output);
            }
            return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    private static void waitFor(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        AssertionError last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (AssertionError e) {
                last = e;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what
                + (last != null ? " (last error: " + last.getMessage() + ")" : "") + "\nlocal IoT Core output:\n"
                + output, last);
    }
}
