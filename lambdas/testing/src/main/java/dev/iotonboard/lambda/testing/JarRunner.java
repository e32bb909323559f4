package dev.iotonboard.lambda.testing;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts a shaded function jar in a separate JVM (with the JVM options the stack sets on Lambda) through
 * {@link HandlerMain}, so tests check the jar itself: its name, that it is self-contained, that the handler's no-arg
 * constructor reads the environment.
 */
public final class JarRunner {

    /** What the child JVM answered. */
    public record Run(int exitCode, String stdout, String stderr, long initMs, long totalMs) {
    }

    private static final Pattern TIMES = Pattern.compile("init_ms=(\\d+) total_ms=(\\d+)");

    private JarRunner() {
    }

    /** Runs {@code handlerClass} from {@code jar} once with {@code event} on standard input. */
    public static Run run(Path jar, String handlerClass, Map<String, String> env, String event) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no jar at " + jar.toAbsolutePath() + ": run mvn package first");
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1",
                "-cp", jar.toAbsolutePath() + File.pathSeparator + ownLocation(),
                HandlerMain.class.getName(), handlerClass));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(env);
        try {
            Path out = Files.createTempFile("handler", ".out");
            Path err = Files.createTempFile("handler", ".err");
            Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            process.getOutputStream().write(event.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().close();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("the handler JVM did not finish in 60 s");
            }
            String stdout = Files.readString(out);
            String stderr = Files.readString(err);
            Files.delete(out);
            Files.delete(err);
            Matcher times = TIMES.matcher(stderr);
            long init = -1;
            long total = -1;
            if (times.find()) {
                init = Long.parseLong(times.group(1));
                total = Long.parseLong(times.group(2));
            }
            return new Run(process.exitValue(), stdout, stderr, init, total);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + jar, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String ownLocation() {
        try {
            return Path.of(HandlerMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs {@code handler} ({@code Class::method}) from {@code jar} under the real Lambda runtime interface client
     * (the runtime jars found on the test classpath are appended after the function jar), serving {@code event}
     * from a {@link RuntimeApiDouble}; returns what the runtime posted back. The JVM is ended once it answered.
     */
    public static RuntimeApiDouble.Result runWithRuntimeClient(Path jar, String handler, Map<String, String> env,
            String event) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no jar at " + jar.toAbsolutePath() + ": run mvn package first");
        }
        try (RuntimeApiDouble api = RuntimeApiDouble.serving(event)) {
            String classpath = String.join(File.pathSeparator, jar.toAbsolutePath().toString(),
                    locationOf("com.amazonaws.services.lambda.runtime.api.client.AWSLambda"),
                    locationOf("com.amazonaws.services.lambda.runtime.serialization.PojoSerializer"));
            ProcessBuilder builder = new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1", "-cp", classpath,
                    "com.amazonaws.services.lambda.runtime.api.client.AWSLambda", handler);
            builder.environment().clear();
            builder.environment().putAll(env);
            builder.environment().put("AWS_LAMBDA_RUNTIME_API", api.address());
            builder.environment().put("_HANDLER", handler);
            builder.environment().put("AWS_LAMBDA_FUNCTION_NAME", "test");
            builder.environment().put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
            builder.environment().put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512");
            builder.environment().put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/test");
            builder.environment().put("AWS_LAMBDA_LOG_STREAM_NAME", "test");
            Path log = Files.createTempFile("runtime", ".log");
            Process process = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                return api.result().get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("the runtime did not answer in 60 s; its output:\n"
                        + Files.readString(log), e);
            } finally {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + jar, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String locationOf(String className) {
        try {
            return Path.of(Class.forName(className).getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toString();
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(className + " is not on the test classpath: add "
                    + "com.amazonaws:aws-lambda-java-runtime-interface-client in test scope", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Entries of {@code jar} that must not be there: Netty, the Apache HTTP clients (4 and 5), the SDK's Netty or
     * Apache client modules, and signature files of shaded dependencies (they would fail jar verification).
     */
    public static List<String> forbiddenEntries(Path jar) {
        Pattern forbidden = Pattern.compile("io/netty/.*|org/apache/http/.*|org/apache/hc/.*"
                + "|software/amazon/awssdk/http/nio/netty/.*|software/amazon/awssdk/http/apache5?/.*"
                + "|META-INF/[^/]+\\.(SF|DSA|RSA|EC)");
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
            return zip.stream().map(java.util.zip.ZipEntry::getName).filter(n -> forbidden.matcher(n).matches())
                    .toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + jar, e);
        }
    }

    /** The answer: the last line of standard output (log lines, JSON objects, come before it). */
    public static String answer(Run run) {
        String out = run.stdout().strip();
        int newline = out.lastIndexOf('\n');
        return newline < 0 ? out : out.substring(newline + 1);
    }

    /** The log lines: every standard-output line but the answer. */
    public static List<String> logLines(Run run) {
        String out = run.stdout().strip();
        int newline = out.lastIndexOf('\n');
        return newline < 0 ? List.of() : List.of(out.substring(0, newline).split("\n"));
    }
}
