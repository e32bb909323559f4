package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.local.cloudwatch.AlarmDefinition;
import dev.iotonboard.local.stack.StackTemplate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The stack's alarms end to end: faults are injected into the running stack, the metric data points they cause are
 * recorded by the tool ({@code GET /_local/metrics}), and the alarm the template defines for each fires
 * ({@code GET /_local/alarms}) while an unrelated one does not:
 * <ol>
 * <li>an embedded-metric-format line: a device made by the unmodified create-device.sh with {@code --days 5},
 * onboarded by jitr.sh, is reported by the scheduled expiry watch (every 3 s here) as expiring soon: the
 * {@code CertificatesExpiringSoon} line, and the template's alarm on it; its call of the device API by the
 * unmodified call-api.sh is a {@code AWS/ApiGateway 5XXError} data point of 0 under the dimensions of the template's
 * 5xx alarm, which stays OK;</li>
 * <li>AWS metrics: with every UpdateCertificate failing ({@code UpdateCertificate:every=1:500} added through the
 * admin route), a second device's registered event fails every attempt of the activation function: its
 * {@code AWS/Lambda Errors}, then the event's record in the function's on-failure queue and that queue's
 * {@code AWS/SQS ApproximateNumberOfMessagesVisible}, and the template's alarms on both; the alarm on the errors of
 * the provisioning function, which ran without error for the first device, stays OK.</li>
 * </ol>
 * Own tool instance; its output is kept in local/target/alarms-e2e.log.
 */
