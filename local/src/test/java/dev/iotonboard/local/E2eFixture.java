package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Shared end-to-end fixture (the helpers of {@code LocalIotCoreIT}, for further end-to-end classes): a work folder
 * with its own {@code CERTS_DIR}, bounded runs of the real scripts and the AWS CLI with a clean test environment,
 * synthesis by the infra app's main in a child JVM, the tool's jar started as a process whose output is kept, bounded
 * polling, and cleanup ({@link #close()} kills the tool and its function JVMs and writes its log).
 */
public final class E2eFixture implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();

    /** A finished command. */
    public record Run(int exit, String out, String err) {
    }

    public final Path root;
    public final Path jar;
    public final Path work;
    public final Path certs;
    private final Path toolLog;
    private final StringBuffer output = new StringBuffer();
    private Process tool;
    private int controlPort;
    private int httpsPort;
    private int mqttPort;
    private int apiPort;

    /** A work folder; fails when the jars the test needs are missing. {@code logName}: under local/target/. */
    public E2eFixture(String logName, Path... requiredFromRoot) throws IOException {
        root = Path.of(System.getProperty("repo.root", "..")).toAbsolutePath().normalize();
        jar = Path.of(System.getProperty("local.jar", root.resolve("local/target/local-iot-core.jar").toString()));
        List<Path> required = new ArrayList<>(List.of(jar));
        for (Path p : requiredFromRoot) {
            required.add(root.resolve(p));
        }
        for (Path p : required) {
            if (!Files.isRegularFile(p)) {
                fail("missing " + p + ": build the reactor first (mvn verify from the repository root)");
            }
        }
        work = Files.createTempDirectory("local-e2e");
        certs = work.resolve("certs");
        toolLog = root.resolve("local/target/" + logName);
    }

    /**
     * create-ca.sh (EC) into this fixture's CERTS_DIR, then the stack synthesized with that CA as truststore and its
     * id as {@code caCertificateId} (the id register-ca.sh will print: the SHA-256 of the CA certificate's DER).
     */
    public Path createCaAndSynthesize() throws IOException {
        Run ca = run(List.of(script("ca/create-ca.sh"), "--key-type", "ec"), Map.of(), 60);
        assertEquals(0, ca.exit(), "create-ca.sh failed:\n" + ca.err());
        Map<String, String> context = new java.util.LinkedHashMap<>();
        context.put("truststorePath", certs.resolve("rootCA.pem").toString());
        context.put("caCertificateId", dev.iotonboard.lambda.core.CertificateIds.fromPem(
                Files.readString(certs.resolve("rootCA.pem"))));
        return synthesize(context, work.resolve("cdk.out"));
    }

    /**
     * The stack synthesized by the infra app's main in a child JVM, with this context on top of cdk.json's, into
     * {@code cdkOut} (emptied first): what {@code cdk deploy} would synthesize.
     */
    public Path synthesize(Map<String, String> context, Path cdkOut) throws IOException {
        if (Files.exists(cdkOut)) {
            try (Stream<Path> paths = Files.walk(cdkOut)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Run synth = run(List.of(javaBin(), "-cp", System.getProperty("java.class.path"),
                "dev.iotonboard.infra.OnboardingApp"), Map.of("CDK_OUTDIR", cdkOut.toString(), "CDK_CONTEXT_JSON",
                JSON.writeValueAsString(context)), 300);
        assertEquals(0, synth.exit(), "synthesis (dev.iotonboard.infra.OnboardingApp) failed:\n" + synth.err()
                + synth.out());
        return cdkOut;
    }

    /**
     * Starts the tool's jar with these options and waits (bounded) for its ready line, from which
     * {@link #endpoint()}, {@link #httpsPort()}, {@link #mqttPort()} and {@link #apiPort()} are then read: options
     * may give a port as 0 and let the tool bind any free one.
     */
    public void startTool(List<String> options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(javaBin(), "-jar", jar.toString()));
        command.addAll(options);
        int from = output.length();
        tool = new ProcessBuilder(command).redirectErrorStream(true).start();
        Process started = tool;
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(started.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    output.append(line).append('\n');
                }
            } catch (IOException e) {
                // the tool ended
            }
        }, "local-e2e-output");
        reader.setDaemon(true);
        reader.start();
        waitFor("the local IoT Core to print its ready line", Duration.ofSeconds(60),
                () -> output.substring(from).contains("[core] ready") || !started.isAlive());
        assertTrue(started.isAlive(), "the local IoT Core exited:\n" + output);
        String ready = output.substring(from).lines().filter(l -> l.contains("[core] ready")).findFirst()
                .orElseThrow();
        controlPort = readyPort(ready, "control-plane");
        httpsPort = readyPort(ready, "https");
        mqttPort = readyPort(ready, "mqtt");
        apiPort = ready.contains(" api=") ? readyPort(ready, "api") : 0;
    }

    /** The port of {@code name=scheme://host:PORT} in the tool's ready line. */
    static int readyPort(String ready, String name) {
        Matcher m = Pattern.compile(" " + Pattern.quote(name) + "=[a-z]+://[^ :]+:(\\d+)").matcher(ready);
        assertTrue(m.find(), "no " + name + " port in the ready line: " + ready);
        return Integer.parseInt(m.group(1));
    }

    /**
     * Starts the tool's jar on ports it picks itself (control, HTTPS, MQTT and API), its state under
     * {@code <work>/state}, with these further options; {@link #httpsPort()}, {@link #mqttPort()} and
     * {@link #serverCa()} then describe it.
     */
    public void startToolOnFreePorts(Path cdkOut, String... options) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--cdk-out", cdkOut.toString(), "--ports", "0,0", "--mqtt-port",
                "0", "--api-port", "0", "--state-dir", work.resolve("state").toString()));
        all.addAll(List.of(options));
        startTool(all);
    }

    public int httpsPort() {
        return httpsPort;
    }

    public int mqttPort() {
        return mqttPort;
    }

    /** The API stand-in's port; 0 when the stack has no API. */
    public int apiPort() {
        return apiPort;
    }

    /** The server CA the tool started by {@link #startToolOnFreePorts} wrote. */
    public Path serverCa() {
        return work.resolve("state/server-ca.pem");
    }

    /** The stack's function whose handler is {@code handlerClass}; fails the test when there is none. */
    public static StackTemplate.Function function(StackTemplate stack, String handlerClass) {
        return stack.functions().values().stream().filter(f -> f.handler().contains(handlerClass)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + handlerClass + " function in the stack"));
    }

    /** The JITR and app policy names, as the stack gives them to the provisioning function. */
    public record PolicyNames(String jitr, String app) {
    }

    /** {@link PolicyNames} of the stack synthesized into {@code cdkOut}; fails the test when either is missing. */
    public static PolicyNames policyNames(Path cdkOut) {
        StackTemplate stack = StackTemplate.load(cdkOut, "IotOnboarding", "000000000000", "us-east-1");
        Map<String, String> env = function(stack, "ThingProvisioningHandler").environment();
        PolicyNames names = new PolicyNames(env.get("JITR_POLICY_NAME"), env.get("APP_POLICY_NAME"));
        assertTrue(names.jitr() != null && names.app() != null, "APP_POLICY_NAME/JITR_POLICY_NAME missing: " + env);
        return names;
    }

    /** scripts/ca/register-ca.sh against the tool; fails the test unless it exits 0. Returns its output (the CA id). */
    public String registerCa() {
        Run register = run(List.of(script("ca/register-ca.sh"), "--endpoint-url", endpoint()), Map.of(), 120);
        assertEquals(0, register.exit(), "register-ca.sh failed:\n" + register.err());
        return register.out().trim();
    }

    /** scripts/device/create-device.sh; fails the test unless it exits 0. Returns the thing name. */
    public String createDevice() {
        Run device = run(List.of(script("device/create-device.sh")), Map.of(), 60);
        assertEquals(0, device.exit(), "create-device.sh failed:\n" + device.err());
        return device.out().trim();
    }

    /**
     * scripts/device/jitr.sh for the device {@code thing} against the tool started by {@link #startToolOnFreePorts},
     * with these further options (timeouts, backoff), bounded by {@code timeoutSeconds}.
     */
    public Run jitr(String thing, int timeoutSeconds, String... options) {
        return jitr(thing, certs.resolve("devices/" + thing), Map.of(), timeoutSeconds, options);
    }

    /** {@link #jitr(String, int, String...)} with the device folder and the script's extra environment given. */
    public Run jitr(String thing, Path deviceDir, Map<String, String> extraEnv, int timeoutSeconds,
            String... options) {
        List<String> command = new ArrayList<>(List.of(script("device/jitr.sh"), "--thing-name", thing,
                "--device-dir", deviceDir.toString(), "--endpoint", "localhost", "--port",
                Integer.toString(httpsPort), "--cacert", serverCa().toString(), "--mqtt-port",
                Integer.toString(mqttPort)));
        command.addAll(List.of(options));
        return run(command, extraEnv, timeoutSeconds);
    }

    /**
     * The unmodified {@code scripts/device/call-api.sh} with the device in {@code deviceDir} against the tool's API
     * custom domain ({@code localhost} on the {@code api=} port, trusting the tool's server CA); {@code extra}
     * arguments follow. Exit 0: HTTP 200; 3: refused (401/403).
     */
    public Run callApi(Path deviceDir, String... extra) {
        List<String> command = new ArrayList<>(List.of(script("device/call-api.sh"), "--domain", "localhost",
                "--port", Integer.toString(apiPort()), "--cacert", serverCa().toString(), "--device-dir",
                deviceDir.toString()));
        command.addAll(List.of(extra));
        return run(command, Map.of(), 60);
    }

    /** {@code GET /_local/stats}. */
    public JsonNode stats() {
        String body = admin("GET", "/_local/stats");
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError("/_local/stats is not JSON: " + body, e);
        }
    }

    /** {@code GET} of an admin route that answers JSON, e.g. {@code /_local/metrics} or {@code /_local/alarms}. */
    public JsonNode adminJson(String path) {
        String body = admin("GET", path);
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError(path + " is not JSON: " + body, e);
        }
    }

    /** {@code DELETE /_local/faults}. */
    public void clearFaults() {
        admin("DELETE", "/_local/faults");
    }

    /** {@code POST /_local/faults} with this spec (local/README.md "Quotas and faults"). */
    public void addFault(String spec) {
        admin("POST", "/_local/faults", JSON.createObjectNode().put("spec", spec).toString());
    }

    private String admin(String method, String path) {
        return admin(method, path, null);
    }

    private String admin(String method, String path, String body) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(endpoint() + path)).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), method + " " + path + ": " + response.body());
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The names of the IoT policies attached to {@code certificateArn}, as {@code aws iot} lists them. */
    public List<String> policyNames(String certificateArn) {
        List<String> names = new ArrayList<>();
        cli("list-attached-policies", "--target", certificateArn).path("policies")
                .forEach(p -> names.add(p.path("policyName").asText()));
        return names;
    }

    /** The tool's output so far. */
    public String output() {
        return output.toString();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + controlPort;
    }

    public String script(String relative) {
        return root.resolve("scripts/" + relative).toString();
    }

    /**
     * Stops the tool and its function JVMs, keeping the work folder (and so a {@code --state-file} in it): with
     * {@link #startTool} again, what a local "deploy" is (local/README.md).
     */
    public void stopTool() throws IOException, InterruptedException {
        if (tool != null) {
            List<ProcessHandle> children = tool.descendants().toList();
            tool.destroy();
            if (!tool.waitFor(15, TimeUnit.SECONDS)) {
                tool.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            children.forEach(ProcessHandle::destroyForcibly);
            Files.writeString(toolLog, output.toString());
            output.append("---- stopped ----\n");
            tool = null;
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        stopTool();
        try (Stream<Path> paths = Files.walk(work)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** {@code aws iot <args>} against the tool's control plane; fails the test on a non-zero exit. */
    public JsonNode cli(String... args) {
        List<String> iot = new ArrayList<>(List.of("iot"));
        iot.addAll(List.of(args));
        return aws(iot.toArray(String[]::new));
    }

    /** {@code aws <service> <args>} against the tool's control plane, JSON output; fails the test on a non-zero exit. */
    public JsonNode aws(String... args) {
        List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url", endpoint(), "--output", "json"));
        command.addAll(List.of(args));
        Run run = run(command, Map.of(), 60);
        if (run.exit() != 0) {
            throw new AssertionError("aws " + String.join(" ", args) + " failed (" + run.exit() + "): "
                    + run.err());
        }
        try {
            return run.out().isBlank() ? JSON.createObjectNode() : JSON.readTree(run.out());
        } catch (IOException e) {
            throw new AssertionError("aws " + args[0] + " " + args[1] + " printed no JSON: " + run.out(), e);
        }
    }

    /** Runs a command with the test environment (CERTS_DIR, fake AWS credentials, no AWS config); bounded. */
    public Run run(List<String> command, Map<String, String> extraEnv, int timeoutSeconds) {
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

    /** Polls {@code condition} every 500 ms until true or {@code timeout}; the failure shows the tool's output. */
    public void waitFor(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
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

    public static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * A port nothing listens on now, below the kernel's ephemeral range: a port from {@code bind(0)} lies inside that
     * range, where any outgoing connection may take it before the process meant to listen on it binds.
     */
    public static int freePort() throws IOException {
        int below = ephemeralRangeStart();
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = java.util.concurrent.ThreadLocalRandom.current().nextInt(20000, below);
            if (!HANDED_OUT.add(port)) {
                continue; // a port given to an earlier caller that may not be listening yet
            }
            try (ServerSocket socket = new ServerSocket(port)) {
                return socket.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free port in 20000.." + below);
    }

    /** Every port {@link #freePort} gave in this JVM: several asked for in a row must differ. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static int ephemeralRangeStart() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Math.max(21000, Integer.parseInt(range.split("\\s+")[0]));
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }
}
