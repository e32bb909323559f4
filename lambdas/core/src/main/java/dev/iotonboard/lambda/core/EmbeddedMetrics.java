package dev.iotonboard.lambda.core;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * CloudWatch metrics as embedded-metric-format (EMF) lines: one JSON object per line on the log output, from which
 * CloudWatch Logs extracts the metrics (CloudWatch user guide, "Specification: Embedded metric format"). On Lambda,
 * writing the line to standard output is enough.
 *
 * <p>One {@link Record} is one line: one metric directive in {@link #NAMESPACE} (or another namespace), its dimensions,
 * its metrics with their units, and the dimension sets CloudWatch files every metric of the line under. By default
 * that is one set, all the record's dimensions (it may be empty); {@link Record#dimensionSet} declares the sets
 * instead, e.g. {@code []} and {@code [Reason]} for a count both in total and per reason (one line, two metrics in
 * CloudWatch). What the specification requires, the record checks when it is built, so a bad line fails in a test
 * rather than being dropped by CloudWatch: a namespace, dimension and metric names of 1 to 255 characters; at most
 * {@value #MAX_METRICS} metrics and {@value #MAX_DIMENSIONS} dimensions (also per set); dimension values non-empty
 * strings of at most 1,024 characters; a dimension set names only dimensions of the line, none twice, and no set is
 * declared twice; finite metric values; no name used twice and none of them {@code _aws}; units among CloudWatch's
 * ({@link Unit}). Keep dimensions few and of low cardinality: every distinct value set is a new custom metric.
 *
 * <pre>{@code
 * EmbeddedMetrics.record().dimension("CaCertificateId", caId)
 *         .metric("CertificatesExpiringSoon", 3, Unit.COUNT)
 *         .emit(clock.instant());
 * EmbeddedMetrics.record().dimension("Reason", "UNKNOWN_CA").dimensionSet().dimensionSet("Reason")
 *         .metric("CertificatesRejected", 1, Unit.COUNT)
 *         .emit(clock.instant());
 * }</pre>
 *
 * <p>{@link #count} and {@link #countByReason} build the lines of one event's outcome.
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

    /** The dimension of {@link #countByReason}: the stable code of an outcome's reason. */
    public static final String REASON = "Reason";

    /** A new line in {@link #NAMESPACE}. */
    public static Record record() {
        return new Record(NAMESPACE);
    }

    /** A new line in {@code namespace}. */
    public static Record record(String namespace) {
        return new Record(namespace);
    }

    /** A line counting one event: {@code metric} = 1, no dimension. */
    public static Record count(String metric) {
        return record().metric(metric, 1, Unit.COUNT);
    }

    /**
     * A line counting one event both in total and per reason: {@code metric} = 1 with dimension {@value #REASON}
     * = {@code reason}, dimension sets {@code []} and {@code [Reason]}. {@code reason} is a stable code (an enum
     * constant's name), never an identifier of a device.
     */
    public static Record countByReason(String metric, String reason) {
        return record().dimension(REASON, reason).dimensionSet().dimensionSet(REASON).metric(metric, 1, Unit.COUNT);
    }

    /** One EMF line: a namespace, dimensions, the dimension sets, metrics. */
    public static final class Record {
        private final String namespace;
        private final Map<String, String> dimensions = new LinkedHashMap<>();
        /** Declared dimension sets; empty = the one set of all dimensions. */
        private final List<List<String>> dimensionSets = new ArrayList<>();
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

        /**
         * Declares a dimension set: the dimensions (of this line) CloudWatch files every metric of the line under,
         * {@code dimensionSet()} for none. Once a set is declared, only declared sets are written.
         */
        public Record dimensionSet(String... names) {
            Set<String> set = new LinkedHashSet<>();
            for (String name : names) {
                if (!set.add(Objects.requireNonNull(name, "dimension name"))) {
                    throw new IllegalArgumentException("dimension set " + List.of(names) + " names " + name
                            + " twice");
                }
            }
            if (set.size() > MAX_DIMENSIONS) {
                throw new IllegalArgumentException("at most " + MAX_DIMENSIONS + " dimensions per dimension set");
            }
            List<String> declared = List.copyOf(set);
            if (dimensionSets.stream().anyMatch(other -> Set.copyOf(other).equals(set))) {
                throw new IllegalArgumentException("dimension set " + declared + " is already declared");
            }
            dimensionSets.add(declared);
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
         * @throws IllegalStateException without any metric (an EMF line needs at least one), or when a declared
         *                               dimension set names a dimension the line does not have
         */
        public String toJson(Instant timestamp) {
            if (values.isEmpty()) {
                throw new IllegalStateException("an EMF line needs at least one metric");
            }
            for (List<String> set : dimensionSets) {
                for (String name : set) {
                    if (!dimensions.containsKey(name)) {
                        throw new IllegalStateException("dimension set " + set + " names " + name
                                + ", which is not a dimension of this line");
                    }
                }
            }
            ObjectNode root = Json.MAPPER.createObjectNode();
            ObjectNode aws = root.putObject("_aws");
            aws.put("Timestamp", timestamp.toEpochMilli());
            ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject();
            directive.put("Namespace", namespace);
            ArrayNode sets = directive.putArray("Dimensions");
            for (List<String> set : dimensionSets.isEmpty() ? List.of(List.copyOf(dimensions.keySet()))
                    : dimensionSets) {
                ArrayNode written = sets.addArray();
                set.forEach(written::add);
            }
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
