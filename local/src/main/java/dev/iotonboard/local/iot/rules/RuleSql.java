package dev.iotonboard.local.iot.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The subset of the AWS IoT rule SQL (version 2016-03-23, iot-sql-reference.md) the stack uses and its neighbours:
 * {@code SELECT * | <expr> [AS alias], ... [FROM '<topic filter>'] [WHERE <condition>]} (without FROM the rule can only
 * be invoked through Basic Ingest: iot-basic-ingest.md, "the FROM clause is optional"). Expressions: payload fields
 * (dotted paths), string, number and boolean literals, {@code principal()}, {@code clientid()}, {@code topic()},
 * {@code topic(n)}, {@code timestamp()}. Conditions: {@code = <> != < <= > >=}, {@code AND}, {@code OR}, {@code NOT},
 * parentheses. An undefined value is left out of the output object; a comparison with an undefined side is false.
 */
public final class RuleSql {

    /** What a rule sees besides the payload. */
    public record Message(String topic, byte[] payload, String principal, String clientId, long timestamp) {
    }

    private sealed interface Expr permits Field, Literal, Call, Binary, Not {
    }

    private record Field(List<String> path) implements Expr {
    }

    private record Literal(JsonNode value) implements Expr {
    }

    private record Call(String name, List<Expr> arguments) implements Expr {
    }

    private record Binary(String operator, Expr left, Expr right) implements Expr {
    }

    private record Not(Expr operand) implements Expr {
    }

    private record Item(Expr expr, String alias, boolean star) {
    }

    private final String text;
    private final List<Item> items;
    private final String topicFilter;
    private final Expr where;

    private RuleSql(String text, List<Item> items, String topicFilter, Expr where) {
        this.text = text;
        this.items = items;
        this.topicFilter = topicFilter;
        this.where = where;
    }

    /** @throws IllegalArgumentException naming what the local IoT Core does not support */
    public static RuleSql parse(String sql) {
        return new Parser(sql).statement();
    }

    /** The FROM clause's topic filter; null without one. */
    public String topicFilter() {
        return topicFilter;
    }

    @Override
    public String toString() {
        return text;
    }

    /** True when {@code topic} matches an MQTT topic filter ({@code +} one level, {@code #} the rest). */
    public static boolean topicMatches(String filter, String topic) {
        String[] f = filter.split("/", -1);
        String[] t = topic.split("/", -1);
        if (topic.startsWith("$") && (f[0].equals("+") || f[0].equals("#"))) {
            return false;
        }
        for (int i = 0; i < f.length; i++) {
            if (f[i].equals("#")) {
                return true;
            }
            if (i >= t.length) {
                return false;
            }
            if (!f[i].equals("+") && !f[i].equals(t[i])) {
                return false;
            }
        }
        return f.length == t.length;
    }

    /**
     * Applies the statement to a message routed by the broker: empty when there is no FROM, its topic filter does not
     * match, or WHERE is not true; otherwise the output (a JSON object, or the raw payload for {@code SELECT *} on a
     * payload that is not a JSON object).
     */
    public Optional<byte[]> apply(Message message) {
        if (topicFilter == null || !topicMatches(topicFilter, message.topic())) {
            return Optional.empty();
        }
        return applyIngested(message);
    }

