package dev.iotonboard.local.cloudwatch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.local.stack.StackTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A stack's {@code AWS::CloudWatch::Alarm} on a single metric, its intrinsics resolved: the metric (namespace, name,
 * dimensions, optional unit), the statistic ({@code Statistic}, or a percentile {@code ExtendedStatistic} such as
 * {@code p99}), {@code Period}, {@code EvaluationPeriods}, {@code DatapointsToAlarm} (default: the evaluation
 * periods), {@code Threshold}, {@code ComparisonOperator}, {@code TreatMissingData} (default {@code missing}) and its
 * actions. An alarm the stand-in cannot evaluate (metric math, anomaly detection, another extended statistic, a
 * composite alarm) or that PutMetricAlarm would refuse is kept with {@code unsupported} saying why, so it shows as
 * such instead of failing the start.
 */
public record AlarmDefinition(String logicalId, String name, String namespace, String metricName,
        Map<String, String> dimensions, String unit, String statistic, int period, int evaluationPeriods,
        int datapointsToAlarm, double threshold, Comparison comparison, MissingData treatMissingData,
        boolean actionsEnabled, List<String> alarmActions, List<String> okActions,
        List<String> insufficientDataActions, String unsupported) {

    /** The comparison operators of a static threshold. */
    public enum Comparison {
        GreaterThanOrEqualToThreshold(">="), GreaterThanThreshold(">"), LessThanThreshold("<"),
        LessThanOrEqualToThreshold("<=");

        private final String symbol;

        Comparison(String symbol) {
            this.symbol = symbol;
        }

        public boolean breaches(double value, double threshold) {
            return switch (this) {
                case GreaterThanOrEqualToThreshold -> value >= threshold;
                case GreaterThanThreshold -> value > threshold;
                case LessThanThreshold -> value < threshold;
                case LessThanOrEqualToThreshold -> value <= threshold;
            };
        }

        public String symbol() {
            return symbol;
        }
    }

    /** TreatMissingData. */
    public enum MissingData {
        missing, ignore, breaching, notBreaching
    }

    static final Set<String> STATISTICS = Set.of("SampleCount", "Average", "Sum", "Minimum", "Maximum");
    static final Pattern PERCENTILE = Pattern.compile("p(\\d{1,2}(\\.\\d{1,10})?|100)");

    public boolean supported() {
        return unsupported == null;
    }

    /** The alarms of {@code stack}, composite alarms included (as unsupported), in template order. */
    public static List<AlarmDefinition> from(StackTemplate stack) {
        List<AlarmDefinition> alarms = new ArrayList<>();
        for (String id : stack.resourcesOfType("AWS::CloudWatch::Alarm")) {
            alarms.add(read(id, stack.resolvedProperties(id)));
        }
        for (String id : stack.resourcesOfType("AWS::CloudWatch::CompositeAlarm")) {
            JsonNode p = stack.resolvedProperties(id);
            alarms.add(unsupported(id, p.path("AlarmName").asText(id),
                    "composite alarms (AWS::CloudWatch::CompositeAlarm) are not evaluated by the local stand-in"));
        }
        return alarms;
    }

    /** Reads one alarm's resolved Properties. */
    public static AlarmDefinition read(String logicalId, JsonNode p) {
        String name = p.path("AlarmName").asText(logicalId);
        if (p.has("Metrics")) {
            return unsupported(logicalId, name, "metric math alarms (Metrics) are not evaluated by the local"
                    + " stand-in; it evaluates single-metric alarms only");
        }
        String operator = p.path("ComparisonOperator").asText("");
        Comparison comparison;
        try {
            comparison = Comparison.valueOf(operator);
        } catch (IllegalArgumentException e) {
            return unsupported(logicalId, name, "ComparisonOperator " + operator + " is not evaluated by the local"
                    + " stand-in (static thresholds only: GreaterThanOrEqualToThreshold, GreaterThanThreshold,"
                    + " LessThanThreshold, LessThanOrEqualToThreshold)");
        }
        String namespace = p.path("Namespace").asText("");
        String metricName = p.path("MetricName").asText("");
        if (namespace.isEmpty() || metricName.isEmpty()) {
            return unsupported(logicalId, name, "a single-metric alarm needs Namespace and MetricName");
        }
        String statistic;
        if (p.has("Statistic") == p.has("ExtendedStatistic")) {
            return unsupported(logicalId, name, "exactly one of Statistic and ExtendedStatistic is required");
        } else if (p.has("Statistic")) {
            statistic = p.get("Statistic").asText();
            if (!STATISTICS.contains(statistic)) {
                return unsupported(logicalId, name, "Statistic " + statistic + " is not one of " + STATISTICS);
            }
        } else {
            statistic = p.get("ExtendedStatistic").asText();
            if (!PERCENTILE.matcher(statistic).matches()) {
                return unsupported(logicalId, name, "ExtendedStatistic " + statistic + " is not evaluated by the"
                        + " local stand-in (percentiles pNN.NN only)");
            }
        }
        int period = p.path("Period").asInt(0);
        if (!(period == 10 || period == 20 || period == 30 || period > 0 && period % 60 == 0)) {
            return unsupported(logicalId, name, "Period must be 10, 20, 30 or a multiple of 60 seconds, not "
                    + p.path("Period"));
        }
        int evaluationPeriods = p.path("EvaluationPeriods").asInt(0);
        int datapointsToAlarm = p.path("DatapointsToAlarm").asInt(evaluationPeriods);
        if (evaluationPeriods < 1 || datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods) {
            return unsupported(logicalId, name, "EvaluationPeriods must be at least 1 and DatapointsToAlarm 1 to"
                    + " EvaluationPeriods");
        }
        if ((long) evaluationPeriods * period > 86_400 && period >= 60) {
            return unsupported(logicalId, name, "EvaluationPeriods times Period must not exceed one day");
        }
        if (!p.path("Threshold").isNumber() && !isNumber(p.path("Threshold").asText(""))) {
            return unsupported(logicalId, name, "Threshold must be a number");
        }
        double threshold = p.path("Threshold").asDouble();
        MissingData missing;
        try {
            missing = MissingData.valueOf(p.path("TreatMissingData").asText("missing"));
        } catch (IllegalArgumentException e) {
            return unsupported(logicalId, name, "TreatMissingData " + p.path("TreatMissingData").asText()
                    + " is not one of breaching, notBreaching, ignore, missing");
        }
        Map<String, String> dimensions = new TreeMap<>();
        for (JsonNode dimension : p.path("Dimensions")) {
            dimensions.put(dimension.path("Name").asText(), dimension.path("Value").asText());
        }
        String unit = p.has("Unit") ? p.get("Unit").asText() : null;
        return new AlarmDefinition(logicalId, name, namespace, metricName, dimensions, unit, statistic, period,
                evaluationPeriods, datapointsToAlarm, threshold, comparison, missing,
                p.path("ActionsEnabled").asBoolean(true), texts(p.path("AlarmActions")), texts(p.path("OKActions")),
                texts(p.path("InsufficientDataActions")), null);
    }

    private static AlarmDefinition unsupported(String logicalId, String name, String reason) {
        return new AlarmDefinition(logicalId, name, null, null, Map.of(), null, null, 0, 0, 0, 0, null, null, false,
                List.of(), List.of(), List.of(), reason);
    }

    private static boolean isNumber(String text) {
        try {
            Double.parseDouble(text);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return List.copyOf(texts);
    }
}
