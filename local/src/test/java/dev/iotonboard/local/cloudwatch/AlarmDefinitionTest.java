package dev.iotonboard.local.cloudwatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.local.cloudwatch.AlarmDefinition.Comparison;
import dev.iotonboard.local.cloudwatch.AlarmDefinition.MissingData;
import dev.iotonboard.local.stack.StackTemplate;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The template fixture {@code cloudwatch/alarms.template.json}: alarms with Ref, GetAtt and Join, and refusals. */
class AlarmDefinitionTest {
    static final String TOPIC = "arn:aws:sns:us-east-1:000000000000:AlarmTopic";

    static StackTemplate stack() {
        try {
            return StackTemplate.fromTemplate(Path.of(AlarmDefinitionTest.class
                    .getResource("/cloudwatch/alarms.template.json").toURI()), "Stack", "000000000000", "us-east-1");
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, AlarmDefinition> alarms() {
        return AlarmDefinition.from(stack()).stream()
                .collect(Collectors.toMap(AlarmDefinition::logicalId, Function.identity()));
    }

    @Test
    void theStack_loadsWithItsAlarmsTopicSubscriptionAndDashboard() {
        StackTemplate stack = stack();
        assertTrue(stack.ignored().contains("Dashboard (AWS::CloudWatch::Dashboard)"), stack.ignored().toString());
        assertTrue(stack.ignored().contains("AlarmTopic (AWS::SNS::Topic)"));
        assertEquals(TOPIC, stack.ref("AlarmTopic", "test"), "Ref of a topic is its ARN");
    }

    @Test
    void singleMetricAlarm_isReadWithItsIntrinsicsResolved() {
        AlarmDefinition errors = alarms().get("FnErrors");
        assertNull(errors.unsupported());
        assertEquals("FnErrors", errors.name(), "no AlarmName: the logical id");
        assertEquals("AWS/Lambda", errors.namespace());
        assertEquals("Errors", errors.metricName());
        assertEquals(Map.of("FunctionName", "activation-fn"), errors.dimensions(), "Ref gives the function's name");
        assertEquals("Sum", errors.statistic());
        assertEquals(300, errors.period());
        assertEquals(1, errors.evaluationPeriods());
        assertEquals(1, errors.datapointsToAlarm(), "default: EvaluationPeriods");
        assertEquals(1.0, errors.threshold());
        assertEquals(Comparison.GreaterThanOrEqualToThreshold, errors.comparison());
        assertEquals(MissingData.notBreaching, errors.treatMissingData());
        assertTrue(errors.actionsEnabled());
        assertEquals(List.of(TOPIC), errors.alarmActions());
        assertEquals(List.of(TOPIC), errors.okActions());

        AlarmDefinition queue = alarms().get("QueueDepth");
        assertEquals("Stack-failure-queue", queue.name(), "Fn::Join with AWS::StackName");
        assertEquals(Map.of("QueueName", "FailureQueue"), queue.dimensions(), "GetAtt QueueName");
        assertEquals(2, queue.datapointsToAlarm());
        assertEquals(3, queue.evaluationPeriods());
        assertEquals(MissingData.missing, queue.treatMissingData(), "default: missing");
        assertNull(queue.unit());

        AlarmDefinition latency = alarms().get("Latency");
        assertEquals("p99", latency.statistic());
        assertEquals("Milliseconds", latency.unit());
        assertEquals(MissingData.ignore, latency.treatMissingData());
        assertFalse(latency.actionsEnabled());
    }

    @Test
    void alarmsTheStandInCannotEvaluate_areKeptWithTheReason() {
        Map<String, AlarmDefinition> alarms = alarms();
        assertTrue(alarms.get("ErrorRate").unsupported().contains("metric math"));
        assertTrue(alarms.get("Anomaly").unsupported().contains("LessThanLowerOrGreaterThanUpperThreshold"));
        assertTrue(alarms.get("BadPeriod").unsupported().contains("Period must be 10, 20, 30 or a multiple of 60"));
        assertEquals(6, alarms.size());
    }
}
