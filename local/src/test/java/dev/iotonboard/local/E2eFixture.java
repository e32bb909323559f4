package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

    /** create-ca.sh (EC) into this fixture's CERTS_DIR, then the stack synthesized with that CA as truststore. */
    public Path createCaAndSynthesize() throws IOException {
        return createCaAndSynthesize(false);
    }

    /**
     * As {@link #createCaAndSynthesize()}; {@code caSpecific}: the stack also gets the CA's id as
     * {@code caCertificateId} (CA-specific rule and authorizer, and the scheduled reconciler).
     */
    public Path createCaAndSynthesize(boolean caSpecific) throws IOException {
        Run ca = run(List.of(script("ca/create-ca.sh"), "--key-type", "ec"), Map.of(), 60);
        assertEquals(0, ca.exit(), "create-ca.sh failed:\n" + ca.err());
        Path cdkOut = work.resolve("cdk.out");
        Map<String, String> context = new java.util.LinkedHashMap<>();
        context.put("truststorePath", certs.resolve("rootCA.pem").toString());
        if (caSpecific) {
            context.put("caCertificateId", dev.iotonboard.lambda.core.CertificateIds.fromPem(
                    Files.readString(certs.resolve("rootCA.pem"))));
        }
        Run synth = run(List.of(javaBin(), "-cp", System.getProperty("java.class.path"),
                "dev.iotonboard.infra.OnboardingApp"), Map.of("CDK_OUTDIR", cdkOut.toString(), "CDK_CONTEXT_JSON",
                JSON.writeValueAsString(context)), 300);
        assertEquals(0, synth.exit(), "synthesis (dev.iotonboard.infra.OnboardingApp) failed:\n" + synth.err()
                + synth.out());
        return cdkOut;
    }

    /** Starts the tool's jar with these options and waits (bounded) for its ready line. */
    public void startTool(int controlPort, List<String> options) throws IOException, InterruptedException {
        this.controlPort = controlPort;
        List<String> command = new ArrayList<>(List.of(javaBin(), "-jar", jar.toString()));
        command.addAll(options);
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
                () -> output.toString().contains("[core] ready") || !started.isAlive());
        assertTrue(started.isAlive(), "the local IoT Core exited:\n" + output);
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

    @Override
    public void close() throws IOException, InterruptedException {
        if (tool != null) {
            List<ProcessHandle> children = tool.descendants().toList();
            tool.destroy();
            if (!tool.waitFor(15, TimeUnit.SECONDS)) {
                tool.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            children.forEach(ProcessHandle::destroyForcibly);
            Files.writeString(toolLog, output.toString());
        }
        try (Stream<Path> paths = Files.walk(work)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** {@code aws iot <args>} against the tool's control plane; fails the test on a non-zero exit. */
    public JsonNode cli(String... args) {
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

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
