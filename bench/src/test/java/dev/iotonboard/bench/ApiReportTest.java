package dev.iotonboard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One pass's accounting: authorized devices per second, denials, latencies, IoT calls per request. */
class ApiReportTest {
    private static final long MS = 1_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ApiReport.ApiFunctions API = new ApiReport.ApiFunctions("Auth", "Sample");

    @Test
    void pass_countsDevicesDenialsAndIotCallsPerRequest() throws Exception {
        List<ApiPass.Call> calls = List.of(
                new ApiPass.Call("a", 200, 0, 100 * MS),
                new ApiPass.Call("b", 200, 0, 300 * MS),
                new ApiPass.Call("c", 403, 100 * MS, 500 * MS),
                new ApiPass.Call("d", DeviceConnection.CONNECTION_FAILED, 200 * MS, 1000 * MS));
        JsonNode stats = JSON.readTree("{\"operations\":{\"DescribeCertificate\":{\"calls\":6,\"throttled\":2},"
                + "\"ListPrincipalThings\":{\"calls\":4,\"throttled\":0},\"CreateThing\":{\"calls\":0}},"
                + "\"functions\":{\"Auth\":{\"invocations\":4,\"errors\":0},\"Sample\":{\"invocations\":2},"
                + "\"Reconciler\":{\"invocations\":1},\"Activation\":{\"invocations\":0}}}");
        AuthorizerLog.Samples samples = new AuthorizerLog.Samples(AuthorizerLog.SOURCE_EMF, List.of(10.0, 30.0),
                List.of(1.0), 0);

        ObjectNode pass = ApiReport.pass("miss pass", calls, samples, stats, API, true);

        assertEquals(4, pass.path("devices").asInt());
        assertEquals(2, pass.path("authorized").asInt());
        assertEquals(1, pass.path("denied").asInt());
        assertEquals(1, pass.path("failed").asInt());
        assertEquals(1.0, pass.path("wallSeconds").asDouble());
        assertEquals(2.0, pass.path("authorizedDevicesPerSecond").asDouble(), "2 devices authorized in 1 s");
        assertEquals(10, pass.path("iotCalls").path("total").asLong(), "throttled calls are calls to IoT too");
        assertEquals(2.5, pass.path("iotCalls").path("perApiRequest").asDouble());
        assertEquals(2, pass.path("iotCalls").path("throttled").path("DescribeCertificate").asLong());
        assertTrue(pass.path("iotCalls").path("byOperation").path("CreateThing").isMissingNode());
        assertEquals(10.0, pass.path("authorizerLatencyMs").path("miss").path("p50").asDouble());
        assertEquals(30.0, pass.path("authorizerLatencyMs").path("miss").path("p99").asDouble());
        assertEquals(1, pass.path("authorizerLatencyMs").path("hit").path("n").asInt());
        assertEquals("emf", pass.path("authorizerLatencyMs").path("source").asText());
        assertEquals(4, pass.path("authorizerFunction").path("invocations").asInt());
        assertEquals("{\"Reconciler\":1}", pass.path("otherFunctionInvocations").toString(),
                "what else ran in the window (and called IoT)");
        assertEquals(800.0, pass.path("clientLatencyMs").path("max").asDouble());
        assertTrue(ApiReport.text(pass).contains("2 authorized, 1 denied, 1 failed"), ApiReport.text(pass));
    }

    @Test
    void pass_withConcurrentOnboarding_doesNotDivideTheIotCallsByTheRequests() {
        ObjectNode pass = ApiReport.pass("p", List.of(new ApiPass.Call("a", 200, 0, MS)),
                new AuthorizerLog.Samples(AuthorizerLog.SOURCE_NONE, List.of(), List.of(), 0),
                JSON.createObjectNode(), API, false);
        assertTrue(pass.path("iotCalls").path("perApiRequest").asText().startsWith("not attributable"));
    }

    @Test
    void passInBatches_addsTheBatchesCallsCountersAndWallTimes() throws Exception {
        ApiPass.Window first = new ApiPass.Window(List.of(new ApiPass.Call("a", 200, 0, 500 * MS)),
                new AuthorizerLog.Samples(AuthorizerLog.SOURCE_EMF, List.of(10.0), List.of(), 0),
                JSON.readTree("{\"operations\":{\"DescribeCertificate\":{\"calls\":1,\"throttled\":0}},"
                        + "\"pendingAsync\":3}"));
        ApiPass.Window second = new ApiPass.Window(List.of(new ApiPass.Call("b", 200, 9000 * MS, 9500 * MS)),
                new AuthorizerLog.Samples(AuthorizerLog.SOURCE_EMF, List.of(20.0), List.of(1.0), 1),
                JSON.readTree("{\"operations\":{\"DescribeCertificate\":{\"calls\":2,\"throttled\":1}},"
                        + "\"pendingAsync\":0}"));

        ObjectNode pass = ApiReport.pass("miss pass", List.of(first, second), API, true);

        assertEquals(2, pass.path("batches").asInt());
        assertEquals(1.0, pass.path("wallSeconds").asDouble(), "0.5 s + 0.5 s, not the 9.5 s between them");
        assertEquals(2.0, pass.path("authorizedDevicesPerSecond").asDouble());
        assertEquals(3, pass.path("iotCalls").path("total").asLong());
        assertEquals(1, pass.path("iotCalls").path("throttled").path("DescribeCertificate").asLong());
        assertEquals(2, pass.path("authorizerLatencyMs").path("miss").path("n").asInt());
        assertEquals(1, pass.path("authorizerLatencyMs").path("hit").path("n").asInt());
        assertEquals(1, pass.path("authorizerLatencyMs").path("unclassified").asInt());
        assertEquals("emf", pass.path("authorizerLatencyMs").path("source").asText());
    }
}
