package dev.iotonboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The local IoT Core (local/target/local-iot-core.jar) as a child process on free ports: its output goes to a log
 * file, its ready line gives the endpoints, and its admin routes ({@code /_local/stats}, {@code /_local/quotas},
 * {@code /_local/faults}) are read and set through the control plane.
 */
public final class LocalTool implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The endpoints of the ready line; {@code apiPort} is -1 when the tool serves no API custom domain. */
    public record Endpoints(URI controlPlane, String host, int httpsPort, int mqttPort, int apiPort, Path serverCa) {
    }

    private final Process process;
    private final Endpoints endpoints;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private LocalTool(Process process, Endpoints endpoints, Path log) {
        this.process = process;
        this.endpoints = endpoints;
        this.log = log;
    }

    /**
     * Starts {@code java -jar <jar> --cdk-out <cdkOut> --state-dir <stateDir> --ports 0,0 --mqtt-port 0 --api-port 0
     * <extra>} and waits for its ready line.
     */
    public static LocalTool start(Path jar, Path cdkOut, Path stateDir, Path log, List<String> extra)
            throws IOException, InterruptedException {
        if (!Files.isRegularFile(jar)) {
            throw new IOException("no " + jar + ": build first (mvn -DskipTests package from the repository root)");
        }
        List<String> command = new ArrayList<>(List.of(javaBin(), "-jar", jar.toString(), "--cdk-out",
                cdkOut.toString(), "--state-dir", stateDir.toString(), "--ports", "0,0", "--mqtt-port", "0",
                "--api-port", "0"));
        command.addAll(extra);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8)); BufferedWriter out = Files.newBufferedWriter(log)) {
                String line;
                while ((line = in.readLine()) != null) {
                    out.write(line);
                    out.newLine();
                    if (!ready.isDone() && line.contains("[core] ready ")) {
                        ready.complete(line);
                    }
                    if (!in.ready()) {
                        out.flush(); // the log file is current whenever the tool is quiet (read by the benchmarks)
                    }
                }
            } catch (IOException e) {
                ready.completeExceptionally(e);
            }
            ready.completeExceptionally(new IOException("the local IoT Core exited before its ready line"));
        }, "local-iot-core-output");
        pump.setDaemon(true);
        pump.start();
        try {
            String line = ready.get(120, TimeUnit.SECONDS);
            return new LocalTool(process, parseReadyLine(line), log);
        } catch (ExecutionException | TimeoutException e) {
            destroy(process);
            List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
            throw new IOException("the local IoT Core did not start (" + e.getMessage() + "); last lines of " + log
                    + ":\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 5), lines.size())), e);
        }
    }

    /** Parses {@code ... [core] ready control-plane=URL https=URL mqtt=URL ... server-ca=PATH ...}. */
    static Endpoints parseReadyLine(String line) {
        Map<String, String> fields = new HashMap<>();
        for (String token : line.substring(line.indexOf("[core] ready ") + 13).trim().split("\\s+")) {
            int equals = token.indexOf('=');
            if (equals > 0) {
                fields.put(token.substring(0, equals), token.substring(equals + 1));
            }
        }
        for (String key : List.of("control-plane", "https", "mqtt", "server-ca")) {
            if (!fields.containsKey(key)) {
                throw new IllegalArgumentException("the ready line has no " + key + "=: " + line);
            }
        }
        URI https = URI.create(fields.get("https"));
        URI mqtt = URI.create(fields.get("mqtt"));
        int api = fields.containsKey("api") ? URI.create(fields.get("api")).getPort() : -1;
        return new Endpoints(URI.create(fields.get("control-plane")), https.getHost(), https.getPort(),
                mqtt.getPort(), api, Path.of(fields.get("server-ca")));
    }

    /** Whether the jar's {@code --help} mentions {@code option} (options added by later versions of the tool). */
    public static boolean supports(Path jar, String option) throws IOException, InterruptedException {
        Process help = new ProcessBuilder(javaBin(), "-jar", jar.toString(), "--help").redirectErrorStream(true)
                .start();
        String text = new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        help.waitFor(30, TimeUnit.SECONDS);
        return text.contains(option);
    }

    public Endpoints endpoints() {
        return endpoints;
    }

    /** The file the tool's output (its log, and its functions' output as {@code [fn <container>]} lines) goes to. */
    public Path log() {
        return log;
    }

    public JsonNode stats() throws IOException, InterruptedException {
        return admin("GET", "stats", null);
    }

    public JsonNode quotas() throws IOException, InterruptedException {
        return admin("GET", "quotas", null);
    }

    public JsonNode faults() throws IOException, InterruptedException {
        return admin("GET", "faults", null);
    }

    public void setQuotasEnabled(boolean enabled) throws IOException, InterruptedException {
        admin("PUT", "quotas", "{\"enabled\":" + enabled + "}");
    }

    public void clearFaults() throws IOException, InterruptedException {
        admin("DELETE", "faults", null);
    }

    private JsonNode admin(String method, String route, String body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(endpoints.controlPlane().resolve("/_local/" + route))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(method + " /_local/" + route + " answered " + response.statusCode() + ": "
                    + response.body() + " (does this version of the local IoT Core have its admin routes?)");
        }
        return JSON.readTree(response.body());
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        destroy(process);
    }

    private static void destroy(Process process) {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
