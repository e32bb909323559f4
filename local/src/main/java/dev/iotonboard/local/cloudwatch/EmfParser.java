package dev.iotonboard.local.cloudwatch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Extracts metric data points from one log line as CloudWatch Logs does with the embedded metric format (CloudWatch
 * user guide, "Specification: Embedded metric format"): a line is an EMF line when it is a JSON object with an
 * {@code _aws} member; its {@code _aws.Timestamp} (epoch milliseconds) and every {@code _aws.CloudWatchMetrics}
 * directive ({@code Namespace}, {@code Dimensions}: dimension sets of root members, {@code Metrics}: definitions of
 * root members that are numbers or arrays of numbers) give one data point per directive, dimension set and metric.
 *
 * <p>A line that breaks a rule of the specification is refused whole, with the rule it breaks: no metric is
 * extracted from it (CloudWatch counts it as an EMF validation error and extracts nothing; whether it keeps the valid
 * directives of a partly invalid line is not documented, so the stand-in keeps none). Other lines are not EMF.
 */
public final class EmfParser {

    static final Pattern UNIT = Pattern.compile("Seconds|Microseconds|Milliseconds|Bytes|Kilobytes|Megabytes"
            + "|Gigabytes|Terabytes|Bits|Kilobits|Megabits|Gigabits|Terabits|Percent|Count|Bytes/Second"
            + "|Kilobytes/Second|Megabytes/Second|Gigabytes/Second|Terabytes/Second|Bits/Second|Kilobits/Second"
            + "|Megabits/Second|Gigabits/Second|Terabits/Second|Count/Second|None");
    /** PutMetricData accepts data points up to two weeks old and two hours ahead (CloudWatch API reference). */
    static final Duration MAX_AGE = Duration.ofDays(14);
    static final Duration MAX_AHEAD = Duration.ofHours(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a line gave: not EMF, refused (with the rule it breaks), or data points. */
    public sealed interface Result permits NotEmf, Refused, Extracted {
    }

    public record NotEmf() implements Result {
    }

    public record Refused(String reason) implements Result {
    }

    public record Extracted(List<Datum> data) implements Result {
    }

    private static final class Invalid extends RuntimeException {
        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    private EmfParser() {
    }

    /**
     * Parses one log line written at {@code now}; {@code source} (the log group) is kept on each data point.
     */
    public static Result parse(String line, String source, Instant now) {
        String trimmed = line.strip();
        if (!trimmed.startsWith("{") || !trimmed.contains("\"_aws\"")) {
            return new NotEmf();
        }
        JsonNode root;
        try {
            root = JSON.readTree(trimmed);
        } catch (JsonProcessingException e) {
            return new Refused("not a JSON object: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject() || !root.has("_aws")) {
            return new NotEmf();
        }
        try {
            return new Extracted(extract(root, source, now));
        } catch (Invalid e) {
            return new Refused(e.getMessage());
        }
    }

    private static List<Datum> extract(JsonNode root, String source, Instant now) {
        JsonNode aws = root.get("_aws");
        require(aws.isObject(), "_aws must be an object");
        JsonNode timestamp = aws.get("Timestamp");
        require(timestamp != null && timestamp.isIntegralNumber() && timestamp.asLong() > 0,
                "_aws.Timestamp must be a number of epoch milliseconds");
        Instant at = Instant.ofEpochMilli(timestamp.asLong());
        require(!at.isBefore(now.minus(MAX_AGE)) && !at.isAfter(now.plus(MAX_AHEAD)),
                "_aws.Timestamp " + at + " is more than two weeks old or two hours ahead");
        JsonNode directives = aws.get("CloudWatchMetrics");
        require(directives != null && directives.isArray() && !directives.isEmpty(),
                "_aws.CloudWatchMetrics must be an array of metric directives");
        List<Datum> data = new ArrayList<>();
        for (JsonNode directive : directives) {
            require(directive.isObject(), "a metric directive must be an object");
            JsonNode namespace = directive.get("Namespace");
            require(namespace != null && namespace.isTextual() && name(namespace.asText()),
                    "Namespace must be a string of 1 to 255 characters");
            List<Map<String, String>> dimensionSets = dimensionSets(root, directive.get("Dimensions"));
            JsonNode definitions = directive.get("Metrics");
            require(definitions != null && definitions.isArray() && !definitions.isEmpty()
                    && definitions.size() <= 100, "Metrics must hold 1 to 100 metric definitions");
            Set<String> names = new HashSet<>();
            for (JsonNode definition : definitions) {
                JsonNode nameNode = definition.get("Name");
                require(nameNode != null && nameNode.isTextual() && name(nameNode.asText()),
                        "a metric definition's Name must be a string of 1 to 255 characters");
                String name = nameNode.asText();
                require(names.add(name), "metric " + name + " is defined twice in one directive");
                String unit = "None";
                if (definition.has("Unit")) {
                    unit = definition.get("Unit").asText("");
                    require(definition.get("Unit").isTextual() && UNIT.matcher(unit).matches(),
                            "metric " + name + ": " + definition.get("Unit") + " is not a CloudWatch unit");
                }
                JsonNode resolution = definition.get("StorageResolution");
                require(resolution == null || resolution.isIntegralNumber()
                        && (resolution.asInt() == 1 || resolution.asInt() == 60),
                        "metric " + name + ": StorageResolution must be 1 or 60");
                List<Double> values = values(root.get(name), name);
                for (Map<String, String> dimensions : dimensionSets) {
                    require(!dimensions.containsKey(name), "metric " + name + " is also a dimension");
                    data.add(new Datum(namespace.asText(), name, new java.util.TreeMap<>(dimensions), at, values,
                            unit, source));
                }
            }
        }
        return data;
    }

    private static List<Map<String, String>> dimensionSets(JsonNode root, JsonNode sets) {
        require(sets != null && sets.isArray() && !sets.isEmpty(),
                "Dimensions must be an array of at least one dimension set");
        List<Map<String, String>> dimensionSets = new ArrayList<>();
        for (JsonNode set : sets) {
            require(set.isArray() && set.size() <= 30, "a dimension set must be an array of at most 30 keys");
            Map<String, String> dimensions = new LinkedHashMap<>();
            for (JsonNode key : set) {
                require(key.isTextual() && name(key.asText()), "a dimension key must be a string of 1 to 255"
                        + " characters");
                JsonNode value = root.get(key.asText());
                require(value != null && value.isTextual() && !value.asText().isEmpty()
                        && value.asText().length() <= 1024, "dimension " + key.asText()
                        + " must be a root member holding a string of 1 to 1024 characters");
                dimensions.put(key.asText(), value.asText());
            }
            dimensionSets.add(dimensions);
        }
        return dimensionSets;
    }

    private static List<Double> values(JsonNode member, String name) {
        require(member != null, "metric " + name + " has no root member");
        if (member.isNumber()) {
            return List.of(member.asDouble());
        }
        require(member.isArray() && !member.isEmpty() && member.size() <= 100,
                "metric " + name + " must be a number or an array of 1 to 100 numbers");
        List<Double> values = new ArrayList<>();
        for (JsonNode value : member) {
            require(value.isNumber(), "metric " + name + " must be a number or an array of numbers");
            values.add(value.asDouble());
        }
        return values;
    }

    private static boolean name(String text) {
        return !text.isEmpty() && text.length() <= 255;
    }

    private static void require(boolean condition, String rule) {
        if (!condition) {
            throw new Invalid(rule);
        }
    }
}
