package dev.iotonboard.local.iot.policy;

import static dev.iotonboard.local.iot.policy.PolicyEvaluator.Decision.ALLOW;
import static dev.iotonboard.local.iot.policy.PolicyEvaluator.Decision.EXPLICIT_DENY;
import static dev.iotonboard.local.iot.policy.PolicyEvaluator.Decision.IMPLICIT_DENY;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyEvaluatorTest {
    private static final String ARN = "arn:aws:iot:us-east-1:000000000000:";
    private static final String THING = "3f2b8c1e-5d4a-4b6f-9e8d-7c6b5a4f3e2d";

    private static final String JITR = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iot:Publish"],
             "Resource":["arn:aws:iot:us-east-1:000000000000:topic/jitr/start",
                         "arn:aws:iot:us-east-1:000000000000:topic/jitr/request"]}]}""";
    private static final String APP = """
            {"Version":"2012-10-17","Statement":[
             {"Effect":"Allow","Action":["iot:Connect"],
              "Resource":["arn:aws:iot:us-east-1:000000000000:client/${iot:Connection.Thing.ThingName}"],
              "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"true"}}},
             {"Effect":"Allow","Action":"iot:Publish",
              "Resource":"arn:aws:iot:us-east-1:000000000000:topic/things/${iot:Connection.Thing.ThingName}/*"}]}""";

    private static Map<String, String> mqtt(String clientId, boolean attached) {
        return Map.of("iot:ClientId", clientId, "iot:Connection.Thing.ThingName", clientId,
                "iot:Connection.Thing.IsAttached", Boolean.toString(attached));
    }

    @Test
    void evaluate_allowsListedTopicsOnly() {
        assertEquals(ALLOW, PolicyEvaluator.evaluate(List.of(JITR), "iot:Publish", ARN + "topic/jitr/start", Map.of()));
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of(JITR), "iot:Publish", ARN + "topic/jitr/other",
                Map.of()));
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of(JITR), "iot:Subscribe",
                ARN + "topic/jitr/start", Map.of()));
    }

    @Test
    void evaluate_actionsMatchCaseInsensitivelyWithWildcards() {
        String policy = """
                {"Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}""";
        assertEquals(ALLOW, PolicyEvaluator.evaluate(List.of(policy), "IOT:publish", ARN + "topic/a", Map.of()));
        String question = """
                {"Statement":[{"Effect":"Allow","Action":"iot:Publis?","Resource":"arn:aws:iot:*:*:topic/a?c"}]}""";
        assertEquals(ALLOW, PolicyEvaluator.evaluate(List.of(question), "iot:Publish", ARN + "topic/abc", Map.of()));
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of(question), "iot:Publish", ARN + "topic/abbc",
                Map.of()));
    }

    @Test
    void evaluate_explicitDenyWinsOverAllow() {
        String deny = """
                {"Statement":[{"Effect":"Deny","Action":"iot:Publish","Resource":"arn:aws:iot:*:*:topic/jitr/*"}]}""";
        assertEquals(EXPLICIT_DENY, PolicyEvaluator.evaluate(List.of(JITR, deny), "iot:Publish",
                ARN + "topic/jitr/start", Map.of()));
    }

    @Test
    void evaluate_thingVariablesResolvePerConnection() {
        assertEquals(ALLOW, PolicyEvaluator.evaluate(List.of(APP), "iot:Publish",
                ARN + "topic/things/" + THING + "/confirmation", mqtt(THING, true)));
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of(APP), "iot:Publish",
                ARN + "topic/things/other/confirmation", mqtt(THING, true)));
    }

    @Test
    void evaluate_unresolvableVariableNeverMatches() {
        // HTTPS publish has no client id: the thing variables stay unresolved, even for the literal text
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of(APP), "iot:Publish",
                ARN + "topic/things/${iot:Connection.Thing.ThingName}/x", Map.of()));
        String deny = """
                {"Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"},
                 {"Effect":"Deny","Action":"iot:Publish","Resource":"arn:aws:iot:*:*:topic/${iot:ClientId}"}]}""";
        assertEquals(ALLOW, PolicyEvaluator.evaluate(List.of(deny), "iot:Publish", ARN + "topic/x", Map.of()));
    }

    @Test
    void evaluate_isAttachedConditionMustHold() {
        assertEquals(ALLOW, PolicyEvaluator.evaluate(List.of(APP), "iot:Connect", ARN + "client/" + THING,
                mqtt(THING, true)));
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of(APP), "iot:Connect", ARN + "client/" + THING,
                mqtt(THING, false)));
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of(APP), "iot:Connect", ARN + "client/" + THING,
                Map.of("iot:Connection.Thing.ThingName", THING)));
    }

    @Test
    void evaluate_mqttWildcardsAreLiteral() {
        String plus = """
                {"Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:*:*:topic/a/+/c"}]}""";
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of(plus), "iot:Publish", ARN + "topic/a/b/c",
                Map.of()));
        assertEquals(ALLOW, PolicyEvaluator.evaluate(List.of(plus), "iot:Publish", ARN + "topic/a/+/c", Map.of()));
        String hash = """
                {"Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:*:*:topic/a/#"}]}""";
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of(hash), "iot:Publish", ARN + "topic/a/b",
                Map.of()));
    }

    @Test
    void evaluate_substitutedValuesAreLiteral() {
        String policy = """
                {"Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:*:*:topic/${iot:ClientId}"}]}""";
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of(policy), "iot:Publish", ARN + "topic/abc",
                Map.of("iot:ClientId", "a*")));
        assertEquals(ALLOW, PolicyEvaluator.evaluate(List.of(policy), "iot:Publish", ARN + "topic/a*",
                Map.of("iot:ClientId", "a*")));
    }

    @Test
    void evaluate_noPolicyOrBadJsonIsImplicitDeny() {
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of(), "iot:Publish", ARN + "topic/a", Map.of()));
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of("not json"), "iot:Publish", ARN + "topic/a",
                Map.of()));
    }
}
