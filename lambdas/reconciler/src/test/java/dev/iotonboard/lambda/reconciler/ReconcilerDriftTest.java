package dev.iotonboard.lambda.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.ThingNameRule;
import dev.iotonboard.lambda.core.registry.AllowEntry;
import dev.iotonboard.lambda.core.registry.CaItem;
import dev.iotonboard.lambda.core.registry.CertificateItem;
import dev.iotonboard.lambda.core.registry.CertificateUpdate;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.Step;
import dev.iotonboard.lambda.testing.EmfLines;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.RegistryTable;
import dev.iotonboard.lambda.testing.TestPki;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.iot.IotClient;

/** The reconciler's comparison of the device registry table with IoT, against the IoT double and a real dynalite. */
class ReconcilerDriftTest extends HandlerTest {

    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private final List<IotClient> clients = new ArrayList<>();
    private RegistryTable table;
    private DeviceRegistry registry;

    /** This test's table, in the JVM's shared dynalite; HandlerTest drops it after the test. */
    @BeforeEach
    void newTable() {
        table = registryTable();
        registry = table.registry();
    }

    @Override
    protected Set<String> declaredOperations() {
        Set<String> declared = handler().iotOperations();
        clients.forEach(IotClient::close);
        return declared;
    }

    private ReconcilerHandler handler() {
        return new ReconcilerHandler(Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId(), "JITR_POLICY_NAME", JITR,
                "MAX_REQUESTS_PER_SECOND", "100", DeviceRegistry.TABLE_VARIABLE, table.name())), CLOCK,
                (e, interceptors) -> {
                    IotClient c = iot.client(IotDouble.fastRetries(), interceptors);
                    clients.add(c);
                    return c;
                }, table.client());
    }

    private JsonNode drift() {
        return Handlers.invoke(handler(), Fixtures.event("scheduled.json", Map.of())).get("registryDrift");
    }

    /** A certificate of the CA registered an hour ago with this status; attached to its CN's thing when bound. */
    private String certificate(String status, boolean bound) {
        TestPki.Issued issued = pki.issueDevice();
        iot.addCertificate(issued.pem(), pki.caId(), status);
        iot.setCreationDate(issued.id(), NOW.minus(Duration.ofHours(1)));
        if (bound) {
            iot.addThing(cn(issued.id()), iot.certificateArn(issued.id()));
        }
        return issued.id();
    }

    private String cn(String id) {
        return ThingNameRule.defaultRule().thingOf(CertificateIds.parsePem(iot.certificate(id).pem()));
    }

    /** What provisioning leaves, written a minute before the run. */
    private void provisioned(String id, String status) {
        registry.write(CertificateUpdate.of(id, Step.PROVISIONED, NOW.minusSeconds(60)).status(status)
                .thingName(cn(id)).boundThing(cn(id)).caCertificateId(pki.caId()).build());
    }

    private CertificateItem item(String id) {
        return registry.latestCertificate(id).orElseThrow(() -> new AssertionError("no item for " + id));
    }

    private static void assertCounts(JsonNode drift, int checked, int missing, int status, int binding, int repaired) {
        assertEquals(List.of(checked, missing, status, binding, repaired), List.of(drift.get("checked").asInt(),
                drift.get("missing").asInt(), drift.get("status").asInt(), drift.get("binding").asInt(),
                drift.get("repaired").asInt()), drift.toString());
    }

    @Test
    void agreeingItems_areCheckedAndLeftAsTheyAre() {
        String active = certificate("ACTIVE", true);
        String revoked = certificate("REVOKED", false);
        provisioned(active, "ACTIVE");
        registry.write(CertificateUpdate.of(revoked, Step.REVOKED, NOW.minusSeconds(60)).status("REVOKED").unbound()
                .build());

        JsonNode drift = drift();

        assertCounts(drift, 2, 0, 0, 0, 0);
        assertEquals(Step.PROVISIONED, item(active).step());
        assertEquals(Step.REVOKED, item(revoked).step());
    }

    @Test
    void aCertificateRevokedOutsideTheProject_isRepairedFromIot() {
        String id = certificate("REVOKED", true);
        provisioned(id, "ACTIVE");

        JsonNode drift = drift();

        assertCounts(drift, 1, 0, 1, 0, 1);
        assertEquals(id, drift.get("drifted").get(0).asText());
        assertEquals("REVOKED", item(id).status());
        assertEquals(Step.RECONCILED, item(id).step());
        assertEquals(NOW, item(id).updatedAt(), "observed when the page was listed");
        assertTrue(logs.stream().anyMatch(l -> l.contains("REGISTRY_DRIFT") && l.contains(id)), logs.toString());
        EmfLines.Metrics line = EmfLines.in(logs).get(0);
        assertEquals(1.0, line.value("ReconcilerRegistryDrift"));
        assertEquals(1.0, line.value("ReconcilerDrift"), "the registry's drift is the run's drift too");
    }

    @Test
    void anActiveCertificateDetachedOutsideTheProject_isRecordedUnbound() {
        String id = certificate("ACTIVE", false);
        provisioned(id, "ACTIVE");

        assertCounts(drift(), 1, 0, 0, 1, 1);
        assertNull(item(id).boundThing());
        assertEquals("ACTIVE", item(id).status());
    }

    @Test
    void aMissingItem_isRecreatedWithWhatTheAuthorizerNeeds() {
        String id = certificate("ACTIVE", true);

        assertCounts(drift(), 1, 1, 0, 0, 1);

        CertificateItem item = item(id);
        assertEquals("ACTIVE", item.status());
        assertEquals(cn(id), item.boundThing());
        assertEquals(cn(id), item.thingName());
        assertEquals(pki.caId(), item.caCertificateId());
        assertEquals(iot.certificate(id).pem(), item.certificatePem());
        assertTrue(item.isValidAt(NOW), "validity from DescribeCertificate");
        assertEquals(Step.RECONCILED, item.step());
    }

    @Test
    void newerStateWrittenMeanwhile_isKept_andNotCountedRepaired() {
        String id = certificate("INACTIVE", true);
        registry.write(CertificateUpdate.of(id, Step.SYNCED, NOW.plusSeconds(1)).status("ACTIVE").build());

        assertCounts(drift(), 1, 0, 1, 0, 0);
        assertEquals(Step.SYNCED, item(id).step());
    }

    @Test
    void certificatesWithinTheGracePeriod_areLeft_andPendingOnesAreRecordedByTheActivation() {
        String young = certificate("INACTIVE", false);
        iot.setCreationDate(young, NOW.minusSeconds(10));
        String pending = certificate("PENDING_ACTIVATION", false);

        assertCounts(drift(), 0, 0, 0, 0, 0);
        assertTrue(registry.latestCertificate(young).isEmpty());
        assertEquals(Step.ACTIVATED, item(pending).step(), "the activation it completed records itself");
        assertEquals("ACTIVE", item(pending).status());
    }

    @Test
    void withTheAllowList_thePendingCertificatesItCompletesMustBeListed() {
        String listed = certificate("PENDING_ACTIVATION", false);
        String unlisted = certificate("PENDING_ACTIVATION", false);
        registry.write(new AllowEntry(cn(listed), null, null, NOW.minusSeconds(60)));
        ReconcilerHandler handler = new ReconcilerHandler(Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId(),
                "JITR_POLICY_NAME", JITR, "MAX_REQUESTS_PER_SECOND", "100", DeviceRegistry.TABLE_VARIABLE,
                table.name(), "ALLOW_LIST", "true")), CLOCK, (e, interceptors) -> {
                    IotClient c = iot.client(IotDouble.fastRetries(), interceptors);
                    clients.add(c);
                    return c;
                }, table.client());

        JsonNode summary = Handlers.invoke(handler, Fixtures.event("scheduled.json", Map.of()));

        assertEquals(1, summary.get("activated").asInt(), summary.toString());
        assertEquals(1, summary.get("rejected").asInt(), summary.toString());
        assertEquals("ACTIVE", iot.certificateStatus(listed));
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(unlisted));
        assertEquals(listed, registry.allowEntry(cn(listed)).orElseThrow().usedBy());
    }

    @Test
    void theCaItem_isComparedOncePerRun_andRewrittenWhenItDiffers() {
        iot.setCaStatus(pki.caId(), "ACTIVE");
        registry.write(new CaItem(pki.caId(), "ACTIVE", null, NOW.minusSeconds(60), Step.ACTIVATED));

        assertEquals(0, drift().get("cas").asInt());
        iot.setCaStatus(pki.caId(), "INACTIVE");
        JsonNode drift = drift();

        assertEquals(1, drift.get("cas").asInt(), drift.toString());
        CaItem ca = registry.ca(pki.caId()).orElseThrow();
        assertEquals("INACTIVE", ca.status());
        assertEquals(Step.RECONCILED, ca.step());
    }

    @Test
    void withoutADynamoDbClient_thereIsNoComparison() {
        certificate("REVOKED", false);
        ReconcilerHandler handler = new ReconcilerHandler(Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId(),
                "JITR_POLICY_NAME", JITR, "MAX_REQUESTS_PER_SECOND", "100", DeviceRegistry.TABLE_VARIABLE,
                table.name())), CLOCK, (e, interceptors) -> {
                    IotClient c = iot.client(IotDouble.fastRetries(), interceptors);
                    clients.add(c);
                    return c;
                });

        JsonNode drift = Handlers.invoke(handler, Fixtures.event("scheduled.json", Map.of())).get("registryDrift");

        assertCounts(drift, 0, 0, 0, 0, 0);
    }
}
