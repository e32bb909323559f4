package dev.iotonboard.lambda.provisioning;

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

/** The shaded jar, run in a fresh JVM through the handler's no-arg constructor, against the IoT double. */
class ThingProvisioningJarIT {

    private static final Path JAR = Path.of("target", "thing-provisioning.jar");

    @Test
    void jar_hasNoNettyApacheClientOrSignatureFiles() {
        assertEquals(List.of(), JarRunner.forbiddenEntries(JAR));
    }

    @Test
    void jar_provisionsThingWithConfigurationFromTheEnvironment() throws Exception {
        TestPki pki = TestPki.newCa("jar-ca");
        String thingName = UUID.randomUUID().toString();
        TestPki.Issued device = pki.issue(thingName);
        try (IotDouble iot = IotDouble.start()) {
            iot.addPolicy("jitr");
            iot.addPolicy("app");
            iot.addCertificate(device.pem(), pki.caId(), "ACTIVE");
            String arn = iot.certificateArn(device.id());
            iot.attachPolicy("jitr", arn);

            JarRunner.Run run = JarRunner.run(JAR, "dev.iotonboard.lambda.provisioning.ThingProvisioningHandler",
                    Map.of("AWS_REGION", IotDouble.REGION, "AWS_ENDPOINT_URL", iot.endpoint().toString(),
                            "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret",
                            "JITR_POLICY_NAME", "jitr", "APP_POLICY_NAME", "app", "CA_CERTIFICATE_ID", ""),
                    Fixtures.event("request.json", Map.of("thingName", thingName, "certificateId", device.id())));

            assertEquals(0, run.exitCode(), run.stderr());
            JsonNode answer = Json.MAPPER.readTree(JarRunner.answer(run));
            assertEquals("PROVISIONED", answer.get("outcome").asText(), run.stdout());
            assertEquals(List.of(arn), iot.principalsOf(thingName));
            assertEquals(List.of("app"), iot.policiesOf(arn));
            assertFalse(run.stderr().contains("SLF4J"), run.stderr());
            for (String line : JarRunner.logLines(run)) {
                assertTrue(Json.MAPPER.readTree(line).isObject(), line);
            }
            System.out.printf("thing-provisioning cold start: init_ms=%d total_ms=%d%n", run.initMs(),
                    run.totalMs());
        }
    }

    @Test
    void jar_runsUnderTheLambdaRuntimeInterfaceClient() throws Exception {
        TestPki pki = TestPki.newCa("ric-ca");
        String thingName = UUID.randomUUID().toString();
        TestPki.Issued device = pki.issue(thingName);
        try (IotDouble iot = IotDouble.start()) {
            iot.addPolicy("jitr");
            iot.addPolicy("app");
            iot.addCertificate(device.pem(), pki.caId(), "ACTIVE");
            String arn = iot.certificateArn(device.id());
            iot.attachPolicy("jitr", arn);

            RuntimeApiDouble.Result result = JarRunner.runWithRuntimeClient(JAR,
                    "dev.iotonboard.lambda.provisioning.ThingProvisioningHandler::handleRequest",
                    Map.of("AWS_REGION", IotDouble.REGION, "AWS_ENDPOINT_URL_IOT", iot.endpoint().toString(),
                            "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret",
                            "JITR_POLICY_NAME", "jitr", "APP_POLICY_NAME", "app", "CA_CERTIFICATE_ID", pki.caId()),
                    Fixtures.event("request.json", Map.of("thingName", thingName, "certificateId", device.id())));

            assertFalse(result.error(), result.body());
            assertEquals("PROVISIONED", Json.MAPPER.readTree(result.body()).get("outcome").asText());
            assertEquals(List.of(arn), iot.principalsOf(thingName));
            assertEquals(List.of("app"), iot.policiesOf(arn));
        }
    }
}
