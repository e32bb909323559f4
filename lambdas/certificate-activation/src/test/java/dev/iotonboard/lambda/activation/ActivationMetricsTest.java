package dev.iotonboard.lambda.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.EmfLines;
import dev.iotonboard.lambda.testing.TestPki;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkException;

/** The EMF lines the activation function writes for each outcome (lambdas/README.md, "Metrics"). */
class ActivationMetricsTest extends HandlerTest {

    private TestPki.Issued device;
    private CertificateActivationHandler handler;

    @Override
    protected Set<String> declaredOperations() {
        return handler.iotOperations();
    }

    @Override
    protected Set<String> declaredRegistryActions() {
        return handler.registryActions();
    }

    @BeforeEach
    void pendingDevice() {
        device = pki.issueDevice();
        iot.addCertificate(device.pem(), pki.caId(), "PENDING_ACTIVATION");
        handler = newContainer();
    }

    private CertificateActivationHandler newContainer() {
        return new CertificateActivationHandler(client, handlerRegistry(), Env.of(Map.of("JITR_POLICY_NAME", JITR,
                "CA_CERTIFICATE_IDS", pki.caId())), Clock.systemUTC());
    }

    private String activate(String certificateId, String caId) {
        return Handlers.invoke(handler, Fixtures.event("registered.json", Map.of("certificateId", certificateId,
                "caCertificateId", caId))).get("outcome").asText();
    }

    private EmfLines.Metrics onlyLine() {
        List<EmfLines.Metrics> lines = EmfLines.in(logs);
        assertEquals(1, lines.size(), logs.toString());
        return lines.get(0);
    }

    @Test
    void activated_countsTheEventAndTheActivation() {
        assertEquals("ACTIVATED", activate(device.id(), pki.caId()));

        EmfLines.Metrics line = onlyLine();
        assertEquals("IotOnboarding", line.namespace());
        assertEquals(Map.of("RegisteredEvents", 1.0, "CertificatesActivated", 1.0), line.values());
        assertEquals(List.of(List.of()), line.dimensionSets());
    }

    @Test
    void duplicate_countsTheEventAndAlreadyActive() {
        activate(device.id(), pki.caId());
        logs.clear();

        assertEquals("ALREADY_ACTIVE", activate(device.id(), pki.caId()));

        EmfLines.Metrics line = onlyLine();
        assertEquals(Map.of("RegisteredEvents", 1.0, "CertificatesAlreadyActive", 1.0), line.values());
        assertEquals(List.of(List.of()), line.dimensionSets());
    }

    @Test
    void duplicateAbsorbedByTheRegistryInAnotherContainer_countsAsAlreadyActive() {
        activate(device.id(), pki.caId());
        handler = newContainer();
        iot.clearCalls();
        logs.clear();

        assertEquals("ALREADY_ACTIVE", activate(device.id(), pki.caId()));

        assertEquals(List.of(), iot.operations(), "absorbed by the registry item");
        assertEquals(Map.of("RegisteredEvents", 1.0, "CertificatesAlreadyActive", 1.0), onlyLine().values());
    }

    @Test
    void duplicateWhileAnotherInvocationActivates_countsAsInProgress() {
        Instant now = Instant.now();
        assertTrue(registry().claimActivation(device.id(), pki.caId(),
                Optional.of(Instant.ofEpochMilli(1732838399000L)), now, now.plusSeconds(60), "another-invocation"));

        assertEquals("IN_PROGRESS", activate(device.id(), pki.caId()));

        assertEquals(Map.of("RegisteredEvents", 1.0, "ActivationsInProgress", 1.0), onlyLine().values());
        assertEquals(List.of(List.of()), onlyLine().dimensionSets());
    }

    @Test
    void rejected_countsTheEvent_andTheRejectionInTotalAndPerReason() {
        TestPki.Issued foreign = otherPki.issueDevice();

        assertEquals("REJECTED", activate(foreign.id(), otherPki.caId()));

        assertRejected("UNKNOWN_CA");
    }

    @Test
    void rejectedByIot_carriesItsReason() {
        iot.setCertificateStatus(device.id(), "REVOKED");

        assertEquals("REJECTED", activate(device.id(), pki.caId()));

        assertRejected("NOT_PENDING_ACTIVATION");
    }

    @Test
    void malformedEvent_isCountedAsARejectedEvent() {
        Handlers.invoke(handler, "not json");

        assertRejected("MALFORMED_EVENT");
    }

    @Test
    void iotFailure_writesNoLine_theRetryCounts() {
        iot.failAlways("DescribeCertificate", Fault.INTERNAL_FAILURE);

        assertThrows(SdkException.class, () -> activate(device.id(), pki.caId()));

        assertEquals(List.of(), EmfLines.in(logs));
    }

    private void assertRejected(String reason) {
        List<EmfLines.Metrics> lines = EmfLines.in(logs);
        assertEquals(2, lines.size(), logs.toString());
        assertEquals(Map.of("RegisteredEvents", 1.0), lines.get(0).values());
        assertEquals(List.of(List.of()), lines.get(0).dimensionSets());
        EmfLines.Metrics rejected = lines.get(1);
        assertEquals(Map.of("CertificatesRejected", 1.0), rejected.values());
        assertEquals("Count", rejected.units().get("CertificatesRejected"));
        assertEquals(Map.of("Reason", reason), rejected.dimensions());
        assertEquals(List.of(List.of(), List.of("Reason")), rejected.dimensionSets());
    }
}
