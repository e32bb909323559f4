package dev.iotonboard.local.cloudwatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.local.EventLog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The room's face: function log lines and service metrics in, {@code /_local/metrics} and {@code /_local/alarms}. */
class CloudWatchTest {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-30T12:01:00Z"));
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final CloudWatch cloudWatch = new CloudWatch(AlarmDefinition.from(AlarmDefinitionTest.stack()),
            new EventLog(new PrintStream(output, true, StandardCharsets.UTF_8)), now::get);

    private static JsonNode alarm(JsonNode view, String logicalId) {
        for (JsonNode alarm : view.path("alarms")) {
            if (alarm.path("logicalId").asText().equals(logicalId)) {
                return alarm;
            }
        }
        throw new AssertionError("no alarm " + logicalId + " in " + view);
    }

    @Test
    void aFunctionError_setsItsAlarmToAlarm_recordsTheNotification_andOkOnceThePeriodHasPassed() {
        JsonNode before = cloudWatch.alarmsView();
        assertEquals("OK", alarm(before, "FnErrors").path("state").asText(), "notBreaching: no data is OK");
        assertEquals("INSUFFICIENT_DATA", alarm(before, "QueueDepth").path("state").asText());

        cloudWatch.services().lambdaAttempt("activation-fn", true);
        cloudWatch.services().lambdaAttempt("other-fn", true);
        JsonNode after = cloudWatch.alarmsView();

        JsonNode errors = alarm(after, "FnErrors");
        assertEquals("ALARM", errors.path("state").asText());
        assertEquals(1.0, errors.path("datapoints").get(0).path("value").asDouble());
        assertTrue(errors.path("datapoints").get(0).path("breaching").asBoolean());
        assertEquals("2026-11-30T12:00:00Z", errors.path("datapoints").get(0).path("start").asText(),
                "the 300 s period holding 12:01");
        assertTrue(errors.path("reason").asText().startsWith("Threshold Crossed: 1 out of the last 1 datapoints"));
        JsonNode notification = after.path("notifications").get(after.path("notifications").size() - 1);
        assertEquals("FnErrors", notification.path("alarm").asText());
        assertEquals(AlarmDefinitionTest.TOPIC, notification.path("topic").asText());
        assertEquals("ALARM", notification.path("newState").asText());
        assertTrue(output.toString(StandardCharsets.UTF_8).contains("[alarms] FnErrors: OK -> ALARM: Threshold"));

        now.set(Instant.parse("2026-11-30T12:05:00Z"));
        JsonNode later = cloudWatch.alarmsView();
        assertEquals("ALARM", alarm(later, "FnErrors").path("state").asText(),
                "the error's period is still in the evaluation range and decides (real data is not filled)");
        now.set(Instant.parse("2026-11-30T12:20:00Z"));
        assertEquals("OK", alarm(cloudWatch.alarmsView(), "FnErrors").path("state").asText(),
                "out of the range: missing data, treated notBreaching");
        assertEquals("OK", cloudWatch.alarms().notifications().get(cloudWatch.alarms().notifications().size() - 1)
                .newState().name(), "OKActions name the topic too");
    }

    @Test
    void aThrottledCall_isAThrottlesDatum_neitherAnInvocationNorAnError() {
        cloudWatch.services().lambdaThrottle("activation-fn");
        assertEquals(1, cloudWatch.store().all().size());
        Datum throttle = cloudWatch.store().all().get(0);
        assertEquals("AWS/Lambda", throttle.namespace());
        assertEquals("Throttles", throttle.name());
        assertEquals(java.util.Map.of("FunctionName", "activation-fn"), throttle.dimensions());
        assertEquals(java.util.List.of(1.0), throttle.values());
        assertEquals("Count", throttle.unit());
        assertEquals(now.get(), throttle.timestamp());
    }

    @Test
    void aBasicIngestMessageForNoRule_isARuleNotFoundDatum() {
        cloudWatch.services().ruleNotFound("no_such_rule");
        Datum missing = cloudWatch.store().all().get(0);
        assertEquals("AWS/IoT", missing.namespace());
        assertEquals("RuleNotFound", missing.name());
        assertEquals(java.util.Map.of("RuleName", "no_such_rule"), missing.dimensions());
        assertEquals(java.util.List.of(1.0), missing.values());
    }

    @Test
    void alarmsView_showsUnsupportedAlarmsWithTheirReason_andNoState() {
        JsonNode math = alarm(cloudWatch.alarmsView(), "ErrorRate");
        assertTrue(math.path("state").isNull());
        assertTrue(math.path("unsupported").asText().contains("metric math"));
        assertTrue(output.toString(StandardCharsets.UTF_8).contains("[alarms] ErrorRate: not evaluated: metric math"));
    }

    @Test
    void functionLog_recordsEmfLines_andRefusesBadOnesVisibly() {
        long ts = now.get().toEpochMilli();
        cloudWatch.functionLog("activation-fn", "{\"level\":\"INFO\",\"message\":\"activated\"}");
        cloudWatch.functionLog("activation-fn", "{\"_aws\":{\"Timestamp\":" + ts + ",\"CloudWatchMetrics\":[{"
                + "\"Namespace\":\"IotOnboarding\",\"Dimensions\":[[],[\"Reason\"]],\"Metrics\":[{\"Name\":"
                + "\"CertificatesRejected\",\"Unit\":\"Count\"}]}]},\"Reason\":\"REVOKED\",\"CertificatesRejected\":1}");
        cloudWatch.functionLog("activation-fn", "{\"_aws\":{\"Timestamp\":" + ts + ",\"CloudWatchMetrics\":[{"
                + "\"Namespace\":\"IotOnboarding\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"X\"}]}]},\"X\":\"1\"}");
        cloudWatch.services().queueDepth("FailureQueue", 2);

        JsonNode view = cloudWatch.metricsView();

        assertEquals(3, view.path("metrics").size(), view.toString());
        JsonNode fleet = view.path("metrics").get(0);
        assertEquals("IotOnboarding", fleet.path("namespace").asText());
        assertEquals("CertificatesRejected", fleet.path("metricName").asText());
        assertEquals(0, fleet.path("dimensions").size());
        assertEquals("/aws/lambda/activation-fn", fleet.path("datapoints").get(0).path("source").asText());
        assertEquals(1.0, fleet.path("datapoints").get(0).path("values").get(0).asDouble());
        assertEquals("REVOKED", view.path("metrics").get(1).path("dimensions").path("Reason").asText());
        assertEquals("FailureQueue", view.path("metrics").get(2).path("dimensions").path("QueueName").asText());
        assertEquals(1, view.path("refused").size());
        assertTrue(view.path("refused").get(0).path("reason").asText().contains("metric X must be a number"));
        assertTrue(output.toString(StandardCharsets.UTF_8).contains(
                "[metrics] EMF line of /aws/lambda/activation-fn refused, no metric extracted: metric X"));
    }
}
