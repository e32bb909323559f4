package dev.iotonboard.lambda.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.JarRunner;
import dev.iotonboard.lambda.testing.JarTestBed;
import dev.iotonboard.lambda.testing.RuntimeApiDouble;
import dev.iotonboard.lambda.testing.TestPki;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shaded jar, run in a fresh JVM through the handler's no-arg constructor, against the IoT double: the reconciler,
 * and its sibling the expiry watch.
 */
class ReconcilerJarIT {

    @RegisterExtension
    final JarTestBed jar = new JarTestBed("reconciler.jar", "dev.iotonboard.lambda.reconciler.ReconcilerHandler");

    private String pending;
    private String active;
    private String event;

    /** A pending certificate registered an hour ago (past the default grace period) and an ACTIVE one, thingless. */
    @BeforeEach
    void strandedDevices() {
        TestPki pki = jar.pki();
        jar.iot().addPolicy("jitr");
        pending = jar.iot().addCertificate(pki.issueDevice().pem(), pki.caId(), "PENDING_ACTIVATION");
        active = jar.iot().addCertificate(pki.issueDevice().pem(), pki.caId(), "ACTIVE");
        jar.iot().setCreationDate(pending, Instant.now().minus(Duration.ofHours(1)));
        jar.iot().setCreationDate(active, Instant.now().minus(Duration.ofHours(2)));
        event = Fixtures.event("scheduled.json", Map.of());
    }

    @Test
    void jar_hasNoNettyApacheClientOrSignatureFiles() {
        jar.assertSelfContained();
    }

    @Test
    void jar_reconcilesWithConfigurationFromTheEnvironment() throws Exception {
        JarRunner.Run run = jar.run(jar.env("JITR_POLICY_NAME", "jitr", "CA_CERTIFICATE_ID",
                jar.pki().caId()), event);

        jar.assertCleanRun(run, "reconciler");
        JsonNode summary = Json.MAPPER.readTree(JarRunner.answer(run));
        assertEquals(1, summary.get("activated").asInt(), run.stdout());
        assertEquals(active, summary.get("activeWithoutThing").get(0).asText(), run.stdout());
        assertTrue(summary.get("complete").asBoolean(), run.stdout());
        assertEquals("ACTIVE", jar.iot().certificateStatus(pending));
        List<dev.iotonboard.lambda.testing.EmfLines.Metrics> metrics =
                dev.iotonboard.lambda.testing.EmfLines.in(JarRunner.logLines(run));
        assertEquals(1, metrics.size(), run.stdout());
        assertEquals(1.0, metrics.get(0).value("ReconcilerPendingRepaired"));
        assertEquals(1.0, metrics.get(0).value("ReconcilerActiveWithoutThing"));
        assertEquals(0.0, metrics.get(0).value("ReconcilerScanIncomplete"));
    }

    @Test
    void jar_withoutCaCertificateId_failsAtInitNamingTheVariable() {
        JarRunner.Run run = jar.run(jar.env("JITR_POLICY_NAME", "jitr"), "{}");

        assertNotEquals(0, run.exitCode());
        assertTrue(run.stderr().contains("environment variable CA_CERTIFICATE_IDS is not set"), run.stderr());
        assertEquals(List.of(), jar.iot().operations());
    }

    @Test
    void jar_runsUnderTheLambdaRuntimeInterfaceClient() throws Exception {
        RuntimeApiDouble.Result result = jar.runWithRuntimeClient(
                jar.env("JITR_POLICY_NAME", "jitr", "CA_CERTIFICATE_ID", jar.pki().caId()), event);

        assertFalse(result.error(), result.body());
        JsonNode summary = Json.MAPPER.readTree(result.body());
        assertEquals(jar.pki().caId(), summary.get("caCertificateIds").get(0).asText());
        assertEquals(2, summary.get("scanned").asInt());
        assertEquals(1, summary.get("activated").asInt());
        assertEquals(List.of(active), List.of(summary.get("activeWithoutThing").get(0).asText()));
        assertTrue(summary.get("complete").asBoolean(), result.body());
        assertEquals("ACTIVE", jar.iot().certificateStatus(pending));
    }

    // ---- the expiry watch, the jar's second handler ---------------------------------------------------------------

    private static final String EXPIRY_WATCH = "dev.iotonboard.lambda.reconciler.ExpiryWatchHandler";

    @Test
    void jar_expiryWatch_reportsAndWritesEmfLines() throws Exception {
        TestPki.Issued soon = jar.pki().device(java.util.UUID.randomUUID().toString())
                .validity(Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(5))).issue();
        jar.iot().addCertificate(soon.pem(), jar.pki().caId(), "ACTIVE");

        JarRunner.Run run = jar.run(EXPIRY_WATCH, jar.env("CA_CERTIFICATE_IDS", jar.pki().caId()), event);

        jar.assertCleanRun(run, "expiry watch");
        JsonNode report = Json.MAPPER.readTree(JarRunner.answer(run));
        assertEquals(1, report.get("cas").get(0).get("expiringSoon").asInt(), run.stdout());
        assertEquals(2, report.get("cas").get(0).get("activeCertificates").asInt(), run.stdout());
        assertEquals(soon.id(), report.get("soonestExpiring").get(0).get("certificateId").asText());
        List<dev.iotonboard.lambda.testing.EmfLines.Metrics> metrics =
                dev.iotonboard.lambda.testing.EmfLines.in(JarRunner.logLines(run));
        assertEquals(2, metrics.size(), run.stdout());
        assertTrue(metrics.stream().anyMatch(m -> m.dimensions().isEmpty()
                && m.value("CertificatesExpiringSoon") == 1.0), run.stdout());
    }

    @Test
    void jar_expiryWatch_runsUnderTheLambdaRuntimeInterfaceClient() throws Exception {
        RuntimeApiDouble.Result result = jar.runWithRuntimeClient(EXPIRY_WATCH,
                jar.env("CA_CERTIFICATE_IDS", jar.pki().caId()), event);

        assertFalse(result.error(), result.body());
        JsonNode report = Json.MAPPER.readTree(result.body());
        assertEquals(jar.pki().caId(), report.get("cas").get(0).get("caCertificateId").asText());
        assertTrue(report.get("complete").asBoolean(), result.body());
    }

    @Test
    void jar_expiryWatch_withoutCaCertificateIds_failsAtInitNamingTheVariable() {
        JarRunner.Run run = jar.run(EXPIRY_WATCH, jar.env(), "{}");

        assertNotEquals(0, run.exitCode());
        assertTrue(run.stderr().contains("environment variable CA_CERTIFICATE_IDS is not set"), run.stderr());
        assertEquals(List.of(), jar.iot().operations());
    }
}
