package dev.iotonboard.lambda.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.JarRunner;
import dev.iotonboard.lambda.testing.RuntimeApiDouble;
import dev.iotonboard.lambda.testing.TestPki;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The shaded jar, run in a fresh JVM through the handlers' no-arg constructors. */
class DeviceApiJarIT {

    private static final Path JAR = Path.of("target", "device-api.jar");

    @Test
    void jar_hasNoNettyApacheClientOrSignatureFiles() {
        assertEquals(List.of(), JarRunner.forbiddenEntries(JAR));
    }

    @Test
    void jar_authorizerAllowsActiveCertificateWithConfigurationFromTheEnvironment() throws Exception {
        TestPki pki = TestPki.newCa("jar-ca");
        String thingName = UUID.randomUUID().toString();
        TestPki.Issued device = pki.issue(thingName);
        try (IotDouble iot = IotDouble.start()) {
            iot.addCertificate(device.pem(), pki.caId(), "ACTIVE");
            iot.addThing(thingName, iot.certificateArn(device.id()));

            JarRunner.Run run = JarRunner.run(JAR, "dev.iotonboard.lambda.api.DeviceAuthorizerHandler",
                    Map.of("AWS_REGION", IotDouble.REGION, "AWS_ENDPOINT_URL_IOT", iot.endpoint().toString(),
                            "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret",
                            "CA_CERTIFICATE_ID", pki.caId(), "AUTH_CACHE_TTL_SECONDS", "30"),
                    Fixtures.event("authorizer.json", Map.of("clientCertPem", Fixtures.jsonString(device.pem()))));

            assertEquals(0, run.exitCode(), run.stderr());
            JsonNode answer = Json.MAPPER.readTree(JarRunner.answer(run));
            assertEquals(thingName, answer.get("principalId").asText(), run.stdout());
            assertEquals("Allow", answer.get("policyDocument").get("Statement").get(0).get("Effect").asText());
            assertEquals(List.of("DescribeCertificate", "ListPrincipalThings"), iot.operations());
            assertFalse(run.stderr().contains("SLF4J"), run.stderr());
            System.out.printf("device-api authorizer cold start: init_ms=%d total_ms=%d%n", run.initMs(),
                    run.totalMs());
        }
    }

    @Test
    void jar_authorizerGivesUpAfterThreeThrottledAttempts() {
        TestPki pki = TestPki.newCa("jar-ca");
        TestPki.Issued device = pki.issueDevice();
        try (IotDouble iot = IotDouble.start()) {
            iot.addCertificate(device.pem(), pki.caId(), "ACTIVE");
            iot.failAlways("DescribeCertificate", IotDouble.Fault.THROTTLING);

            JarRunner.Run run = JarRunner.run(JAR, "dev.iotonboard.lambda.api.DeviceAuthorizerHandler",
                    Map.of("AWS_REGION", IotDouble.REGION, "AWS_ENDPOINT_URL_IOT", iot.endpoint().toString(),
                            "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret"),
                    Fixtures.event("authorizer.json", Map.of("clientCertPem", Fixtures.jsonString(device.pem()))));

            assertEquals(1, run.exitCode(), run.stdout());
            assertTrue(run.stderr().contains("ThrottlingException"), run.stderr());
            assertEquals(3, iot.calls("DescribeCertificate").size());
        }
    }

    @Test
    void jar_sampleAnswersGood() throws Exception {
        String thingName = UUID.randomUUID().toString();
        JarRunner.Run run = JarRunner.run(JAR, "dev.iotonboard.lambda.api.SampleHandler", Map.of(),
                Fixtures.event("sample.json", Map.of("thingName", thingName)));

        assertEquals(0, run.exitCode(), run.stderr());
        JsonNode answer = Json.MAPPER.readTree(JarRunner.answer(run));
        assertEquals(200, answer.get("statusCode").asInt());
        assertEquals(thingName, Json.MAPPER.readTree(answer.get("body").asText()).get("thingName").asText());
        System.out.printf("device-api sample cold start: init_ms=%d total_ms=%d%n", run.initMs(), run.totalMs());
    }

    @Test
    void jar_authorizerAndSampleRunUnderTheLambdaRuntimeInterfaceClient() throws Exception {
        TestPki pki = TestPki.newCa("ric-ca");
        String thingName = UUID.randomUUID().toString();
        TestPki.Issued device = pki.issue(thingName);
        try (IotDouble iot = IotDouble.start()) {
            iot.addCertificate(device.pem(), pki.caId(), "ACTIVE");
            iot.addThing(thingName, iot.certificateArn(device.id()));

            RuntimeApiDouble.Result authorized = JarRunner.runWithRuntimeClient(JAR,
                    "dev.iotonboard.lambda.api.DeviceAuthorizerHandler::handleRequest",
                    Map.of("AWS_REGION", IotDouble.REGION, "AWS_ENDPOINT_URL_IOT", iot.endpoint().toString(),
                            "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret",
                            "CA_CERTIFICATE_ID", pki.caId()),
                    Fixtures.event("authorizer.json", Map.of("clientCertPem", Fixtures.jsonString(device.pem()))));

            assertFalse(authorized.error(), authorized.body());
            JsonNode answer = Json.MAPPER.readTree(authorized.body());
            assertEquals(thingName, answer.get("context").get("thingName").asText());
            assertEquals("Allow", answer.get("policyDocument").get("Statement").get(0).get("Effect").asText());
        }

        RuntimeApiDouble.Result sample = JarRunner.runWithRuntimeClient(JAR,
                "dev.iotonboard.lambda.api.SampleHandler::handleRequest", Map.of(),
                Fixtures.event("sample.json", Map.of("thingName", thingName)));

        assertFalse(sample.error(), sample.body());
        JsonNode response = Json.MAPPER.readTree(sample.body());
        assertEquals(200, response.get("statusCode").asInt());
        assertEquals("{\"message\":\"Good.\",\"thingName\":\"" + thingName + "\"}", response.get("body").asText());
    }
}
