package dev.iotonboard.lambda.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.registry.CaItem;
import dev.iotonboard.lambda.core.registry.CertificateUpdate;
import dev.iotonboard.lambda.core.registry.Step;
import dev.iotonboard.lambda.testing.EmfLines;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.MutableClock;
import dev.iotonboard.lambda.testing.TestPki;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The EMF lines the authorizer writes for each decision (lambdas/README.md, "Metrics"). */
class AuthorizerMetricsTest extends HandlerTest {

    private final MutableClock clock = new MutableClock();
    private TestPki.Issued device;
    private String thingName;
    private DeviceAuthorizerHandler handler;

    @Override
    protected Set<String> declaredOperations() {
        return handler.iotOperations();
    }

    @Override
    protected Set<String> declaredRegistryActions() {
        return handler.registryActions();
    }

    /** A device as activation records it in the registry: its CA and its certificate ACTIVE, no thing yet. */
    @BeforeEach
    void activeDevice() {
        thingName = UUID.randomUUID().toString();
        device = pki.issue(thingName);
        Instant at = clock.instant().minusSeconds(60);
        registry().write(new CaItem(pki.caId(), "ACTIVE", null, at, Step.ACTIVATED));
        registry().write(CertificateUpdate.of(device.id(), Step.ACTIVATED, at).caCertificateId(pki.caId())
                .thingName(thingName).status("ACTIVE").certificatePem(device.pem())
                .validity(device.certificate().getNotBefore().toInstant(),
                        device.certificate().getNotAfter().toInstant())
                .build());
        handler = new DeviceAuthorizerHandler(client, handlerRegistry(),
                Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId())), clock);
    }

    private void bound(String thing) {
        registry().write(CertificateUpdate.of(device.id(), Step.PROVISIONED, clock.instant().minusSeconds(30))
                .boundThing(thing).build());
    }

    private String authorize(String pem) {
        return Handlers.invoke(handler, Fixtures.event("authorizer.json", Map.of("clientCertPem",
                Fixtures.jsonString(pem)))).at("/policyDocument/Statement/0/Effect").asText();
    }

    @Test
    void allow_isCounted_withItsLatency_fromTheRegistryThenFromTheCache() {
        bound(thingName);

        assertEquals("Allow", authorize(device.pem()));
        assertDecision("AuthorizerAllow", null, "MISS");

        assertEquals("Allow", authorize(device.pem()));
        assertDecision("AuthorizerAllow", null, "HIT");
    }

    @Test
    void denyOfTheCertificate_isCountedPerReason() {
        registry().write(CertificateUpdate.of(device.id(), Step.REVOKED, clock.instant()).status("REVOKED").build());

        assertEquals("Deny", authorize(device.pem()));
        assertDecision("AuthorizerDeny", "NOT_ACTIVE", "MISS");

        assertEquals("Deny", authorize(device.pem()));
        assertDecision("AuthorizerDeny", "NOT_ACTIVE", "HIT");
    }

    @Test
    void denyOfTheIdentityRule_isCountedPerReason() {
        bound(UUID.randomUUID().toString());

        assertEquals("Deny", authorize(device.pem()));
        assertDecision("AuthorizerDeny", "THING_NOT_CERTIFICATE_CN", "MISS");
    }

    @Test
    void denyOfTheRequest_isCountedPerReason() {
        Handlers.invoke(handler, Fixtures.event("authorizer-no-client-cert.json", Map.of()));
        assertDecision("AuthorizerDeny", "NO_CLIENT_CERTIFICATE", "MISS");

        assertEquals("Deny", authorize("not a certificate"));
        assertDecision("AuthorizerDeny", "UNPARSABLE_CERTIFICATE", "MISS");
    }

    @Test
    void denyWhenTheRegistryIsUnavailable_isCountedPerReason_withTheTimeItTook() {
        bound(thingName);
        handler = new DeviceAuthorizerHandler(client, handlerRegistry("no-such-table"),
                Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId())), clock);

        assertEquals("Deny", authorize(device.pem()));
        assertDecision("AuthorizerDeny", DeviceAuthorizerHandler.REGISTRY_UNAVAILABLE, "MISS");
    }

    @Test
    void malformedEvent_isADenyWithoutLatency() {
        Handlers.invoke(handler, "not json");

        List<EmfLines.Metrics> lines = EmfLines.in(logs);
        assertEquals(1, lines.size(), logs.toString());
        assertEquals(Map.of("AuthorizerDeny", 1.0), lines.get(0).values());
        assertEquals(Map.of("Reason", "MALFORMED_EVENT"), lines.get(0).dimensions());
        assertEquals(List.of(List.of(), List.of("Reason")), lines.get(0).dimensionSets());
    }

    /** The call's two lines: the decision (per reason when denied), then the latency in total and per Cache. */
    private void assertDecision(String metric, String reason, String cache) {
        List<EmfLines.Metrics> lines = EmfLines.in(logs);
        assertEquals(2, lines.size(), logs.toString());
        EmfLines.Metrics decision = lines.get(0);
        assertEquals("IotOnboarding", decision.namespace());
        assertEquals(Map.of(metric, 1.0), decision.values());
        if (reason == null) {
            assertEquals(List.of(List.of()), decision.dimensionSets());
        } else {
            assertEquals(Map.of("Reason", reason), decision.dimensions());
            assertEquals(List.of(List.of(), List.of("Reason")), decision.dimensionSets());
        }
        EmfLines.Metrics latency = lines.get(1);
        assertEquals(Set.of("AuthorizerLatency"), latency.values().keySet());
        assertEquals("Milliseconds", latency.units().get("AuthorizerLatency"));
        double millis = latency.value("AuthorizerLatency");
        assertTrue(millis > 0 && millis < 60_000, "a time to decide: " + millis);
        assertEquals(Map.of("Cache", cache), latency.dimensions());
        assertEquals(List.of(List.of(), List.of("Cache")), latency.dimensionSets());
        logs.clear();
    }
}
