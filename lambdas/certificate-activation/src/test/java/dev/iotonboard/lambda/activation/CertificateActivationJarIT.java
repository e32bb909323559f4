package dev.iotonboard.lambda.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.JarRunner;
import dev.iotonboard.lambda.testing.JarTestBed;
import dev.iotonboard.lambda.testing.RuntimeApiDouble;
import dev.iotonboard.lambda.testing.TestPki;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shaded jar, run in a fresh JVM through the handler's no-arg constructor, against the IoT double. */
class CertificateActivationJarIT {

    @RegisterExtension
    final JarTestBed jar = new JarTestBed("certificate-activation.jar", "dev.iotonboard.lambda.activation.CertificateActivationHandler");

    private TestPki.Issued device;
    private Map<String, String> env;
    private String event;

    @BeforeEach
    void pendingDevice() {
        device = jar.pki().issueDevice();
        jar.iot().addPolicy("jitr");
        jar.iot().addCertificate(device.pem(), jar.pki().caId(), "PENDING_ACTIVATION");
        env = jar.env("JITR_POLICY_NAME", "jitr", "CA_CERTIFICATE_ID", jar.pki().caId());
        event = Fixtures.event("registered.json", Map.of("certificateId", device.id(),
                "caCertificateId", jar.pki().caId()));
    }

    @Test
    void jar_hasNoNettyApacheClientOrSignatureFiles() {
        jar.assertSelfContained();
    }

    @Test
    void jar_activatesCertificateWithConfigurationFromTheEnvironment() throws Exception {
        JarRunner.Run run = jar.run(env, event);

        jar.assertCleanRun(run, "certificate-activation");
        JsonNode answer = Json.MAPPER.readTree(JarRunner.answer(run));
        assertEquals("ACTIVATED", answer.get("outcome").asText(), run.stdout());
        assertEquals("ACTIVE", jar.iot().certificateStatus(device.id()));
        assertEquals(List.of("jitr"), jar.iot().policiesOf(jar.iot().certificateArn(device.id())));
        assertEquals("ACTIVE", jar.registry().registry().certificate(device.id()).orElseThrow().status(),
                "the item is written to DEVICE_REGISTRY_TABLE at AWS_ENDPOINT_URL_DYNAMODB");
    }

    @Test
    void jar_runsUnderTheLambdaRuntimeInterfaceClient() throws Exception {
        RuntimeApiDouble.Result result = jar.runWithRuntimeClient(env, event);

        assertFalse(result.error(), result.body());
        assertEquals("ACTIVATED", Json.MAPPER.readTree(result.body()).get("outcome").asText());
        assertEquals("ACTIVE", jar.iot().certificateStatus(device.id()));
    }

    @Test
    void jar_throttlingThatOutlastsRetriesIsReportedAsAnInvocationError() {
        jar.iot().failAlways("AttachPolicy", Fault.THROTTLING);

        RuntimeApiDouble.Result result = jar.runWithRuntimeClient(env, event);

        assertTrue(result.error(), result.body());
        assertTrue(result.body().contains("ThrottlingException"), result.body());
        assertEquals(8, jar.iot().calls("AttachPolicy").size());
        assertEquals("PENDING_ACTIVATION", jar.iot().certificateStatus(device.id()));
    }
}
