package dev.iotonboard.local.iot.policy;

import static dev.iotonboard.local.iot.policy.PolicyEvaluator.Decision.ALLOW;
import static dev.iotonboard.local.iot.policy.PolicyEvaluator.Decision.EXPLICIT_DENY;
import static dev.iotonboard.local.iot.policy.PolicyEvaluator.Decision.IMPLICIT_DENY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void evaluate_specialVariablesStandForTheCharacterItself() {
        String policy = """
                {"Statement":[{"Effect":"Allow","Action":"iot:Publish",
                 "Resource":"arn:aws:iot:*:*:topic/a${*}b${?}c${$}"}]}""";
        assertEquals(ALLOW, PolicyEvaluator.evaluate(List.of(policy), "iot:Publish", ARN + "topic/a*b?c$", Map.of()));
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of(policy), "iot:Publish", ARN + "topic/axbyc$",
                Map.of()));
    }

    @Test
    void evaluate_noPolicyOrBadJsonIsImplicitDeny() {
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of(), "iot:Publish", ARN + "topic/a", Map.of()));
        assertEquals(IMPLICIT_DENY, PolicyEvaluator.evaluate(List.of("not json"), "iot:Publish", ARN + "topic/a",
                Map.of()));
    }

    /** A policy allowing iot:Connect on anything when {@code condition} (a Condition's JSON) holds. */
    private static String allowIf(String condition) {
        return "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:Connect\",\"Resource\":\"*\","
                + "\"Condition\":" + condition + "}}";
    }

    private static PolicyEvaluator.Decision connect(String policy, Map<String, String> context) {
        return PolicyEvaluator.evaluate(List.of(policy), "iot:Connect", ARN + "client/c", context);
    }

    @Test
    void arnLike_matchesEachOfTheSixPartsOnItsOwn() {
        String rule = "arn:aws:iot:us-east-1:000000000000:rule/Rule";
        assertTrue(Conditions.arnLike("arn:aws:iot:*:000000000000:rule/*", rule));
        assertTrue(Conditions.arnLike("arn:*:iot:us-east-?:*:*", rule));
        assertTrue(Conditions.arnLike("arn:aws:lambda:*:*:function:f*",
                "arn:aws:lambda:eu-west-1:1:function:f:live"),
                "the resource part keeps its colons, and a wildcard in it covers them");
        assertFalse(Conditions.arnLike("arn:aws:iot:*:rule/Rule", rule), "a wildcard does not span parts");
        assertFalse(Conditions.arnLike("arn:aws:*", rule), "all six parts must be there");
        assertFalse(Conditions.arnLike("*", rule));
        assertFalse(Conditions.arnLike("arn:aws:iot:*:000000000000:rule/*", "rule/Rule"), "not an ARN");
    }

    @Test
    void arnEquals_isArnLike_andTheNegatedFormsDenyAnArnOutside() {
        Map<String, String> from = Map.of("aws:SourceArn", "arn:aws:iot:us-east-1:000000000000:rule/Rule");
        assertEquals(ALLOW, connect(allowIf("{\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:iot:*:*:rule/*\"}}"), from));
        assertEquals(IMPLICIT_DENY, connect(allowIf("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:iot:*:rule/Rule\"}}"),
                from));
        String onlyFromRules = "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iot:*\",\"Resource\":\"*\"},"
                + "{\"Effect\":\"Deny\",\"Action\":\"iot:*\",\"Resource\":\"*\",\"Condition\":"
                + "{\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:iot:*:*:rule/*\"}}}]}";
        assertEquals(ALLOW, connect(onlyFromRules, from));
        assertEquals(EXPLICIT_DENY, connect(onlyFromRules, Map.of("aws:SourceArn",
                "arn:aws:iot:us-east-1:000000000000:thing/t")));
        assertEquals(EXPLICIT_DENY, connect(onlyFromRules, Map.of()), "a negated operator holds on a missing key");
    }

    @Test
    void missingKeys_failTheConditionButForIfExistsNegationsForAllValuesAndNull() {
        assertEquals(IMPLICIT_DENY, connect(allowIf("{\"StringEquals\":{\"iot:ClientId\":\"c\"}}"), Map.of()));
        assertEquals(IMPLICIT_DENY, connect(allowIf("{\"ForAnyValue:StringEquals\":{\"iot:ClientId\":\"c\"}}"),
                Map.of()));
        assertEquals(ALLOW, connect(allowIf("{\"StringEqualsIfExists\":{\"iot:ClientId\":\"c\"}}"), Map.of()));
        assertEquals(ALLOW, connect(allowIf("{\"StringNotEquals\":{\"iot:ClientId\":\"c\"}}"), Map.of()));
        assertEquals(ALLOW, connect(allowIf("{\"ForAllValues:StringEquals\":{\"iot:ClientId\":\"c\"}}"),
                Map.of()));
        assertEquals(ALLOW, connect(allowIf("{\"Null\":{\"iot:ClientId\":\"true\"}}"), Map.of()));
        assertEquals(IMPLICIT_DENY, connect(allowIf("{\"Null\":{\"iot:ClientId\":\"true\"}}"),
                Map.of("iot:ClientId", "c")));
        assertEquals(ALLOW, connect(allowIf("{\"Null\":{\"iot:ClientId\":false}}"), Map.of("iot:ClientId", "c")));
    }

    @Test
    void stringNumericDateAndIpOperators_compareAsIamDoes() {
        Map<String, String> context = Map.of("iot:ClientId", "Sensor-1", "n", "10", "t", "2026-12-01T06:00:00Z",
                "aws:SourceIp", "203.0.113.7");
        assertEquals(ALLOW, connect(allowIf("{\"StringEqualsIgnoreCase\":{\"iot:ClientId\":\"sensor-1\"}}"),
                context));
        assertEquals(IMPLICIT_DENY, connect(allowIf("{\"StringEquals\":{\"iot:ClientId\":\"sensor-1\"}}"),
                context));
        assertEquals(IMPLICIT_DENY, connect(allowIf("{\"StringNotEqualsIgnoreCase\":{\"iot:ClientId\":\"SENSOR-1\"}}"),
                context));
        assertEquals(ALLOW, connect(allowIf("{\"NumericLessThan\":{\"n\":11}}"), context));
        assertEquals(IMPLICIT_DENY, connect(allowIf("{\"NumericLessThan\":{\"n\":\"10\"}}"), context));
        assertEquals(ALLOW, connect(allowIf("{\"NumericGreaterThanEquals\":{\"n\":\"10.0\"}}"), context));
        assertEquals(ALLOW, connect(allowIf("{\"NumericNotEquals\":{\"n\":[\"9\",\"11\"]}}"), context));
        assertEquals(IMPLICIT_DENY, connect(allowIf("{\"NumericEquals\":{\"n\":\"ten\"}}"), context));
        assertEquals(ALLOW, connect(allowIf("{\"DateLessThan\":{\"t\":\"2026-12-02\"}}"), context));
        assertEquals(ALLOW, connect(allowIf("{\"DateGreaterThan\":{\"t\":\"1796104799\"}}"), context),
                "epoch seconds: 2026-12-01T05:59:59Z");
        assertEquals(IMPLICIT_DENY, connect(allowIf("{\"DateGreaterThan\":{\"t\":\"2026-12-01T07:00:00+01:00\"}}"),
                context), "the same instant is not later");
        assertEquals(ALLOW, connect(allowIf("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}"), context));
        assertEquals(IMPLICIT_DENY, connect(allowIf("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.112.0/24\"}}"),
                context));
        assertEquals(ALLOW, connect(allowIf("{\"NotIpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"::1\"]}}"),
                context));
        assertEquals(IMPLICIT_DENY, connect(allowIf("{\"IpAddress\":{\"aws:SourceIp\":\"localhost\"}}"),
                Map.of("aws:SourceIp", "127.0.0.1")), "a name is never resolved");
    }
}
