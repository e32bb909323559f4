package dev.iotonboard.lambda.activation;

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
import org.junit.jupiter.api.Test;

/** The shaded jar, run in a fresh JVM through the handler's no-arg constructor, against the IoT double. */
class CertificateActivationJarIT {

    private static final Path JAR = Path.of("target", "certificate-activation.jar");

    @Test
    void jar_hasNoNettyApacheClientOrSignatureFiles() {
        assertEquals(List.of(), JarRunner.forbiddenEntries(JAR));
    }

    @Test
    void jar_activatesCertificateWithConfigurationFromTheEnvironment() throws Exception {
        TestPki pki = TestPki.newCa("jar-ca");
        TestPki.Issued device = pki.issueDevice();
        try (IotDouble iot = IotDouble.start()) {
            iot.addPolicy("jitr");
            iot.addCertificate(device.pem(), pki.caId(), "PENDING_ACTIVATION");

            JarRunner.Run run = JarRunner.run(JAR,
                    "dev.iotonboard.lambda.activation.CertificateActivationHandler",
                    Map.of("AWS_REGION", IotDouble.REGION, "AWS_ENDPOINT_URL_IOT", iot.endpoint().toString(),
                            "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret",
                            "JITR_POLICY_NAME", "jitr", "CA_CERTIFICATE_ID", pki.caId()),
                    Fixtures.event("registered.json",
                            Map.of("certificateId", device.id(), "caCertificateId", pki.caId())));

            assertEquals(0, run.exitCode(), run.stderr());
            JsonNode answer = Json.MAPPER.readTree(JarRunner.answer(run));
            assertEquals("ACTIVATED", answer.get("outcome").asText(), run.stdout());
            assertEquals("ACTIVE", iot.certificateStatus(device.id()));
            assertEquals(List.of("jitr"), iot.policiesOf(iot.certificateArn(device.id())));
            assertFalse(run.stderr().contains("SLF4J"), run.stderr());
            for (String line : JarRunner.logLines(run)) {
                assertTrue(Json.MAPPER.readTree(line).isObject(), line);
            }
            System.out.printf("certificate-activation cold start: init_ms=%d total_ms=%d%n", run.initMs(),
                    run.totalMs());
        }
    }

    @Test
    void jar_runsUnderTheLambdaRuntimeInterfaceClient() throws Exception {
        TestPki pki = TestPki.newCa("ric-ca");
        TestPki.Issued device = pki.issueDevice();
        try (IotDouble iot = IotDouble.start()) {
            iot.addPolicy("jitr");
            iot.addCertificate(device.pem(), pki.caId(), "PENDING_ACTIVATION");

            RuntimeApiDouble.Result result = JarRunner.runWithRuntimeClient(JAR,
                    "dev.iotonboard.lambda.activation.CertificateActivationHandler::handleRequest",
                    Map.of("AWS_REGION", IotDouble.REGION, "AWS_ENDPOINT_URL_IOT", iot.endpoint().toString(),
                            "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret",
                            "JITR_POLICY_NAME", "jitr", "CA_CERTIFICATE_ID", pki.caId()),
                    Fixtures.event("registered.json",
                            Map.of("certificateId", device.id(), "caCertificateId", pki.caId())));

            assertFalse(result.error(), result.body());
            assertEquals("ACTIVATED", Json.MAPPER.readTree(result.body()).get("outcome").asText());
            assertEquals("ACTIVE", iot.certificateStatus(device.id()));
        }
    }

    @Test
    void jar_throttlingThatOutlastsRetriesIsReportedAsAnInvocationError() {
        TestPki pki = TestPki.newCa("ric-ca");
        TestPki.Issued device = pki.issueDevice();
        try (IotDouble iot = IotDouble.start()) {
            iot.addPolicy("jitr");
            iot.addCertificate(device.pem(), pki.caId(), "PENDING_ACTIVATION");
            iot.failAlways("AttachPolicy", IotDouble.Fault.THROTTLING);

            RuntimeApiDouble.Result result = JarRunner.runWithRuntimeClient(JAR,
                    "dev.iotonboard.lambda.activation.CertificateActivationHandler::handleRequest",
                    Map.of("AWS_REGION", IotDouble.REGION, "AWS_ENDPOINT_URL_IOT", iot.endpoint().toString(),
                            "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret",
                            "JITR_POLICY_NAME", "jitr", "CA_CERTIFICATE_ID", pki.caId()),
                    Fixtures.event("registered.json",
                            Map.of("certificateId", device.id(), "caCertificateId", pki.caId())));

            assertTrue(result.error(), result.body());
            assertTrue(result.body().contains("ThrottlingException"), result.body());
            assertEquals(8, iot.calls("AttachPolicy").size());
            assertEquals("PENDING_ACTIVATION", iot.certificateStatus(device.id()));
        }
    }
}