class AlarmsIT {
    private static E2eFixture e2e;
    private static StackTemplate stack;
    private static StackTemplate.Function activation;
    private static StackTemplate.Function provisioning;
    private static List<AlarmDefinition> alarms;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("alarms-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"),
                Path.of("lambdas/reconciler/target/reconciler.jar"));
        Path cdkOut = e2e.createCaAndSynthesize();
        stack = StackTemplate.load(cdkOut, "IotOnboarding", "000000000000", "us-east-1");
        activation = E2eFixture.function(stack, "CertificateActivationHandler");
        provisioning = E2eFixture.function(stack, "ThingProvisioningHandler");
        alarms = AlarmDefinition.from(stack);
        e2e.startToolOnFreePorts(cdkOut, "--schedule-interval", "3", "--retry-delays", "0.2,0.2");
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    void injectedFaults_recordTheirMetrics_andFireTheTemplatesAlarms() throws Exception {
        AlarmDefinition expiring = alarm("IotOnboarding", "CertificatesExpiringSoon", Map.of());
        AlarmDefinition activationErrors = alarm("AWS/Lambda", "Errors", Map.of("FunctionName", activation.name()));
        String queue = queueName(activation.onFailureDestination());
        AlarmDefinition queueDepth = alarm("AWS/SQS", "ApproximateNumberOfMessagesVisible",
                Map.of("QueueName", queue));
        AlarmDefinition provisioningErrors = alarm("AWS/Lambda", "Errors",
                Map.of("FunctionName", provisioning.name()));
        AlarmDefinition api5xx = alarms.stream().filter(a -> a.supported()
                && a.namespace().equals("AWS/ApiGateway") && a.metricName().equals("5XXError")).findFirst()
                .orElseThrow(() -> new AssertionError("the template has no alarm on AWS/ApiGateway 5XXError"));
        assertEquals(List.of(), e2e.adminJson("/_local/alarms").path("alarms").findValuesAsText("unsupported"),
                "every alarm of the stack is one the tool evaluates");
        e2e.registerCa();

        // 1. An EMF line: the expiry watch reports a device expiring in five days.
        String shortLived = device("--days", "5");
        E2eFixture.Run jitr = e2e.jitr(shortLived, 240, "--timeout", "120", "--mqtt-timeout", "60",
                "--initial-delay", "1", "--max-delay", "4");
        assertEquals(0, jitr.exit(), "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());
        e2e.waitFor("a CertificatesExpiringSoon data point of 1", Duration.ofSeconds(90),
                () -> values("IotOnboarding", "CertificatesExpiringSoon", Map.of()).contains(1.0));
        JsonNode line = metric("IotOnboarding", "CertificatesExpiringSoon", Map.of()).orElseThrow();
        assertTrue(line.path("datapoints").get(0).path("source").asText().startsWith("/aws/lambda/"),
                "from the function's log: " + line);
        e2e.waitFor(expiring.name() + " in ALARM", Duration.ofSeconds(30), () -> state(expiring).equals("ALARM"));

        // The API answers the onboarded device: a 5XXError data point of 0 under the alarm's ApiName and Stage.
        E2eFixture.Run call = e2e.run(List.of(e2e.script("device/call-api.sh"), "--domain", "localhost", "--port",
                Integer.toString(e2e.apiPort()), "--cacert", e2e.serverCa().toString(), "--thing-name", shortLived),
                Map.of(), 60);
        assertEquals(0, call.exit(), "call-api.sh exit " + call.exit() + ":\n" + call.err());
        assertEquals(List.of(0.0), values("AWS/ApiGateway", "5XXError", api5xx.dimensions()),
                "one answer, not a 5xx, recorded under " + api5xx.dimensions());
        assertEquals("OK", state(api5xx));

        // 2. AWS metrics: activation fails every attempt, its event ends in the on-failure queue.
        assertNotEquals("ALARM", state(activationErrors), "no activation error yet");
        e2e.addFault("UpdateCertificate:every=1:500");
        String failing = device();
        E2eFixture.Run refused = e2e.jitr(failing, 60, "--timeout", "8", "--mqtt-timeout", "3",
                "--initial-delay", "1", "--max-delay", "2");
        assertNotEquals(0, refused.exit(), "jitr.sh cannot onboard while UpdateCertificate fails");
        e2e.waitFor("an AWS/Lambda Errors data point of 1 for " + activation.name(), Duration.ofSeconds(60),
                () -> values("AWS/Lambda", "Errors", Map.of("FunctionName", activation.name())).contains(1.0));
        e2e.waitFor(activationErrors.name() + " in ALARM", Duration.ofSeconds(30),
                () -> state(activationErrors).equals("ALARM"));
        // Each attempt takes seconds (the function's SDK retries the 500s), and every connection of jitr.sh
        // published one more registered event: the first event exhausts its three attempts within about a minute.
        e2e.waitFor("a queue depth sample above 0 for " + queue, Duration.ofSeconds(180),
                () -> values("AWS/SQS", "ApproximateNumberOfMessagesVisible", Map.of("QueueName", queue)).stream()
                        .anyMatch(v -> v > 0));
        e2e.waitFor(queueDepth.name() + " in ALARM", Duration.ofSeconds(30), () -> state(queueDepth).equals("ALARM"));

        JsonNode view = e2e.adminJson("/_local/alarms");
        JsonNode errors = alarmView(view, activationErrors);
        assertTrue(errors.path("reason").asText().startsWith("Threshold Crossed"), errors.toString());
        assertTrue(errors.path("datapoints").findValues("breaching").stream().anyMatch(JsonNode::asBoolean),
                "the data points it used: " + errors);
        assertTrue(values("AWS/Lambda", "Errors", Map.of("FunctionName", provisioning.name())).contains(0.0),
                "the provisioning function ran for the first device");
        assertEquals("OK", state(provisioningErrors), "and without error: its alarm is not in ALARM");
        List<String> alarmed = new ArrayList<>();
        view.path("notifications").forEach(n -> alarmed.add(n.path("alarm").asText() + " " + n.path("newState")
                .asText()));
        if (!activationErrors.alarmActions().isEmpty()) {
            assertTrue(alarmed.contains(activationErrors.name() + " ALARM"), "notification recorded: " + alarmed);
        }
        assertTrue(e2e.output().contains("[alarms] " + activationErrors.name() + ": "), "the change is logged");
        assertEquals(List.of(), e2e.adminJson("/_local/metrics").path("refused").findValuesAsText("reason"),
                "no function wrote an EMF line CloudWatch would refuse");
    }

    /** The template's alarm on exactly this metric; fails naming what the template lacks. */
    private static AlarmDefinition alarm(String namespace, String metric, Map<String, String> dimensions) {
        return alarms.stream().filter(a -> a.supported() && a.namespace().equals(namespace)
                && a.metricName().equals(metric) && a.dimensions().equals(dimensions)).findFirst()
                .orElseThrow(() -> new AssertionError("the template has no alarm on " + namespace + " " + metric + " "
                        + dimensions + "; its alarms: " + alarms.stream().map(a -> a.name() + " " + a.namespace()
                                + " " + a.metricName() + " " + a.dimensions()).toList()));
    }

    private static String queueName(String arn) {
        assertTrue(arn != null && arn.startsWith("arn:aws:sqs:"), "an SQS on-failure destination: " + arn);
        return arn.substring(arn.lastIndexOf(':') + 1);
    }

    private static String state(AlarmDefinition alarm) {
        return alarmView(e2e.adminJson("/_local/alarms"), alarm).path("state").asText();
    }

    private static JsonNode alarmView(JsonNode view, AlarmDefinition alarm) {
        for (JsonNode node : view.path("alarms")) {
            if (node.path("logicalId").asText().equals(alarm.logicalId())) {
                return node;
            }
        }
        throw new AssertionError("/_local/alarms has no " + alarm.logicalId() + ": " + view);
    }

    private static Optional<JsonNode> metric(String namespace, String name, Map<String, String> dimensions) {
        for (JsonNode metric : e2e.adminJson("/_local/metrics").path("metrics")) {
            if (metric.path("namespace").asText().equals(namespace) && metric.path("metricName").asText().equals(name)
                    && E2eFixture.JSON.convertValue(metric.path("dimensions"), Map.class).equals(dimensions)) {
                return Optional.of(metric);
            }
        }
        return Optional.empty();
    }

    /** Every value recorded for the metric, in order. */
    private static List<Double> values(String namespace, String name, Map<String, String> dimensions) {
        List<Double> values = new ArrayList<>();
        metric(namespace, name, dimensions).ifPresent(m -> m.path("datapoints")
                .forEach(p -> p.path("values").forEach(v -> values.add(v.asDouble()))));
        return values;
    }

    private static String device(String... options) {
        List<String> command = new ArrayList<>(List.of(e2e.script("device/create-device.sh")));
        command.addAll(List.of(options));
        E2eFixture.Run device = e2e.run(command, Map.of(), 60);
        assertEquals(0, device.exit(), "create-device.sh failed:\n" + device.err());
        return device.out().trim();
    }
}
