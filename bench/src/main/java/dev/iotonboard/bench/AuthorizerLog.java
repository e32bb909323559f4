package dev.iotonboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The authorizer's latency per decision, cache miss and hit apart, read from the local IoT Core's log (its functions'
 * output is there as {@code [fn <container>] <line>}, the container named {@code <function logical id>-<n>}).
 *
 * <p>Preferred source, {@code emf}: the authorizer's own {@code AuthorizerLatency} metric (embedded metric format,
 * namespace {@code IotOnboarding}, dimension {@code Cache} = {@code HIT} or {@code MISS}), timed inside the handler.
 * When the function emits none (older handlers), {@code invocation}: the tool's {@code [lambda] <function>
 * <request id> OK in N ms} line (the synchronous invocation as the API stand-in waits for it, Runtime API exchange
 * included, whole milliseconds), joined by request id with the handler's decision line ({@code "API call
 * allowed"/"denied"}, whose {@code cacheHit} says hit or miss).
 */
public final class AuthorizerLog {
    public static final String SOURCE_EMF = "emf";
    public static final String SOURCE_INVOCATION = "invocation";
    public static final String SOURCE_NONE = "none";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NAMESPACE = "IotOnboarding";
    private static final String METRIC = "AuthorizerLatency";
    private static final Pattern INVOCATION = Pattern.compile("\\[lambda\\] (\\S+) (\\S+) OK in (\\d+) ms");

    /** Latencies in milliseconds; {@code unknown}: invocations whose hit or miss the log does not say. */
    public record Samples(String source, List<Double> miss, List<Double> hit, int unknown) {

        /** These samples and {@code other}'s (the same pass measured in batches). */
        public Samples plus(Samples other) {
            List<Double> allMiss = new ArrayList<>(miss);
            allMiss.addAll(other.miss);
            List<Double> allHit = new ArrayList<>(hit);
            allHit.addAll(other.hit);
            String merged = source.equals(other.source) || other.source.equals(SOURCE_NONE) ? source
                    : source.equals(SOURCE_NONE) ? other.source : source + "+" + other.source;
            return new Samples(merged, allMiss, allHit, unknown + other.unknown);
        }
    }

    private AuthorizerLog() {
    }

    /** The lines of {@code log} from byte {@code offset} on (a log the tool is still writing: whole lines only). */
    public static List<String> linesFrom(Path log, long offset) throws IOException {
        try (SeekableByteChannel channel = Files.newByteChannel(log)) {
            channel.position(Math.min(offset, channel.size()));
            InputStream in = Channels.newInputStream(channel);
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n');
            return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
        }
    }

    /** The samples of function {@code authorizer} (its logical id) in {@code lines}. */
    public static Samples parse(List<String> lines, String authorizer) {
        String container = "[fn " + authorizer + "-";
        List<Double> emfMiss = new ArrayList<>();
        List<Double> emfHit = new ArrayList<>();
        Map<String, Boolean> hitByRequest = new HashMap<>();
        Map<String, Double> millisByRequest = new HashMap<>();
        for (String line : lines) {
            int at = line.indexOf(container);
            if (at >= 0) {
                JsonNode json = json(line.substring(line.indexOf("] ", at) + 2));
                if (json == null) {
                    continue;
                }
                if (isLatencyMetric(json)) {
                    ("HIT".equals(json.path("Cache").asText()) ? emfHit : emfMiss).add(json.get(METRIC).asDouble());
                } else if (json.path("cacheHit").isBoolean() && json.path("function_request_id").isTextual()) {
                    hitByRequest.put(json.get("function_request_id").asText(), json.get("cacheHit").asBoolean());
                }
                continue;
            }
            Matcher m = INVOCATION.matcher(line);
            if (m.find() && m.group(1).equals(authorizer)) {
                millisByRequest.put(m.group(2), Double.parseDouble(m.group(3)));
            }
        }
        if (!emfMiss.isEmpty() || !emfHit.isEmpty()) {
            return new Samples(SOURCE_EMF, emfMiss, emfHit, 0);
        }
        List<Double> miss = new ArrayList<>();
        List<Double> hit = new ArrayList<>();
        int unknown = 0;
        for (Map.Entry<String, Double> invocation : millisByRequest.entrySet()) {
            Boolean wasHit = hitByRequest.get(invocation.getKey());
            if (wasHit == null) {
                unknown++;
            } else {
                (wasHit ? hit : miss).add(invocation.getValue());
            }
        }
        return new Samples(millisByRequest.isEmpty() ? SOURCE_NONE : SOURCE_INVOCATION, miss, hit, unknown);
    }

    private static boolean isLatencyMetric(JsonNode json) {
        if (!json.path(METRIC).isNumber() || !json.path("Cache").isTextual()) {
            return false;
        }
        for (JsonNode directive : json.path("_aws").path("CloudWatchMetrics")) {
            if (NAMESPACE.equals(directive.path("Namespace").asText())) {
                for (JsonNode metric : directive.path("Metrics")) {
                    if (METRIC.equals(metric.path("Name").asText())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static JsonNode json(String text) {
        if (!text.startsWith("{")) {
            return null;
        }
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }
}
