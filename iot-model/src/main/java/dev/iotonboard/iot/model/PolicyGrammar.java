package dev.iotonboard.iot.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What CreatePolicy and CreatePolicyVersion accept as an IoT policy document. IoT policies "follow the same
 * conventions as IAM policies" (developer guide, iot-policies.md), so the grammar is IAM's for an identity-based
 * policy (IAM User Guide, "Grammar of the IAM JSON policy language"):
 * <ul>
 *   <li>1 to 2,048 characters, whitespace not counted (API reference, CreatePolicy: policyDocument);</li>
 *   <li>a JSON object of {@code Version} ({@code 2012-10-17} or {@code 2008-10-17}), {@code Id} and a
 *       {@code Statement}: one statement or a non-empty array of them;</li>
 *   <li>a statement: {@code Effect} {@code Allow} or {@code Deny}; exactly one of {@code Action} and
 *       {@code NotAction}, each {@code *} or {@code vendor:action}; exactly one of {@code Resource} and
 *       {@code NotResource}, each {@code *} or an ARN; an optional {@code Sid} and {@code Condition}; no
 *       {@code Principal} (an identity's policy names no principal) and no other element;</li>
 *   <li>a condition: known operators (with the {@code IfExists} suffix, {@code Null} excepted, and the
 *       {@code ForAnyValue:}/{@code ForAllValues:} prefixes), each mapping keys to a value or a non-empty list of
 *       values.</li>
 * </ul>
 * Anything else is MalformedPolicyException 400, "Policy document is Malformed: ..." (the prefix IoT answers, e.g.
 * aws/aws-cdk#32414 "Policy document is Malformed: Invalid policy syntax."; the details after it are this model's).
 * Which error a document over 2,048 characters gets is unconfirmed; this model answers MalformedPolicyException.
 */
public final class PolicyGrammar {

    /** API reference, CreatePolicy: "maximum length of 2048, excluding whitespace". */
    public static final int MAX_CHARACTERS = 2048;

    /** IAM User Guide, "IAM JSON policy elements: Condition operators". */
    public static final Set<String> OPERATORS = Set.of(
            "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
            "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
            "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThan",
            "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress",
            "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null");

    private static final Set<String> TOP_LEVEL = Set.of("Version", "Id", "Statement");
    private static final Set<String> STATEMENT = Set.of("Sid", "Effect", "Action", "NotAction", "Resource",
            "NotResource", "Condition");
    private static final Set<String> VERSIONS = Set.of("2012-10-17", "2008-10-17");
    private static final Pattern ACTION = Pattern.compile("\\*|[A-Za-z0-9-]+:[^:]*");
    private static final Pattern WHITESPACE = Pattern.compile("\\s");

    private PolicyGrammar() {
    }

    /** @throws IotException MalformedPolicyException naming the first thing wrong */
    public static void check(String document) {
        String text = document == null ? "" : document;
        int characters = WHITESPACE.matcher(text).replaceAll("").length();
        if (characters == 0 || characters > MAX_CHARACTERS) {
            throw malformed("the document has " + characters + " characters without whitespace; 1 to "
                    + MAX_CHARACTERS + " are allowed");
        }
        JsonNode root;
        try {
            root = RestJson.JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw malformed("the document is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw malformed("the document is not a JSON object");
        }
        onlyKnown(root, TOP_LEVEL, "the document");
        JsonNode version = root.get("Version");
        if (version != null && !(version.isTextual() && VERSIONS.contains(version.asText()))) {
            throw malformed("Version " + version + " is not 2012-10-17 or 2008-10-17");
        }
        JsonNode statements = root.get("Statement");
        if (statements == null || (statements.isArray() && statements.isEmpty())) {
            throw malformed("the document has no Statement");
        }
        int index = 0;
        for (JsonNode statement : statements.isArray() ? statements : List.of(statements)) {
            checkStatement(statement, "Statement " + index++);
        }
    }

    private static void checkStatement(JsonNode statement, String where) {
        if (!statement.isObject()) {
            throw malformed(where + " is not a JSON object");
        }
        if (statement.has("Principal") || statement.has("NotPrincipal")) {
            throw malformed(where + " names a Principal, which an IoT policy may not: it applies to whatever it is"
                    + " attached to");
        }
        onlyKnown(statement, STATEMENT, where);
        JsonNode effect = statement.get("Effect");
        if (effect == null || !(effect.asText().equals("Allow") || effect.asText().equals("Deny"))) {
            throw malformed(where + ": Effect must be \"Allow\" or \"Deny\", not " + effect);
        }
        for (String value : exactlyOne(statement, "Action", "NotAction", where)) {
            if (!ACTION.matcher(value).matches()) {
                throw malformed(where + ": the action \"" + value + "\" is not * or vendor:action (e.g. iot:Publish)");
            }
        }
        for (String value : exactlyOne(statement, "Resource", "NotResource", where)) {
            if (!value.equals("*") && !value.startsWith("arn:")) {
                throw malformed(where + ": the resource \"" + value + "\" is not * or an ARN");
            }
        }
        JsonNode condition = statement.get("Condition");
        if (condition != null) {
            checkCondition(condition, where);
        }
    }

    private static void checkCondition(JsonNode condition, String where) {
        if (!condition.isObject()) {
            throw malformed(where + ": Condition is not a JSON object");
        }
        var operators = condition.fields();
        while (operators.hasNext()) {
            var operator = operators.next();
            if (!isOperator(operator.getKey())) {
                throw malformed(where + ": \"" + operator.getKey() + "\" is not a condition operator");
            }
            if (!operator.getValue().isObject() || operator.getValue().isEmpty()) {
                throw malformed(where + ": " + operator.getKey() + " does not map condition keys to values");
            }
            var keys = operator.getValue().fields();
            while (keys.hasNext()) {
                var key = keys.next();
                if (key.getKey().isEmpty()) {
                    throw malformed(where + ": " + operator.getKey() + " has an empty condition key");
                }
                values(key.getValue(), where + ": " + operator.getKey() + " " + key.getKey());
            }
        }
    }

    /**
     * A condition operator's name taken apart: {@code ForAllValues:StringLikeIfExists} is {@code StringLike}, with
     * {@code IfExists}, over all values ({@code ForAnyValue:} sets neither flag).
     */
    public record Operator(String base, boolean ifExists, boolean forAllValues) {

        public static Operator parse(String name) {
            boolean forAllValues = name.startsWith("ForAllValues:");
            String operator = forAllValues || name.startsWith("ForAnyValue:")
                    ? name.substring(name.indexOf(':') + 1) : name;
            boolean ifExists = operator.endsWith("IfExists");
            return new Operator(ifExists ? operator.substring(0, operator.length() - "IfExists".length()) : operator,
                    ifExists, forAllValues);
        }
    }

    /** A condition operator: a known one, optionally ...IfExists (not Null), optionally ForAnyValue:/ForAllValues:. */
    public static boolean isOperator(String name) {
        Operator operator = Operator.parse(name);
        return OPERATORS.contains(operator.base()) && !(operator.ifExists() && operator.base().equals("Null"));
    }

    private static List<String> exactlyOne(JsonNode statement, String name, String negated, String where) {
        JsonNode plain = statement.get(name);
        JsonNode not = statement.get(negated);
        if ((plain == null) == (not == null)) {
            throw malformed(where + " must have exactly one of " + name + " and " + negated);
        }
        return values(plain != null ? plain : not, where + ": " + (plain != null ? name : negated));
    }

    /** A value or a non-empty list of values; values are strings (or, in conditions, booleans and numbers). */
    private static List<String> values(JsonNode node, String where) {
        List<JsonNode> items = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(items::add);
        } else {
            items.add(node);
        }
        if (items.isEmpty()) {
            throw malformed(where + " is an empty list");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : items) {
            if (!item.isValueNode() || item.isNull() || item.asText().isEmpty()) {
                throw malformed(where + " holds " + item + ", not a value");
            }
            out.add(item.asText());
        }
        return out;
    }

    private static void onlyKnown(JsonNode object, Set<String> known, String where) {
        object.fieldNames().forEachRemaining(name -> {
            if (!known.contains(name)) {
                throw malformed(where + " has the unknown element \"" + name + "\"");
            }
        });
    }

    private static IotException malformed(String detail) {
        return IotException.malformedPolicy("Policy document is Malformed: " + detail);
    }
}
