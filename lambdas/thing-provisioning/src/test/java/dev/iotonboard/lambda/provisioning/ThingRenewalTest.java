package dev.iotonboard.lambda.provisioning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.TestPki;
import java.time.Duration;
import java.time.Instant;
import dev.iotonboard.lambda.core.registry.CertificateItem;
import dev.iotonboard.lambda.core.registry.CertificateUpdate;
import dev.iotonboard.lambda.core.registry.Step;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The renewal path of thing provisioning: thing T, onboarded with certificate A, is taken over by certificate B
 * (same CN) only when T's renewal announcement names B; A is retired.
 */
class ThingRenewalTest extends HandlerTest {

    private String thingName;
    private TestPki.Issued oldCert;
    private TestPki.Issued newCert;
    private String oldArn;
    private String newArn;

    @Override
    protected Set<String> declaredOperations() {
        return handler().iotOperations();
    }

    /** T provisioned with A (app policy); B registered and activated by JITR (ACTIVE with the JITR policy). */
    @BeforeEach
    void onboardedThingAndItsNextCertificate() {
        thingName = UUID.randomUUID().toString();
        oldCert = pki.issue(thingName);
        newCert = pki.issue(thingName);
        iot.addCertificate(oldCert.pem(), pki.caId(), "ACTIVE");
        oldArn = iot.certificateArn(oldCert.id());
        iot.attachPolicy(APP, oldArn);
        iot.addThing(thingName, oldArn);
        iot.addCertificate(newCert.pem(), pki.caId(), "ACTIVE");
        newArn = iot.certificateArn(newCert.id());
        iot.attachPolicy(JITR, newArn);
    }

    private ThingProvisioningHandler handler() {
        return new ThingProvisioningHandler(client, registry(), Env.of(Map.of("JITR_POLICY_NAME", JITR, "APP_POLICY_NAME", APP,
                "CA_CERTIFICATE_ID", pki.caId())));
    }

    private JsonNode provisionNew() {
        return Handlers.invoke(handler(), Fixtures.event("request.json",
                Map.of("thingName", thingName, "certificateId", newCert.id())));
    }

    private void announce(String certificateId, String announcedBy, Instant at) {
        iot.registry().things().update(thingName, Map.of(RenewalAttributes.ATTRIBUTE,
                certificateId + ":" + announcedBy + ":" + at.getEpochSecond()), true, null);
    }

    private Map<String, String> attributes() {
        return iot.registry().things().get(thingName).attributes();
    }

    private static void assertOutcome(JsonNode result, String outcome, String reason) {
        assertEquals(outcome, result.get("outcome").asText(), result.toString());
        if (reason != null) {
            assertEquals(reason, result.get("reason").asText(), result.toString());
        }
    }

    private void assertRenewed(String oldStatus) {
        assertEquals(List.of(newArn), iot.principalsOf(thingName));
        assertEquals(List.of(thingName), iot.thingsOf(newArn));
        assertEquals(List.of(APP), iot.policiesOf(newArn));
        assertEquals("ACTIVE", iot.certificateStatus(newCert.id()));
        assertEquals(oldStatus, iot.certificateStatus(oldCert.id()));
        assertEquals(List.of(), iot.policiesOf(oldArn));
        assertEquals(List.of(), iot.thingsOf(oldArn));
        assertEquals(Map.of(), attributes(), "the announcement is cleared");
    }

    private void assertOldStillOwnsTheThing() {
        assertEquals(List.of(oldArn), iot.principalsOf(thingName));
        assertEquals(List.of(APP), iot.policiesOf(oldArn));
        assertEquals("ACTIVE", iot.certificateStatus(oldCert.id()));
        assertEquals(List.of(JITR), iot.policiesOf(newArn));
        assertEquals(List.of(), iot.thingsOf(newArn));
    }

    // ---- the renewal ------------------------------------------------------------------------------------------

