package dev.iotonboard.lambda.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.JarRunner;
import dev.iotonboard.lambda.testing.RuntimeApiDouble;
import dev.iotonboard.lambda.testing.TestPki;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shaded jar, run in a fresh JVM through the handler's no-arg constructor, against the IoT double. */
class ReconcilerJarIT {

    private static final Path JAR = Path.of("target", "reconciler.jar");
    private static final String HANDLER = "dev.iotonboard.lambda.reconciler.ReconcilerHandler";

    private static Map<String, String> env(IotDouble iot, String caId) {
        Map<String, String> env = new HashMap<>(Map.of("AWS_REGION", IotDouble.REGION,
                "AWS_ENDPOINT_URL_IOT", iot.endpoint().toString(),
                "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret", "JITR_POLICY_NAME", "jitr"));
        if (caId != null) {
            env.put("CA_CERTIFICATE_ID", caId);
        }
        return env;
    }

    /** A pending certificate registered an hour ago (past the default grace period) and an ACTIVE one, thingless. */
    private static List<String> strandedDevices(IotDouble iot, TestPki pki) {
        TestPki.Issued pending = pki.issueDevice();
        TestPki.Issued active = pki.issueDevice();
        iot.addPolicy("jitr");
        iot.addCertificate(pending.pem(), pki.caId(), "PENDING_ACTIVATION");
        iot.addCertificate(active.pem(), pki.caId(), "ACTIVE");
        iot.setCreationDate(pending.id(), Instant.now().minus(Duration.ofHours(1)));
        iot.setCreationDate(active.id(), Instant.now().minus(Duration.ofHours(2)));
        return List.of(pending.id(), active.id());
    }

    @Test
    void jar_hasNoNettyApacheClientOrSignatureFiles() {
        assertEquals(List.of(), JarRunner.forbiddenEntries(JAR));
    }

    @Test
    void jar_reconcilesWithConfigurationFromTheEnvironment() throws Exception {
        TestPki pki = TestPki.newCa("jar-ca");
        try (IotDouble iot = IotDouble.start()) {
            List<String> ids = strandedDevices(iot, pki);

            JarRunner.Run run = JarRunner.run(JAR, HANDLER, env(iot, pki.caId()),
                    Fixtures.event("scheduled.json", Map.of()));

            assertEquals(0, run.exitCode(), run.stderr());
            JsonNode summary = Json.MAPPER.readTree(JarRunner.answer(run));
            assertEquals(1, summary.get("activated").asInt(), run.stdout());
            assertEquals(ids.get(1), summary.get("activeWithoutThing").get(0).asText(), run.stdout());
            assertTrue(summary.get("complete").asBoolean(), run.stdout());
            assertEquals("ACTIVE", iot.certificateStatus(ids.get(0)));
            assertFalse(run.stderr().contains("SLF4J"), run.stderr());
            for (String line : JarRunner.logLines(run)) {
                assertTrue(Json.MAPPER.readTree(line).isObject(), line);
            }
            System.out.printf("reconciler cold start: init_ms=%d total_ms=%d%n", run.initMs(), run.totalMs());
        }
    }

    @Test
    void jar_withoutCaCertificateId_failsAtInitNamingTheVariable() {
        try (IotDouble iot = IotDouble.start()) {
            JarRunner.Run run = JarRunner.run(JAR, HANDLER, env(iot, null), "{}");

            assertNotEquals(0, run.exitCode());
            assertTrue(run.stderr().contains("environment variable CA_CERTIFICATE_ID is not set"), run.stderr());
            assertEquals(List.of(), iot.operations());
        }
    }

    @Test
    void jar_runsUnderTheLambdaRuntimeInterfaceClient() throws Exception {
        TestPki pki = TestPki.newCa("ric-ca");
        try (IotDouble iot = IotDouble.start()) {
            List<String> ids = strandedDevices(iot, pki);

            RuntimeApiDouble.Result result = JarRunner.runWithRuntimeClient(JAR, HANDLER + "::handleRequest",
                    env(iot, pki.caId()), Fixtures.event("scheduled.json", Map.of()));

            assertFalse(result.error(), result.body());
            JsonNode summary = Json.MAPPER.readTree(result.body());
            assertEquals(pki.caId(), summary.get("caCertificateId").asText());
            assertEquals(2, summary.get("scanned").asInt());
            assertEquals(1, summary.get("activated").asInt());
            assertEquals(List.of(ids.get(1)), List.of(summary.get("activeWithoutThing").get(0).asText()));
            assertTrue(summary.get("complete").asBoolean(), result.body());
            assertEquals("ACTIVE", iot.certificateStatus(ids.get(0)));
        }
    }
}
