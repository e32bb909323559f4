package dev.iotonboard.lambda.provisioning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.testing.EmfLines;
import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.TestPki;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The EMF lines of the provisioning function and of the renewal announcement function, for each kind of outcome
 * (lambdas/README.md, "Metrics").
 */
class ProvisioningMetricsTest extends HandlerTest {

    private String thingName;
    private TestPki.Issued device;
    private String arn;

    @Override
    protected Set<String> declaredOperations() {
        Set<String> both = new HashSet<>(provisioning().iotOperations());
        both.addAll(announcements().iotOperations());
        return both;
    }

    @Override
    protected Set<String> declaredRegistryActions() {
        return provisioning().registryActions();
    }

    /** The state activation leaves in IoT: ACTIVE with the JITR policy, no thing yet (no registry item: the
     * provisioning function falls back to DescribeCertificate and records what IoT said). */
    @BeforeEach
    void activatedDevice() {
        thingName = UUID.randomUUID().toString();
        device = pki.issue(thingName);
        iot.addCertificate(device.pem(), pki.caId(), "ACTIVE");
        arn = iot.certificateArn(device.id());
        iot.attachPolicy(JITR, arn);
    }

    private ThingProvisioningHandler provisioning() {
        return new ThingProvisioningHandler(client, handlerRegistry(), Env.of(Map.of("JITR_POLICY_NAME", JITR,
                "APP_POLICY_NAME", APP, "CA_CERTIFICATE_IDS", pki.caId())));
    }

    private RenewalAnnouncementHandler announcements() {
        return new RenewalAnnouncementHandler(client, Env.of(Map.of("CA_CERTIFICATE_IDS", pki.caId())),
                Clock.systemUTC());
    }

    private String provision(String name) {
        return Handlers.invoke(provisioning(), Fixtures.event("request.json",
                Map.of("thingName", Fixtures.jsonString(name), "certificateId", device.id()))).get("outcome").asText();
    }

    private String announce(String certificateId, String announcerId) {
        return Handlers.invoke(announcements(), Fixtures.event("announcement.json", Map.of("certificateId",
                certificateId, "thingName", Fixtures.jsonString(thingName), "announcerId", announcerId)))
                .get("outcome").asText();
    }

    private EmfLines.Metrics onlyLine() {
        List<EmfLines.Metrics> lines = EmfLines.in(logs);
        assertEquals(1, lines.size(), logs.toString());
        return lines.get(0);
    }

    private void assertCount(String metric) {
        EmfLines.Metrics line = onlyLine();
        assertEquals("IotOnboarding", line.namespace());
        assertEquals(Map.of(metric, 1.0), line.values());
        assertEquals(List.of(List.of()), line.dimensionSets());
        logs.clear();
    }

    private void assertCountByReason(String metric, String reason) {
        EmfLines.Metrics line = onlyLine();
        assertEquals(Map.of(metric, 1.0), line.values());
        assertEquals("Count", line.units().get(metric));
        assertEquals(Map.of("Reason", reason), line.dimensions());
        assertEquals(List.of(List.of(), List.of("Reason")), line.dimensionSets());
        logs.clear();
    }

    // ---- provisioning ---------------------------------------------------------------------------------------

    @Test
    void provisioned_isCounted_andSoIsAReplay() {
        assertEquals("PROVISIONED", provision(thingName));
        assertCount("DevicesProvisioned");

        assertEquals("PROVISIONED", provision(thingName));
        assertCount("DevicesProvisioned");
    }

    @Test
    void refusedRequest_isCountedPerReason() {
        assertEquals("REJECTED", provision("not-a-uuid"));
        assertCountByReason("ProvisioningRefused", "INVALID_THING_NAME");
    }

    @Test
    void refusedCertificate_isCountedPerReason() {
        iot.setCertificateStatus(device.id(), "REVOKED");

        assertEquals("REJECTED", provision(thingName));
        assertCountByReason("ProvisioningRefused", "CERTIFICATE_NOT_ACTIVE");
    }

    @Test
    void identityRuleBroken_isCountedPerReason() {
        assertEquals("REJECTED", provision(UUID.randomUUID().toString()));
        assertCountByReason("ProvisioningRefused", "THING_NAME_NOT_CERTIFICATE_CN");
    }

    @Test
    void malformedRequest_isCountedPerReason() {
        Handlers.invoke(provisioning(), "[]");
        assertCountByReason("ProvisioningRefused", "MALFORMED_EVENT");
    }

    @Test
    void provisioningIotFailure_writesNoLine() {
        iot.failAlways("DescribeCertificate", Fault.INTERNAL_FAILURE);

        assertThrows(SdkException.class, () -> provision(thingName));
        assertEquals(List.of(), EmfLines.in(logs));
    }

    // ---- renewal announcements ------------------------------------------------------------------------------

    @Test
    void recordedAnnouncement_isCounted() {
        provision(thingName);
        logs.clear();

        assertEquals("RECORDED", announce("4e".repeat(32), device.id()));
        assertCount("RenewalsAnnounced");
    }

    @Test
    void refusedAnnouncement_isCountedPerReason() {
        assertEquals("REFUSED", announce("4e".repeat(32), device.id()));
        assertCountByReason("RenewalAnnouncementsRefused", "ANNOUNCER_NOT_ON_THING");

        assertEquals("REFUSED", announce("not an id", device.id()));
        assertCountByReason("RenewalAnnouncementsRefused", "INVALID_CERTIFICATE_ID");

        Handlers.invoke(announcements(), "not json");
        assertCountByReason("RenewalAnnouncementsRefused", "MALFORMED_EVENT");
    }
}
