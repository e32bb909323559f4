package dev.iotonboard.local.cloudwatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.local.cloudwatch.AlarmEvaluator.Evaluation;
import dev.iotonboard.local.cloudwatch.AlarmEvaluator.State;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** CloudWatch's evaluation rules over recorded data points; the patterns are AWS's, newest period last. */
class AlarmEvaluatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** 30 s into a minute: the newest 60 s period starts at 12:00:00. */
    private static final Instant NOW = Instant.parse("2026-11-30T12:00:30Z");
    private static final Instant PERIOD = Instant.parse("2026-11-30T12:00:00Z");

    private final MetricStore store = new MetricStore(() -> NOW);

    private static AlarmDefinition alarm(String statistic, int evaluationPeriods, int datapointsToAlarm,
            double threshold, String operator, String missing) {
        ObjectNode p = JSON.createObjectNode().put("Namespace", "IotOnboarding").put("MetricName", "Rejected")
                .put("Period", 60).put("EvaluationPeriods", evaluationPeriods)
                .put("DatapointsToAlarm", datapointsToAlarm).put("Threshold", threshold)
                .put("ComparisonOperator", operator).put("TreatMissingData", missing);
        p.put(statistic.startsWith("p") ? "ExtendedStatistic" : "Statistic", statistic);
        AlarmDefinition alarm = AlarmDefinition.read("A", p);
        assertNull(alarm.unsupported());
        return alarm;
    }

    private void put(Instant at, double... values) {
        store.put(new Datum("IotOnboarding", "Rejected", new java.util.TreeMap<>(), at,
                java.util.Arrays.stream(values).boxed().toList(), "Count", "test"));
    }

    /** One data point per character, the last one in the newest period: X breaches (5), 0 does not (0), - missing. */
    private void pattern(String periods) {
        for (int i = 0; i < periods.length(); i++) {
            Instant start = PERIOD.minusSeconds(60L * (periods.length() - 1 - i)).plusSeconds(10);
            switch (periods.charAt(i)) {
                case 'X' -> put(start, 5);
                case '0' -> put(start, 0);
                default -> {
                }
            }
        }
    }

    private State evaluate(AlarmDefinition alarm, State current) {
        return AlarmEvaluator.evaluate(alarm, store, NOW, current).state();
    }

    @Test
    void periods_areAlignedToMultiplesOfThePeriod_notToNow() {
        put(PERIOD.minusSeconds(1), 5);
        put(PERIOD, 1);

        Evaluation evaluation = AlarmEvaluator.evaluate(alarm("Sum", 1, 1, 3, "GreaterThanOrEqualToThreshold",
                "missing"), store, NOW, State.INSUFFICIENT_DATA);

        assertEquals(State.OK, evaluation.state(), "the newest period [12:00:00, 12:01:00) sums to 1, not 6");
        assertEquals(PERIOD, evaluation.periods().get(0).start());
        assertEquals(1.0, evaluation.periods().get(0).value());
        assertEquals(5.0, evaluation.periods().get(1).value());
        assertEquals(3, evaluation.periods().size(), "the evaluation range: EvaluationPeriods + 2");
        assertTrue(evaluation.reason().startsWith("Threshold not crossed: 1 out of the last 1 datapoints [1.0"),
                evaluation.reason());
    }

    @ParameterizedTest
    @CsvSource({"SampleCount,5", "Sum,16", "Average,3.2", "Minimum,0", "Maximum,10", "p50,2", "p99,10", "p20,0"})
    void statistic_isComputedOverEverySampleOfThePeriod(String statistic, double expected) {
        put(PERIOD.plusSeconds(1), 1, 2, 3);
        put(PERIOD.plusSeconds(2), 10, 0);

        Evaluation evaluation = AlarmEvaluator.evaluate(alarm(statistic, 1, 1, expected,
                "GreaterThanOrEqualToThreshold", "missing"), store, NOW, State.INSUFFICIENT_DATA);

        assertEquals(expected, evaluation.periods().get(0).value(), 1e-9);
        assertEquals(5, evaluation.periods().get(0).samples());
        assertEquals(State.ALARM, evaluation.state());
    }

    @ParameterizedTest
    @CsvSource({"GreaterThanOrEqualToThreshold,5,ALARM", "GreaterThanOrEqualToThreshold,4.9,OK",
        "GreaterThanThreshold,5,OK", "GreaterThanThreshold,5.1,ALARM", "LessThanThreshold,5,OK",
        "LessThanThreshold,4.9,ALARM", "LessThanOrEqualToThreshold,5,ALARM", "LessThanOrEqualToThreshold,5.1,OK"})
    void comparisonOperator_decidesWhetherADataPointBreaches(String operator, double value, State expected) {
        put(PERIOD, value);

        assertEquals(expected, evaluate(alarm("Maximum", 1, 1, 5, operator, "missing"), State.INSUFFICIENT_DATA));
    }

    @ParameterizedTest(name = "{0}: {1} of {2} -> {3}")
    @CsvSource({"X0X,2,3,ALARM", "X00,2,3,OK", "00X,2,3,OK", "0XX,2,3,ALARM", "XXX,3,3,ALARM", "XX0,3,3,OK",
        "0X,1,1,ALARM", "X0,1,1,OK"})
    void mOfN_alarmsWhenAtLeastDatapointsToAlarmOfTheLastEvaluationPeriodsBreach(String periods, int m, int n,
            State expected) {
        pattern(periods);

        assertEquals(expected, evaluate(alarm("Sum", n, m, 1, "GreaterThanOrEqualToThreshold", "missing"),
                State.INSUFFICIENT_DATA));
    }

    /**
     * AWS's table for 3 of 3 (CloudWatch user guide, "How alarm state is evaluated when data is missing"): the
     * evaluation range is 5 periods; with enough real data points missing data is not treated.
     */
    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
        "0-X-X,missing,OK", "0-X-X,ignore,OK", "0-X-X,breaching,OK", "0-X-X,notBreaching,OK",
        "----0,missing,OK", "----0,ignore,OK", "----0,breaching,OK", "----0,notBreaching,OK",
        "-----,missing,INSUFFICIENT_DATA", "-----,ignore,KEPT", "-----,breaching,ALARM", "-----,notBreaching,OK",
        "0XX-X,missing,ALARM", "0XX-X,ignore,ALARM", "0XX-X,breaching,ALARM", "0XX-X,notBreaching,ALARM",
        "--X--,missing,ALARM", "--X--,ignore,KEPT", "--X--,breaching,ALARM", "--X--,notBreaching,OK"})
    void missingData_isTreatedAsTheAlarmSays_onlyWhenTooFewRealDataPoints(String periods, String missing,
            String expected) {
        pattern(periods);
        AlarmDefinition alarm = alarm("Sum", 3, 3, 1, "GreaterThanOrEqualToThreshold", missing);

        if (expected.equals("KEPT")) {
            assertEquals(State.OK, evaluate(alarm, State.OK));
            assertEquals(State.ALARM, evaluate(alarm, State.ALARM));
            assertEquals(State.INSUFFICIENT_DATA, evaluate(alarm, State.INSUFFICIENT_DATA));
        } else {
            assertEquals(State.valueOf(expected), evaluate(alarm, State.INSUFFICIENT_DATA));
        }
    }

    @Test
    void dataPointsOutsideTheEvaluationRange_areNotUsed() {
        put(PERIOD.minusSeconds(3 * 60), 5);

        assertEquals(State.INSUFFICIENT_DATA, evaluate(alarm("Sum", 1, 1, 1, "GreaterThanOrEqualToThreshold",
                "missing"), State.INSUFFICIENT_DATA), "1 + 2 periods back: 11:58 is the oldest, 11:57 is out");
    }

    @Test
    void onlyTheExactDimensionSetAndTheAlarmsUnit_count() {
        store.put(Datum.of("IotOnboarding", "Rejected", Map.of("Reason", "CA_NOT_ALLOWED"), PERIOD, 5, "Count",
                "t"));
        store.put(Datum.of("IotOnboarding", "Other", Map.of(), PERIOD, 5, "Count", "t"));
        store.put(Datum.of("AWS/Lambda", "Rejected", Map.of(), PERIOD, 5, "Count", "t"));
        AlarmDefinition fleet = alarm("Sum", 1, 1, 1, "GreaterThanOrEqualToThreshold", "missing");
        assertEquals(State.INSUFFICIENT_DATA, evaluate(fleet, State.INSUFFICIENT_DATA));

        put(PERIOD, 5);
        assertEquals(State.ALARM, evaluate(fleet, State.INSUFFICIENT_DATA));
        ObjectNode inMilliseconds = JSON.createObjectNode().put("Namespace", "IotOnboarding")
                .put("MetricName", "Rejected").put("Unit", "Milliseconds").put("Statistic", "Sum").put("Period", 60)
                .put("EvaluationPeriods", 1).put("Threshold", 1).put("ComparisonOperator", "GreaterThanThreshold");
        assertEquals(State.INSUFFICIENT_DATA, evaluate(AlarmDefinition.read("B", inMilliseconds),
                State.INSUFFICIENT_DATA), "data points in Count do not match an alarm in Milliseconds");
    }

    @Test
    void anUnsupportedAlarm_isNotEvaluated() {
        AlarmDefinition math = AlarmDefinition.read("M", JSON.createObjectNode().set("Metrics",
                JSON.createArrayNode()));
        assertThrows(IllegalArgumentException.class, () -> evaluate(math, State.OK));
        assertEquals(List.of(), store.all());
    }
}
