package dev.iotonboard.iot.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Issue 16 item 2 over the REST-JSON binding: thing types, the thing type and attribute limit of things, static thing
 * groups, policy versions, policies attached to thing groups, the V2 principal listings. The certificate operations
 * (RegisterCertificate, registrationConfig) need TestPki: lambda-testing's RegisterCertificateTest.
 */
class RegistryOperationsTest {
    private static final String ALICE = "eu-west-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    private static final String ALLOW = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Action\":\"iot:Publish\",\"Resource\":\"*\"}]}";
    private static final String DENY = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\","
            + "\"Action\":\"iot:Publish\",\"Resource\":\"*\"}]}";

    /** A clock tests move. */
    private static final class MovingClock extends Clock {
        private Instant now = Instant.parse("2026-11-01T00:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final MovingClock clock = new MovingClock();
    private final ApiCalls calls = new ApiCalls(clock);
    private final Registry registry = calls.registry;

    // ---- thing types ----

    @Test
    void thingType_createdDescribedListed_andThingsCarryIt() {
        assertEquals(200, send("POST", "/thing-types/sensor", "{\"thingTypeProperties\":{\"thingTypeDescription\":"
                + "\"a sensor\",\"searchableAttributes\":[\"site\",\"model\"]}}").status());
        ApiCalls.Answer again = send("POST", "/thing-types/sensor", "{\"thingTypeProperties\":{"
                + "\"thingTypeDescription\":\"a sensor\",\"searchableAttributes\":[\"site\",\"model\"]}}");
        assertEquals(200, again.status(), "the same properties again: the existing type");
        assertEquals("ResourceAlreadyExistsException", send("POST", "/thing-types/sensor", "{}").errorType());

        JsonNode type = send("GET", "/thing-types/sensor", null).body();
        assertEquals("arn:aws:iot:eu-west-1:123456789012:thingtype/sensor", type.path("thingTypeArn").asText());
        assertEquals("a sensor", type.path("thingTypeProperties").path("thingTypeDescription").asText());
        assertEquals("[\"site\",\"model\"]", type.path("thingTypeProperties").path("searchableAttributes").toString());
        assertFalse(type.path("thingTypeMetadata").path("deprecated").asBoolean(true));
        assertEquals(List.of("sensor"), names(send("GET", "/thing-types", null).body().path("thingTypes"),
                "thingTypeName"));
        assertEquals("ResourceNotFoundException", send("GET", "/thing-types/nope", null).errorType());
        assertEquals("InvalidRequestException", send("POST", "/thing-types/four", "{\"thingTypeProperties\":{"
                + "\"searchableAttributes\":[\"a\",\"b\",\"c\",\"d\"]}}").errorType(), "at most 3 searchable");
        assertEquals("InvalidRequestException", send("POST", "/thing-types/tagged", "{\"tags\":[{\"Key\":\"k\","
                + "\"Value\":\"v\"}]}").errorType(), "tags are refused, not dropped");

        send("POST", "/things/t1", "{\"thingTypeName\":\"sensor\"}");
        send("POST", "/things/t2", "{}");
        assertEquals("sensor", send("GET", "/things/t1", null).body().path("thingTypeName").asText());
        assertEquals(List.of("t1"), names(send("GET", "/things?thingTypeName=sensor", null).body().path("things"),
                "thingName"));
        assertEquals("ResourceNotFoundException", send("POST", "/things/t3", "{\"thingTypeName\":\"nope\"}")
                .errorType());
    }

    @Test
    void deprecatedThingType_takesNoNewThings_untilUndeprecated() {
        send("POST", "/thing-types/sensor", "{}");
        send("POST", "/things/old", "{\"thingTypeName\":\"sensor\"}");
        assertEquals(200, send("POST", "/thing-types/sensor/deprecate", "{}").status());
        assertTrue(send("GET", "/thing-types/sensor", null).body().path("thingTypeMetadata").path("deprecated")
                .asBoolean());

        ApiCalls.Answer create = send("POST", "/things/new", "{\"thingTypeName\":\"sensor\"}");
        assertEquals(400, create.status());
        assertEquals("InvalidRequestException", create.errorType());
        send("POST", "/things/plain", "{}");
        assertEquals("InvalidRequestException", send("PATCH", "/things/plain", "{\"thingTypeName\":\"sensor\"}")
                .errorType());
        assertEquals(200, send("PATCH", "/things/old", "{\"attributePayload\":{\"attributes\":{\"a\":\"1\"}}}")
                .status(), "a thing of the type already keeps it");

        send("POST", "/thing-types/sensor/deprecate", "{\"undoDeprecate\":true}");
        assertEquals(200, send("POST", "/things/new", "{\"thingTypeName\":\"sensor\"}").status());
    }

    @Test
    void deleteThingType_onlyDeprecatedFiveMinutes_andUnused() {
        send("POST", "/thing-types/sensor", "{}");
        send("POST", "/things/t1", "{\"thingTypeName\":\"sensor\"}");
        assertEquals("InvalidRequestException", send("DELETE", "/thing-types/sensor", null).errorType(),
                "not deprecated");
        send("POST", "/thing-types/sensor/deprecate", "{}");
        clock.now = clock.now.plus(Duration.ofMinutes(4));
        assertEquals("InvalidRequestException", send("DELETE", "/thing-types/sensor", null).errorType(),
                "deprecated less than five minutes ago");
        send("POST", "/thing-types/sensor/deprecate", "{}");
        clock.now = clock.now.plus(Duration.ofMinutes(1));
        assertEquals("InvalidRequestException", send("DELETE", "/thing-types/sensor", null).errorType(),
                "a thing still has it");
        send("PATCH", "/things/t1", "{\"removeThingType\":true}");
        assertEquals(200, send("DELETE", "/thing-types/sensor", null).status(), "deprecating again kept the date");
        assertEquals("ResourceNotFoundException", send("GET", "/thing-types/sensor", null).errorType());
        assertEquals("ResourceNotFoundException", send("DELETE", "/thing-types/sensor", null).errorType());
    }

    @Test
    void attributes_threeWithoutAType_fiftyWithOne() {
        send("POST", "/thing-types/sensor", "{}");
        assertEquals(200, send("POST", "/things/three", attributes(3, null)).status());
        assertEquals("InvalidRequestException", send("POST", "/things/four", attributes(4, null)).errorType());
        assertEquals(200, send("POST", "/things/fifty", attributes(50, "sensor")).status());
        assertEquals("InvalidRequestException", send("POST", "/things/fifty-one", attributes(51, "sensor"))
                .errorType());
        assertEquals("InvalidRequestException", send("PATCH", "/things/fifty", "{\"removeThingType\":true}")
                .errorType(), "without its type it would hold 50 attributes");
        assertEquals(200, send("PATCH", "/things/three", "{\"thingTypeName\":\"sensor\",\"attributePayload\":"
                + "{\"attributes\":{\"d\":\"4\",\"e\":\"5\"},\"merge\":true}}").status());
        assertEquals(5, registry.things().get("three").attributes().size());
        assertEquals("InvalidRequestException", send("PATCH", "/things/three", "{\"thingTypeName\":\"sensor\","
                + "\"removeThingType\":true}").errorType());
    }

    // ---- thing groups ----

    @Test
    void thingGroup_createdDescribedUpdatedListed() {
        ApiCalls.Answer created = send("POST", "/thing-groups/plant-a", "{\"thingGroupProperties\":{"
                + "\"thingGroupDescription\":\"Plant A\",\"attributePayload\":{\"attributes\":{\"site\":\"a\"}}}}");
        assertEquals("arn:aws:iot:eu-west-1:123456789012:thinggroup/plant-a", created.body().path("thingGroupArn")
                .asText());
        send("POST", "/thing-groups/plant-b", "{}");
        assertEquals("ResourceAlreadyExistsException", send("POST", "/thing-groups/plant-a", "{}").errorType());
        assertEquals("InvalidRequestException", send("POST", "/thing-groups/child", "{\"parentGroupName\":"
                + "\"plant-a\"}").errorType(), "hierarchies are refused, not dropped");
        assertEquals("InvalidRequestException", send("POST", "/thing-groups/tagged", "{\"tags\":[{\"Key\":\"k\"}]}")
                .errorType());

        JsonNode group = send("GET", "/thing-groups/plant-a", null).body();
        assertEquals(1, group.path("version").asLong());
        assertEquals("Plant A", group.path("thingGroupProperties").path("thingGroupDescription").asText());
        assertEquals("a", group.path("thingGroupProperties").path("attributePayload").path("attributes")
                .path("site").asText());

        assertEquals(2, send("PATCH", "/thing-groups/plant-a", "{\"thingGroupProperties\":{\"attributePayload\":"
                + "{\"attributes\":{\"line\":\"3\"},\"merge\":true}},\"expectedVersion\":1}").body().path("version")
                .asLong());
        assertEquals("VersionConflictException", send("PATCH", "/thing-groups/plant-a", "{\"thingGroupProperties\":"
                + "{},\"expectedVersion\":1}").errorType());
        assertEquals(2, registry.thingGroups().get("plant-a").attributes().size());
        assertEquals(List.of("plant-a", "plant-b"), names(send("GET", "/thing-groups", null).body()
                .path("thingGroups"), "groupName"));
        assertEquals(List.of("plant-b"), names(send("GET", "/thing-groups?namePrefixFilter=plant-b", null).body()
                .path("thingGroups"), "groupName"));
        assertEquals("ResourceNotFoundException", send("GET", "/thing-groups/nope", null).errorType());

        assertEquals("VersionConflictException", send("DELETE", "/thing-groups/plant-b?expectedVersion=9", null)
                .errorType());
        assertEquals(200, send("DELETE", "/thing-groups/plant-b", null).status());
        assertEquals("ResourceNotFoundException", send("GET", "/thing-groups/plant-b", null).errorType());
    }

    @Test
    void thingsInGroups_byNameOrArn_atMostTen_andDeleteThingLeavesItsGroups() {
        send("POST", "/things/t1", "{}");
        send("POST", "/things/t2", "{}");
        for (int i = 1; i <= 11; i++) {
            send("POST", "/thing-groups/g" + i, "{}");
        }
        assertEquals(200, send("PUT", "/thing-groups/addThingToThingGroup", "{\"thingGroupName\":\"g1\","
                + "\"thingName\":\"t1\"}").status());
        assertEquals(200, send("PUT", "/thing-groups/addThingToThingGroup", "{\"thingGroupArn\":\""
                + registry.thingGroupArn("g1") + "\",\"thingArn\":\"" + registry.thingArn("t2") + "\"}").status());
        assertEquals(List.of("t1", "t2"), texts(send("GET", "/thing-groups/g1/things", null).body().path("things")));
        assertEquals(List.of("g1"), names(send("GET", "/things/t1/thing-groups", null).body().path("thingGroups"),
                "groupName"));
        assertEquals("ResourceNotFoundException", send("PUT", "/thing-groups/addThingToThingGroup",
                "{\"thingGroupName\":\"nope\",\"thingName\":\"t1\"}").errorType());
        assertEquals("ResourceNotFoundException", send("PUT", "/thing-groups/addThingToThingGroup",
                "{\"thingGroupName\":\"g1\",\"thingName\":\"nope\"}").errorType());
        assertEquals("InvalidRequestException", send("PUT", "/thing-groups/addThingToThingGroup",
                "{\"thingName\":\"t1\"}").errorType(), "no group named");

        for (int i = 2; i <= 10; i++) {
            send("PUT", "/thing-groups/addThingToThingGroup", "{\"thingGroupName\":\"g" + i + "\",\"thingName\":"
                    + "\"t1\"}");
        }
        ApiCalls.Answer eleventh = send("PUT", "/thing-groups/addThingToThingGroup", "{\"thingGroupName\":\"g11\","
                + "\"thingName\":\"t1\"}");
        assertEquals("InvalidRequestException", eleventh.errorType(), eleventh.message());
        assertEquals(10, registry.thingGroups().groupsFor("t1").size());

        assertEquals(200, send("PUT", "/thing-groups/removeThingFromThingGroup", "{\"thingGroupName\":\"g1\","
                + "\"thingArn\":\"" + registry.thingArn("t2") + "\"}").status());
        assertEquals(List.of("t1"), registry.thingGroups().thingsIn("g1"));
        send("DELETE", "/things/t1", null);
        assertEquals(List.of(), registry.thingGroups().thingsIn("g1"), "DeleteThing removes the thing from its groups");
    }

    // ---- policies ----

    @Test
    void policyVersions_atMostFive_theDefaultIsWhatGetPolicyAnswers() {
        ApiCalls.Answer created = send("POST", "/policies/app", "{\"policyDocument\":" + quote(ALLOW) + "}");
        assertEquals("1", created.body().path("policyVersionId").asText());
        assertEquals("ResourceAlreadyExistsException", send("POST", "/policies/app", "{\"policyDocument\":"
                + quote(ALLOW) + "}").errorType());
        assertEquals("MalformedPolicyException", send("POST", "/policies/bad", "{\"policyDocument\":\"not json\"}")
                .errorType());

        ApiCalls.Answer v2 = send("POST", "/policies/app/version", "{\"policyDocument\":" + quote(DENY) + "}");
        assertEquals("2", v2.body().path("policyVersionId").asText());
        assertFalse(v2.body().path("isDefaultVersion").asBoolean());
        assertEquals(ALLOW, send("GET", "/policies/app", null).body().path("policyDocument").asText());
        send("POST", "/policies/app/version?setAsDefault=true", "{\"policyDocument\":" + quote(DENY) + "}");
        JsonNode policy = send("GET", "/policies/app", null).body();
        assertEquals("3", policy.path("defaultVersionId").asText());
        assertEquals(DENY, policy.path("policyDocument").asText());
        assertEquals(DENY, registry.policies().get("app").document(), "the data plane evaluates the default");

        send("POST", "/policies/app/version", "{\"policyDocument\":" + quote(ALLOW) + "}");
        send("POST", "/policies/app/version", "{\"policyDocument\":" + quote(ALLOW) + "}");
        ApiCalls.Answer sixth = send("POST", "/policies/app/version", "{\"policyDocument\":" + quote(ALLOW) + "}");
        assertEquals(409, sixth.status());
        assertEquals("VersionsLimitExceededException", sixth.errorType());

        JsonNode versions = send("GET", "/policies/app/version", null).body().path("policyVersions");
        assertEquals(List.of("1", "2", "3", "4", "5"), names(versions, "versionId"));
        assertTrue(versions.get(2).path("isDefaultVersion").asBoolean());
        assertEquals(DENY, send("GET", "/policies/app/version/2", null).body().path("policyDocument").asText());
        assertEquals("ResourceNotFoundException", send("GET", "/policies/app/version/9", null).errorType());

        ApiCalls.Answer deleteDefault = send("DELETE", "/policies/app/version/3", null);
        assertEquals(409, deleteDefault.status());
        assertEquals("DeleteConflictException", deleteDefault.errorType());
        assertEquals(200, send("PATCH", "/policies/app/version/1", null).status());
        assertEquals(ALLOW, registry.policies().get("app").document());
        assertEquals(200, send("DELETE", "/policies/app/version/3", null).status());
        ApiCalls.Answer again = send("POST", "/policies/app/version", "{\"policyDocument\":" + quote(ALLOW) + "}");
        assertEquals("6", again.body().path("policyVersionId").asText(), "version ids are not reused");
    }

    @Test
    void deletePolicy_refusedWhileAttachedOrWithOtherVersions() {
        send("POST", "/policies/app", "{\"policyDocument\":" + quote(ALLOW) + "}");
        send("POST", "/thing-groups/fleet", "{}");
        send("PUT", "/target-policies/app", "{\"target\":\"" + registry.thingGroupArn("fleet") + "\"}");
        ApiCalls.Answer attached = send("DELETE", "/policies/app", null);
        assertEquals(409, attached.status());
        assertEquals("DeleteConflictException", attached.errorType());
        assertTrue(attached.message().contains("attached to one or more principals"), attached.message());

        send("POST", "/target-policies/app", "{\"target\":\"" + registry.thingGroupArn("fleet") + "\"}");
        send("POST", "/policies/app/version", "{\"policyDocument\":" + quote(DENY) + "}");
        assertEquals("DeleteConflictException", send("DELETE", "/policies/app", null).errorType(),
                "a non-default version");
        send("DELETE", "/policies/app/version/2", null);
        assertEquals(200, send("DELETE", "/policies/app", null).status());
        assertEquals("ResourceNotFoundException", send("GET", "/policies/app", null).errorType());
        assertEquals("ResourceNotFoundException", send("DELETE", "/policies/app", null).errorType());
    }

    @Test
    void policyAttachedToAGroup_isListed_andAppliesToItsThingsPrincipals() {
        send("POST", "/policies/group-policy", "{\"policyDocument\":" + quote(ALLOW) + "}");
        send("POST", "/policies/own", "{\"policyDocument\":" + quote(ALLOW) + "}");
        send("POST", "/thing-groups/fleet", "{}");
        send("POST", "/things/t1", "{}");
        sendAs("PUT", "/things/t1/principals", ALICE);
        String group = registry.thingGroupArn("fleet");
        assertEquals("ResourceNotFoundException", send("PUT", "/target-policies/group-policy", "{\"target\":\""
                + registry.thingGroupArn("nope") + "\"}").errorType());
        assertEquals(200, send("PUT", "/target-policies/group-policy", "{\"target\":\"" + group + "\"}").status());
        send("PUT", "/target-policies/own", "{\"target\":\"" + ALICE + "\"}");

        String encoded = group.replace(":", "%3A").replace("/", "%2F");
        assertEquals(List.of("group-policy"), names(send("POST", "/attached-policies/" + encoded, null).body()
                .path("policies"), "policyName"));
        assertEquals(List.of(group), texts(send("POST", "/policy-targets/group-policy", null).body()
                .path("targets")));

        assertEquals(List.of("own"), effective(ALICE, null), "t1 is in no group yet");
        send("PUT", "/thing-groups/addThingToThingGroup", "{\"thingGroupName\":\"fleet\",\"thingName\":\"t1\"}");
        assertEquals(List.of("own", "group-policy"), effective(ALICE, null));
        assertEquals(List.of("own", "group-policy"), effective(ALICE, "t1"));
        send("POST", "/things/t2", "{}");
        assertEquals(List.of("own"), effective(ALICE, "t2"), "the connection's thing is not in the group");

        send("DELETE", "/thing-groups/fleet", null);
        assertEquals(List.of(), registry.policies().targets("group-policy"), "a deleted group's policies are"
                + " detached");
    }

    // ---- V2 listings ----

    @Test
    void listingsV2_giveTheThingPrincipalType() {
        send("POST", "/things/t1", "{}");
        send("POST", "/things/t2", "{}");
        sendAs("PUT", "/things/t1/principals?thingPrincipalType=EXCLUSIVE_THING", ALICE);
        String bob = "eu-west-1:1f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        sendAs("PUT", "/things/t1/principals", bob);
        sendAs("PUT", "/things/t2/principals", bob);

        JsonNode principals = send("GET", "/things/t1/principals-v2", null).body().path("thingPrincipalObjects");
        assertEquals(List.of(ALICE, bob), names(principals, "principal"));
        assertEquals(List.of("EXCLUSIVE_THING", "NON_EXCLUSIVE_THING"), names(principals, "thingPrincipalType"));
        assertEquals(List.of(bob), names(send("GET", "/things/t1/principals-v2?thingPrincipalType="
                + "NON_EXCLUSIVE_THING", null).body().path("thingPrincipalObjects"), "principal"));
        JsonNode things = sendAs("GET", "/principals/things-v2", bob).body().path("principalThingObjects");
        assertEquals(List.of("t1", "t2"), names(things, "thingName"));
        assertEquals("NON_EXCLUSIVE_THING", things.get(0).path("thingPrincipalType").asText());
        assertEquals("ResourceNotFoundException", send("GET", "/things/nope/principals-v2", null).errorType());
        assertEquals("InvalidRequestException", send("GET", "/things/t1/principals-v2?thingPrincipalType=BOGUS",
                null).errorType());
    }

    // ---- helpers ----

    private List<String> effective(String certificateArn, String thingName) {
        return registry.policies().effective(certificateArn, thingName).stream().map(Registry.Policy::name).toList();
    }

    private ApiCalls.Answer send(String method, String pathAndQuery, String body) {
        return calls.send(method, pathAndQuery, null, body);
    }

    private ApiCalls.Answer sendAs(String method, String pathAndQuery, String principal) {
        return calls.send(method, pathAndQuery, principal, null);
    }

    private static String attributes(int count, String type) {
        String attributes = IntStream.rangeClosed(1, count).mapToObj(i -> "\"a" + i + "\":\"v\"")
                .collect(Collectors.joining(","));
        return "{" + (type == null ? "" : "\"thingTypeName\":\"" + type + "\",") + "\"attributePayload\":{"
                + "\"attributes\":{" + attributes + "}}}";
    }

    private static String quote(String json) {
        return RestJson.JSON.valueToTree(json).toString();
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<String> names(JsonNode array, String field) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.path(field).asText()));
        return out;
    }
}
