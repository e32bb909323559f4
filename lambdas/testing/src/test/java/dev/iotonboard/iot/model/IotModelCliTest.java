package dev.iotonboard.iot.model;

import static dev.iotonboard.iot.model.IotCli.names;
import static dev.iotonboard.iot.model.IotCli.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.iot.model.IotCli.Run;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.TestPki;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 12 items 7 and 8 driven by the real AWS CLI against the IoT model served by the IoT double: Debian's v2
 * ({@code /usr/bin/aws}, required: {@code apt-get install awscli}) and {@code aws} on the PATH when it is another
 * version. Each test runs once per CLI, on a fresh double.
 */
class IotModelCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestPki PKI = TestPki.newCa("cli-ca");

    private final IotDouble iot = IotDouble.start();

    @AfterEach
    void stop() {
        iot.close();
    }

    // ---- item 7: input validation ----

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void item7_theServiceModelsConstraintsAndTheSemanticChecks(String cli) throws Exception {
        iot.addPolicy("app");
        aws(cli, "create-thing", "--thing-name", "t1").succeeded();
        aws(cli, "attach-policy", "--policy-name", "app", "--target", "garbage")
                .failedWith("InvalidRequestException");
        aws(cli, "attach-thing-principal", "--thing-name", "t1", "--principal", "garbage")
                .failedWith("InvalidRequestException");
        Run pageSize = aws(cli, "list-certificates-by-ca", "--ca-certificate-id", PKI.caId(), "--page-size", "300")
                .failedWith("InvalidRequestException");
        assertTrue(pageSize.err().contains("1 validation error detected: Value '300' at 'pageSize' failed to satisfy"
                + " constraint: Member must have value less than or equal to 250"), pageSize.err());
        aws(cli, "describe-endpoint", "--endpoint-type", "bogus").failedWith("InvalidRequestException");
        assertEquals("iot-double.localhost", aws(cli, "describe-endpoint", "--endpoint-type", "iot:Data-ATS")
                .succeeded().json().path("endpointAddress").asText());
        Run notHex = aws(cli, "describe-certificate", "--certificate-id", "z".repeat(64))
                .failedWith("InvalidRequestException");
        assertTrue(notHex.err().contains("Member must satisfy regular expression pattern: (0x)?[a-fA-F0-9]+"),
                notHex.err());
        aws(cli, "update-thing", "--thing-name", "t1", "--attribute-payload", "{\"attributes\":{\"bad key\":\"v\"}}")
                .failedWith("InvalidRequestException");
        String unknownCertificate = iot.certificateArn("c".repeat(64));
        aws(cli, "attach-policy", "--policy-name", "app", "--target", unknownCertificate)
                .failedWith("ResourceNotFoundException");
    }

    // ---- item 8: the operations ----

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void deleteCertificate_stateAndAttachmentRules(String cli) throws Exception {
        String id = iot.addCertificate(PKI.issueDevice().pem(), PKI.caId(), "ACTIVE");
        String arn = iot.certificateArn(id);
        iot.addThing("t1", arn);
        iot.addPolicy("app");
        iot.attachPolicy("app", arn);

        Run active = aws(cli, "delete-certificate", "--certificate-id", id).failedWith("CertificateStateException");
        assertTrue(active.err().contains("Certificate must be deactivated (not ACTIVE) before deletion."),
                active.err());
        aws(cli, "update-certificate", "--certificate-id", id, "--new-status", "INACTIVE").succeeded();
        aws(cli, "delete-certificate", "--certificate-id", id, "--force-delete").failedWith("DeleteConflictException");
        aws(cli, "detach-thing-principal", "--thing-name", "t1", "--principal", arn).succeeded();
        aws(cli, "delete-certificate", "--certificate-id", id).failedWith("DeleteConflictException");
        aws(cli, "delete-certificate", "--certificate-id", id, "--force-delete").succeeded();
        aws(cli, "describe-certificate", "--certificate-id", id).failedWith("ResourceNotFoundException");
    }

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void deleteThing_refusedWhileAttached_versionChecked_missingThingSucceeds(String cli) throws Exception {
        String arn = iot.certificateArn(iot.addCertificate(PKI.issueDevice().pem(), PKI.caId(), "ACTIVE"));
        iot.addThing("t1", arn);

        Run attached = aws(cli, "delete-thing", "--thing-name", "t1").failedWith("InvalidRequestException");
        assertTrue(attached.err().contains("Cannot delete. Thing t1 is still attached to one or more principals"),
                attached.err());
        aws(cli, "detach-thing-principal", "--thing-name", "t1", "--principal", arn).succeeded();
        aws(cli, "delete-thing", "--thing-name", "t1", "--expected-version", "5")
                .failedWith("VersionConflictException");
        aws(cli, "delete-thing", "--thing-name", "t1", "--expected-version", "1").succeeded();
        aws(cli, "describe-thing", "--thing-name", "t1").failedWith("ResourceNotFoundException");
        aws(cli, "delete-thing", "--thing-name", "never-was").succeeded();
    }

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void detachThingPrincipal_showsAfterThePropagationDelay(String cli) throws Exception {
        String arn = iot.certificateArn(iot.addCertificate(PKI.issueDevice().pem(), PKI.caId(), "ACTIVE"));
        iot.addThing("t1", arn);
        // Longer than the CLI calls below take on a loaded machine: the double's clock runs in real time too.
        iot.detachPropagationDelay(Duration.ofMinutes(10));

        aws(cli, "detach-thing-principal", "--thing-name", "t1", "--principal", arn).succeeded();
        assertEquals(List.of(arn), texts(aws(cli, "list-thing-principals", "--thing-name", "t1").succeeded().json()
                .path("principals")));
        assertEquals(List.of("t1"), texts(aws(cli, "list-principal-things", "--principal", arn).succeeded().json()
                .path("things")));
        aws(cli, "delete-thing", "--thing-name", "t1").failedWith("InvalidRequestException");

        iot.advanceClock(Duration.ofMinutes(10));
        assertEquals(List.of(), texts(aws(cli, "list-thing-principals", "--thing-name", "t1").succeeded().json()
                .path("principals")));
        aws(cli, "delete-thing", "--thing-name", "t1").succeeded();
    }

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void deleteCaCertificate_refusedWhileActive(String cli) throws Exception {
        TestPki ca = TestPki.newCa("cli-ca-to-delete");
        iot.setCaStatus(ca.caId(), "ACTIVE");
        aws(cli, "delete-ca-certificate", "--certificate-id", ca.caId()).failedWith("CertificateStateException");
        aws(cli, "update-ca-certificate", "--certificate-id", ca.caId(), "--new-status", "INACTIVE").succeeded();
        aws(cli, "delete-ca-certificate", "--certificate-id", ca.caId()).succeeded();
        aws(cli, "describe-ca-certificate", "--certificate-id", ca.caId()).failedWith("ResourceNotFoundException");
    }

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void listCertificatesThingsPoliciesAndTargets(String cli) throws Exception {
        String id = iot.addCertificate(PKI.issueDevice().pem(), PKI.caId(), "ACTIVE");
        String arn = iot.certificateArn(id);
        iot.addPolicy("jitr");
        iot.addPolicy("app");
        iot.attachPolicy("app", arn);
        aws(cli, "create-thing", "--thing-name", "t1", "--attribute-payload", "{\"attributes\":{\"site\":\"a\"}}")
                .succeeded();
        aws(cli, "create-thing", "--thing-name", "t2", "--attribute-payload", "{\"attributes\":{\"site\":\"b\"}}")
                .succeeded();

        JsonNode certificates = aws(cli, "list-certificates").succeeded().json().path("certificates");
        assertEquals(id, certificates.get(0).path("certificateId").asText());
        assertEquals("ACTIVE", certificates.get(0).path("status").asText());
        assertEquals(List.of("t2"), names(aws(cli, "list-things", "--attribute-name", "site", "--attribute-value", "b")
                .succeeded().json().path("things"), "thingName"));
        assertEquals(List.of("t1", "t2"), names(aws(cli, "list-things").succeeded().json().path("things"),
                "thingName"));
        assertEquals(List.of("jitr", "app"), names(aws(cli, "list-policies").succeeded().json().path("policies"),
                "policyName"));
        assertEquals(List.of(arn), texts(aws(cli, "list-targets-for-policy", "--policy-name", "app").succeeded()
                .json().path("targets")));
        aws(cli, "list-targets-for-policy", "--policy-name", "nope").failedWith("ResourceNotFoundException");
    }

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void updateThing_mergesAttributes_andChecksTheVersion(String cli) throws Exception {
        aws(cli, "create-thing", "--thing-name", "t1", "--attribute-payload",
                "{\"attributes\":{\"a\":\"1\",\"b\":\"2\"}}").succeeded();
        aws(cli, "update-thing", "--thing-name", "t1", "--expected-version", "1", "--attribute-payload",
                "{\"attributes\":{\"a\":\"\",\"c\":\"3\"},\"merge\":true}").succeeded();
        JsonNode thing = aws(cli, "describe-thing", "--thing-name", "t1").succeeded().json();
        assertEquals(2, thing.path("version").asLong());
        assertEquals(Map.of("b", "2", "c", "3"), JSON.convertValue(thing.path("attributes"), Map.class));
        aws(cli, "update-thing", "--thing-name", "t1", "--expected-version", "1", "--attribute-payload",
                "{\"attributes\":{\"d\":\"4\"}}").failedWith("VersionConflictException");
        aws(cli, "update-thing", "--thing-name", "nope").failedWith("ResourceNotFoundException");
    }

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void thingAttributes_atMostThreeWithoutAThingType(String cli) throws Exception {
        aws(cli, "create-thing", "--thing-name", "t1", "--attribute-payload",
                "{\"attributes\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\"}}")
                .failedWith("InvalidRequestException");
        aws(cli, "create-thing", "--thing-name", "t1", "--attribute-payload",
                "{\"attributes\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}").succeeded();
        aws(cli, "update-thing", "--thing-name", "t1", "--attribute-payload",
                "{\"attributes\":{\"d\":\"4\"},\"merge\":true}").failedWith("InvalidRequestException");
        aws(cli, "update-thing", "--thing-name", "t1", "--attribute-payload",
                "{\"attributes\":{\"d\":\"4\"},\"merge\":false}").succeeded();
        assertEquals(Map.of("d", "4"), JSON.convertValue(aws(cli, "describe-thing", "--thing-name", "t1")
                .succeeded().json().path("attributes"), Map.class));
    }

    @ParameterizedTest
    @MethodSource("dev.iotonboard.iot.model.IotCli#clis")
    void topicRules_listedAndGot_unknownIsUnauthorized(String cli) throws Exception {
        iot.registry().topicRules().put("provision", "{\"Sql\":\"SELECT thingName FROM 'jitr/request'\","
                + "\"AwsIotSqlVersion\":\"2016-03-23\",\"RuleDisabled\":false,\"Actions\":[{\"Lambda\":"
                + "{\"FunctionArn\":\"arn:aws:lambda:eu-west-1:123456789012:function:provision\"}}]}");

        JsonNode rules = aws(cli, "list-topic-rules").succeeded().json().path("rules");
        assertEquals("provision", rules.get(0).path("ruleName").asText());
        assertEquals("jitr/request", rules.get(0).path("topicPattern").asText());
        JsonNode rule = aws(cli, "get-topic-rule", "--rule-name", "provision").succeeded().json();
        assertEquals("arn:aws:iot:eu-west-1:123456789012:rule/provision", rule.path("ruleArn").asText());
        assertEquals("SELECT thingName FROM 'jitr/request'", rule.path("rule").path("sql").asText());
        assertEquals("arn:aws:lambda:eu-west-1:123456789012:function:provision", rule.path("rule").path("actions")
                .get(0).path("lambda").path("functionArn").asText());
        aws(cli, "get-topic-rule", "--rule-name", "nope").failedWith("UnauthorizedException");
    }

    // ---- the CLI ----

    private Run aws(String cli, String... args) throws IOException, InterruptedException {
        return IotCli.aws(iot, cli, args);
    }
}
