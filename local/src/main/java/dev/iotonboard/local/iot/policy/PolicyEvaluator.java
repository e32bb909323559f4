package dev.iotonboard.local.iot.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * match part by part ({@link Conditions#arnLike}); a key missing from the context fails its condition, except for the
 * {@code IfExists} forms, the negated operators and ForAllValues; an unknown operator fails the statement (IoT refuses
 * such a policy when it is created).
 */
public final class PolicyEvaluator {

    /** The outcome. */
    public enum Decision { ALLOW, IMPLICIT_DENY, EXPLICIT_DENY }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]*)}");

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
        return resourceMatch && Conditions.hold(statement.get("Condition"), context);
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

    static String glob(String text) {
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

    static List<JsonNode> list(JsonNode node) {
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