    /**
     * Applies the statement to a message sent to this rule through Basic Ingest, whose topic is what follows the
     * {@code $aws/rules/<rule>/} prefix: WHERE and SELECT as {@link #apply}, the FROM filter not matched (the rule
     * is named by the topic; whether AWS also matches a FROM filter here is unconfirmed).
     */
    public Optional<byte[]> applyIngested(Message message) {
        JsonNode payload = parsePayload(message.payload());
        if (where != null && !truthy(eval(where, payload, message))) {
            return Optional.empty();
        }
        if (items.size() == 1 && items.get(0).star() && (payload == null || !payload.isObject())) {
            return Optional.of(message.payload());
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Item item : items) {
            if (item.star()) {
                if (payload != null && payload.isObject()) {
                    out.setAll((ObjectNode) payload);
                }
                continue;
            }
            JsonNode value = eval(item.expr(), payload, message);
            if (value != null && !value.isMissingNode()) {
                out.set(item.alias(), value);
            }
        }
        return Optional.of(out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static JsonNode parsePayload(byte[] payload) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(payload);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static JsonNode eval(Expr expr, JsonNode payload, Message message) {
        if (expr instanceof Literal literal) {
            return literal.value();
        }
        if (expr instanceof Field field) {
            JsonNode node = payload;
            for (String part : field.path()) {
                if (node == null || !node.isObject()) {
                    return null;
                }
                node = node.get(part);
            }
            return node;
        }
        if (expr instanceof Call call) {
            return switch (call.name()) {
                case "principal" -> message.principal() == null ? null : text(message.principal());
                case "clientid" -> message.clientId() == null ? null : text(message.clientId());
                case "timestamp" -> JsonNodeFactory.instance.numberNode(message.timestamp());
                case "topic" -> {
                    if (call.arguments().isEmpty()) {
                        yield text(message.topic());
                    }
                    JsonNode n = eval(call.arguments().get(0), payload, message);
                    String[] levels = message.topic().split("/", -1);
                    int index = n == null ? 0 : n.asInt();
                    yield index >= 1 && index <= levels.length ? text(levels[index - 1]) : null;
                }
                default -> throw new IllegalStateException("unreachable: " + call.name());
            };
        }
        if (expr instanceof Not not) {
            JsonNode value = eval(not.operand(), payload, message);
            return value == null ? null : JsonNodeFactory.instance.booleanNode(!truthy(value));
        }
        Binary binary = (Binary) expr;
        if (binary.operator().equals("AND") || binary.operator().equals("OR")) {
            boolean left = truthy(eval(binary.left(), payload, message));
            boolean right = truthy(eval(binary.right(), payload, message));
            return JsonNodeFactory.instance.booleanNode(binary.operator().equals("AND") ? left && right : left || right);
        }
        JsonNode left = eval(binary.left(), payload, message);
        JsonNode right = eval(binary.right(), payload, message);
        if (left == null || right == null || left.isNull() || right.isNull()) {
            return null;
        }
        int compared;
        if (left.isNumber() && right.isNumber()) {
            compared = new BigDecimal(left.asText()).compareTo(new BigDecimal(right.asText()));
        } else if (left.isTextual() && right.isTextual()) {
            compared = left.asText().compareTo(right.asText());
        } else if (left.isBoolean() && right.isBoolean()) {
            compared = Boolean.compare(left.asBoolean(), right.asBoolean());
        } else {
            return binary.operator().equals("<>") || binary.operator().equals("!=")
                    ? JsonNodeFactory.instance.booleanNode(true) : JsonNodeFactory.instance.booleanNode(false);
        }
        boolean result = switch (binary.operator()) {
            case "=" -> compared == 0;
            case "<>", "!=" -> compared != 0;
            case "<" -> compared < 0;
            case "<=" -> compared <= 0;
            case ">" -> compared > 0;
            case ">=" -> compared >= 0;
            default -> throw new IllegalStateException("unreachable: " + binary.operator());
        };
        return JsonNodeFactory.instance.booleanNode(result);
    }

    private static boolean truthy(JsonNode value) {
        return value != null && value.isBoolean() && value.asBoolean();
    }

    private static JsonNode text(String value) {
        return JsonNodeFactory.instance.textNode(value);
    }

    /** A small recursive-descent parser over a hand-written tokenizer. */
    private static final class Parser {
        private final String sql;
        private final List<String> tokens = new ArrayList<>();
        private int position;

        Parser(String sql) {
            this.sql = sql;
            tokenize();
        }

        RuleSql statement() {
            expectKeyword("SELECT");
            List<Item> items = new ArrayList<>();
            do {
                items.add(item());
            } while (accept(","));
            String filter = null;
            if (acceptKeyword("FROM")) {
                String from = next();
                if (!from.startsWith("'")) {
                    throw error("FROM needs a quoted topic filter, not " + from);
                }
                filter = from.substring(1, from.length() - 1);
            }
            Expr where = null;
            if (acceptKeyword("WHERE")) {
                where = or();
            }
            if (position < tokens.size()) {
                throw error("unexpected " + tokens.get(position) + " (only SELECT ... FROM ... WHERE ... is supported)");
            }
            return new RuleSql(sql, items, filter, where);
        }

        private Item item() {
            if (accept("*")) {
                return new Item(null, null, true);
            }
            Expr expr = primary();
            String alias;
            if (acceptKeyword("AS")) {
                alias = next();
            } else if (expr instanceof Field field) {
                alias = field.path().get(field.path().size() - 1);
            } else if (expr instanceof Call call) {
                alias = call.name();
            } else {
                throw error("a literal in SELECT needs an alias (AS name)");
            }
            return new Item(expr, alias, false);
        }

        private Expr or() {
            Expr left = and();
            while (acceptKeyword("OR")) {
                left = new Binary("OR", left, and());
            }
            return left;
        }

        private Expr and() {
            Expr left = not();
            while (acceptKeyword("AND")) {
                left = new Binary("AND", left, not());
            }
            return left;
        }

        private Expr not() {
            if (acceptKeyword("NOT")) {
                return new Not(not());
            }
            return comparison();
        }

        private Expr comparison() {
            Expr left = primary();
            for (String operator : List.of("=", "<>", "!=", "<=", ">=", "<", ">")) {
                if (accept(operator)) {
                    return new Binary(operator, left, primary());
                }
            }
            return left;
        }

        private Expr primary() {
            if (accept("(")) {
                Expr inner = or();
                expect(")");
                return inner;
            }
            String token = next();
            if (token.startsWith("'")) {
                return new Literal(JsonNodeFactory.instance.textNode(token.substring(1, token.length() - 1)));
            }
            if (Character.isDigit(token.charAt(0)) || token.charAt(0) == '-') {
                return new Literal(JsonNodeFactory.instance.numberNode(new BigDecimal(token)));
            }
            String lower = token.toLowerCase(Locale.ROOT);
            if (lower.equals("true") || lower.equals("false")) {
                return new Literal(JsonNodeFactory.instance.booleanNode(lower.equals("true")));
            }
            if (accept("(")) {
                List<Expr> arguments = new ArrayList<>();
                if (!accept(")")) {
                    do {
                        arguments.add(or());
                    } while (accept(","));
                    expect(")");
                }
                if (!List.of("principal", "clientid", "topic", "timestamp").contains(lower)) {
                    throw error("function " + token + "() is not supported by the local IoT Core");
                }
                if (!lower.equals("topic") && !arguments.isEmpty() || arguments.size() > 1) {
                    throw error("wrong number of arguments to " + token + "()");
                }
                return new Call(lower, arguments);
            }
            if (!token.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
                throw error("unexpected " + token);
            }
            return new Field(List.of(token.split("\\.")));
        }

        private void tokenize() {
            int i = 0;
            while (i < sql.length()) {
                char c = sql.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (c == '\'') {
                    int end = sql.indexOf('\'', i + 1);
                    if (end < 0) {
                        throw error("unterminated string");
                    }
                    tokens.add(sql.substring(i, end + 1));
                    i = end + 1;
                } else if ("<>!=".indexOf(c) >= 0) {
                    String two = i + 1 < sql.length() ? sql.substring(i, i + 2) : "";
                    if (List.of("<>", "!=", "<=", ">=").contains(two)) {
                        tokens.add(two);
                        i += 2;
                    } else {
                        tokens.add(String.valueOf(c));
                        i++;
                    }
                } else if ("(),*".indexOf(c) >= 0) {
                    tokens.add(String.valueOf(c));
                    i++;
                } else {
                    int start = i;
                    while (i < sql.length() && (Character.isLetterOrDigit(sql.charAt(i))
                            || "_.-".indexOf(sql.charAt(i)) >= 0)) {
                        i++;
                    }
                    if (start == i) {
                        throw error("unexpected character '" + c + "'");
                    }
                    tokens.add(sql.substring(start, i));
                }
            }
        }

        private String next() {
            if (position >= tokens.size()) {
                throw error("unexpected end");
            }
            return tokens.get(position++);
        }

        private boolean accept(String token) {
            if (position < tokens.size() && tokens.get(position).equals(token)) {
                position++;
                return true;
            }
            return false;
        }

        private boolean acceptKeyword(String keyword) {
            if (position < tokens.size() && tokens.get(position).equalsIgnoreCase(keyword)) {
                position++;
                return true;
            }
            return false;
        }

        private void expect(String token) {
            if (!accept(token)) {
                throw error("expected " + token);
            }
        }

        private void expectKeyword(String keyword) {
            if (!acceptKeyword(keyword)) {
                throw error("expected " + keyword);
            }
        }

        private IllegalArgumentException error(String message) {
            return new IllegalArgumentException("rule SQL \"" + sql + "\": " + message);
        }
    }
}
