package dev.iotonboard.lambda.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads embedded-metric-format lines back, checking each against the CloudWatch EMF specification ("Specification:
 * Embedded metric format", its rules and its JSON schema): a root object whose {@code _aws} holds an integer
 * {@code Timestamp} and a non-empty {@code CloudWatchMetrics} array; each directive a {@code Namespace} of 1 to 255
 * characters, {@code Dimensions} (at least one dimension set, each of at most 30 keys, each key a string member of the
 * root), {@code Metrics} (1 to 100 definitions, each a {@code Name} that is a numeric member of the root, or an array
 * of at most 100 numbers, and a CloudWatch {@code Unit}). Independent of lambda-core's writer, so it tests it.
 */
public final class EmfLines {

    private static final Pattern UNIT = Pattern.compile("Seconds|Microseconds|Milliseconds|Bytes|Kilobytes|Megabytes"
            + "|Gigabytes|Terabytes|Bits|Kilobits|Megabits|Gigabits|Terabits|Percent|Count|Bytes/Second"
            + "|Kilobytes/Second|Megabytes/Second|Gigabytes/Second|Terabytes/Second|Bits/Second|Kilobits/Second"
            + "|Megabits/Second|Gigabits/Second|Terabits/Second|Count/Second|None");

    /**
     * One parsed EMF line: its namespace, dimensions (name to value, those its dimension sets name), metrics (name
     * to value), units, and dimension sets (in the line's order, each its dimension names).
     */
    public record Metrics(String namespace, long timestamp, Map<String, String> dimensions,
            Map<String, Double> values, Map<String, String> units, List<List<String>> dimensionSets) {
        public double value(String metric) {
            Double value = values.get(metric);
            if (value == null) {
                throw new AssertionError("no metric " + metric + " in " + values);
            }
            return value;
        }
    }

    private EmfLines() {
    }

    /** The lines among {@code lines} that carry {@code _aws}, each checked and parsed. */
    public static List<Metrics> in(List<String> lines) {
        List<Metrics> found = new ArrayList<>();
        for (String line : lines) {
            if (line.contains("\"_aws\"")) {
                found.add(parse(line));
            }
        }
        return found;
    }

    /**
     * Parses one line (one directive, as lambda-core writes them) after checking it against the specification.
     *
     * @throws AssertionError naming the rule the line breaks
     */
    public static Metrics parse(String line) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
        check(root != null && root.isObject(), "the line is a JSON object", line);
        check(!line.contains("\n"), "one line", line);
        JsonNode aws = root.get("_aws");
        check(aws != null && aws.isObject(), "_aws is an object", line);
        check(aws.path("Timestamp").isIntegralNumber() && aws.get("Timestamp").asLong() > 0,
                "_aws.Timestamp is epoch milliseconds", line);
        JsonNode directives = aws.get("CloudWatchMetrics");
        check(directives != null && directives.isArray() && directives.size() == 1,
                "_aws.CloudWatchMetrics holds one directive", line);
        JsonNode directive = directives.get(0);
        String namespace = directive.path("Namespace").asText("");
        check(directive.path("Namespace").isTextual() && !namespace.isEmpty() && namespace.length() <= 255,
                "Namespace is 1 to 255 characters", line);
        JsonNode dimensionSets = directive.get("Dimensions");
        check(dimensionSets != null && dimensionSets.isArray() && dimensionSets.size() >= 1,
                "Dimensions holds at least one dimension set", line);
        Map<String, String> dimensions = new TreeMap<>();
        List<List<String>> sets = new ArrayList<>();
        for (JsonNode set : dimensionSets) {
            check(set.isArray() && set.size() <= 30, "a dimension set holds at most 30 keys", line);
            List<String> keys = new ArrayList<>();
            for (JsonNode key : set) {
                check(key.isTextual() && !key.asText().isEmpty() && key.asText().length() <= 255,
                        "a dimension key is 1 to 255 characters", line);
                JsonNode value = root.get(key.asText());
                check(value != null && value.isTextual(), "dimension " + key + " is a string member of the root",
                        line);
                dimensions.put(key.asText(), value.asText());
                keys.add(key.asText());
            }
            check(Set.copyOf(keys).size() == keys.size(), "a dimension set names each key once", line);
            sets.add(List.copyOf(keys));
        }
        JsonNode definitions = directive.get("Metrics");
        check(definitions != null && definitions.isArray() && definitions.size() >= 1 && definitions.size() <= 100,
                "Metrics holds 1 to 100 definitions", line);
        Map<String, Double> values = new TreeMap<>();
        Map<String, String> units = new TreeMap<>();
        Set<String> names = new HashSet<>();
        for (JsonNode definition : definitions) {
            String name = definition.path("Name").asText("");
            check(!name.isEmpty() && name.length() <= 255 && names.add(name), "a metric Name is 1 to 255 "
                    + "characters and unique", line);
            check(!dimensions.containsKey(name), "metric " + name + " is not also a dimension", line);
            JsonNode value = root.get(name);
            check(value != null && (value.isNumber() || value.isArray() && value.size() <= 100),
                    "metric " + name + " is a numeric member of the root", line);
            String unit = definition.path("Unit").asText("None");
            check(UNIT.matcher(unit).matches(), "metric " + name + " has a CloudWatch unit, not " + unit, line);
            values.put(name, value.isNumber() ? value.asDouble() : Double.NaN);
            units.put(name, unit);
        }
        return new Metrics(namespace, aws.get("Timestamp").asLong(), dimensions, values, units, List.copyOf(sets));
    }

    private static void check(boolean condition, String rule, String line) {
        if (!condition) {
            throw new AssertionError("EMF: " + rule + " is required: " + line);
        }
    }
}
