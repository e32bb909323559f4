package dev.iotonboard.iot.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.iot.model.Registry.TopicRule;
import java.io.IOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The registry's topic rules ({@link Registry#topicRules()}). They are not created through the API: whoever loads
 * the stack puts them.
 */
public final class TopicRules {

    /** The service model's RuleName. */
    private static final Pattern RULE_NAME = Pattern.compile("[a-zA-Z0-9_]{1,128}");
    /** The FROM clause of a rule's SQL: the topic filter it selects from. */
    private static final Pattern FROM_TOPIC = Pattern.compile("(?i)\\bFROM\\s+(?:'([^']*)'|\"([^\"]*)\")");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Store store;

    TopicRules(Store store) {
        this.store = store;
    }

    /**
     * Creates or replaces a topic rule (for the template's AWS::IoT::TopicRule resources): {@code payload} is the
     * resource's TopicRulePayload as JSON, with CloudFormation's member names (Sql, Actions, RuleDisabled,
     * AwsIotSqlVersion, Description, ErrorAction; the service model's camelCase names are accepted too). It is kept
     * with the service model's names (each member name with its first letter in lower case, Lambda.FunctionArn becoming
     * lambda.functionArn; the keys of a Kafka action's ClientProperties, a map, are kept as they are), as GetTopicRule
     * answers it. The rule name must be the service model's RuleName ([a-zA-Z0-9_]{1,128}), the payload an object
     * with Sql.
     */
    public TopicRule put(String name, String payload) {
        synchronized (store.lock) {
            if (name == null || !RULE_NAME.matcher(name).matches()) {
                throw IotException.invalidRequest("rule name " + name + " is not valid: [a-zA-Z0-9_]{1,128}");
            }
            JsonNode parsed;
            try {
                parsed = JSON.readTree(payload);
            } catch (IOException e) {
                throw IotException.invalidRequest("the TopicRulePayload of " + name + " is not JSON: "
                        + e.getMessage());
            }
            if (parsed == null || !parsed.isObject() || !camelCase(parsed, false).path("sql").isTextual()) {
                throw IotException.invalidRequest("the TopicRulePayload of " + name + " must be an object with Sql");
            }
            ObjectNode rule = (ObjectNode) camelCase(parsed, false);
            String sql = rule.path("sql").asText();
            Matcher from = FROM_TOPIC.matcher(sql);
            String topic = from.find() ? (from.group(1) != null ? from.group(1) : from.group(2)) : null;
            TopicRule record = new TopicRule(name, rule.toString(), sql, topic,
                    rule.path("ruleDisabled").asBoolean(false), store.now());
            store.topicRules.put(name, record);
            store.save();
            return record;
        }
    }

    /** Every topic rule, in creation order. */
    public List<TopicRule> list() {
        synchronized (store.lock) {
            return List.copyOf(store.topicRules.values());
        }
    }

    /**
     * GetTopicRule: an unknown rule is UnauthorizedException 401 "Access to topic rule '&lt;name&gt;' was denied", as
     * AWS answers it (hashicorp/terraform-provider-aws, internal/service/iot findTopicRuleByName: "GetTopicRule returns
     * unhelpful errors such as ... UnauthorizedException ... Access to topic rule 'xxxxxxxx' was denied ... when
     * querying for a rule that doesn't exist"; the service model lists no ResourceNotFoundException for it).
     */
    public TopicRule get(String name) {
        synchronized (store.lock) {
            TopicRule rule = store.topicRules.get(name);
            if (rule == null) {
                throw IotException.unauthorized("Access to topic rule '" + name + "' was denied");
            }
            return rule;
        }
    }

    /**
     * A TopicRulePayload with the service model's member names: each object key with its first letter in lower case,
     * except the keys of a map member (ClientProperties of a Kafka action).
     */
    private static JsonNode camelCase(JsonNode node, boolean mapKeys) {
        if (node.isObject()) {
            ObjectNode out = JSON.createObjectNode();
            node.fields().forEachRemaining(e -> {
                String key = mapKeys || e.getKey().isEmpty() ? e.getKey()
                        : Character.toLowerCase(e.getKey().charAt(0)) + e.getKey().substring(1);
                out.set(key, camelCase(e.getValue(), !mapKeys && key.equals("clientProperties")));
            });
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JSON.createArrayNode();
            node.forEach(element -> out.add(camelCase(element, false)));
            return out;
        }
        return node;
    }
}
