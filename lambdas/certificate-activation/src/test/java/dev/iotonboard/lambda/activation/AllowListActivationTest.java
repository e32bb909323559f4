package dev.iotonboard.lambda.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.ThingNameRule;
import dev.iotonboard.lambda.core.registry.AllowEntry;
import dev.iotonboard.lambda.core.registry.Step;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.TestPki;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** allowList=true (ALLOW_LIST): activation against the allow-list entries of a real dynalite table. */
class AllowListActivationTest extends HandlerTest {

    @Override
    protected Set<String> declaredOperations() {
        return handler("true").iotOperations();
    }

    private CertificateActivationHandler handler(String allowList) {
        Map<String, String> env = new HashMap<>(Map.of("JITR_POLICY_NAME", JITR, "CA_CERTIFICATE_IDS", pki.caId()));
        if (allowList != null) {
            env.put("ALLOW_LIST", allowList);
        }
        return new CertificateActivationHandler(client, registry(), Env.of(env), Clock.systemUTC());
    }

    private TestPki.Issued pending() {
        TestPki.Issued device = pki.issueDevice();
        iot.addCertificate(device.pem(), pki.caId(), "PENDING_ACTIVATION");
        return device;
    }

    private static String cn(TestPki.Issued device) {
        return ThingNameRule.defaultRule().thingOf(CertificateIds.parsePem(device.pem()));
    }

    private void list(String thing, String fingerprint) {
        registry().write(new AllowEntry(thing, fingerprint, null, Instant.now().minusSeconds(60)));
    }

    private JsonNode activate(TestPki.Issued device) {
        return Handlers.invoke(handler("true"), Fixtures.event("registered.json",
                Map.of("certificateId", device.id(), "caCertificateId", pki.caId())));
    }

    private static void assertRejected(JsonNode result, String reason) {
        assertEquals("REJECTED", result.get("outcome").asText(), result.toString());
        assertEquals(reason, result.get("reason").asText(), result.toString());
    }

    @Test
    void aListedCn_isActivated_andItsEntryUsed() {
        TestPki.Issued device = pending();
        list(cn(device), null);

        JsonNode result = activate(device);

        assertEquals("ACTIVATED", result.get("outcome").asText(), result.toString());
        assertEquals("ACTIVE", iot.certificateStatus(device.id()));
        assertEquals(device.id(), registry().allowEntry(cn(device)).orElseThrow().usedBy());
    }

    @Test
    void aCnNotListed_isRefused_andStaysPending_withoutAnyIotWrite() {
        TestPki.Issued device = pending();

        assertRejected(activate(device), "NOT_ALLOWED");

        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(device.id()));
        assertEquals(List.of(), iot.policiesOf(iot.certificateArn(device.id())));
        assertTrue(iot.operations().stream().noneMatch(o -> o.equals("AttachPolicy") || o.equals("UpdateCertificate")),
                iot.operations().toString());
        assertEquals(Step.REJECTED, registry().latestCertificate(device.id()).orElseThrow().step());
        assertEquals("NOT_ALLOWED", registry().latestCertificate(device.id()).orElseThrow().reason());
    }

    @Test
    void aListedCn_isUsedOnce_aSecondCertificateWithTheSameCnIsRefused() {
        TestPki.Issued first = pending();
        list(cn(first), null);
        TestPki.Issued second = pki.device(cn(first)).issue();
        iot.addCertificate(second.pem(), pki.caId(), "PENDING_ACTIVATION");

        assertEquals("ACTIVATED", activate(first).get("outcome").asText());
        assertRejected(activate(second), "ALLOW_ENTRY_USED");

        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(second.id()));
        assertEquals(first.id(), registry().allowEntry(cn(first)).orElseThrow().usedBy());
    }

    @Test
    void aRetryOfTheSameCertificate_afterItUsedTheEntry_converges() {
        TestPki.Issued device = pending();
        list(cn(device), device.id());
        assertTrue(registry().useAllowEntry(cn(device), device.id(), Instant.now()), "a run that crashed after it");

        JsonNode result = activate(device);

        assertEquals("ACTIVATED", result.get("outcome").asText(), result.toString());
    }

    @Test
    void anEntryListedWithAnotherFingerprint_refusesTheCertificate() {
        TestPki.Issued device = pending();
        list(cn(device), "f".repeat(64));

        assertRejected(activate(device), "NOT_ALLOWED");

        assertEquals(null, registry().allowEntry(cn(device)).orElseThrow().usedBy());
    }

    @Test
    void anEntryWithThisFingerprint_isUsed() {
        TestPki.Issued device = pending();
        list(cn(device), device.id());

        assertEquals("ACTIVATED", activate(device).get("outcome").asText());
    }

    @Test
    void withoutTheAllowList_anUnlistedCnIsActivated() {
        TestPki.Issued device = pending();

        JsonNode result = Handlers.invoke(handler(null), Fixtures.event("registered.json",
                Map.of("certificateId", device.id(), "caCertificateId", pki.caId())));

        assertEquals("ACTIVATED", result.get("outcome").asText(), result.toString());
    }

    @Test
    void aBadAllowListValue_refusesToStart() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> handler("yes"));
        assertTrue(e.getMessage().contains("ALLOW_LIST"), e.getMessage());
    }
}
