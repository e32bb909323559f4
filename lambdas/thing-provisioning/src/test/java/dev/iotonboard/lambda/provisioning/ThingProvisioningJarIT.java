package dev.iotonboard.lambda.provisioning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.JarRunner;
import dev.iotonboard.lambda.testing.JarTestBed;
import dev.iotonboard.lambda.testing.RuntimeApiDouble;
import dev.iotonboard.lambda.testing.EmfLines;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shaded jar, run in a fresh JVM through the handler's no-arg constructor, against the IoT double. */
class ThingProvisioningJarIT {

    @RegisterExtension
    final JarTestBed jar = new JarTestBed("thing-provisioning.jar", "dev.iotonboard.lambda.provisioning.ThingProvisioningHandler");

    private String thingName;
    private String arn;
    private String event;

    /** The state activation leaves: ACTIVE with the JITR policy. */
    @BeforeEach
    void activatedDevice() {
        thingName = UUID.randomUUID().toString();
        String id = jar.iot().addCertificate(jar.pki().issue(thingName).pem(), jar.pki().caId(), "ACTIVE");
        arn = jar.iot().certificateArn(id);
        jar.iot().addPolicy("jitr");
        jar.iot().addPolicy("app");
        jar.iot().attachPolicy("jitr", arn);
        event = Fixtures.event("request.json", Map.of("thingName", thingName, "certificateId", id));
    }

    @Test
    void jar_hasNoNettyApacheClientOrSignatureFiles() {
        jar.assertSelfContained();
    }

    /** Any CA (an empty CA_CERTIFICATE_ID), and the endpoint from the general AWS_ENDPOINT_URL. */
    @Test
    void jar_provisionsThingWithConfigurationFromTheEnvironment() throws Exception {
        Map<String, String> env = jar.env("JITR_POLICY_NAME", "jitr", "APP_POLICY_NAME", "app",
                "CA_CERTIFICATE_ID", "", "AWS_ENDPOINT_URL", jar.iot().endpoint().toString());
        env.remove("AWS_ENDPOINT_URL_IOT");

        JarRunner.Run run = jar.run(env, event);

        jar.assertCleanRun(run, "thing-provisioning");
        JsonNode answer = Json.MAPPER.readTree(JarRunner.answer(run));
        assertEquals("PROVISIONED", answer.get("outcome").asText(), run.stdout());
        assertEquals(List.of(arn), jar.iot().principalsOf(thingName));
        assertEquals(List.of("app"), jar.iot().policiesOf(arn));
        assertEquals(List.of(Map.of("DevicesProvisioned", 1.0)),
                EmfLines.in(JarRunner.logLines(run)).stream().map(EmfLines.Metrics::values).toList());
    }

    @Test
    void jar_runsUnderTheLambdaRuntimeInterfaceClient() throws Exception {
        RuntimeApiDouble.Result result = jar.runWithRuntimeClient(jar.env(
                "JITR_POLICY_NAME", "jitr", "APP_POLICY_NAME", "app", "CA_CERTIFICATE_ID", jar.pki().caId()), event);

        assertFalse(result.error(), result.body());
        assertEquals("PROVISIONED", Json.MAPPER.readTree(result.body()).get("outcome").asText());
        assertEquals(List.of(arn), jar.iot().principalsOf(thingName));
        assertEquals(List.of("app"), jar.iot().policiesOf(arn));
    }
}
