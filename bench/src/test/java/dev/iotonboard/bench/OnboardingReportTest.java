package dev.iotonboard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OnboardingReportTest {
    private static final long S = 1_000_000_000L;

    private static DeviceResult onboarded(String name, long startS, long doneS) {
        return new DeviceResult(name, "id-" + name, true, null, startS * S, 0, 0, doneS * S, 2, 1, 1);
    }

    @Test
    void build_ratesFromFirstRequestToLastOnboardingAndRatioToR() throws Exception {
        List<DeviceResult> devices = List.of(onboarded("a", 10, 12), onboarded("b", 11, 20), onboarded("c", 10, 30),
                onboarded("d", 12, 14));
        QuotaBound.Limit limit = QuotaBound.compute(Map.of("DescribeCertificate", 10.0),
                Map.of("DescribeCertificate", 2));
        JsonNode stats = new ObjectMapper().readTree("""
                {"operations":{"DescribeCertificate":{"calls":10,"throttled":3,"faults":0},
                               "CreateThing":{"calls":4,"throttled":0,"faults":1}},
                 "functions":{"Activation":{"invocations":5,"errors":1,"drops":1,"crashes":0}},
                 "pendingAsync":0,"connect":{"throttled":0}}""");

        JsonNode report = OnboardingReport.build(devices, limit, Map.of("DescribeCertificate", 2), "test", stats);

        assertEquals(4, report.path("onboarded").asInt());
        assertEquals(0, report.path("lost").asInt());
        assertEquals(20.0, report.path("wallSeconds").asDouble(), 1e-9);
        assertEquals(0.2, report.path("ratePerSecond").asDouble(), 1e-9);
        assertEquals(5.0, report.path("quotaBound").path("devicesPerSecond").asDouble(), 1e-9);
        assertEquals(0.04, report.path("ratio").asDouble(), 1e-9);
        assertEquals(1.75, report.path("measuredCallsPerDevice").path("DescribeCertificate").asDouble(), 1e-9);
        assertEquals(3, report.path("throttled").path("DescribeCertificate").asInt());
        assertEquals(1, report.path("injectedFaults").path("CreateThing").asInt());
        assertFalse(report.path("throttled").has("CreateThing"));
        assertEquals(1, report.path("functions").path("Activation").path("drops").asInt());
    }

    @Test
    void build_countsLostDevicesWithTheirLastProblem() {
        List<DeviceResult> devices = List.of(onboarded("a", 0, 4),
                new DeviceResult("b", "id-b", false, "MQTT CONNECT answered CONNACK 5", 0, 1, 2, 0, 3, 2, 40));
        QuotaBound.Limit limit = QuotaBound.compute(Map.of("CreateThing", 1.0), Map.of("CreateThing", 1));

        JsonNode report = OnboardingReport.build(devices, limit, Map.of("CreateThing", 1), "test", null);

        assertEquals(1, report.path("lost").asInt());
        assertEquals("b", report.path("lostExamples").get(0).path("thingName").asText());
        assertEquals("MQTT CONNECT answered CONNACK 5",
                report.path("lostExamples").get(0).path("lastProblem").asText());
        assertEquals(4.0, report.path("wallSeconds").asDouble(), 1e-9);
        assertEquals(0.25, report.path("ratePerSecond").asDouble(), 1e-9);
        assertTrue(OnboardingReport.text(report).contains("lost 1"));
    }

    @Test
    void percentile_isNearestRank() {
        double[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(5, OnboardingReport.percentile(sorted, 50));
        assertEquals(9, OnboardingReport.percentile(sorted, 90));
        assertEquals(10, OnboardingReport.percentile(sorted, 100));
        assertTrue(Double.isNaN(OnboardingReport.percentile(new double[0], 50)));
    }

    @Test
    void statsDelta_subtractsCountersAndKeepsGauges() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode before = json.readTree("""
                {"operations":{"DescribeCertificate":{"calls":4,"throttled":1,"faults":0}},
                 "functions":{"A":{"invocations":3,"queued":2,"pendingAsync":2}},"pendingAsync":2}""");
        JsonNode after = json.readTree("""
                {"operations":{"DescribeCertificate":{"calls":10,"throttled":1,"faults":2},
                               "CreateThing":{"calls":5,"throttled":0,"faults":0}},
                 "functions":{"A":{"invocations":9,"queued":1,"pendingAsync":1}},"pendingAsync":1}""");

        JsonNode delta = StatsDelta.between(before, after);

        assertEquals(6, delta.path("operations").path("DescribeCertificate").path("calls").asInt());
        assertEquals(0, delta.path("operations").path("DescribeCertificate").path("throttled").asInt());
        assertEquals(2, delta.path("operations").path("DescribeCertificate").path("faults").asInt());
        assertEquals(5, delta.path("operations").path("CreateThing").path("calls").asInt());
        assertEquals(6, delta.path("functions").path("A").path("invocations").asInt());
        assertEquals(1, delta.path("functions").path("A").path("queued").asInt());
        assertEquals(1, delta.path("pendingAsync").asInt());
    }
}
