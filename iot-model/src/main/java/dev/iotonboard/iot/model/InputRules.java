package dev.iotonboard.iot.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The input members of every operation {@link IotApi} serves, with the constraints the IoT service model declares
 * for them (location, wire name, required, type, min, max, pattern, enum), read from the one table
 * {@code input-members.tsv} beside this class, and the check of a request against them before its operation runs.
 * A test compares the table with the service model Debian's awscli ships, so the two cannot drift.
 *
 * <p>A violation is InvalidRequestException 400 with AWS's validation message: "1 validation error detected: Value
 * '300' at 'pageSize' failed to satisfy constraint: Member must have value less than or equal to 250", several joined
 * by "; " after "N validation errors detected: ". Source of the wording: the IoT answer quoted in aws/aws-sdk-java#666
 * ("2 validation errors detected: Value '...' at 'attributePayload.attributes' failed to satisfy constraint: Map keys
 * must satisfy constraint: [Member must have length less than or equal to 128, ...]"). The wording
 * is an approximation: the order of several violations of one member, "Value null" for a missing member, the member
 * name (not the wire name) in the path and the phrase for a list element ('tags.1.member.Key') follow the pattern of
 * AWS's other validation messages, not an IoT answer seen. A query, header or path value that does not parse as its
 * type (pageSize=abc) is InvalidRequestException here, and a body member of the wrong JSON type SerializationException:
 * both unconfirmed.
 */
public final class InputRules {

    /** The types the table may hold (the service model's names). */
    private static final Set<String> TYPES = Set.of("string", "integer", "long", "boolean", "structure", "list", "map");
    private static final Set<String> LOCATIONS = Set.of("uri", "querystring", "header", "body");
    private static final String TABLE = "input-members.tsv";
    private static final InputRules STANDARD = load();

    /**
     * One row of the table: an input member (or a nested one) of an operation, as the service model declares it.
     *
     * @param path     the member's name; nested: {@code a.b} (member b of structure a), {@code a[]} (the element of
     *                 list a), {@code a{key}} and {@code a{value}} (the keys and values of map a)
     * @param location uri, querystring, header or body (a nested row takes its top member's)
     * @param wireName the name on the wire (locationName, else the member name); null for list elements, map keys and
     *                 map values
     * @param min      the least length (strings, lists, maps) or value (numbers), or null
     * @param max      the greatest length or value, or null
     * @param pattern  a regular expression the whole value must match, or null
     * @param enumValues the allowed values, or empty
     */
    public record Member(String operation, String path, String location, String wireName, boolean required,
            String type, Long min, Long max, String pattern, List<String> enumValues) {

        public Member {
            enumValues = List.copyOf(enumValues);
        }

        /** Whether this is a member of the operation's input itself (not a nested one). */
        boolean top() {
            return !path.contains(".") && !path.contains("[") && !path.contains("{");
        }
    }

    /** A member with the compiled pattern and its nested members. */
    private record Node(Member member, Pattern pattern, Map<String, Node> children) {
        Node child(String suffix) {
            return children.get(member.path() + suffix);
        }
    }

    private final List<Member> members;
    private final Map<String, List<Node>> byOperation = new LinkedHashMap<>();

    private InputRules(List<Member> members) {
        this.members = List.copyOf(members);
        Map<String, Node> nodes = new LinkedHashMap<>();
        for (Member m : members) {
            Node node = new Node(m, m.pattern() == null ? null : Pattern.compile(m.pattern()), new LinkedHashMap<>());
            nodes.put(m.operation() + " " + m.path(), node);
            if (m.top()) {
                byOperation.computeIfAbsent(m.operation(), o -> new ArrayList<>()).add(node);
            } else {
                Node parent = nodes.get(m.operation() + " " + parentPath(m.path()));
                if (parent == null) {
                    throw new IllegalStateException(TABLE + ": " + m.operation() + " " + m.path()
                            + " comes before its parent");
                }
                parent.children().put(m.path(), node);
            }
        }
    }

    /** The table shipped with the model. */
    public static InputRules standard() {
        return STANDARD;
    }

    /** Every row of the table, in its order. */
    public List<Member> members() {
        return members;
    }

    /**
     * Checks the input of {@code operation}: {@code value} gives each top member's value as it came (a text node for
     * a path, query or header value; the body's JSON member), or null when absent.
     *
     * @throws IotException InvalidRequestException (constraints) or SerializationException (a body member of another
     *                      JSON type)
     */
    public void check(String operation, Function<Member, JsonNode> value) {
        List<String> violations = new ArrayList<>();
        for (Node node : byOperation.getOrDefault(operation, List.of())) {
            check(node, value.apply(node.member()), node.member().path(), violations);
        }
        if (!violations.isEmpty()) {
            throw IotException.invalidRequest(violations.size() + " validation error" + (violations.size() == 1
                    ? "" : "s") + " detected: " + String.join("; ", violations));
        }
    }

    private static void check(Node node, JsonNode value, String path, List<String> violations) {
        Member m = node.member();
        if (value == null || value.isNull() || value.isMissingNode()) {
            if (m.required()) {
                violations.add("Value null at '" + path + "' failed to satisfy constraint: Member must not be null");
            }
            return;
        }
        switch (m.type()) {
            case "string" -> {
                String text = requireText(value, path);
                failed(constraints(node, text.codePointCount(0, text.length()), text), render(value), path,
                        violations);
            }
            case "integer", "long" -> {
                long number = number(value, path, !m.location().equals("body"));
                failed(constraints(node, number, null), render(value), path, violations);
            }
            case "boolean" -> bool(value, path, !m.location().equals("body"));
            case "structure" -> {
                requireJson(value.isObject(), path, "a structure");
                for (Node child : node.children().values()) {
                    String name = child.member().path().substring(m.path().length() + 1);
                    check(child, value.get(child.member().wireName()), path + "." + name, violations);
                }
            }
            case "list" -> {
                requireJson(value.isArray(), path, "a list");
                failed(constraints(node, value.size(), null), render(value), path, violations);
                Node element = node.child("[]");
                for (int i = 0; i < value.size(); i++) {
                    check(element, value.get(i), path + "." + (i + 1) + ".member", violations);
                }
            }
            case "map" -> {
                requireJson(value.isObject(), path, "a map");
                failed(constraints(node, value.size(), null), render(value), path, violations);
                mapEntries(node.child("{key}"), node.child("{value}"), value, path, violations);
            }
            default -> throw new IllegalStateException("type " + m.type());
        }
    }

    /** One violation per map for its keys, one for its values, each listing every constraint of the key or value. */
    private static void mapEntries(Node key, Node val, JsonNode map, String path, List<String> violations) {
        boolean badKey = false;
        boolean badValue = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            badKey |= !constraints(key, entry.getKey().codePointCount(0, entry.getKey().length()), entry.getKey())
                    .isEmpty();
            String text = requireText(entry.getValue(), path);
            badValue |= !constraints(val, text.codePointCount(0, text.length()), text).isEmpty();
        }
        if (badKey) {
            violations.add("Value '" + render(map) + "' at '" + path + "' failed to satisfy constraint: Map keys must"
                    + " satisfy constraint: " + declared(key));
        }
        if (badValue) {
            violations.add("Value '" + render(map) + "' at '" + path + "' failed to satisfy constraint: Map value must"
                    + " satisfy constraint: " + declared(val));
        }
    }

    private static void failed(List<String> constraints, String rendered, String path, List<String> violations) {
        for (String constraint : constraints) {
            violations.add("Value '" + rendered + "' at '" + path + "' failed to satisfy constraint: " + constraint);
        }
    }

    /**
     * The constraints {@code node} declares that a value breaks: {@code size} is a string's length in code points, a
     * collection's size or a number's value; {@code text} the string itself (null for others).
     */
    private static List<String> constraints(Node node, long size, String text) {
        Member m = node.member();
        String measure = m.type().equals("integer") || m.type().equals("long") ? "value" : "length";
        List<String> broken = new ArrayList<>();
        if (m.max() != null && size > m.max()) {
            broken.add("Member must have " + measure + " less than or equal to " + m.max());
        }
        if (m.min() != null && size < m.min()) {
            broken.add("Member must have " + measure + " greater than or equal to " + m.min());
        }
        if (text != null && node.pattern() != null && !node.pattern().matcher(text).matches()) {
            broken.add("Member must satisfy regular expression pattern: " + m.pattern());
        }
        if (text != null && !m.enumValues().isEmpty() && !m.enumValues().contains(text)) {
            broken.add("Member must satisfy enum value set: " + m.enumValues());
        }
        return broken;
    }

    /** Every constraint a key or value shape declares, as AWS lists them for a map: "[c1, c2]". */
    private static String declared(Node node) {
        Member m = node.member();
        StringJoiner all = new StringJoiner(", ", "[", "]");
        if (m.max() != null) {
            all.add("Member must have length less than or equal to " + m.max());
        }
        if (m.min() != null) {
            all.add("Member must have length greater than or equal to " + m.min());
        }
        if (m.pattern() != null) {
            all.add("Member must satisfy regular expression pattern: " + m.pattern());
        }
        return all.toString();
    }

    private static String requireText(JsonNode value, String path) {
        requireJson(value.isTextual(), path, "a string");
        return value.asText();
    }

    /** A number: parsed from {@code text} (a path, query or header value), else a JSON integer. */
    private static long number(JsonNode value, String path, boolean text) {
        if (text) {
            try {
                return Long.parseLong(value.asText());
            } catch (NumberFormatException e) {
                throw notParsed(value, path, "a number");
            }
        }
        requireJson(value.isIntegralNumber(), path, "a number");
        return value.asLong();
    }

    private static void bool(JsonNode value, String path, boolean text) {
        if (text) {
            if (!value.asText().equalsIgnoreCase("true") && !value.asText().equalsIgnoreCase("false")) {
                throw notParsed(value, path, "a boolean");
            }
            return;
        }
        requireJson(value.isBoolean(), path, "a boolean");
    }

    /** A value from the path, the query or a header that is not of its member's type (unconfirmed: see above). */
    private static IotException notParsed(JsonNode value, String path, String what) {
        return IotException.invalidRequest("1 validation error detected: Value '" + value.asText() + "' at '" + path
                + "' failed to satisfy constraint: Member must be " + what);
    }

    /** A body member of another JSON type (unconfirmed wording and error type: see above). */
    private static void requireJson(boolean ok, String path, String what) {
        if (!ok) {
            throw new IotException("SerializationException", 400, "the member '" + path + "' must be " + what);
        }
    }

    /** A value as AWS prints it in a validation message: text as it is, maps as {k=v, ...}, lists as [a, b]. */
    private static String render(JsonNode value) {
        if (value.isObject()) {
            StringJoiner map = new StringJoiner(", ", "{", "}");
            value.fields().forEachRemaining(e -> map.add(e.getKey() + "=" + render(e.getValue())));
            return map.toString();
        }
        if (value.isArray()) {
            StringJoiner list = new StringJoiner(", ", "[", "]");
            value.forEach(v -> list.add(render(v)));
            return list.toString();
        }
        return value.asText();
    }

    /** A text value from the path, the query or a header, or null when absent. */
    static JsonNode text(String value) {
        return value == null ? null : TextNode.valueOf(value);
    }

    private static String parentPath(String path) {
        if (path.endsWith("[]")) {
            return path.substring(0, path.length() - 2);
        }
        if (path.endsWith("{key}") || path.endsWith("{value}")) {
            return path.substring(0, path.lastIndexOf('{'));
        }
        return path.substring(0, path.lastIndexOf('.'));
    }

    private static InputRules load() {
        try (InputStream in = InputRules.class.getResourceAsStream(TABLE)) {
            if (in == null) {
                throw new IllegalStateException(TABLE + " is missing from the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            List<Member> rows = new ArrayList<>();
            String line;
            boolean header = true;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                if (header) {
                    header = false;
                    continue;
                }
                rows.add(row(line));
            }
            return new InputRules(rows);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + TABLE, e);
        }
    }

    private static Member row(String line) {
        String[] cells = line.split("\t", -1);
        if (cells.length != 10) {
            throw new IllegalStateException(TABLE + ": 10 tab-separated cells expected: " + line);
        }
        if (!LOCATIONS.contains(cells[2]) || !TYPES.contains(cells[5])) {
            throw new IllegalStateException(TABLE + ": unknown location or type: " + line);
        }
        return new Member(cells[0], cells[1], cells[2], none(cells[3]), cells[4].equals("required"), cells[5],
                cells[6].equals("-") ? null : Long.valueOf(cells[6]), cells[7].equals("-") ? null
                : Long.valueOf(cells[7]), none(cells[8]), cells[9].equals("-") ? List.of()
                : Arrays.asList(cells[9].split(",")));
    }

    private static String none(String cell) {
        return cell.equals("-") ? null : cell;
    }
}
