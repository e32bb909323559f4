package dev.iotonboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The onboarding benchmark's accounting: from the devices' results, the quota-bound limit and the local IoT Core's
 * {@code /_local/stats}, the report (JSON, and a text summary of the same values).
 */
public final class OnboardingReport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EXAMPLES = 10;

    private OnboardingReport() {
    }

    /**
     * @param devices       every device's result
     * @param limit         the quota-bound limit R
     * @param callsSource   where the calls per device behind R come from
     * @param stats         {@code GET /_local/stats} of the run (null when unavailable); its {@code calls} include
     *                      the throttled ones, so the calls per device reported are {@code calls - throttled}: the
     *                      calls that took quota
     */
    public static ObjectNode build(List<DeviceResult> devices, QuotaBound.Limit limit, Map<String, Integer> calls,
            String callsSource, JsonNode stats) {
        ObjectNode report = JSON.createObjectNode();
        List<DeviceResult> onboarded = devices.stream().filter(DeviceResult::onboarded).toList();
        long lost = devices.size() - onboarded.size();
        report.put("devices", devices.size());
        report.put("onboarded", onboarded.size());
        report.put("lost", lost);
        double wall = wallSeconds(devices);
        report.put("wallSeconds", round(wall, 3));
        double rate = wall > 0 ? onboarded.size() / wall : 0;
        report.put("ratePerSecond", round(rate, 3));
        ObjectNode bound = report.putObject("quotaBound");
        bound.put("devicesPerSecond", round(limit.devicesPerSecond(), 3));
        bound.put("bottleneck", limit.bottleneck());
        bound.put("callsPerDeviceSource", callsSource);
        ObjectNode callsNode = bound.putObject("callsPerDevice");
        calls.forEach(callsNode::put);
        ObjectNode perOperation = bound.putObject("perOperation");
        limit.perOperation().forEach((op, r) -> perOperation.put(op, round(r, 3)));
        report.put("ratio", round(limit.devicesPerSecond() > 0 ? rate / limit.devicesPerSecond() : 0, 3));

        double[] latencies = onboarded.stream().mapToDouble(DeviceResult::latencySeconds).sorted().toArray();
        ObjectNode latency = report.putObject("deviceLatencySeconds");
        latency.put("p50", round(percentile(latencies, 50), 2));
        latency.put("p90", round(percentile(latencies, 90), 2));
        latency.put("max", round(latencies.length == 0 ? Double.NaN : latencies[latencies.length - 1], 2));
        ObjectNode attempts = report.putObject("meanAttemptsPerDevice");
        attempts.put("jitrStart", round(devices.stream().mapToInt(DeviceResult::startAttempts).average().orElse(0), 2));
        attempts.put("jitrRequest",
                round(devices.stream().mapToInt(DeviceResult::requestAttempts).average().orElse(0), 2));
        attempts.put("mqtt", round(devices.stream().mapToInt(DeviceResult::mqttAttempts).average().orElse(0), 2));
        ArrayNode slowest = report.putArray("slowestDevices");
        onboarded.stream().sorted(Comparator.comparingDouble(DeviceResult::latencySeconds).reversed())
                .limit(EXAMPLES).forEach(d -> slowest.addObject().put("thingName", d.thingName())
                        .put("latencySeconds", round(d.latencySeconds(), 2))
                        .put("activationSeconds", round(seconds(d.startedNanos(), d.activatedNanos()), 2))
                        .put("requestSeconds", round(seconds(d.activatedNanos(), d.requestedNanos()), 2))
                        .put("mqttSeconds", round(seconds(d.requestedNanos(), d.onboardedNanos()), 2))
                        .put("startAttempts", d.startAttempts()).put("requestAttempts", d.requestAttempts())
                        .put("mqttAttempts", d.mqttAttempts()));
        ArrayNode lostExamples = report.putArray("lostExamples");
        devices.stream().filter(d -> !d.onboarded()).limit(EXAMPLES)
                .forEach(d -> lostExamples.addObject().put("thingName", d.thingName())
                        .put("certificateId", d.certificateId()).put("lastProblem", d.lastProblem()));

        if (stats != null) {
            ObjectNode measured = report.putObject("measuredCallsPerDevice");
            ObjectNode throttled = report.putObject("throttled");
            ObjectNode faults = report.putObject("injectedFaults");
            stats.path("operations").fields().forEachRemaining(op -> {
                long n = op.getValue().path("calls").asLong() - op.getValue().path("throttled").asLong();
                if (n > 0) {
                    measured.put(op.getKey(), round(onboarded.isEmpty() ? 0 : (double) n / onboarded.size(), 3));
                }
                if (op.getValue().path("throttled").asLong() > 0) {
                    throttled.put(op.getKey(), op.getValue().path("throttled").asLong());
                }
                if (op.getValue().path("faults").asLong() > 0) {
                    faults.put(op.getKey(), op.getValue().path("faults").asLong());
                }
            });
            if (stats.path("connect").path("throttled").asLong() > 0) {
                throttled.put("connect", stats.path("connect").path("throttled").asLong());
            }
            ObjectNode functions = report.putObject("functions");
            stats.path("functions").fields().forEachRemaining(f -> functions.set(f.getKey(), f.getValue()));
            report.put("pendingAsyncAtEnd", stats.path("pendingAsync").asLong());
        }
        return report;
    }

    /** First device's first request to the last onboarding; 0 when none onboarded. */
    static double wallSeconds(List<DeviceResult> devices) {
        long first = devices.stream().mapToLong(DeviceResult::startedNanos).min().orElse(0);
        long last = devices.stream().filter(DeviceResult::onboarded).mapToLong(DeviceResult::onboardedNanos).max()
                .orElse(first);
        return (last - first) / 1e9;
    }

    /** Nearest-rank percentile of sorted values; NaN when empty. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static double round(double value, int digits) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return value;
        }
        double scale = Math.pow(10, digits);
        return Math.round(value * scale) / scale;
    }

    /** A few lines for the console. */
    public static String text(JsonNode r) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "devices %d, onboarded %d, lost %d%n", r.path("devices").asInt(),
                r.path("onboarded").asInt(), r.path("lost").asInt()));
        out.append(String.format(Locale.ROOT, "wall time %.1f s, rate %.2f devices/s, quota-bound limit R = %.2f/s "
                + "(%s), ratio %.2f%n", r.path("wallSeconds").asDouble(), r.path("ratePerSecond").asDouble(),
                r.path("quotaBound").path("devicesPerSecond").asDouble(),
                r.path("quotaBound").path("bottleneck").asText(), r.path("ratio").asDouble()));
        out.append(String.format(Locale.ROOT, "device latency p50 %.1f s, p90 %.1f s, max %.1f s; mean attempts "
                + "jitr/start %.2f, jitr/request %.2f, mqtt %.2f%n",
                r.path("deviceLatencySeconds").path("p50").asDouble(),
                r.path("deviceLatencySeconds").path("p90").asDouble(),
                r.path("deviceLatencySeconds").path("max").asDouble(),
                r.path("meanAttemptsPerDevice").path("jitrStart").asDouble(),
                r.path("meanAttemptsPerDevice").path("jitrRequest").asDouble(),
                r.path("meanAttemptsPerDevice").path("mqtt").asDouble()));
        for (String key : List.of("measuredCallsPerDevice", "throttled", "injectedFaults", "functions")) {
            if (r.has(key)) {
                out.append(key).append(' ').append(r.get(key)).append('\n');
            }
        }
        if (r.has("registryProblems")) {
            out.append("registry problems ").append(r.path("registryProblems").asInt()).append('\n');
        }
        r.path("lostExamples").forEach(l -> out.append("  lost ").append(l.path("thingName").asText()).append(": ")
                .append(l.path("lastProblem").asText()).append('\n'));
        return out.toString();
    }

    /** Seconds from {@code from} to {@code to} (nanoseconds); NaN when either step was not reached. */
    private static double seconds(long from, long to) {
        return from == 0 || to == 0 ? Double.NaN : (to - from) / 1e9;
    }
}
