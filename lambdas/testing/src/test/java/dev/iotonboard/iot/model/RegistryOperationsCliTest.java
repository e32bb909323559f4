package dev.iotonboard.iot.model;

import static dev.iotonboard.iot.model.IotCli.names;
import static dev.iotonboard.iot.model.IotCli.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.iot.model.IotCli.Run;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.TestPki;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.PrincipalThingObject;
import software.amazon.awssdk.services.iot.model.ThingPrincipalObject;
import software.amazon.awssdk.services.iot.model.ThingPrincipalType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 16 item 2 driven by the real AWS CLI against the IoT model served by the IoT double: each new operation,
 * with the documented errors (a thing of a deprecated type, a sixth policy version, deleting the default version,
 * deleting an attached policy). Once per CLI: Debian's v2 ({@code /usr/bin/aws}) and {@code aws} on the PATH when it
 * is another version; the V2 listings only with a CLI that has them (Debian's 2.9.19 has not).
 */
class RegistryOperationsCliTest {
    private static final String ALLOW = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Action\":\"iot:Publish\",\"Resource\":\"*\"}]}";

    private final IotDouble iot = IotDouble.start();

    @AfterEach
    void stop() {
        iot.close();
    }

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void thingTypes_andAThingOfADeprecatedType(String cli) throws Exception {
        JsonNode created = aws(cli, "create-thing-type", "--thing-type-name", "sensor", "--thing-type-properties",
                "{\"thingTypeDescription\":\"a sensor\",\"searchableAttributes\":[\"site\"]}").succeeded().json();
        assertEquals(iot.registry().thingTypeArn("sensor"), created.path("thingTypeArn").asText());
        JsonNode described = aws(cli, "describe-thing-type", "--thing-type-name", "sensor").succeeded().json();
        assertEquals("a sensor", described.path("thingTypeProperties").path("thingTypeDescription").asText());
        assertEquals(List.of("sensor"), names(aws(cli, "list-thing-types").succeeded().json().path("thingTypes"),
                "thingTypeName"));

        aws(cli, "create-thing", "--thing-name", "t1", "--thing-type-name", "sensor", "--attribute-payload",
                "{\"attributes\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\"}}").succeeded();
        assertEquals("sensor", aws(cli, "describe-thing", "--thing-name", "t1").succeeded().json()
                .path("thingTypeName").asText());
        aws(cli, "create-thing", "--thing-name", "t2", "--attribute-payload",
                "{\"attributes\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\"}}")
                .failedWith("InvalidRequestException");
        aws(cli, "delete-thing-type", "--thing-type-name", "sensor").failedWith("InvalidRequestException");

        aws(cli, "deprecate-thing-type", "--thing-type-name", "sensor").succeeded();
        Run deprecated = aws(cli, "create-thing", "--thing-name", "t3", "--thing-type-name", "sensor")
                .failedWith("InvalidRequestException");
        assertTrue(deprecated.err().contains("deprecated"), deprecated.err());
        aws(cli, "create-thing", "--thing-name", "t4").succeeded();
        aws(cli, "update-thing", "--thing-name", "t4", "--thing-type-name", "sensor")
                .failedWith("InvalidRequestException");
        aws(cli, "deprecate-thing-type", "--thing-type-name", "sensor", "--undo-deprecate").succeeded();
        aws(cli, "update-thing", "--thing-name", "t4", "--thing-type-name", "sensor").succeeded();

        aws(cli, "deprecate-thing-type", "--thing-type-name", "sensor").succeeded();
        iot.advanceClock(Duration.ofMinutes(5));
        aws(cli, "delete-thing-type", "--thing-type-name", "sensor").failedWith("InvalidRequestException");
        aws(cli, "update-thing", "--thing-name", "t1", "--remove-thing-type").failedWith("InvalidRequestException");
        aws(cli, "delete-thing", "--thing-name", "t1").succeeded();
        aws(cli, "update-thing", "--thing-name", "t4", "--remove-thing-type").succeeded();
        aws(cli, "delete-thing-type", "--thing-type-name", "sensor").succeeded();
        aws(cli, "describe-thing-type", "--thing-type-name", "sensor").failedWith("ResourceNotFoundException");
    }

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void thingGroups_andTheirThings(String cli) throws Exception {
        aws(cli, "create-thing", "--thing-name", "t1").succeeded();
        JsonNode group = aws(cli, "create-thing-group", "--thing-group-name", "plant-a", "--thing-group-properties",
                "{\"thingGroupDescription\":\"Plant A\",\"attributePayload\":{\"attributes\":{\"site\":\"a\"}}}")
                .succeeded().json();
        String groupArn = group.path("thingGroupArn").asText();
        assertEquals(iot.registry().thingGroupArn("plant-a"), groupArn);
        aws(cli, "create-thing-group", "--thing-group-name", "child", "--parent-group-name", "plant-a")
                .failedWith("InvalidRequestException");

        JsonNode described = aws(cli, "describe-thing-group", "--thing-group-name", "plant-a").succeeded().json();
        assertEquals("Plant A", described.path("thingGroupProperties").path("thingGroupDescription").asText());
        assertEquals(2, aws(cli, "update-thing-group", "--thing-group-name", "plant-a", "--expected-version", "1",
                "--thing-group-properties", "{\"thingGroupDescription\":\"Plant A, hall 2\"}").succeeded().json()
                .path("version").asLong());
        aws(cli, "update-thing-group", "--thing-group-name", "plant-a", "--expected-version", "1",
                "--thing-group-properties", "{\"thingGroupDescription\":\"x\"}").failedWith("VersionConflictException");
        assertEquals(List.of("plant-a"), names(aws(cli, "list-thing-groups").succeeded().json().path("thingGroups"),
                "groupName"));

        aws(cli, "add-thing-to-thing-group", "--thing-group-name", "plant-a", "--thing-name", "t1").succeeded();
        assertEquals(List.of("t1"), texts(aws(cli, "list-things-in-thing-group", "--thing-group-name", "plant-a")
                .succeeded().json().path("things")));
        assertEquals(List.of("plant-a"), names(aws(cli, "list-thing-groups-for-thing", "--thing-name", "t1")
                .succeeded().json().path("thingGroups"), "groupName"));
        aws(cli, "add-thing-to-thing-group", "--thing-group-name", "nope", "--thing-name", "t1")
                .failedWith("ResourceNotFoundException");
        aws(cli, "remove-thing-from-thing-group", "--thing-group-arn", groupArn, "--thing-arn",
                iot.registry().thingArn("t1")).succeeded();
        assertEquals(List.of(), texts(aws(cli, "list-things-in-thing-group", "--thing-group-name", "plant-a")
                .succeeded().json().path("things")));
        aws(cli, "delete-thing-group", "--thing-group-name", "plant-a").succeeded();
        aws(cli, "describe-thing-group", "--thing-group-name", "plant-a").failedWith("ResourceNotFoundException");
    }

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void policyVersions_aSixthIsRefused_theDefaultCannotBeDeleted(String cli) throws Exception {
        assertEquals("1", aws(cli, "create-policy", "--policy-name", "app", "--policy-document", ALLOW).succeeded()
                .json().path("policyVersionId").asText());
        for (int i = 2; i <= 5; i++) {
            aws(cli, "create-policy-version", "--policy-name", "app", "--policy-document", ALLOW).succeeded();
        }
        aws(cli, "create-policy-version", "--policy-name", "app", "--policy-document", ALLOW)
                .failedWith("VersionsLimitExceededException");
        assertEquals(List.of("1", "2", "3", "4", "5"), names(aws(cli, "list-policy-versions", "--policy-name", "app")
                .succeeded().json().path("policyVersions"), "versionId"));
        aws(cli, "delete-policy-version", "--policy-name", "app", "--policy-version-id", "1")
                .failedWith("DeleteConflictException");
        aws(cli, "set-default-policy-version", "--policy-name", "app", "--policy-version-id", "3").succeeded();
        assertEquals("3", aws(cli, "get-policy", "--policy-name", "app").succeeded().json()
                .path("defaultVersionId").asText());
        assertTrue(aws(cli, "get-policy-version", "--policy-name", "app", "--policy-version-id", "3").succeeded()
                .json().path("isDefaultVersion").asBoolean());
        aws(cli, "delete-policy-version", "--policy-name", "app", "--policy-version-id", "1").succeeded();
        aws(cli, "create-policy-version", "--policy-name", "app", "--policy-document", ALLOW, "--set-as-default")
                .succeeded();
        assertEquals("6", aws(cli, "get-policy", "--policy-name", "app").succeeded().json()
                .path("defaultVersionId").asText());
        aws(cli, "create-policy", "--policy-name", "bad", "--policy-document", "not json")
                .failedWith("MalformedPolicyException");
        String lowerCaseDeny = aws(cli, "create-policy-version", "--policy-name", "app", "--policy-document",
                ALLOW.replace("Allow", "deny")).failedWith("MalformedPolicyException").err();
        assertTrue(lowerCaseDeny.contains("Policy document is Malformed: Statement 0: Effect must be"), lowerCaseDeny);
        assertEquals("6", aws(cli, "get-policy", "--policy-name", "app").succeeded().json()
                .path("defaultVersionId").asText(), "a refused version is not created");
    }

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void deletePolicy_refusedWhileAttachedToAThingGroup_orWithOtherVersions(String cli) throws Exception {
        aws(cli, "create-policy", "--policy-name", "fleet", "--policy-document", ALLOW).succeeded();
        String groupArn = aws(cli, "create-thing-group", "--thing-group-name", "fleet").succeeded().json()
                .path("thingGroupArn").asText();
        aws(cli, "attach-policy", "--policy-name", "fleet", "--target", groupArn).succeeded();
        assertEquals(List.of("fleet"), names(aws(cli, "list-attached-policies", "--target", groupArn).succeeded()
                .json().path("policies"), "policyName"));
        assertEquals(List.of(groupArn), texts(aws(cli, "list-targets-for-policy", "--policy-name", "fleet")
                .succeeded().json().path("targets")));

        Run attached = aws(cli, "delete-policy", "--policy-name", "fleet").failedWith("DeleteConflictException");
        assertTrue(attached.err().contains("attached to one or more principals"), attached.err());
        aws(cli, "detach-policy", "--policy-name", "fleet", "--target", groupArn).succeeded();
        aws(cli, "create-policy-version", "--policy-name", "fleet", "--policy-document", ALLOW).succeeded();
        aws(cli, "delete-policy", "--policy-name", "fleet").failedWith("DeleteConflictException");
        aws(cli, "delete-policy-version", "--policy-name", "fleet", "--policy-version-id", "2").succeeded();
        aws(cli, "delete-policy", "--policy-name", "fleet").succeeded();
        aws(cli, "get-policy", "--policy-name", "fleet").failedWith("ResourceNotFoundException");
    }

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void registerCertificate_withAndWithoutCa_andRegistrationConfig(String cli) throws Exception {
        TestPki pki = TestPki.newCa("cli-register-ca");
        String caPem = CertificateIds.toPem(pki.caCertificate());
        String code = aws(cli, "get-registration-code").succeeded().json().path("registrationCode").asText();
        String config = "{\"templateBody\":\"{}\",\"roleArn\":\"arn:aws:iam::123456789012:role/jitp\"}";
        String caId = aws(cli, "register-ca-certificate", "--ca-certificate", caPem, "--verification-certificate",
                pki.issue(code).pem(), "--set-as-active", "--registration-config", config).succeeded().json()
                .path("certificateId").asText();
        JsonNode kept = aws(cli, "describe-ca-certificate", "--certificate-id", caId).succeeded().json()
                .path("registrationConfig");
        assertEquals("arn:aws:iam::123456789012:role/jitp", kept.path("roleArn").asText());
        aws(cli, "update-ca-certificate", "--certificate-id", caId, "--registration-config",
                "{\"templateName\":\"fleet-template\"}").succeeded();
        assertEquals("fleet-template", aws(cli, "describe-ca-certificate", "--certificate-id", caId).succeeded()
                .json().path("registrationConfig").path("templateName").asText());
        aws(cli, "update-ca-certificate", "--certificate-id", caId, "--remove-auto-registration")
                .failedWith("InvalidRequestException");

        TestPki.Issued device = pki.issueDevice();
        JsonNode registered = aws(cli, "register-certificate", "--certificate-pem", device.pem(),
                "--ca-certificate-pem", caPem, "--set-as-active").succeeded().json();
        assertEquals(device.id(), registered.path("certificateId").asText());
        JsonNode description = aws(cli, "describe-certificate", "--certificate-id", device.id()).succeeded().json()
                .path("certificateDescription");
        assertEquals("ACTIVE", description.path("status").asText());
        assertEquals(caId, description.path("caCertificateId").asText());
        aws(cli, "register-certificate", "--certificate-pem", device.pem()).failedWith("ResourceAlreadyExistsException");
        aws(cli, "register-certificate", "--certificate-pem", TestPki.newCa("unregistered").issueDevice().pem())
                .failedWith("CertificateValidationException");

        TestPki.Issued loose = TestPki.newCa("no-ca").issueDevice();
        aws(cli, "register-certificate-without-ca", "--certificate-pem", loose.pem(), "--status", "ACTIVE")
                .succeeded();
        JsonNode sniOnly = aws(cli, "describe-certificate", "--certificate-id", loose.id()).succeeded().json()
                .path("certificateDescription");
        assertEquals("SNI_ONLY", sniOnly.path("certificateMode").asText());
        assertFalse(sniOnly.hasNonNull("caCertificateId"));
    }

    /**
     * Through the AWS SDK for Java, whose marshallers come from the service model: Debian's AWS CLI (2.9.19, 2023)
     * has no list-thing-principals-v2 or list-principal-things-v2 (added in 2024).
     */
    @Test
    void listingsV2_giveTheThingPrincipalType() {
        TestPki pki = TestPki.newCa("sdk-v2-ca");
        String arn = iot.certificateArn(iot.addCertificate(pki.issueDevice().pem(), pki.caId(), "ACTIVE"));
        try (IotClient sdk = iot.client()) {
            sdk.createThing(r -> r.thingName("t1"));
            sdk.attachThingPrincipal(r -> r.thingName("t1").principal(arn)
                    .thingPrincipalType(ThingPrincipalType.EXCLUSIVE_THING));

            List<ThingPrincipalObject> principals = sdk.listThingPrincipalsV2(r -> r.thingName("t1"))
                    .thingPrincipalObjects();
            assertEquals(1, principals.size());
            assertEquals(arn, principals.get(0).principal());
            assertEquals(ThingPrincipalType.EXCLUSIVE_THING, principals.get(0).thingPrincipalType());
            List<PrincipalThingObject> things = sdk.listPrincipalThingsV2(r -> r.principal(arn))
                    .principalThingObjects();
            assertEquals(1, things.size());
            assertEquals("t1", things.get(0).thingName());
            assertEquals(ThingPrincipalType.EXCLUSIVE_THING, things.get(0).thingPrincipalType());
            assertEquals(List.of(), sdk.listThingPrincipalsV2(r -> r.thingName("t1")
                    .thingPrincipalType(ThingPrincipalType.NON_EXCLUSIVE_THING)).thingPrincipalObjects());
        }
    }

    // ---- the CLI ----

    private Run aws(String cli, String... args) throws IOException, InterruptedException {
        return IotCli.aws(iot, cli, args);
    }
}
