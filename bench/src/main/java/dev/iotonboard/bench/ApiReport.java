package dev.iotonboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The API authorization benchmark's accounting for one pass: devices authorized per second, denials, client and
 * authorizer latencies, and the IoT calls per API request from the tool's {@code /_local/stats}.
 */
public final class ApiReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The API's functions (logical ids): the authorizer and the route's integration. */
    public record ApiFunctions(String authorizer, String integration) {
    }

    private ApiReport() {
    }

    /**
     * @param stats           {@code /_local/stats} difference over the pass
     * @param iotCallsAreOurs false when something else (a concurrent onboarding run) calls IoT during the pass: the
     *                        calls are then reported but not divided by the requests
     */
    public static ObjectNode pass(String name, List<ApiPass.Call> calls, AuthorizerLog.Samples samples,
            JsonNode stats, ApiFunctions api, boolean iotCallsAreOurs) {
        return pass(name, calls, samples, stats, api, iotCallsAreOurs, wallSeconds(calls), 1);
    }

    /**
     * A pass measured in batches (one window each): the calls, samples and counters of all, and as wall time the sum
     * of the batches' wall times (the time between batches, spent in other passes, is not the pass's).
     */
    public static ObjectNode pass(String name, List<ApiPass.Window> windows, ApiFunctions api,
            boolean iotCallsAreOurs) {
        List<ApiPass.Call> calls = new java.util.ArrayList<>();
        AuthorizerLog.Samples samples = new AuthorizerLog.Samples(AuthorizerLog.SOURCE_NONE, List.of(), List.of(), 0);
        JsonNode stats = JSON.createObjectNode();
        double wall = 0;
        for (ApiPass.Window window : windows) {
            calls.addAll(window.calls());
            samples = samples.plus(window.samples());
            stats = StatsDelta.plus(stats, window.stats());
            wall += wallSeconds(window.calls());
        }
        return pass(name, calls, samples, stats, api, iotCallsAreOurs, wall, windows.size());
    }

    private static ObjectNode pass(String name, List<ApiPass.Call> calls, AuthorizerLog.Samples samples,
            JsonNode stats, ApiFunctions api, boolean iotCallsAreOurs, double wall, int batches) {
        ObjectNode pass = JSON.createObjectNode();
        pass.put("name", name);
        pass.put("batches", batches);
        long devices = calls.stream().map(ApiPass.Call::thingName).distinct().count();
        long authorizedDevices = calls.stream().filter(ApiPass.Call::authorized).map(ApiPass.Call::thingName)
                .distinct().count();
        pass.put("devices", devices);
        pass.put("requests", calls.size());
        pass.put("authorized", calls.stream().filter(ApiPass.Call::authorized).count());
        pass.put("denied", calls.stream().filter(c -> c.status() == 401 || c.status() == 403).count());
        pass.put("failed", calls.stream().filter(c -> !c.authorized() && c.status() != 401 && c.status() != 403)
                .count());
        ObjectNode statuses = pass.putObject("statuses");
        new TreeMap<>(calls.stream().collect(Collectors.groupingBy(c -> String.valueOf(c.status()),
                Collectors.counting()))).forEach(statuses::put);
        pass.put("wallSeconds", OnboardingReport.round(wall, 3));
        pass.put("authorizedDevicesPerSecond", OnboardingReport.round(wall > 0 ? authorizedDevices / wall : 0, 2));
        pass.put("requestsPerSecond", OnboardingReport.round(wall > 0 ? calls.size() / wall : 0, 2));
        latency(pass.putObject("clientLatencyMs"), calls.stream().mapToDouble(ApiPass.Call::millis).toArray());

        ObjectNode authorizerLatency = pass.putObject("authorizerLatencyMs");
        authorizerLatency.put("source", samples.source());
        latency(authorizerLatency.putObject("miss"), samples.miss().stream().mapToDouble(d -> d).toArray());
        latency(authorizerLatency.putObject("hit"), samples.hit().stream().mapToDouble(d -> d).toArray());
        if (samples.unknown() > 0) {
            authorizerLatency.put("unclassified", samples.unknown());
        }

        ObjectNode iot = pass.putObject("iotCalls");
        ObjectNode byOperation = iot.putObject("byOperation");
        ObjectNode throttled = iot.putObject("throttled");
        long total = 0;
        for (Map.Entry<String, JsonNode> op : (Iterable<Map.Entry<String, JsonNode>>) stats.path("operations")::fields) {
            long n = op.getValue().path("calls").asLong();
            if (n > 0) {
                byOperation.put(op.getKey(), n);
                total += n;
            }
            if (op.getValue().path("throttled").asLong() > 0) {
                throttled.put(op.getKey(), op.getValue().path("throttled").asLong());
            }
        }
        iot.put("total", total);
        if (iotCallsAreOurs) {
            iot.put("perApiRequest", OnboardingReport.round(calls.isEmpty() ? 0 : (double) total / calls.size(), 3));
        } else {
            iot.put("perApiRequest", "not attributable: onboarding ran at the same time");
        }
        JsonNode function = stats.path("functions").path(api.authorizer());
        if (!function.isMissingNode()) {
            pass.set("authorizerFunction", function);
        }
        // Anything else that ran in the window (the reconciler on its schedule, a late onboarding event) made its
        // IoT calls in the window too: named here, so that the per-operation counts can be read for what they are.
        ObjectNode others = pass.putObject("otherFunctionInvocations");
        stats.path("functions").fields().forEachRemaining(f -> {
            long n = f.getValue().path("invocations").asLong();
            if (n > 0 && !f.getKey().equals(api.authorizer()) && !f.getKey().equals(api.integration())) {
                others.put(f.getKey(), n);
            }
        });
        return pass;
    }

    private static void latency(ObjectNode out, double[] values) {
        java.util.Arrays.sort(values);
        out.put("n", values.length);
        if (values.length > 0) {
            out.put("p50", OnboardingReport.round(OnboardingReport.percentile(values, 50), 1));
            out.put("p99", OnboardingReport.round(OnboardingReport.percentile(values, 99), 1));
            out.put("max", OnboardingReport.round(values[values.length - 1], 1));
        }
    }

    /** The first call's start to the last call's end; 0 without calls. */
    static double wallSeconds(List<ApiPass.Call> calls) {
        long first = calls.stream().mapToLong(ApiPass.Call::startNanos).min().orElse(0);
        long last = calls.stream().mapToLong(ApiPass.Call::endNanos).max().orElse(first);
        return (last - first) / 1e9;
    }

    /** One line for the console. */
    public static String text(JsonNode p) {
        JsonNode a = p.path("authorizerLatencyMs");
        return String.format(Locale.ROOT, "%s: %d devices, %d authorized, %d denied, %d failed in %.1f s: "
                + "%.1f devices authorized/s; client latency p50 %.0f ms p99 %.0f ms; authorizer (%s) miss p50 %s "
                + "p99 %s (n %d), hit p50 %s p99 %s (n %d); IoT calls %d (%s per request) %s; other functions %s%n",
                p.path("name").asText(), p.path("devices").asInt(), p.path("authorized").asInt(),
                p.path("denied").asInt(), p.path("failed").asInt(), p.path("wallSeconds").asDouble(),
                p.path("authorizedDevicesPerSecond").asDouble(), p.path("clientLatencyMs").path("p50").asDouble(),
                p.path("clientLatencyMs").path("p99").asDouble(), a.path("source").asText(),
                a.path("miss").path("p50").asText("-"), a.path("miss").path("p99").asText("-"),
                a.path("miss").path("n").asInt(), a.path("hit").path("p50").asText("-"),
                a.path("hit").path("p99").asText("-"), a.path("hit").path("n").asInt(),
                p.path("iotCalls").path("total").asLong(), p.path("iotCalls").path("perApiRequest").asText(),
                p.path("iotCalls").path("byOperation"), p.path("otherFunctionInvocations"));
    }
}
