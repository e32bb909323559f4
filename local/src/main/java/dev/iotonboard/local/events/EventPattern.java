package dev.iotonboard.local.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An EventBridge event pattern (EventBridge User Guide, "Event patterns" and "Content filtering"), for the operators
 * the local IoT Core implements: a field's array of exact values (strings, numbers, booleans, null), nested fields,
 * and the filters {@code prefix}, {@code suffix}, {@code equals-ignore-case}, {@code anything-but} (one value or a
 * list of exact values) and {@code exists}. A field matches when any of its values matches any matcher of its array;
 * a field the event lacks matches only {@code {"exists": false}}; an array in the event matches when any element
 * does. Any other operator ({@code numeric}, {@code cidr}, {@code wildcard}, {@code $or}, ...) fails
 * {@link #parse} with an {@link IllegalArgumentException} naming it.
 */
public final class EventPattern {
    private static final ObjectMapper JSON = new ObjectMapper();

    private interface Matcher {
        /** {@code value} is null when the event lacks the field. */
        boolean matches(JsonNode value);
    }

    private record Field(String name, EventPattern nested, List<Matcher> matchers) {
    }

    private final List<Field> fields;

    private EventPattern(List<Field> fields) {
        this.fields = fields;
    }

    /**
     * Reads a pattern; {@code where} names it in errors.
     *
     * @throws IllegalArgumentException for malformed JSON or an operator the tool does not implement
     */
    public static EventPattern parse(String pattern, String where) {
        JsonNode json;
        try {
            json = JSON.readTree(pattern);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": the event pattern is not JSON: " + e.getMessage());
        }
        if (json == null || !json.isObject() || json.isEmpty()) {
            throw new IllegalArgumentException(where + ": an event pattern is a non-empty JSON object");
        }
        return object(json, where, "");
    }

    private static EventPattern object(JsonNode json, String where, String path) {
        List<Field> fields = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : (Iterable<Map.Entry<String, JsonNode>>) json::fields) {
            String name = entry.getKey();
            String at = path + name;
            JsonNode value = entry.getValue();
            if (name.startsWith("$")) {
                throw new IllegalArgumentException(where + ": " + at + ": the operator " + name
                        + " is not supported by the local IoT Core");
            }
            if (value.isObject()) {
                fields.add(new Field(name, object(value, where, at + "."), List.of()));
            } else if (value.isArray() && !value.isEmpty()) {
                List<Matcher> matchers = new ArrayList<>();
                value.forEach(m -> matchers.add(matcher(m, where, at)));
                fields.add(new Field(name, null, matchers));
            } else {
                throw new IllegalArgumentException(where + ": " + at + ": a pattern field is an object or a non-empty"
                        + " array of values, not " + value);
            }
        }
        return new EventPattern(List.copyOf(fields));
    }

    private static Matcher matcher(JsonNode m, String where, String at) {
        if (!m.isObject()) {
            if (m.isContainerNode()) {
                throw new IllegalArgumentException(where + ": " + at + ": a nested array is not a pattern value");
            }
            return value -> value != null && same(m, value);
        }
        if (m.size() != 1) {
            throw new IllegalArgumentException(where + ": " + at + ": a filter has exactly one operator: " + m);
        }
        String operator = m.fieldNames().next();
        JsonNode argument = m.get(operator);
        switch (operator) {
            case "prefix" -> {
                String prefix = text(argument, where, at, operator);
                return value -> value != null && value.isTextual() && value.asText().startsWith(prefix);
            }
            case "suffix" -> {
                String suffix = text(argument, where, at, operator);
                return value -> value != null && value.isTextual() && value.asText().endsWith(suffix);
            }
            case "equals-ignore-case" -> {
                String expected = text(argument, where, at, operator).toLowerCase(Locale.ROOT);
                return value -> value != null && value.isTextual()
                        && value.asText().toLowerCase(Locale.ROOT).equals(expected);
            }
            case "exists" -> {
                if (!argument.isBoolean()) {
                    throw new IllegalArgumentException(where + ": " + at + ": exists takes true or false");
                }
                boolean exists = argument.asBoolean();
                return value -> (value != null) == exists;
            }
            case "anything-but" -> {
                List<JsonNode> excluded = new ArrayList<>();
                if (argument.isArray()) {
                    argument.forEach(excluded::add);
                } else {
                    excluded.add(argument);
                }
                if (excluded.stream().anyMatch(JsonNode::isContainerNode)) {
                    throw new IllegalArgumentException(where + ": " + at + ": anything-but with a filter ("
                            + argument + ") is not supported by the local IoT Core (values only)");
                }
                return value -> value != null && !value.isContainerNode()
                        && excluded.stream().noneMatch(e -> same(e, value));
            }
            default -> throw new IllegalArgumentException(where + ": " + at + ": the filter " + operator
                    + " is not supported by the local IoT Core (exact values, prefix, suffix, equals-ignore-case,"
                    + " anything-but, exists)");
        }
    }

    private static String text(JsonNode argument, String where, String at, String operator) {
        if (!argument.isTextual()) {
            throw new IllegalArgumentException(where + ": " + at + ": " + operator + " takes a string, not "
                    + argument);
        }
        return argument.asText();
    }

    private static boolean same(JsonNode expected, JsonNode value) {
        if (expected.isNumber() && value.isNumber()) {
            return expected.decimalValue().compareTo(value.decimalValue()) == 0;
        }
        return expected.equals(value);
    }

    /** Whether {@code event} (an EventBridge event, JSON) matches. */
    public boolean matches(JsonNode event) {
        for (Field field : fields) {
            JsonNode value = event == null ? null : event.get(field.name());
            if (field.nested != null) {
                if (value == null || !value.isObject() || !field.nested.matches(value)) {
                    return false;
                }
            } else if (!fieldMatches(field.matchers, value)) {
                return false;
            }
        }
        return true;
    }

    private static boolean fieldMatches(List<Matcher> matchers, JsonNode value) {
        if (value != null && value.isArray()) {
            for (JsonNode element : value) {
                if (matchers.stream().anyMatch(m -> m.matches(element))) {
                    return true;
                }
            }
            return false;
        }
        return matchers.stream().anyMatch(m -> m.matches(value));
    }
}