    @Test
    void renewal_announcedByTheOldCertificate_movesTheThingAndRetiresTheOld() {
        announce(newCert.id(), oldCert.id(), Instant.now());

        JsonNode result = provisionNew();

        assertOutcome(result, "PROVISIONED", null);
        assertTrue(result.get("detail").asText().startsWith("renewed"), result.toString());
        assertRenewed("INACTIVE");
        assertEquals(List.of("DescribeCertificate", "ListPrincipalThings", "DescribeThing", "ListThingPrincipals",
                "AttachThingPrincipal", "AttachPolicy", "DetachPolicy", "UpdateCertificate",
                "ListAttachedPolicies", "DetachPolicy", "DetachThingPrincipal", "UpdateThing"), iot.operations());
        assertEquals("EXCLUSIVE_THING", iot.calls("AttachThingPrincipal").get(0).query().get("thingPrincipalType"));
        assertTrue(logs.stream().anyMatch(l -> l.contains("thing renewed") && l.contains(oldCert.id())),
                logs.toString());
    }

    @Test
    void renewal_recordsTheNewCertificateRenewedOnTheThing_andTheOldRetiredInactiveAndUnbound() {
        registry().write(CertificateUpdate.of(oldCert.id(), Step.PROVISIONED, Instant.now().minusSeconds(60))
                .status("ACTIVE").boundThing(thingName).build());
        announce(newCert.id(), oldCert.id(), Instant.now());

        assertOutcome(provisionNew(), "PROVISIONED", null);

        CertificateItem renewed = registry().certificate(newCert.id()).orElseThrow();
        assertEquals(Step.RENEWED, renewed.step());
        assertEquals(thingName, renewed.boundThing());
        assertEquals("ACTIVE", renewed.status());
        assertEquals(newCert.pem(), renewed.certificatePem(), "read from IoT: no item yet, so recorded whole");
        CertificateItem retired = registry().certificate(oldCert.id()).orElseThrow();
        assertEquals(Step.RETIRED, retired.step());
        assertEquals("INACTIVE", retired.status());
        assertEquals(null, retired.boundThing());
    }

    /** The IoT calls of a renewal from one old certificate: RegistrationPipeline.PROVISIONING_RENEWAL_MAX_CALLS. */
    @Test
    void renewal_makesTwelveCalls() {
        announce(newCert.id(), oldCert.id(), Instant.now());

        provisionNew();

        assertEquals(12, iot.operations().size(), iot.operations().toString());
    }

    @Test
    void renewal_replayAfterCompletion_isAnOrdinaryProvisionedDevice() {
        announce(newCert.id(), oldCert.id(), Instant.now());
        provisionNew();

        assertOutcome(provisionNew(), "PROVISIONED", null);

        assertRenewed("INACTIVE");
    }

    @Test
    void renewal_otherAttributesOfTheThingAreKept() {
        iot.registry().things().update(thingName, Map.of("model", "sensor-v2", "site", "north"), true, null);
        announce(newCert.id(), oldCert.id(), Instant.now());

        assertOutcome(provisionNew(), "PROVISIONED", null);

        assertEquals(Map.of("model", "sensor-v2", "site", "north"), attributes());
    }

