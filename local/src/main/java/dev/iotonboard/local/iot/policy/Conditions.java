package dev.iotonboard.local.iot.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.iot.model.PolicyGrammar;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;

/**
 * A statement's {@code Condition}, as IAM evaluates it (IAM User Guide, "Condition operators"): every operator must
 * hold, and within one every key; a key holds when the context's value matches any of the listed values (none, for
 * the negated operators).
 */
public final class Conditions {
    /** The operators that hold when the context lacks their key. */
    private static final Set<String> NEGATED = Set.of("StringNotEquals",
            "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals", "DateNotEquals", "NotIpAddress",
            "ArnNotEquals", "ArnNotLike");

    private Conditions() {
    }

    /** Whether every operator of a statement's {@code Condition} holds in this context (none: true). */
    static boolean hold(JsonNode condition, Map<String, String> context) {
        if (condition == null || condition.isNull()) {
            return true;
        }
        var operators = condition.fields();
        while (operators.hasNext()) {
            var operator = operators.next();
            PolicyGrammar.Operator parsed = PolicyGrammar.Operator.parse(operator.getKey());
            String base = parsed.base();
            var keys = operator.getValue().fields();
            while (keys.hasNext()) {
                var key = keys.next();
                String actual = context.get(key.getKey());
                List<JsonNode> expected = PolicyEvaluator.list(key.getValue());
                if (base.equals("Null")) {
                    boolean absent = expected.stream().anyMatch(e -> e.asText().equalsIgnoreCase("true"));
                    if ((actual == null) != absent) {
                        return false;
                    }
                } else if (actual == null) {
                    // IAM User Guide, condition operators: a missing key fails the condition, except for the
                    // ...IfExists forms, the negated operators and ForAllValues (over an empty set of values)
                    if (!(parsed.ifExists() || parsed.forAllValues() || NEGATED.contains(base))) {
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
                    Conditions::number);
            case "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
                    "DateGreaterThanEquals" -> compares(operator.substring("Date".length()), actual, expected,
                    Conditions::instant);
            case "IpAddress" -> expected.stream().anyMatch(e -> Cidr.contains(e.asText(), actual));
            case "NotIpAddress" -> expected.stream().noneMatch(e -> Cidr.contains(e.asText(), actual));
            default -> false;
        };
    }

    private static boolean like(String pattern, String actual, Map<String, String> context) {
        return PolicyEvaluator.compile(pattern, context, false).map(p -> p.matcher(actual).matches()).orElse(false);
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
            if (!Pattern.compile(PolicyEvaluator.glob(patterns[i])).matcher(parts[i]).matches()) {
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
}
