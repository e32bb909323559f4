package dev.iotonboard.lambda.provisioning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.MutableClock;
import dev.iotonboard.lambda.testing.TestPki;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.iot.IotClient;

class RenewalAnnouncementHandlerTest extends HandlerTest {

    private String thingName;
    private TestPki.Issued current;
    private String currentArn;
    private final String next = "4e".repeat(32);

    @Override
    protected Set<String> declaredOperations() {
        return handler().iotOperations();
    }

    /** T onboarded with its current certificate (ACTIVE, app policy, attached). */
    @BeforeEach
    void onboardedThing() {
        thingName = UUID.randomUUID().toString();
        current = pki.issue(thingName);
        iot.addCertificate(current.pem(), pki.caId(), "ACTIVE");
        currentArn = iot.certificateArn(current.id());
        iot.attachPolicy(APP, currentArn);
        iot.addThing(thingName, currentArn);
    }

    private RenewalAnnouncementHandler handler() {
        return new RenewalAnnouncementHandler(client, Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId())),
                Clock.systemUTC());
    }

    private JsonNode announce(String certificateId, String topicThing, String announcerId) {
        return Handlers.invoke(handler(), Fixtures.event("announcement.json", Map.of("certificateId", certificateId,
                "thingName", Fixtures.jsonString(topicThing), "announcerId", announcerId)));
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

    private void assertNothingRecorded() {
        assertEquals(Map.of(), attributes());
        assertEquals(0, iot.callCount("UpdateThing"));
    }

    private boolean securityLogged(String reason) {
        return logs.stream().anyMatch(l -> l.contains("\"level\":\"WARN\"") && l.contains("\"security\":true")
                && l.contains(reason));
    }

    @Test
    void announce_recordsTheAnnouncementOnTheThing() {
        JsonNode result = announce(next, thingName, current.id());

        assertOutcome(result, "RECORDED", null);
        assertEquals(List.of("DescribeCertificate", "ListPrincipalThings", "UpdateThing"), iot.operations());
        Map<String, String> attributes = attributes();
        assertEquals(1, attributes.size(), "one attribute: a thing without a type has at most three");
        String[] value = attributes.get(RenewalAttributes.ATTRIBUTE).split(":");
        assertEquals(next, value[0]);
        assertEquals(current.id(), value[1]);
        long at = Long.parseLong(value[2]);
        assertTrue(Math.abs(at - System.currentTimeMillis() / 1000) < 60, attributes.toString());
        assertTrue(iot.calls("UpdateThing").get(0).toString().contains("\"merge\":true"),
                iot.calls("UpdateThing").get(0).toString());
    }

    @Test
    void announce_keepsTheThingsOtherAttributes_andALaterAnnouncementReplacesAnEarlierOne() {
        iot.registry().things().update(thingName, Map.of("model", "sensor-v2", "site", "north"), true, null);
        announce("1a".repeat(32), thingName, current.id());

        assertOutcome(announce(next, thingName, current.id()), "RECORDED", null);

        assertEquals("sensor-v2", attributes().get("model"));
        assertTrue(attributes().get(RenewalAttributes.ATTRIBUTE).startsWith(next + ":"), attributes().toString());
    }

    @Test
    void announce_onAThingWhoseAttributesAreFull_isRefusedNotRetried() {
        iot.registry().things().update(thingName, Map.of("a", "1", "b", "2", "c", "3"), true, null);

        assertOutcome(announce(next, thingName, current.id()), "REFUSED", "THING_REFUSED_THE_ANNOUNCEMENT");

        assertEquals(1, iot.callCount("UpdateThing"));
        assertEquals(Map.of("a", "1", "b", "2", "c", "3"), attributes());
    }

    @Test
    void announce_usesTheClockForTheTime() {
        MutableClock clock = new MutableClock();
        RenewalAnnouncementHandler handler = new RenewalAnnouncementHandler(client,
                Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId())), clock);

        Handlers.invoke(handler, Fixtures.event("announcement.json", Map.of("certificateId", next,
                "thingName", thingName, "announcerId", current.id())));

        assertEquals(next + ":" + current.id() + ":" + clock.instant().getEpochSecond(),
                attributes().get(RenewalAttributes.ATTRIBUTE));
    }

    // ---- refusals ---------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"", "ABCDEF", "4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E",
            "4e4e; DROP"})
    void announce_refusesAnAnnouncedIdThatIsNotACertificateId(String bad) {
        assertOutcome(announce(Fixtures.jsonString(bad), thingName, current.id()), "REFUSED",
                "INVALID_CERTIFICATE_ID");

        assertEquals(List.of(), iot.operations());
        assertNothingRecorded();
    }

    @Test
    void announce_refusesTheAnnouncersOwnId() {
        assertOutcome(announce(current.id(), thingName, current.id()), "REFUSED", "INVALID_CERTIFICATE_ID");

        assertNothingRecorded();
    }

    @Test
    void announce_refusesAnAnnouncerThatIsNotACertificate() {
        assertOutcome(announce(next, thingName, "AROAEXAMPLE:session"), "REFUSED", "MALFORMED_EVENT");

        assertEquals(List.of(), iot.operations());
    }

    @Test
    void announce_refusesATopicThingThatIsNoThingName() {
        assertOutcome(announce(next, "not-a-uuid", current.id()), "REFUSED", "INVALID_THING_NAME");

        assertEquals(List.of(), iot.operations());
    }

    @Test
    void announce_refusesMalformedEvents() {
        assertOutcome(Handlers.invoke(handler(), "not json"), "REFUSED", "MALFORMED_EVENT");

        assertEquals(List.of(), iot.operations());
    }

    @Test
    void announce_refusesAnUnknownAnnouncer() {
        assertOutcome(announce(next, thingName, "c".repeat(64)), "REFUSED", "ANNOUNCER_NOT_FOUND");

        assertNothingRecorded();
    }

    @ParameterizedTest
    @ValueSource(strings = {"INACTIVE", "REVOKED", "PENDING_ACTIVATION"})
    void announce_refusesAnAnnouncerThatIsNotActive(String status) {
        iot.setCertificateStatus(current.id(), status);

        assertOutcome(announce(next, thingName, current.id()), "REFUSED", "ANNOUNCER_NOT_ACTIVE");

        assertNothingRecorded();
        assertEquals(status, iot.certificateStatus(current.id()));
    }

    @Test
    void announce_refusesAnAnnouncerOfAnotherCa() {
        TestPki.Issued foreign = otherPki.issue(thingName);
        iot.addCertificate(foreign.pem(), otherPki.caId(), "ACTIVE");
        iot.addThing(thingName, iot.certificateArn(foreign.id()));

        assertOutcome(announce(next, thingName, foreign.id()), "REFUSED", "UNKNOWN_CA");

        assertNothingRecorded();
    }

    @Test
    void announce_duringACaRotation_acceptsAnAnnouncerOfAnyListedCa() {
        RenewalAnnouncementHandler rotating = new RenewalAnnouncementHandler(client,
                Env.of(Map.of("CA_CERTIFICATE_IDS", otherPki.caId() + "," + pki.caId())), Clock.systemUTC());

        JsonNode result = Handlers.invoke(rotating, Fixtures.event("announcement.json", Map.of("certificateId", next,
                "thingName", Fixtures.jsonString(thingName), "announcerId", current.id())));

        assertOutcome(result, "RECORDED", null);
        assertEquals(next, attributes().get(RenewalAttributes.ATTRIBUTE).split(":")[0]);
    }

    @Test
    void announce_forAThingOtherThanTheAnnouncersCn_isASecurityEvent() {
        String victim = UUID.randomUUID().toString();
        iot.addThing(victim);

        assertOutcome(announce(next, victim, current.id()), "REFUSED", "ANNOUNCER_NOT_THING_CN");

        assertEquals(Map.of(), iot.registry().things().get(victim).attributes());
        assertEquals(0, iot.callCount("UpdateThing"));
        assertTrue(securityLogged("ANNOUNCER_NOT_THING_CN"), logs.toString());
    }

    @Test
    void announce_byACertificateNotAttachedToTheThing_isASecurityEvent() {
        TestPki.Issued detached = pki.issue(thingName);
        iot.addCertificate(detached.pem(), pki.caId(), "ACTIVE");

        assertOutcome(announce(next, thingName, detached.id()), "REFUSED", "ANNOUNCER_NOT_ON_THING");

        assertNothingRecorded();
        assertTrue(securityLogged("ANNOUNCER_NOT_ON_THING"), logs.toString());
    }

    @Test
    void announce_byACertificateAlsoOnAnotherThing_isASecurityEvent() {
        iot.addThing(UUID.randomUUID().toString(), currentArn);

        assertOutcome(announce(next, thingName, current.id()), "REFUSED", "ANNOUNCER_NOT_ON_THING");

        assertNothingRecorded();
    }

    // ---- faults -----------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"DescribeCertificate", "ListPrincipalThings", "UpdateThing"})
    void announce_faultOutlastingRetriesFailsTheInvocation_thenConverges(String operation) {
        iot.failAlways(operation, Fault.SERVICE_UNAVAILABLE);

        assertThrows(SdkException.class, () -> announce(next, thingName, current.id()));
        assertEquals(Map.of(), attributes());
        iot.clearFaults();

        assertOutcome(announce(next, thingName, current.id()), "RECORDED", null);
        assertTrue(attributes().get(RenewalAttributes.ATTRIBUTE).startsWith(next + ":"));
    }

    @Test
    void prime_makesNoNetworkCall() {
        IotPrimer primer = new IotPrimer();
        try (IotClient primed = iot.client(IotDouble.fastRetries(), List.of(primer))) {
            RenewalAnnouncementHandler handler = new RenewalAnnouncementHandler(primed,
                    Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId())), Clock.systemUTC());

            assertEquals(3, handler.prime());
            assertEquals(List.of(), iot.operations());
        }
    }
}
