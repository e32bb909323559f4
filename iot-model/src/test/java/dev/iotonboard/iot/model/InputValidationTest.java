package dev.iotonboard.iot.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Item 7 over the REST-JSON binding: the service model's constraints from the one table, AWS's validation message,
 * then the rules the model cannot express; and what an unserved route answers.
 */
class InputValidationTest {
    private static final String COGNITO_IDENTITY = "eu-west-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

    private final ApiCalls iot = new ApiCalls();

    @Test
    void pageSizeOverTheModelsMaximum_isInvalidRequestInAwsWords() {
        ApiCalls.Answer answer = iot.send("GET", "/certificates?pageSize=300");
        assertEquals(400, answer.status());
        assertEquals("InvalidRequestException", answer.errorType());
        assertEquals("1 validation error detected: Value '300' at 'pageSize' failed to satisfy constraint: Member"
                + " must have value less than or equal to 250", answer.message());
        assertEquals("1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member"
                + " must have value greater than or equal to 1", iot.send("GET", "/things?maxResults=0").message());
        assertEquals(200, iot.send("GET", "/rules?maxResults=10000").status(), "ListTopicRules' range is 1 to 10000");
    }

    @Test
    void certificateIdNot64Hex_isInvalidRequest_everyBrokenConstraintCounted() {
        assertEquals("2 validation errors detected: Value 'zz' at 'certificateId' failed to satisfy constraint:"
                + " Member must have length greater than or equal to 64; Value 'zz' at 'certificateId' failed to"
                + " satisfy constraint: Member must satisfy regular expression pattern: (0x)?[a-fA-F0-9]+",
                iot.send("GET", "/certificates/zz").message());
        String letters = "z".repeat(64);
        assertEquals("1 validation error detected: Value '" + letters + "' at 'certificateId' failed to satisfy"
                + " constraint: Member must satisfy regular expression pattern: (0x)?[a-fA-F0-9]+",
                iot.send("DELETE", "/certificates/" + letters).message());
        ApiCalls.Answer prefixed = iot.send("GET", "/cacertificate/0x" + "a".repeat(62));
        assertEquals(400, prefixed.status(), "the model's pattern allows 0x and 62 digits; a certificate id is 64 hex");
        assertEquals("InvalidRequestException", prefixed.errorType());
        assertEquals(404, iot.send("GET", "/certificates/" + "A".repeat(64)).status(), "upper case is hex");
    }

    @Test
    void enumerationsRequiredMembersAndNestedMaps() {
        assertEquals("1 validation error detected: Value 'GONE' at 'newStatus' failed to satisfy constraint: Member"
                + " must satisfy enum value set: [ACTIVE, INACTIVE, REVOKED, PENDING_TRANSFER, REGISTER_INACTIVE,"
                + " PENDING_ACTIVATION]", iot.send("PUT", "/certificates/" + "a".repeat(64) + "?newStatus=GONE")
                .message());
        assertEquals("1 validation error detected: Value null at 'newStatus' failed to satisfy constraint: Member"
                + " must not be null", iot.send("PUT", "/certificates/" + "a".repeat(64)).message());
        iot.send("POST", "/things/t1", null, "{}");
        assertEquals("1 validation error detected: Value null at 'principal' failed to satisfy constraint: Member"
                + " must not be null", iot.send("PUT", "/things/t1/principals").message());
        assertEquals("1 validation error detected: Value '{bad key=v}' at 'attributePayload.attributes' failed to"
                + " satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal"
                + " to 128, Member must satisfy regular expression pattern: [a-zA-Z0-9_.,@/:#-]+]",
                iot.send("PATCH", "/things/t1", null, "{\"attributePayload\":{\"attributes\":{\"bad key\":\"v\"}}}")
                        .message());
        assertEquals("1 validation error detected: Value 'bad/name' at 'thingName' failed to satisfy constraint:"
                + " Member must satisfy regular expression pattern: [a-zA-Z0-9:_-]+",
                iot.send("POST", "/things/bad%2Fname", null, "{}").message());
        assertEquals("1 validation error detected: Value 'x' at 'registrationConfig.roleArn' failed to satisfy"
                + " constraint: Member must have length greater than or equal to 20",
                iot.send("POST", "/cacertificate", null, "{\"caCertificate\":\"pem\",\"registrationConfig\":"
                        + "{\"roleArn\":\"x\"}}").message());
        assertEquals("1 validation error detected: Value '' at 'tags.2.member.Key' failed to satisfy constraint:"
                + " Member must have length greater than or equal to 1",
                iot.send("POST", "/cacertificate", null, "{\"caCertificate\":\"pem\",\"tags\":[{\"Key\":\"k\"},"
                        + "{\"Key\":\"\"}]}").message());
    }

