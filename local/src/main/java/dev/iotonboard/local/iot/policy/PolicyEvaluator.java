package dev.iotonboard.local.iot.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Evaluates IoT policies (iot-policies.md): an explicit Deny wins over any Allow; no matching Allow is an implicit deny.
 * Actions match case-insensitively, resources case-sensitively, both with {@code *} and {@code ?} wildcards; MQTT
 * wildcards {@code +} and {@code #} are literal characters. Policy variables ({@code ${iot:ClientId}},
 * {@code ${iot:Connection.Thing.ThingName}}, {@code ${iot:Certificate.Subject.CommonName}}, ...) are replaced from the
 * connection's context; a statement with a variable the context cannot resolve does not match. Conditions:
 * IAM's operators ({@code PolicyGrammar.OPERATORS}: String, Numeric, Date, Bool, Binary, IpAddress and Arn ones,
 * with {@code IfExists} and the ForAnyValue/ForAllValues prefixes over single values, and Null); ArnEquals and ArnLike
 * match part by part ({@link #arnLike}); a key missing from the context fails its condition, except for the
 * {@code IfExists} forms, the negated operators and ForAllValues; an unknown operator fails the statement (IoT refuses
 * such a policy when it is created).
 */
public final class PolicyEvaluator {

    /** The outcome. */
    public enum Decision { ALLOW, IMPLICIT_DENY, EXPLICIT_DENY }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]*)}");
    private static final Set<String> NEGATED = Set.of("StringNotEquals",
            "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals", "DateNotEquals", "NotIpAddress",
            "ArnNotEquals", "ArnNotLike");

    private PolicyEvaluator() {
    }

    /**
     * @param documents policy documents (JSON text)
     * @param context   policy variables and condition keys of this connection, e.g. {@code iot:ClientId}
     */
    public static Decision evaluate(Collection<String> documents, String action, String resource,
            Map<String, String> context) {
        boolean allowed = false;
        for (String document : documents) {
            JsonNode root;
            try {
                root = JSON.readTree(document);
            } catch (java.io.IOException e) {
                continue;
            }
            for (JsonNode statement : list(root.get("Statement"))) {
                if (!matches(statement, action, resource, context)) {
                    continue;
                }
                String effect = statement.path("Effect").asText();
                if (effect.equals("Deny")) {
                    return Decision.EXPLICIT_DENY;
                }
                if (effect.equals("Allow")) {
                    allowed = true;
                }
            }
        }
        return allowed ? Decision.ALLOW : Decision.IMPLICIT_DENY;
    }

    public static boolean allows(Collection<String> documents, String action, String resource,
            Map<String, String> context) {
        return evaluate(documents, action, resource, context) == Decision.ALLOW;
    }

    private static boolean matches(JsonNode statement, String action, String resource, Map<String, String> context) {
        boolean actionMatch;
        if (statement.has("Action")) {
            actionMatch = anyMatch(statement.get("Action"), action, context, true);
        } else if (statement.has("NotAction")) {
            actionMatch = !anyMatch(statement.get("NotAction"), action, context, true);
        } else {
            return false;
        }
        if (!actionMatch) {
            return false;
        }
        boolean resourceMatch;
        if (statement.has("Resource")) {
            resourceMatch = anyMatch(statement.get("Resource"), resource, context, false);
        } else if (statement.has("NotResource")) {
            resourceMatch = !anyMatch(statement.get("NotResource"), resource, context, false);
        } else {
            return false;
        }
        return resourceMatch && conditionsHold(statement.get("Condition"), context);
    }

    private static boolean anyMatch(JsonNode patterns, String value, Map<String, String> context, boolean ignoreCase) {
        for (JsonNode pattern : list(patterns)) {
            Optional<Pattern> regex = compile(pattern.asText(), context, ignoreCase);
            if (regex.isPresent() && regex.get().matcher(value).matches()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The pattern as a regex, variables substituted as literals (the special ones {@code ${*}}, {@code ${?}} and
     * {@code ${$}} too); empty when a variable cannot be resolved.
     */
    static Optional<Pattern> compile(String pattern, Map<String, String> context, boolean ignoreCase) {
        StringBuilder regex = new StringBuilder();
        Matcher variables = VARIABLE.matcher(pattern);
        int last = 0;
        while (variables.find()) {
            regex.append(glob(pattern.substring(last, variables.start())));
            String name = variables.group(1);
            // ${*}, ${?} and ${$} stand for the character itself (IAM User Guide, "Policy variables")
            String value = name.equals("*") || name.equals("?") || name.equals("$") ? name : context.get(name);
            if (value == null || value.isEmpty()) {
                return Optional.empty();
            }
            regex.append(Pattern.quote(value));
            last = variables.end();
        }
        regex.append(glob(pattern.substring(last)));
        return Optional.of(Pattern.compile(regex.toString(), ignoreCase ? Pattern.CASE_INSENSITIVE : 0));
    }

    private static String glob(String text) {
        StringBuilder out = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (c == '*' || c == '?') {
                if (literal.length() > 0) {
                    out.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                out.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (literal.length() > 0) {
            out.append(Pattern.quote(literal.toString()));
        }
        return out.toString();
    }

    private static boolean conditionsHold(JsonNode condition, Map<String, String> context) {
        if (condition == null || condition.isNull()) {
            return true;
        }
        var operators = condition.fields();
        while (operators.hasNext()) {
            var operator = operators.next();
            String name = operator.getKey();
            boolean forAllValues = name.startsWith("ForAllValues:");
            if (forAllValues || name.startsWith("ForAnyValue:")) {
                name = name.substring(name.indexOf(':') + 1);
            }
            boolean ifExists = name.endsWith("IfExists");
            String base = ifExists ? name.substring(0, name.length() - "IfExists".length()) : name;
            var keys = operator.getValue().fields();
            while (keys.hasNext()) {
                var key = keys.next();
                String actual = context.get(key.getKey());
                List<JsonNode> expected = list(key.getValue());
                if (base.equals("Null")) {
                    boolean absent = expected.stream().anyMatch(e -> e.asText().equalsIgnoreCase("true"));
                    if ((actual == null) != absent) {
                        return false;
                    }
                } else if (actual == null) {
                    // IAM User Guide, condition operators: a missing key fails the condition, except for the
                    // ...IfExists forms, the negated operators and ForAllValues (over an empty set of values)
                    if (!(ifExists || forAllValues || NEGATED.contains(base))) {
                        return false;
                    }
                } else if (!holds(base, actual, expected, context)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean holds(String operator, String actual, List<JsonNode> expected, Map<String, String> context) {
        return switch (operator) {
            case "Bool" -> expected.stream().anyMatch(e -> e.asText().equalsIgnoreCase(actual));
            case "StringEquals", "BinaryEquals" -> expected.stream().anyMatch(e -> e.asText().equals(actual));
            case "StringNotEquals" -> expected.stream().noneMatch(e -> e.asText().equals(actual));
            case "StringEqualsIgnoreCase" -> expected.stream().anyMatch(e -> e.asText().equalsIgnoreCase(actual));
            case "StringNotEqualsIgnoreCase" -> expected.stream().noneMatch(e -> e.asText().equalsIgnoreCase(actual));
            case "StringLike" -> expected.stream().anyMatch(e -> like(e.asText(), actual, context));
            case "StringNotLike" -> expected.stream().noneMatch(e -> like(e.asText(), actual, context));
            // IAM treats the two alike: each of the ARN's six colon-separated parts is matched on its own, with
            // wildcards (IAM User Guide, "Condition operators", Amazon Resource Name)
            case "ArnEquals", "ArnLike" -> expected.stream().anyMatch(e -> arnLike(e.asText(), actual));
            case "ArnNotEquals", "ArnNotLike" -> expected.stream().noneMatch(e -> arnLike(e.asText(), actual));
            case "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan",
                    "NumericGreaterThanEquals" -> compares(operator.substring("Numeric".length()), actual, expected,
                    PolicyEvaluator::number);
            case "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
                    "DateGreaterThanEquals" -> compares(operator.substring("Date".length()), actual, expected,
                    PolicyEvaluator::instant);
            case "IpAddress" -> expected.stream().anyMatch(e -> Cidr.contains(e.asText(), actual));
            case "NotIpAddress" -> expected.stream().noneMatch(e -> Cidr.contains(e.asText(), actual));
            default -> false;
        };
    }

    private static boolean like(String pattern, String actual, Map<String, String> context) {
        return compile(pattern, context, false).map(p -> p.matcher(actual).matches()).orElse(false);
    }

    /**
     * ArnLike: the pattern and the ARN each have six colon-separated parts ({@code arn}, partition, service, region,
     * account, resource: the resource keeps any further colons), and each part of the pattern matches its part with
     * the {@code *} and {@code ?} wildcards, which never span a colon between parts.
     */
    public static boolean arnLike(String pattern, String arn) {
        String[] patterns = pattern.split(":", 6);
        String[] parts = arn.split(":", 6);
        if (patterns.length != 6 || parts.length != 6) {
            return false;
        }
        for (int i = 0; i < 6; i++) {
            if (!Pattern.compile(glob(patterns[i])).matcher(parts[i]).matches()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Numeric and date operators: {@code comparison} is what follows the type in the operator's name. A value that
     * does not parse matches nothing (so the negated form holds).
     */
    private static <T extends Comparable<T>> boolean compares(String comparison, String actual,
            List<JsonNode> expected, Function<String, T> parse) {
        T value = parse.apply(actual);
        boolean negated = comparison.equals("NotEquals");
        if (value == null) {
            return negated;
        }
        IntPredicate test = switch (comparison) {
            case "Equals", "NotEquals" -> c -> c == 0;
            case "LessThan" -> c -> c < 0;
            case "LessThanEquals" -> c -> c <= 0;
            case "GreaterThan" -> c -> c > 0;
            default -> c -> c >= 0;
        };
        boolean any = expected.stream().map(e -> parse.apply(e.asText()))
                .anyMatch(bound -> bound != null && test.test(value.compareTo(bound)));
        return negated != any;
    }

    private static BigDecimal number(String text) {
        try {
            return new BigDecimal(text.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A date as IAM takes it: ISO 8601 (a date, or a date and time with its offset) or epoch seconds. */
    private static Instant instant(String text) {
        try {
            if (text.matches("-?\\d+")) {
                return Instant.ofEpochSecond(Long.parseLong(text));
            }
            if (text.matches("\\d{4}-\\d{2}-\\d{2}")) {
                return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeException | NumberFormatException e) {
            return null;
        }
    }

    private static List<JsonNode> list(JsonNode node) {
        List<JsonNode> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (node.isArray()) {
            node.forEach(out::add);
        } else {
            out.add(node);
        }
        return out;
    }
}