    @Test
    void renewal_byOperatorOverride_retiresTheOldAndWritesAnAuditLine() {
        announce(newCert.id(), RenewalAttributes.OPERATOR, Instant.now());

        assertOutcome(provisionNew(), "PROVISIONED", null);

        assertRenewed("INACTIVE");
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"level\":\"WARN\"") && l.contains("\"audit\":true")
                && l.contains(thingName) && l.contains(newCert.id()) && l.contains(oldCert.id())), logs.toString());
    }

    @Test
    void renewal_byOperatorOverrideOfAThingWithoutPrincipal_bindsItWithAnAuditLine() {
        iot.registry().thingPrincipals().detach(thingName, oldArn);
        announce(newCert.id(), RenewalAttributes.OPERATOR, Instant.now());

        assertOutcome(provisionNew(), "PROVISIONED", null);

        assertEquals(List.of(newArn), iot.principalsOf(thingName));
        assertEquals(Map.of(), attributes());
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"audit\":true") && l.contains(newCert.id())),
                logs.toString());
    }

    @Test
    void renewal_aRevokedOldCertificateStaysRevoked() {
        iot.setCertificateStatus(oldCert.id(), "REVOKED");
        announce(newCert.id(), RenewalAttributes.OPERATOR, Instant.now());

        assertOutcome(provisionNew(), "PROVISIONED", null);

        assertRenewed("REVOKED");
    }

    @Test
    void renewal_anInactiveOldCertificateStaysInactive() {
        iot.setCertificateStatus(oldCert.id(), "INACTIVE");
        announce(newCert.id(), oldCert.id(), Instant.now());

        assertOutcome(provisionNew(), "PROVISIONED", null);

        assertRenewed("INACTIVE");
    }

    @Test
    void renewal_everyOtherPrincipalIsRetired() {
        TestPki.Issued third = pki.issue(thingName);
        iot.addCertificate(third.pem(), pki.caId(), "ACTIVE");
        String thirdArn = iot.certificateArn(third.id());
        iot.attachPolicy(APP, thirdArn);
        iot.addThing(thingName, thirdArn);
        announce(newCert.id(), oldCert.id(), Instant.now());

        assertOutcome(provisionNew(), "PROVISIONED", null);

        assertRenewed("INACTIVE");
        assertEquals("INACTIVE", iot.certificateStatus(third.id()));
        assertEquals(List.of(), iot.policiesOf(thirdArn));
    }

    // ---- refusals ---------------------------------------------------------------------------------------------

    @Test
    void renewal_withoutAnnouncement_isRefusedAndLoggedAsToday() {
        JsonNode result = provisionNew();

        assertOutcome(result, "REJECTED", "THING_OWNED_BY_ANOTHER_CERTIFICATE");
        assertOldStillOwnsTheThing();
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"security\":true")
                && l.contains("THING_OWNED_BY_ANOTHER_CERTIFICATE")), logs.toString());
    }

    @Test
    void renewal_announcementOfAnotherCertificate_isRefused() {
        announce("ab".repeat(32), oldCert.id(), Instant.now());

        assertOutcome(provisionNew(), "REJECTED", "THING_OWNED_BY_ANOTHER_CERTIFICATE");

        assertOldStillOwnsTheThing();
        assertTrue(attributes().get(RenewalAttributes.ATTRIBUTE).startsWith("ab".repeat(32) + ":"));
    }

    @Test
    void renewal_announcementOlderThanTheWindow_isRefused() {
        announce(newCert.id(), oldCert.id(), Instant.now().minus(Duration.ofHours(169)));

        assertOutcome(provisionNew(), "REJECTED", "RENEWAL_ANNOUNCEMENT_EXPIRED");

        assertOldStillOwnsTheThing();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "x", "ab:cd:12", ":operator:1", "%s:operator", "%s:operator:soon", "%s:someone:1",
            "%s:operator:1:2"})
    void renewal_aMalformedAnnouncement_isNoAnnouncement(String value) {
        iot.registry().things().update(thingName, Map.of(RenewalAttributes.ATTRIBUTE, value.replace("%s",
                newCert.id())), true, null);

        assertOutcome(provisionNew(), "REJECTED", "THING_OWNED_BY_ANOTHER_CERTIFICATE");

        assertOldStillOwnsTheThing();
    }

    @Test
    void renewal_windowIsConfigurable() {
        announce(newCert.id(), oldCert.id(), Instant.now().minus(Duration.ofHours(3)));
        ThingProvisioningHandler shortWindow = new ThingProvisioningHandler(client, registry(), Env.of(Map.of(
                "JITR_POLICY_NAME", JITR, "APP_POLICY_NAME", APP, "CA_CERTIFICATE_ID", pki.caId(),
                "RENEWAL_WINDOW_HOURS", "2")));

        assertOutcome(Handlers.invoke(shortWindow, Fixtures.event("request.json",
                Map.of("thingName", thingName, "certificateId", newCert.id()))), "REJECTED",
                "RENEWAL_ANNOUNCEMENT_EXPIRED");
        assertOutcome(provisionNew(), "PROVISIONED", null);
    }

    @Test
    void renewal_announcerNoLongerOnTheThing_isRefused() {
        TestPki.Issued stranger = pki.issue(thingName);
        iot.addCertificate(stranger.pem(), pki.caId(), "ACTIVE");
        announce(newCert.id(), stranger.id(), Instant.now());

        assertOutcome(provisionNew(), "REJECTED", "RENEWAL_ANNOUNCER_NOT_ON_THING");

        assertOldStillOwnsTheThing();
    }

    @Test
    void renewal_aCertificateOfAnotherCn_cannotUseTheAnnouncement() {
        TestPki.Issued squatter = pki.issue(UUID.randomUUID().toString());
        iot.addCertificate(squatter.pem(), pki.caId(), "ACTIVE");
        iot.attachPolicy(JITR, iot.certificateArn(squatter.id()));
        announce(squatter.id(), oldCert.id(), Instant.now());

        JsonNode result = Handlers.invoke(handler(), Fixtures.event("request.json",
                Map.of("thingName", thingName, "certificateId", squatter.id())));

        assertOutcome(result, "REJECTED", "THING_NAME_NOT_CERTIFICATE_CN");
        assertEquals(List.of(oldArn), iot.principalsOf(thingName));
        assertEquals("INACTIVE", iot.certificateStatus(squatter.id()));
    }

    // ---- crash and retry -------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"DescribeThing", "AttachThingPrincipal", "AttachPolicy", "DetachPolicy",
            "UpdateCertificate", "ListAttachedPolicies", "DetachThingPrincipal", "UpdateThing"})
    void renewal_crashAtEachStep_retryConverges(String operation) {
        announce(newCert.id(), oldCert.id(), Instant.now());
        ThingProvisioningHandler container = handler();
        iot.failAlways(operation, Fault.SERVICE_UNAVAILABLE);

        assertThrows(SdkException.class, () -> Handlers.invoke(container, Fixtures.event("request.json",
                Map.of("thingName", thingName, "certificateId", newCert.id()))));
        assertFalse(iot.policiesOf(newArn).isEmpty(), "the new certificate always keeps a policy");
        assertTrue(attributes().get(RenewalAttributes.ATTRIBUTE).startsWith(newCert.id() + ":"),
                "the announcement is cleared last");
        iot.clearFaults();

        assertOutcome(Handlers.invoke(container, Fixtures.event("request.json",
                Map.of("thingName", thingName, "certificateId", newCert.id()))), "PROVISIONED", null);
        assertRenewed("INACTIVE");
    }

    @Test
    void renewal_crashAfterTheOldWasDetachedButBeforeTheAnnouncementWasCleared_retryClearsIt() {
        announce(newCert.id(), oldCert.id(), Instant.now());
        iot.failAlways("UpdateThing", Fault.SERVICE_UNAVAILABLE);
        assertThrows(SdkException.class, this::provisionNew);
        assertEquals(List.of(newArn), iot.principalsOf(thingName));
        iot.clearFaults();
        iot.clearCalls();

        assertOutcome(provisionNew(), "PROVISIONED", null);

        assertRenewed("INACTIVE");
        assertEquals("UpdateThing", iot.operations().get(iot.operations().size() - 1));
    }

    @Test
    void renewal_oldCertificateRevokedDuringTheRun_staysRevoked() {
        announce(newCert.id(), oldCert.id(), Instant.now());
        iot.onNext("UpdateCertificate", () -> iot.setCertificateStatus(oldCert.id(), "REVOKED"));

        assertOutcome(provisionNew(), "PROVISIONED", null);

        assertRenewed("REVOKED");
    }
}
