package dev.iotonboard.iot.model;

import static dev.iotonboard.iot.model.RestJson.DEFAULT_PAGE_SIZE;
import static dev.iotonboard.iot.model.RestJson.JSON;
import static dev.iotonboard.iot.model.RestJson.obj;
import static dev.iotonboard.iot.model.RestJson.page;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.iot.model.Registry.TopicRule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** {@link IotApi}'s operations on topic rules, over {@link TopicRules} (read only: the stack puts the rules). */
final class TopicRulesApi {

    private final Registry registry;

    TopicRulesApi(Registry registry) {
        this.registry = registry;
    }

    void addTo(Routes routes) {
        routes.add("ListTopicRules", "GET", "/rules", this::list);
        routes.add("GetTopicRule", "GET", "/rules/{ruleName}", r -> get(r.path().get("ruleName")));
    }

    /** ListTopicRules: topic keeps the rules whose FROM topic is that topic (unconfirmed); ruleDisabled filters. */
    private Object list(Request r) {
        String topic = r.query("topic");
        String disabled = r.query("ruleDisabled");
        List<TopicRule> rules = registry.topicRules().list().stream()
                .filter(rule -> topic == null || topic.equals(rule.topicPattern()))
                .filter(rule -> disabled == null || rule.disabled() == Boolean.parseBoolean(disabled))
                .toList();
        return page(rules, r, "maxResults", "nextToken", DEFAULT_PAGE_SIZE, "rules", "nextToken", rule -> {
            ObjectNode item = obj().put("ruleArn", registry.topicRuleArn(rule.name())).put("ruleName", rule.name());
            if (rule.topicPattern() != null) {
                item.put("topicPattern", rule.topicPattern());
            }
            return item.put("createdAt", rule.createdAt()).put("ruleDisabled", rule.disabled());
        });
    }

    /**
     * GetTopicRule: the service model's GetTopicRuleResponse, {ruleArn, rule: {ruleName, sql, description, createdAt,
     * actions, errorAction, ruleDisabled, awsIotSqlVersion}}; awsIotSqlVersion defaults to 2015-10-08 (CloudFormation,
     * AWS::IoT::TopicRule TopicRulePayload: "the default is 2015-10-08"), description and errorAction are left out when
     * the rule has none.
     */
    private Object get(String name) {
        TopicRule rule = registry.topicRules().get(name);
        JsonNode payload;
        try {
            payload = JSON.readTree(rule.payload());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ObjectNode body = obj().put("ruleName", rule.name()).put("sql", rule.sql());
        if (payload.hasNonNull("description")) {
            body.set("description", payload.get("description"));
        }
        body.put("createdAt", rule.createdAt());
        body.set("actions", payload.has("actions") ? payload.get("actions") : JSON.createArrayNode());
        if (payload.hasNonNull("errorAction")) {
            body.set("errorAction", payload.get("errorAction"));
        }
        body.put("ruleDisabled", rule.disabled())
                .put("awsIotSqlVersion", payload.path("awsIotSqlVersion").asText("2015-10-08"));
        ObjectNode out = obj().put("ruleArn", registry.topicRuleArn(rule.name()));
        out.set("rule", body);
        return out;
    }
}
