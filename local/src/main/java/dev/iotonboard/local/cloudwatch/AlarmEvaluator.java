package dev.iotonboard.local.cloudwatch;

import dev.iotonboard.local.cloudwatch.AlarmDefinition.MissingData;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Evaluates one single-metric alarm over the recorded data points by CloudWatch's rules (CloudWatch user guide,
 * "Evaluating an alarm", "Configuring how CloudWatch alarms treat missing data"):
 * <ul>
 * <li>periods are aligned to multiples of {@code Period} since the epoch; the newest is the one holding {@code now}
 * (CloudWatch evaluates every minute over the data that has arrived);</li>
 * <li>each period's data point is the alarm's statistic over every sample in it (an EMF array is several samples);
 * a period without samples is missing;</li>
 * <li>the evaluation range is {@link #EXTRA_PERIODS} periods more than {@code EvaluationPeriods} (AWS retrieves
 * "a higher number of data points" and does not publish how many; its example looks back 5 periods for 3);</li>
 * <li>with at least {@code EvaluationPeriods} real data points in the range, the most recent ones decide and missing
 * data is not treated: ALARM when at least {@code DatapointsToAlarm} of them breach, else OK;</li>
 * <li>with none: {@code missing} INSUFFICIENT_DATA, {@code ignore} the current state, {@code breaching} ALARM,
 * {@code notBreaching} OK;</li>
 * <li>with some: the missing ones are filled as few times as possible: {@code breaching} counts them breaching,
 * {@code notBreaching} not; {@code missing} counts only the real ones (ALARM when {@code DatapointsToAlarm} of them
 * breach, or all of them when there are fewer); {@code ignore} keeps the current state unless the real ones already
 * decide (ALARM when {@code DatapointsToAlarm} breach, OK when too many do not breach for any fill to reach it).</li>
 * </ul>
 */
public final class AlarmEvaluator {

    /** How many periods beyond EvaluationPeriods the evaluation range looks back (an assumption, see above). */
    static final int EXTRA_PERIODS = 2;

    public enum State {
        OK, ALARM, INSUFFICIENT_DATA
    }

    /** One period of the evaluation range: its start, its statistic (null: missing), whether it breaches. */
    public record Period(Instant start, Double value, Boolean breaching, int samples) {
    }

    /** The state, CloudWatch-style reason, and the evaluation range's periods, newest first. */
    public record Evaluation(State state, String reason, List<Period> periods) {
    }

    private AlarmEvaluator() {
    }

    /** Evaluates {@code alarm} at {@code now}; {@code current} is its state before (for {@code ignore}). */
    public static Evaluation evaluate(AlarmDefinition alarm, MetricStore store, Instant now, State current) {
        if (!alarm.supported()) {
            throw new IllegalArgumentException(alarm.logicalId() + ": " + alarm.unsupported());
        }
        long periodMillis = alarm.period() * 1000L;
        long newest = Math.floorDiv(now.toEpochMilli(), periodMillis) * periodMillis;
        int range = alarm.evaluationPeriods() + EXTRA_PERIODS;
        List<Period> periods = new ArrayList<>();
        for (int i = 0; i < range; i++) {
            Instant start = Instant.ofEpochMilli(newest - i * periodMillis);
            List<Double> samples = new ArrayList<>();
            for (Datum datum : store.of(alarm.namespace(), alarm.metricName(), alarm.dimensions(), alarm.unit(),
                    start, start.plusMillis(periodMillis))) {
                samples.addAll(datum.values());
            }
            Double value = samples.isEmpty() ? null : statistic(alarm.statistic(), samples);
            periods.add(new Period(start, value, value == null ? null
                    : alarm.comparison().breaches(value, alarm.threshold()), samples.size()));
        }
        List<Period> real = periods.stream().filter(p -> p.value() != null).toList();
        int n = alarm.evaluationPeriods();
        int m = alarm.datapointsToAlarm();
        if (real.size() >= n) {
            List<Period> used = real.subList(0, n);
            long breaching = used.stream().filter(Period::breaching).count();
            State state = breaching >= m ? State.ALARM : State.OK;
            return new Evaluation(state, reason(alarm, used, breaching, state), periods);
        }
        long breaching = real.stream().filter(Period::breaching).count();
        long fill = n - real.size();
        State state = switch (alarm.treatMissingData()) {
            case breaching -> breaching + fill >= m ? State.ALARM : State.OK;
            case notBreaching -> breaching >= m ? State.ALARM : State.OK;
            case missing -> real.isEmpty() ? State.INSUFFICIENT_DATA
                    : breaching >= Math.min(m, real.size()) ? State.ALARM : State.OK;
            case ignore -> breaching >= m ? State.ALARM
                    : real.size() - breaching > n - m ? State.OK : current;
        };
        String reason = real.isEmpty()
                ? "no data point in the last " + range + " periods of " + alarm.period() + " s (TreatMissingData "
                        + alarm.treatMissingData() + ")"
                : reason(alarm, real, breaching, state) + "; " + fill + " missing treated as "
                        + alarm.treatMissingData();
        if (alarm.treatMissingData() == MissingData.ignore && state == current && !real.isEmpty()
                && breaching < m && real.size() - breaching <= n - m) {
            reason += " (state kept)";
        }
        return new Evaluation(state, reason, periods);
    }

    /** CloudWatch's StateReason wording: "Threshold Crossed: 1 out of the last 1 datapoints [5.0 (...)] was ...". */
    private static String reason(AlarmDefinition alarm, List<Period> used, long breaching, State state) {
        StringBuilder values = new StringBuilder();
        for (Period period : used) {
            values.append(values.isEmpty() ? "" : ", ").append(period.value()).append(" (").append(period.start())
                    .append(")");
        }
        boolean crossed = state == State.ALARM;
        long counted = crossed ? breaching : used.size() - breaching;
        return (crossed ? "Threshold Crossed: " : "Threshold not crossed: ") + counted + " out of the last "
                + used.size() + " datapoints [" + values + "] " + (counted == 1 ? "was" : "were")
                + (crossed ? " " : " not ") + words(alarm.comparison()) + " the threshold (" + alarm.threshold()
                + ") (minimum " + alarm.datapointsToAlarm() + " datapoint" + (alarm.datapointsToAlarm() == 1 ? ""
                : "s") + " for ALARM)";
    }

    private static String words(AlarmDefinition.Comparison comparison) {
        return switch (comparison) {
            case GreaterThanOrEqualToThreshold -> "greater than or equal to";
            case GreaterThanThreshold -> "greater than";
            case LessThanThreshold -> "less than";
            case LessThanOrEqualToThreshold -> "less than or equal to";
        };
    }

    /**
     * The statistic over a period's samples: SampleCount, Sum, Average, Minimum, Maximum, or pNN (nearest rank over
     * the raw samples; CloudWatch estimates percentiles, so for few samples they may differ).
     */
    static double statistic(String statistic, List<Double> samples) {
        return switch (statistic) {
            case "SampleCount" -> samples.size();
            case "Sum" -> samples.stream().mapToDouble(Double::doubleValue).sum();
            case "Average" -> samples.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            case "Minimum" -> samples.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
            case "Maximum" -> samples.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            default -> percentile(Double.parseDouble(statistic.substring(1)), samples);
        };
    }

    private static double percentile(double p, List<Double> samples) {
        List<Double> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
