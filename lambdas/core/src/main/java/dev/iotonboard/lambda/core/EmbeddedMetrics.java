package dev.iotonboard.lambda.core;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * CloudWatch metrics as embedded-metric-format (EMF) lines: one JSON object per line on the log output, from which
 * CloudWatch Logs extracts the metrics (CloudWatch user guide, "Specification: Embedded metric format"). On Lambda,
 * writing the line to standard output is enough.
 *
 * <p>One {@link Record} is one line: one metric directive in {@link #NAMESPACE} (or another namespace), one dimension
 * set (the record's dimensions; it may be empty), its metrics with their units. What the specification requires, the
 * record checks when it is built, so a bad line fails in a test rather than being dropped by CloudWatch: a namespace,
 * dimension and metric names of 1 to 255 characters; at most {@value #MAX_METRICS} metrics and
 * {@value #MAX_DIMENSIONS} dimensions; dimension values non-empty strings of at most 1,024 characters; finite metric
 * values; no name used twice and none of them {@code _aws}; units among CloudWatch's ({@link Unit}). Keep dimensions
 * few and of low cardinality: every distinct value set is a new custom metric.
 *
 * <pre>{@code
 * EmbeddedMetrics.record().dimension("CaCertificateId", caId)
 *         .metric("CertificatesExpiringSoon", 3, Unit.COUNT)
 *         .emit(clock.instant());
 * }</pre>
 */
public final class EmbeddedMetrics {

    /** The one CloudWatch namespace of this project's functions. */
    public static final String NAMESPACE = "IotOnboarding";
    /** MetricDirective: at most 100 MetricDefinition objects. */
    public static final int MAX_METRICS = 100;
    /** DimensionSet: at most 30 dimension keys (CloudWatch's limit on dimensions per metric). */
    public static final int MAX_DIMENSIONS = 30;
    static final int MAX_NAME_LENGTH = 255;
    static final int MAX_DIMENSION_VALUE_LENGTH = 1024;

    /** CloudWatch metric units (MetricDatum {@code Unit}), the ones this project uses. */
    public enum Unit {
        COUNT("Count"), SECONDS("Seconds"), MILLISECONDS("Milliseconds"), PERCENT("Percent"), NONE("None");

        private final String cloudWatchName;

        Unit(String cloudWatchName) {
            this.cloudWatchName = cloudWatchName;
        }

        /** The name CloudWatch expects in {@code Unit}. */
        public String cloudWatchName() {
            return cloudWatchName;
        }
    }

    private EmbeddedMetrics() {
    }

    /** A new line in {@link #NAMESPACE}. */
    public static Record record() {
        return new Record(NAMESPACE);
    }

    /** A new line in {@code namespace}. */
    public static Record record(String namespace) {
        return new Record(namespace);
    }

    /** One EMF line: a namespace, one dimension set, metrics. */
    public static final class Record {
        private final String namespace;
        private final Map<String, String> dimensions = new LinkedHashMap<>();
        private final Map<String, Number> values = new LinkedHashMap<>();
        private final Map<String, Unit> units = new LinkedHashMap<>();

        private Record(String namespace) {
            this.namespace = name("namespace", namespace);
        }

        /** Adds a dimension (part of every metric's identity). */
        public Record dimension(String name, String value) {
            unused(name("dimension name", name));
            if (dimensions.size() == MAX_DIMENSIONS) {
                throw new IllegalArgumentException("at most " + MAX_DIMENSIONS + " dimensions per EMF line");
            }
            Objects.requireNonNull(value, "dimension value");
            if (value.isEmpty() || value.length() > MAX_DIMENSION_VALUE_LENGTH) {
                throw new IllegalArgumentException("dimension " + name + ": the value must be 1 to "
                        + MAX_DIMENSION_VALUE_LENGTH + " characters");
            }
            dimensions.put(name, value);
            return this;
        }

        /** Adds a metric value. */
        public Record metric(String name, double value, Unit unit) {
            unused(name("metric name", name));
            if (values.size() == MAX_METRICS) {
                throw new IllegalArgumentException("at most " + MAX_METRICS + " metrics per EMF line");
            }
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("metric " + name + ": the value must be a finite number: " + value);
            }
            values.put(name, value == Math.rint(value) && Math.abs(value) < 1e15 ? (Number) (long) value : value);
            units.put(name, Objects.requireNonNull(unit, "unit"));
            return this;
        }

        /**
         * The line for {@code timestamp}.
         *
         * @throws IllegalStateException without any metric (an EMF line needs at least one)
         */
        public String toJson(Instant timestamp) {
            if (values.isEmpty()) {
                throw new IllegalStateException("an EMF line needs at least one metric");
            }
            ObjectNode root = Json.MAPPER.createObjectNode();
            ObjectNode aws = root.putObject("_aws");
            aws.put("Timestamp", timestamp.toEpochMilli());
            ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject();
            directive.put("Namespace", namespace);
            ArrayNode dimensionSet = directive.putArray("Dimensions").addArray();
            dimensions.keySet().forEach(dimensionSet::add);
            ArrayNode metrics = directive.putArray("Metrics");
            units.forEach((name, unit) -> metrics.addObject().put("Name", name).put("Unit", unit.cloudWatchName()));
            dimensions.forEach(root::put);
            values.forEach((name, value) -> {
                if (value instanceof Long whole) {
                    root.put(name, whole);
                } else {
                    root.put(name, value.doubleValue());
                }
            });
            return Json.toJson(root);
        }

        /** Writes the line for {@code timestamp} to the log output ({@link JsonLogger#writeLine}). */
        public void emit(Instant timestamp) {
            JsonLogger.writeLine(toJson(timestamp));
        }

        private void unused(String name) {
            if (name.equals("_aws") || dimensions.containsKey(name) || values.containsKey(name)) {
                throw new IllegalArgumentException("'" + name + "' is already a member of this EMF line");
            }
        }

        private static String name(String what, String name) {
            Objects.requireNonNull(name, what);
            if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
                throw new IllegalArgumentException(what + " must be 1 to " + MAX_NAME_LENGTH + " characters: '"
                        + name + "'");
            }
            return name;
        }
    }
}
