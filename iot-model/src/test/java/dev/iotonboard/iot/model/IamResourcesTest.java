package dev.iotonboard.iot.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The IAM resource of each operation, built from requests as the control plane parses them. */
class IamResourcesTest {
    private static final String CERT_ID = "5e1f".repeat(16);
    private static final String CA_ID = "ca0e".repeat(16);

    private final ApiCalls iot = new ApiCalls();

    private String resource(String method, String path, String principal, String body) {
        int q = path.indexOf('?');
        IotApi.Call call = iot.api.resolve(method, q < 0 ? path : path.substring(0, q),
                q < 0 ? null : path.substring(q + 1),
                name -> name.equalsIgnoreCase("x-amzn-principal") ? principal : null,
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8));
        return IamResources.resource(call, ApiCalls.REGION, ApiCalls.ACCOUNT);
    }

    @Test
    void everyOperationTheModelServes_hasAnEntry() {
        assertEquals(new TreeSet<>(IotApi.operationNames()), new TreeSet<>(IamResources.operations().stream()
                .filter(IotApi.operationNames()::contains).toList()), "look the new operation up in the Service "
                + "Authorization Reference and add it to IamResources");
    }

    @Test
    void resourceTypes_areTheReferences() {
        assertEquals(List.of("cert", "thinggroup"), IamResources.of("AttachPolicy").orElseThrow().types());
        assertEquals("cert", IamResources.of("ListPrincipalThings").orElseThrow().type());
        assertEquals("thing", IamResources.of("ListThingPrincipals").orElseThrow().type());
        assertEquals("cacert", IamResources.of("DescribeCACertificate").orElseThrow().type());
        for (String untyped : Set.of("ListCertificatesByCA", "ListAttachedPolicies", "RegisterCertificate",
                "DescribeEndpoint", "ListTopicRules")) {
            assertNull(IamResources.of(untyped).orElseThrow().type(), untyped);
        }
        assertEquals(java.util.Optional.empty(), IamResources.of(null));
    }

    @Test
    void resourceByIdOrName_isTheArnOfThatType() {
        assertEquals(iot.arn("iot", "cert/" + CERT_ID), resource("PUT", "/certificates/" + CERT_ID
                + "?newStatus=ACTIVE", null, null));
        assertEquals(iot.arn("iot", "cacert/" + CA_ID), resource("GET", "/cacertificate/" + CA_ID, null, null));
        assertEquals(iot.arn("iot", "thing/my-thing"), resource("POST", "/things/my-thing", null, "{}"));
        assertEquals(iot.arn("iot", "thing/my-thing"), resource("GET", "/things/my-thing/principals", null, null));
        assertEquals(iot.arn("iot", "policy/app.policy"), resource("GET", "/policies/app.policy", null, null));
        assertEquals(iot.arn("iot", "rule/my_rule"), resource("GET", "/rules/my_rule", null, null));
    }

    @Test
    void resourceByArn_isThatArnWhenOfTheActionsTypes_elseStar() {
        String cert = iot.arn("iot", "cert/" + CERT_ID);
        assertEquals(cert, resource("PUT", "/target-policies/p", null, "{\"target\":\"" + cert + "\"}"));
        String group = iot.arn("iot", "thinggroup/g");
        assertEquals(group, resource("POST", "/target-policies/p", null, "{\"target\":\"" + group + "\"}"));
        assertEquals(cert, resource("PUT", "/things/t/principals", cert, null));
        assertEquals(cert, resource("GET", "/principals/things", cert, null));

        assertEquals("*", resource("PUT", "/target-policies/p", null, "{\"target\":\"garbage\"}"));
        assertEquals("*", resource("PUT", "/things/t/principals", "eu-west-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                null), "a Cognito identity is no resource of the cert type");
        assertEquals("*", resource("PUT", "/things/t/principals", group, null), "thinggroup is not "
                + "AttachThingPrincipal's type");
        assertEquals("*", resource("PUT", "/target-policies/p", null, "{}"), "no target");
    }

    @Test
    void registryOperations_onThingTypesGroupsAndPolicies() {
        assertEquals(iot.arn("iot", "thingtype/sensor"), resource("POST", "/thing-types/sensor/deprecate", null,
                "{}"));
        assertEquals(iot.arn("iot", "thinggroup/fleet"), resource("PATCH", "/thing-groups/fleet", null, "{}"));
        assertEquals(iot.arn("iot", "thinggroup/fleet"), resource("PUT", "/thing-groups/addThingToThingGroup", null,
                "{\"thingGroupName\":\"fleet\",\"thingName\":\"t\"}"));
        assertEquals("*", resource("PUT", "/thing-groups/addThingToThingGroup", null, "{\"thingGroupArn\":\""
                + iot.arn("iot", "thinggroup/fleet") + "\",\"thingName\":\"t\"}"), "named by ARN only: *");
        assertEquals(iot.arn("iot", "thing/t"), resource("GET", "/things/t/thing-groups", null, null));
        assertEquals(iot.arn("iot", "thing/t"), resource("GET", "/things/t/principals-v2", null, null));
        assertEquals(iot.arn("iot", "policy/app"), resource("DELETE", "/policies/app/version/2", null, null));
        assertEquals(iot.arn("iot", "policy/app"), resource("POST", "/policies/app", null, "{}"));
        String cert = iot.arn("iot", "cert/" + CERT_ID);
        assertEquals(cert, resource("GET", "/principals/things-v2", cert, null));
        assertEquals("*", resource("GET", "/thing-types", null, null));
        assertEquals("*", resource("GET", "/thing-groups", null, null));
        assertEquals("*", resource("POST", "/certificate/register-no-ca", null, "{}"));
    }

    @Test
    void actionsWithoutResourceType_areAuthorizedOnStar() {
        assertEquals("*", resource("GET", "/certificates-by-ca/" + CA_ID, null, null));
        assertEquals("*", resource("POST", "/attached-policies/" + iot.arn("iot", "cert/" + CERT_ID)
                .replace(":", "%3A").replace("/", "%2F"), null, null));
        assertEquals("*", resource("GET", "/registrationcode", null, null));
        assertEquals("*", resource("GET", "/endpoint?endpointType=iot%3AData-ATS", null, null));
    }

    @Test
    void aCallWithoutOperation_hasNoResource() {
        IotApi.Call unknown = iot.api.resolve("GET", "/nope", null, name -> null, new byte[0]);
        assertNull(unknown.member("uri", "thingName"));
        assertThrows(IllegalArgumentException.class, () -> IamResources.resource(unknown, "r", "a"));
    }
}
