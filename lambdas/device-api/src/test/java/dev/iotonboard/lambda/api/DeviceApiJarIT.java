package dev.iotonboard.lambda.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.JarRunner;
import dev.iotonboard.lambda.testing.JarTestBed;
import dev.iotonboard.lambda.testing.RuntimeApiDouble;
import dev.iotonboard.lambda.testing.TestPki;
import dev.iotonboard.lambda.core.registry.CaItem;
import dev.iotonboard.lambda.core.registry.CertificateUpdate;
import dev.iotonboard.lambda.core.registry.Step;
import java.time.Instant;
import dev.iotonboard.lambda.testing.EmfLines;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shaded jar, run in a fresh JVM through the handlers' no-arg constructors. */
class DeviceApiJarIT {

    private static final String AUTHORIZER = "dev.iotonboard.lambda.api.DeviceAuthorizerHandler";
    private static final String SAMPLE = "dev.iotonboard.lambda.api.SampleHandler";

    @RegisterExtension
    final JarTestBed jar = new JarTestBed("device-api.jar", AUTHORIZER);

    private String thingName;
    private String authorizerEvent;

    /** A provisioned device as the registry records it: ACTIVE, bound to the thing its CN names, its CA ACTIVE. */
    @BeforeEach
    void provisionedDevice() {
        thingName = UUID.randomUUID().toString();
        TestPki.Issued device = jar.pki().issue(thingName);
        Instant at = Instant.now().minusSeconds(1);
        jar.registry().registry().write(new CaItem(jar.pki().caId(), "ACTIVE", null, at, Step.ACTIVATED));
        jar.registry().registry().write(CertificateUpdate.of(device.id(), Step.PROVISIONED, at)
                .caCertificateId(jar.pki().caId()).thingName(thingName).status("ACTIVE").boundThing(thingName)
                .validity(device.certificate().getNotBefore().toInstant(),
                        device.certificate().getNotAfter().toInstant())
                .build());
        authorizerEvent = Fixtures.event("authorizer.json", Map.of("clientCertPem", Fixtures.jsonString(device.pem())));
    }

    @Test
    void jar_hasNoNettyApacheClientOrSignatureFiles() {
        jar.assertSelfContained();
    }

    @Test
    void jar_authorizerAllowsActiveCertificateWithConfigurationFromTheEnvironment() throws Exception {
        JarRunner.Run run = jar.run(jar.env("CA_CERTIFICATE_ID", jar.pki().caId(),
                "AUTH_CACHE_TTL_SECONDS", "30"), authorizerEvent);

        jar.assertCleanRun(run, "device-api authorizer");
        JsonNode answer = Json.MAPPER.readTree(JarRunner.answer(run));
        assertEquals(thingName, answer.get("principalId").asText(), run.stdout());
        assertEquals("Allow", answer.get("policyDocument").get("Statement").get(0).get("Effect").asText());
        assertEquals(List.of(), jar.iot().operations(), "no IoT call: the decision comes from the registry");
        List<EmfLines.Metrics> metrics = EmfLines.in(JarRunner.logLines(run));
        assertEquals(List.of(Set.of("AuthorizerAllow"), Set.of("AuthorizerLatency")),
                metrics.stream().map(m -> m.values().keySet()).toList(), run.stdout());
        assertEquals(Map.of("Cache", "MISS"), metrics.get(1).dimensions());
    }

    @Test
    void jar_authorizerDeniesWhenTheRegistryFails() throws Exception {
        JarRunner.Run run = jar.run(jar.env("DEVICE_REGISTRY_TABLE", "no-such-table"), authorizerEvent);

        assertEquals(0, run.exitCode(), "a Deny, not a failed invocation (API Gateway's 500):\n" + run.stderr());
        JsonNode answer = Json.MAPPER.readTree(JarRunner.answer(run));
        assertEquals("Deny", answer.get("policyDocument").get("Statement").get(0).get("Effect").asText());
        String logged = run.stdout() + run.stderr();
        assertTrue(logged.contains("REGISTRY_UNAVAILABLE") && logged.contains("ResourceNotFoundException"), logged);
    }

    @Test
    void jar_sampleAnswersGood() throws Exception {
        JarRunner.Run run = jar.run(SAMPLE, Map.of(), Fixtures.event("sample.json", Map.of("thingName", thingName)));

        jar.assertCleanRun(run, "device-api sample");
        JsonNode answer = Json.MAPPER.readTree(JarRunner.answer(run));
        assertEquals(200, answer.get("statusCode").asInt());
        assertEquals(thingName, Json.MAPPER.readTree(answer.get("body").asText()).get("thingName").asText());
    }

    @Test
    void jar_authorizerAndSampleRunUnderTheLambdaRuntimeInterfaceClient() throws Exception {
        RuntimeApiDouble.Result authorized = jar.runWithRuntimeClient(
                jar.env("CA_CERTIFICATE_ID", jar.pki().caId()), authorizerEvent);

        assertFalse(authorized.error(), authorized.body());
        JsonNode answer = Json.MAPPER.readTree(authorized.body());
        assertEquals(thingName, answer.get("context").get("thingName").asText());
        assertEquals("Allow", answer.get("policyDocument").get("Statement").get(0).get("Effect").asText());

        RuntimeApiDouble.Result sample = jar.runWithRuntimeClient(SAMPLE, Map.of(),
                Fixtures.event("sample.json", Map.of("thingName", thingName)));

        assertFalse(sample.error(), sample.body());
        JsonNode response = Json.MAPPER.readTree(sample.body());
        assertEquals(200, response.get("statusCode").asInt());
        assertEquals("{\"message\":\"Good.\",\"thingName\":\"" + thingName + "\"}", response.get("body").asText());
    }
}