    @Test
    void valuesOfAnotherType() {
        ApiCalls.Answer query = iot.send("GET", "/certificates?pageSize=many");
        assertEquals(400, query.status());
        assertEquals("InvalidRequestException", query.errorType());
        iot.send("POST", "/things/t1", null, "{}");
        ApiCalls.Answer body = iot.send("PATCH", "/things/t1", null, "{\"expectedVersion\":\"one\"}");
        assertEquals(400, body.status());
        assertEquals("SerializationException", body.errorType());
    }

    @Test
    void targetsAndPrincipalsMustBeArnsOrCognitoIdentities() {
        iot.registry.policies().put("app", "{}");
        iot.send("POST", "/things/t1", null, "{}");
        ApiCalls.Answer target = iot.send("PUT", "/target-policies/app", null, "{\"target\":\"garbage\"}");
        assertEquals(400, target.status());
        assertEquals("InvalidRequestException", target.errorType());
        assertEquals(404, iot.send("PUT", "/target-policies/nope", null, "{\"target\":\"garbage\"}").status(),
                "the policy is looked up first");
        assertEquals(400, iot.send("POST", "/target-policies/app", null, "{\"target\":\"garbage\"}").status());
        assertEquals(400, iot.send("POST", "/attached-policies/garbage").status());
        ApiCalls.Answer principal = iot.send("PUT", "/things/t1/principals", "garbage", null);
        assertEquals(400, principal.status());
        assertEquals("InvalidRequestException", principal.errorType());
        assertEquals(400, iot.send("DELETE", "/things/t1/principals", "garbage", null).status());
        assertEquals(400, iot.send("GET", "/principals/things", "garbage", null).status());

        String unknownCertificate = iot.arn("iot", "cert/" + "c".repeat(64));
        assertEquals(404, iot.send("PUT", "/target-policies/app", null, "{\"target\":\"" + unknownCertificate + "\"}")
                .status(), "an unknown certificate ARN stays 404");
        assertEquals(404, iot.send("PUT", "/things/t1/principals", unknownCertificate, null).status());
        assertEquals(200, iot.send("PUT", "/target-policies/app", null, "{\"target\":\"" + COGNITO_IDENTITY + "\"}")
                .status());
        assertEquals(200, iot.send("PUT", "/things/t1/principals", COGNITO_IDENTITY, null).status());
        assertEquals(List.of("t1"), iot.registry.thingPrincipals().things(COGNITO_IDENTITY));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "?endpointType=iot%3AData", "?endpointType=iot%3AData-ATS",
            "?endpointType=iot%3ACredentialProvider", "?endpointType=iot%3AJobs"})
    void describeEndpoint_theFourTypesOrNone(String query) {
        ApiCalls.Answer answer = iot.send("GET", "/endpoint" + query);
        assertEquals(200, answer.status());
        assertEquals("iot.test", answer.body().path("endpointAddress").asText());
    }

    @Test
    void describeEndpoint_anyOtherTypeIsInvalidRequest() {
        ApiCalls.Answer answer = iot.send("GET", "/endpoint?endpointType=bogus");
        assertEquals(400, answer.status());
        assertEquals("InvalidRequestException", answer.errorType());
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET /nowhere", "PATCH /certificates/abc",
            "POST /endpoint", "PUT /policies/app", "PUT /rules/r"})
    void pathsNotServedAndOtherMethods_areNotFound(String request) {
        String[] parts = request.split(" ");
        IotApi.Call call = iot.api.resolve(parts[0], parts[1], null, name -> null, new byte[0]);
        assertNull(call.operation());
        ApiCalls.Answer answer = iot.send(parts[0], parts[1]);
        assertEquals(404, answer.status());
        assertEquals("ResourceNotFoundException", answer.errorType());
        assertEquals("{\"message\":\"Not Found\"}", answer.body().toString());
    }
}
