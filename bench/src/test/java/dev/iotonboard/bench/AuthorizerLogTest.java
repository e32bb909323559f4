package dev.iotonboard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the authorizer's latencies from the local IoT Core's log, with lines of the shape the tool writes. */
class AuthorizerLogTest {
    private static final String FN = "DeviceApiAuthorizerFunctionA3F4B9E3";

    private static String decision(String requestId, boolean hit) {
        return "2026-11-30T14:39:00.375Z [fn " + FN + "-2] {\"level\":\"INFO\",\"message\":\"API call allowed\","
                + "\"function_request_id\":\"" + requestId + "\",\"cacheHit\":" + hit + "}";
    }

    private static String invocation(String function, String requestId, int millis) {
        return "2026-11-30T14:39:00.436Z [lambda] " + function + " " + requestId + " OK in " + millis
                + " ms (container " + function + "-2)";
    }

    private static String emf(String cache, double millis) {
        return "2026-11-30T14:39:00.400Z [fn " + FN + "-1] {\"_aws\":{\"Timestamp\":1,\"CloudWatchMetrics\":[{"
                + "\"Namespace\":\"IotOnboarding\",\"Dimensions\":[[\"Cache\"]],\"Metrics\":[{\"Name\":"
                + "\"AuthorizerLatency\",\"Unit\":\"Milliseconds\"}]}]},\"Cache\":\"" + cache
                + "\",\"AuthorizerLatency\":" + millis + "}";
    }

    @Test
    void withoutMetrics_invocationTimesSplitByTheHandlersCacheHit() {
        List<String> lines = List.of(
                decision("r1", false), invocation(FN, "r1", 2030),
                invocation(FN, "r2", 5), decision("r2", true),
                invocation(FN, "r3", 91),
                invocation("RegistrationCertificateActivationFunctionAE6FAC50", "r4", 7),
                "2026-11-30T14:39:00.436Z [fn " + FN + "-2] not json");

        AuthorizerLog.Samples samples = AuthorizerLog.parse(lines, FN);

        assertEquals(AuthorizerLog.SOURCE_INVOCATION, samples.source());
        assertEquals(List.of(2030.0), samples.miss());
        assertEquals(List.of(5.0), samples.hit());
        assertEquals(1, samples.unknown(), "r3 has no decision line");
    }

    @Test
    void theAuthorizersOwnMetricWinsOverInvocationTimes() {
        List<String> lines = List.of(emf("MISS", 12.5), emf("HIT", 0.4), emf("HIT", 0.6),
                decision("r1", false), invocation(FN, "r1", 30),
                "2026-11-30T14:39:00.400Z [fn " + FN + "-1] {\"_aws\":{\"CloudWatchMetrics\":[{\"Namespace\":"
                        + "\"Other\",\"Metrics\":[{\"Name\":\"AuthorizerLatency\"}]}]},\"Cache\":\"HIT\","
                        + "\"AuthorizerLatency\":99}");

        AuthorizerLog.Samples samples = AuthorizerLog.parse(lines, FN);

        assertEquals(AuthorizerLog.SOURCE_EMF, samples.source());
        assertEquals(List.of(12.5), samples.miss());
        assertEquals(List.of(0.4, 0.6), samples.hit(), "another namespace's metric is not the authorizer's");
    }

    @Test
    void nothingOfTheAuthorizer_sourceNone() {
        AuthorizerLog.Samples samples = AuthorizerLog.parse(List.of(invocation("Other", "r", 3)), FN);
        assertEquals(AuthorizerLog.SOURCE_NONE, samples.source());
        assertEquals(List.of(), samples.miss());
    }

    @Test
    void linesFrom_readsWholeLinesAfterTheOffset(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("tool.log");
        Files.writeString(log, "before\n");
        long offset = Files.size(log);
        Files.writeString(log, "before\nfirst\nsecond\npartial", java.nio.charset.StandardCharsets.UTF_8);

        assertEquals(List.of("first", "second"), AuthorizerLog.linesFrom(log, offset));
    }
}
