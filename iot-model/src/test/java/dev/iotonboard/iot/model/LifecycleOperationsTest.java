package dev.iotonboard.iot.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Item 8's operations that need no certificate, over the REST-JSON binding: things (UpdateThing, DeleteThing,
 * ListThings), policies (ListPolicies, ListTargetsForPolicy) and topic rules (ListTopicRules, GetTopicRule). The
 * principals here are Amazon Cognito identities. In lambda-testing: the certificate rules (CertificateDeletionTest,
 * they need TestPki) and the asynchronous DetachThingPrincipal (DetachPropagationTest, on the double's clock).
 */
class LifecycleOperationsTest {
    private static final String ALICE = "eu-west-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    private static final String BOB = "eu-west-1:1f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

    private final ApiCalls iot = new ApiCalls();

    @Test
    void aThingWithoutAType_hasAtMostThreeAttributes() {
        assertEquals(400, iot.send("POST", "/things/t4", null,
                "{\"attributePayload\":{\"attributes\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\"}}}").status());
        iot.send("POST", "/things/t3", null,
                "{\"attributePayload\":{\"attributes\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}}");

        ApiCalls.Answer fourth = iot.send("PATCH", "/things/t3", null,
                "{\"attributePayload\":{\"attributes\":{\"d\":\"4\"},\"merge\":true}}");
        assertEquals(400, fourth.status());
        assertEquals("InvalidRequestException", fourth.errorType());
        assertEquals(1, iot.registry.things().get("t3").version(), "a refused update changes nothing");

        assertEquals(200, iot.send("PATCH", "/things/t3", null,
                "{\"attributePayload\":{\"attributes\":{\"a\":\"\",\"d\":\"4\"},\"merge\":true}}").status(),
                "one removed, one added: still three");
        assertEquals(Map.of("b", "2", "c", "3", "d", "4"), iot.registry.things().get("t3").attributes());
    }

    @Test
    void updateThing_mergesOrReplacesAttributes_andCountsVersions() {
        iot.send("POST", "/things/t1", null, "{\"attributePayload\":{\"attributes\":{\"a\":\"1\",\"b\":\"2\"}}}");
        assertEquals(200, iot.send("PATCH", "/things/t1", null,
                "{\"attributePayload\":{\"attributes\":{\"a\":\"\",\"c\":\"3\"},\"merge\":true}}").status());
        JsonNode merged = iot.send("GET", "/things/t1").body();
        assertEquals(Map.of("b", "2", "c", "3"), attributes(merged), "an empty value removes");
        assertEquals(2, merged.path("version").asLong());

        iot.send("PATCH", "/things/t1", null, "{\"attributePayload\":{\"attributes\":{\"d\":\"4\"}},"
                + "\"expectedVersion\":2}");
        JsonNode replaced = iot.send("GET", "/things/t1").body();
        assertEquals(Map.of("d", "4"), attributes(replaced), "without merge: replaced");
        assertEquals(3, replaced.path("version").asLong());

        ApiCalls.Answer stale = iot.send("PATCH", "/things/t1", null, "{\"expectedVersion\":2}");
        assertEquals(409, stale.status());
        assertEquals("VersionConflictException", stale.errorType());
        assertEquals(3, iot.registry.things().get("t1").version(), "a refused update changes nothing");
        assertEquals(404, iot.send("PATCH", "/things/nope", null, "{}").status());
    }

    @Test
    void deleteThing_refusedWhileAttached_versionChecked_andAThingThatDoesNotExistIsDeletedAlready() {
        assertEquals(200, iot.send("DELETE", "/things/never-was").status());
        iot.send("POST", "/things/t1", null, "{}");
        iot.send("PUT", "/things/t1/principals", ALICE, null);

        ApiCalls.Answer attached = iot.send("DELETE", "/things/t1");
        assertEquals(400, attached.status());
        assertEquals("InvalidRequestException", attached.errorType());
        assertEquals("Cannot delete. Thing t1 is still attached to one or more principals", attached.message());
        assertEquals("VersionConflictException", iot.send("DELETE", "/things/t1?expectedVersion=7").errorType());

        iot.send("DELETE", "/things/t1/principals", ALICE, null);
        assertEquals(200, iot.send("DELETE", "/things/t1?expectedVersion=1").status());
        assertEquals(404, iot.send("GET", "/things/t1").status());
        assertEquals(200, iot.send("DELETE", "/things/t1?expectedVersion=1").status(), "gone: success again");
    }

    @Test
    void detachThingPrincipal_withoutDelay_isImmediate() {
        iot.send("POST", "/things/t1", null, "{}");
        iot.send("PUT", "/things/t1/principals", ALICE, null);
        iot.send("DELETE", "/things/t1/principals", ALICE, null);
        assertEquals(List.of(), principals("t1"));
        assertEquals(200, iot.send("DELETE", "/things/t1").status());
    }

    @Test
    void listThings_pagesAndFiltersByAttribute() {
        iot.send("POST", "/things/t1", null, "{\"attributePayload\":{\"attributes\":{\"site\":\"berlin-1\"}}}");
        iot.send("POST", "/things/t2", null, "{\"attributePayload\":{\"attributes\":{\"site\":\"berlin-2\"}}}");
        iot.send("POST", "/things/t3", null, "{}");

        JsonNode first = iot.send("GET", "/things?maxResults=2").body();
        assertEquals(List.of("t1", "t2"), names(first.path("things"), "thingName"));
        assertEquals(List.of("t3"), names(iot.send("GET", "/things?maxResults=2&nextToken="
                + first.path("nextToken").asText()).body().path("things"), "thingName"));
        assertEquals(List.of("t2"), names(iot.send("GET", "/things?attributeName=site&attributeValue=berlin-2")
                .body().path("things"), "thingName"));
        assertEquals(List.of("t1", "t2"), names(iot.send("GET", "/things?attributeName=site&attributeValue=berlin"
                + "&usePrefixAttributeValue=true").body().path("things"), "thingName"));
        assertEquals(List.of(), names(iot.send("GET", "/things?thingTypeName=sensor").body().path("things"),
                "thingName"), "the model has no thing types");
        JsonNode thing = iot.send("GET", "/things?attributeName=site&attributeValue=berlin-1").body()
                .path("things").get(0);
        assertEquals(iot.arn("iot", "thing/t1"), thing.path("thingArn").asText());
        assertEquals(1, thing.path("version").asLong());
        assertEquals("berlin-1", thing.path("attributes").path("site").asText());
    }

    @Test
    void listPoliciesAndTheirTargets() {
        iot.registry.policies().put("jitr", "{}");
        iot.registry.policies().put("app", "{}");
        iot.send("PUT", "/target-policies/app", null, "{\"target\":\"" + ALICE + "\"}");
        iot.send("PUT", "/target-policies/app", null, "{\"target\":\"" + BOB + "\"}");

        JsonNode policies = iot.send("GET", "/policies").body().path("policies");
        assertEquals(List.of("jitr", "app"), names(policies, "policyName"));
        assertEquals(iot.arn("iot", "policy/jitr"), policies.get(0).path("policyArn").asText());
        assertEquals(List.of("app", "jitr"), names(iot.send("GET", "/policies?isAscendingOrder=false").body()
                .path("policies"), "policyName"));
        assertEquals("[\"" + ALICE + "\",\"" + BOB + "\"]", iot.send("POST", "/policy-targets/app").body()
                .path("targets").toString());
        assertEquals("[]", iot.send("POST", "/policy-targets/jitr").body().path("targets").toString());
        ApiCalls.Answer unknown = iot.send("POST", "/policy-targets/nope");
        assertEquals(404, unknown.status());
        assertEquals("ResourceNotFoundException", unknown.errorType());
    }

    @Test
    void topicRules_putFromTheTemplate_answeredInTheServiceModelsShape() {
        iot.registry.topicRules().put("jitr_activation", "{\"Sql\":\"SELECT * FROM "
                + "'$aws/events/certificates/registered/+'\",\"Description\":\"activates\","
                + "\"AwsIotSqlVersion\":\"2016-03-23\",\"RuleDisabled\":false,"
                + "\"Actions\":[{\"Lambda\":{\"FunctionArn\":\"arn:aws:lambda:eu-west-1:123456789012:function:f\"}}],"
                + "\"ErrorAction\":{\"Sqs\":{\"QueueUrl\":\"https://q\",\"RoleArn\":\"arn:aws:iam::1:role/r\"}}}");
        iot.registry.topicRules().put("provision", "{\"Sql\":\"SELECT thingName FROM 'jitr/request'\","
                + "\"RuleDisabled\":true,\"Actions\":[]}");

        ApiCalls.Answer got = iot.send("GET", "/rules/jitr_activation");
        assertEquals(200, got.status());
        assertEquals(iot.arn("iot", "rule/jitr_activation"), got.body().path("ruleArn").asText());
        JsonNode rule = got.body().path("rule");
        assertEquals("SELECT * FROM '$aws/events/certificates/registered/+'", rule.path("sql").asText());
        assertEquals("activates", rule.path("description").asText());
        assertEquals("2016-03-23", rule.path("awsIotSqlVersion").asText());
        assertFalse(rule.path("ruleDisabled").asBoolean());
        assertEquals("arn:aws:lambda:eu-west-1:123456789012:function:f",
                rule.path("actions").get(0).path("lambda").path("functionArn").asText());
        assertEquals("https://q", rule.path("errorAction").path("sqs").path("queueUrl").asText());
        assertEquals(ApiCalls.NOW.getEpochSecond(), rule.path("createdAt").asDouble(), "the clock's, in epoch seconds");
        assertEquals("2015-10-08", iot.send("GET", "/rules/provision").body().path("rule").path("awsIotSqlVersion")
                .asText(), "AWS's default SQL version");

        JsonNode all = iot.send("GET", "/rules").body().path("rules");
        assertEquals(List.of("jitr_activation", "provision"), names(all, "ruleName"));
        assertEquals("jitr/request", all.get(1).path("topicPattern").asText());
        assertTrue(all.get(1).path("ruleDisabled").asBoolean());
        assertEquals(List.of("provision"), names(iot.send("GET", "/rules?topic=jitr%2Frequest").body()
                .path("rules"), "ruleName"));
        assertEquals(List.of("jitr_activation"), names(iot.send("GET", "/rules?ruleDisabled=false").body()
                .path("rules"), "ruleName"));

        ApiCalls.Answer unknown = iot.send("GET", "/rules/nope");
        assertEquals(401, unknown.status());
        assertEquals("UnauthorizedException", unknown.errorType());
        assertEquals("Access to topic rule 'nope' was denied", unknown.message());
    }

    private List<String> principals(String thing) {
        return names(iot.send("GET", "/things/" + thing + "/principals").body().path("principals"), null);
    }

    private List<String> things(String principal) {
        return names(iot.send("GET", "/principals/things", principal, null).body().path("things"), null);
    }

    private static Map<String, String> attributes(JsonNode thing) {
        Map<String, String> attributes = new HashMap<>();
        thing.path("attributes").fields().forEachRemaining(e -> attributes.put(e.getKey(), e.getValue().asText()));
        return attributes;
    }

    /** The texts of a JSON array, or a field of each of its objects. */
    private static List<String> names(JsonNode array, String field) {
        List<String> names = new ArrayList<>();
        array.forEach(n -> names.add(field == null ? n.asText() : n.path(field).asText()));
        return names;
    }
}
