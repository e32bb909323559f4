package dev.iotonboard.lambda.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.testing.Dynalite;
import dev.iotonboard.lambda.testing.RegistryTable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

class DeviceRegistryTest {
    private static final String CERT = "a".repeat(64);
    private static final String OTHER_CERT = "b".repeat(64);
    private static final String CA = "c".repeat(64);
    private static final Instant T0 = Instant.ofEpochMilli(1_780_000_000_000L);
    private static final String ARN = "arn:aws:iot:eu-west-1:111122223333:cert/" + CERT;
    private static final String PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    private static Dynalite dynamo;
    private RegistryTable table;
    private DeviceRegistry registry;

    @BeforeAll
    static void startEngine() {
        dynamo = Dynalite.start();
    }

    @AfterAll
    static void stopEngine() {
        dynamo.close();
    }

    @BeforeEach
    void createTable() {
        table = RegistryTable.on(dynamo);
        registry = table.registry();
    }

    @AfterEach
    void closeTable() {
        table.close();
    }

    private CertificateUpdate activated(Instant at) {
        return CertificateUpdate.of(CERT, Step.ACTIVATED, at).caCertificateId(CA).thingName("sensor-1")
                .status("ACTIVE").certificatePem(PEM).certificateArn(ARN).validity(T0.minusSeconds(60), T0.plusSeconds(86_400)).build();
    }

    @Test
    void certificate_roundTripsEveryAttribute() {
        assertTrue(registry.write(activated(T0)));
        assertTrue(registry.write(CertificateUpdate.of(CERT, Step.PROVISIONED, T0.plusMillis(5)).status("ACTIVE")
                .boundThing("sensor-1").build()));

        CertificateItem item = registry.certificate(CERT).orElseThrow();
        assertEquals(new CertificateItem(CERT, CA, "sensor-1", "ACTIVE", "sensor-1", PEM, ARN, T0.minusSeconds(60),
                T0.plusSeconds(86_400), T0.plusMillis(5), Step.PROVISIONED, null), item);
        assertEquals(item, registry.latestCertificate(CERT).orElseThrow());
        assertEquals(Optional.of("sensor-1"), item.bound());
        assertTrue(item.isValidAt(T0));
        assertFalse(item.isValidAt(T0.plusSeconds(86_401)));
        assertEquals("CERTIFICATE", raw("cert#" + CERT).get("kind").s());
        assertEquals(Long.toString(T0.plusMillis(5).toEpochMilli()), raw("cert#" + CERT).get("updatedAt").n());
    }

    @Test
    void ca_roundTrips() {
        CaItem ca = new CaItem(CA, "ACTIVE", T0.plusSeconds(3_600), T0, Step.ACTIVATED);
        assertTrue(registry.write(ca));
        assertEquals(Optional.of(ca), registry.ca(CA));
        assertEquals("CA", raw("ca#" + CA).get("kind").s());
        CaItem withoutExpiry = new CaItem(CA, "INACTIVE", null, T0.plusMillis(1), Step.SYNCED);
        assertTrue(registry.write(withoutExpiry));
        assertEquals(Optional.of(new CaItem(CA, "INACTIVE", T0.plusSeconds(3_600), T0.plusMillis(1), Step.SYNCED)),
                registry.ca(CA), "a writer that did not observe notAfter leaves it");
    }

    @Test
    void allowEntry_roundTrips_andUsedByIsRecorded() {
        AllowEntry listed = new AllowEntry("sensor-1", CERT, null, T0);
        assertTrue(registry.write(listed));
        assertEquals(Optional.of(listed), registry.allowEntry("sensor-1"));
        AllowEntry used = new AllowEntry("sensor-1", CERT, CERT, T0.plusMillis(1));
        assertTrue(registry.write(used));
        assertEquals(Optional.of(used), registry.allowEntry("sensor-1"));
        assertEquals("ALLOW", raw("allow#sensor-1").get("kind").s());
    }

    @Test
    void missingItems_areEmpty() {
        assertEquals(Optional.empty(), registry.certificate(CERT));
        assertEquals(Optional.empty(), registry.ca(CA));
        assertEquals(Optional.empty(), registry.allowEntry("sensor-1"));
        assertEquals(List.of(), registry.certificatesOfThing("sensor-1"));
    }

    @Test
    void lateWrite_withOlderUpdatedAt_doesNotOverwriteNewerState_andIsNotAnError() {
        assertTrue(registry.write(activated(T0)));
        assertTrue(registry.write(CertificateUpdate.of(CERT, Step.REVOKED, T0.plusSeconds(10)).status("REVOKED")
                .unbound().build()));

        boolean written = registry.write(CertificateUpdate.of(CERT, Step.PROVISIONED, T0.plusSeconds(5))
                .status("ACTIVE").boundThing("sensor-1").build());

        assertFalse(written);
        CertificateItem item = registry.certificate(CERT).orElseThrow();
        assertEquals("REVOKED", item.status());
        assertNull(item.boundThing());
        assertEquals(Step.REVOKED, item.step());
        assertEquals(T0.plusSeconds(10), item.updatedAt());
        assertTrue(registry.write(new CaItem(CA, "ACTIVE", null, T0, Step.ACTIVATED)));
        assertFalse(registry.write(new CaItem(CA, "INACTIVE", null, T0.minusSeconds(2), Step.SYNCED)));
        assertEquals("ACTIVE", registry.ca(CA).orElseThrow().status());
    }

    @Test
    void retryOfTheSameObservation_isWrittenAgain() {
        assertTrue(registry.write(activated(T0)));
        assertTrue(registry.write(activated(T0)));
        assertEquals(Step.ACTIVATED, registry.certificate(CERT).orElseThrow().step());
    }

    @Test
    void write_setsOnlyWhatTheWriterObserved_andReplacesStepAndReason() {
        assertTrue(registry.write(CertificateUpdate.of(CERT, Step.REFUSED, T0).status("ACTIVE")
                .reason("THING_OWNED_BY_ANOTHER_CERTIFICATE").build()));
        assertTrue(registry.write(activated(T0.plusMillis(1))));
        assertTrue(registry.write(CertificateUpdate.of(CERT, Step.RETIRED, T0.plusMillis(3)).status("INACTIVE")
                .unbound().build()));

        CertificateItem item = registry.certificate(CERT).orElseThrow();
        assertEquals("INACTIVE", item.status());
        assertEquals(Step.RETIRED, item.step());
        assertNull(item.reason(), "a step without a reason removes the previous one");
        assertEquals(PEM, item.certificatePem());
        assertEquals("sensor-1", item.thingName());
        assertEquals(CA, item.caCertificateId());
        assertEquals(Optional.empty(), item.bound());
    }

    @Test
    void rejection_recordsItsReason() {
        assertTrue(registry.write(CertificateUpdate.of(CERT, Step.REJECTED, T0).caCertificateId(CA)
                .thingName("bad name").status("REVOKED").reason("CN_NOT_A_THING_NAME").build()));
        CertificateItem item = registry.certificate(CERT).orElseThrow();
        assertEquals("CN_NOT_A_THING_NAME", item.reason());
        assertEquals(Step.REJECTED, item.step());
        assertEquals("REVOKED", item.status());
    }

    @Test
    void certificatesOfThing_readsTheIndex_certificateItemsOnly() {
        registry.write(activated(T0));
        registry.write(CertificateUpdate.of(OTHER_CERT, Step.ACTIVATED, T0).thingName("sensor-1").status("ACTIVE")
                .build());
        registry.write(CertificateUpdate.of("d".repeat(64), Step.ACTIVATED, T0).thingName("sensor-2")
                .status("ACTIVE").build());
        registry.write(new AllowEntry("sensor-1", null, null, T0));

        List<String> ids = registry.certificatesOfThing("sensor-1").stream().map(CertificateItem::certificateId)
                .sorted().toList();

        assertEquals(List.of(CERT, OTHER_CERT), ids);
    }

    // ---- activation claims -------------------------------------------------------------------------------------

    private boolean claim(String token, Optional<Instant> registeredAt, Instant now) {
        return registry.claimActivation(CERT, CA, registeredAt, now, now.plusSeconds(30), token);
    }

    @Test
    void claim_isTakenOverByTheSameInvocationsRetry_only() {
        Instant until = T0.plusSeconds(30);
        assertTrue(registry.claimActivation(CERT, CA, Optional.of(T0), T0, until, "request-1"));
        assertFalse(registry.claimActivation(CERT, CA, Optional.of(T0), T0.plusSeconds(1), until, "request-2"),
                "another invocation");
        assertTrue(registry.claimActivation(CERT, CA, Optional.of(T0), T0.plusSeconds(1), until, "request-1"),
                "Lambda's retry of the attempt that crashed holding it");
    }

    @Test
    void claim_isExclusiveUntilItLapses_orIsReleased() {
        assertTrue(claim("first", Optional.of(T0), T0));
        assertFalse(claim("second", Optional.of(T0), T0.plusSeconds(29)), "held");
        assertTrue(claim("after-lapse", Optional.of(T0), T0.plusSeconds(31)), "a claim whose holder died lapses");

        registry.releaseActivation(CERT, "first");
        assertFalse(claim("third", Optional.of(T0), T0.plusSeconds(32)),
                "a lapsed holder's release leaves the new claim alone");
        registry.releaseActivation(CERT, "after-lapse");
        assertTrue(claim("fourth", Optional.of(T0), T0.plusSeconds(32)));
    }

    @Test
    void claim_isRefused_whenTheItemShowsThisRegistrationActive() {
        registry.write(activated(T0.plusMillis(10)));

        assertFalse(claim("duplicate", Optional.of(T0.plusMillis(10)), T0.plusSeconds(1)),
                "observed ACTIVE at the registration instant: done");
        assertTrue(claim("new-registration", Optional.of(T0.plusMillis(11)), T0.plusSeconds(1)),
                "a later registration (deleted and presented again) is claimed");
    }

    @Test
    void claim_isTaken_overARejectionOrAnotherCasItem_orWithoutARegistrationTime() {
        registry.write(CertificateUpdate.of(CERT, Step.REJECTED, T0).caCertificateId(CA).status("ACTIVE")
                .reason("ACTIVE_WITHOUT_POLICY").build());
        assertTrue(claim("over-rejection", Optional.of(T0), T0));
        registry.releaseActivation(CERT, "over-rejection");

        registry.write(CertificateUpdate.of(CERT, Step.ACTIVATED, T0.plusMillis(1)).caCertificateId(OTHER_CERT)
                .status("ACTIVE").build());
        assertTrue(claim("other-ca", Optional.of(T0), T0));
        registry.releaseActivation(CERT, "other-ca");

        registry.write(activated(T0.plusMillis(2)));
        assertTrue(claim("no-time", Optional.empty(), T0), "without a registration time only a claim stops it");
    }

    @Test
    void claim_onAMissingItem_leavesAnItemEveryLaterObservationOverwrites() {
        assertTrue(claim("only", Optional.of(T0), T0));
        CertificateItem claimed = registry.latestCertificate(CERT).orElseThrow();
        assertNull(claimed.status());
        assertNull(claimed.updatedAt());
        assertNull(claimed.step());
        assertEquals("CERTIFICATE", raw("cert#" + CERT).get("kind").s());

        assertTrue(registry.write(activated(T0)), "an item with no observation yet takes the first one");
        assertEquals("ACTIVE", registry.latestCertificate(CERT).orElseThrow().status());
        assertTrue(raw("cert#" + CERT).containsKey("activationClaimUntil"), "a write keeps the claim");
    }

    @Test
    void certificates_readsEveryExistingItemInBatchesOfAHundred_andOmitsTheOthers() {
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 230; i++) {
            String id = String.format("%064x", i + 1);
            written.add(id);
            assertTrue(registry.write(CertificateUpdate.of(id, Step.ACTIVATED, T0).caCertificateId(CA)
                    .thingName("sensor-" + i).status("ACTIVE").validity(T0, T0.plusSeconds(i)).build()));
        }
        List<String> asked = new ArrayList<>(written);
        asked.add(CERT);
        asked.add(written.get(7));

        Map<String, CertificateItem> found = registry.certificates(asked);

        assertEquals(Set.copyOf(written), found.keySet(), "every written id, once; none for CERT");
        assertEquals("sensor-7", found.get(written.get(7)).thingName());
        assertEquals(T0.plusSeconds(229), found.get(written.get(229)).notAfter());
        assertEquals(Map.of(), registry.certificates(List.of()));
    }

    @Test
    void certificates_asksAgainForTheKeysDynamoDbLeftUnprocessed() {
        assertTrue(registry.write(activated(T0)));
        assertTrue(registry.write(CertificateUpdate.of(OTHER_CERT, Step.ACTIVATED, T0).status("ACTIVE").build()));
        LeavingUnprocessed client = new LeavingUnprocessed(table.client(), 1);

        Map<String, CertificateItem> found = new DeviceRegistry(client, table.name())
                .certificates(List.of(CERT, OTHER_CERT));

        assertEquals(Set.of(CERT, OTHER_CERT), found.keySet());
        assertEquals(2, client.requests);
    }

    @Test
    void certificates_keysLeftUnprocessedEveryTime_areAbsent_afterTheRetries() {
        assertTrue(registry.write(activated(T0)));
        LeavingUnprocessed client = new LeavingUnprocessed(table.client(), Integer.MAX_VALUE);

        assertEquals(Map.of(), new DeviceRegistry(client, table.name()).certificates(List.of(CERT)));
        assertEquals(1 + DeviceRegistry.UNPROCESSED_RETRIES, client.requests);
    }

    /** The real client, whose first {@code times} BatchGetItem answers return every key as unprocessed. */
    private static final class LeavingUnprocessed implements DynamoDbClient {
        private final DynamoDbClient real;
        private final int times;
        int requests;

        LeavingUnprocessed(DynamoDbClient real, int times) {
            this.real = real;
            this.times = times;
        }

        @Override
        public BatchGetItemResponse batchGetItem(BatchGetItemRequest request) {
            requests++;
            if (requests <= times) {
                return BatchGetItemResponse.builder().responses(Map.of())
                        .unprocessedKeys(request.requestItems()).build();
            }
            return real.batchGetItem(request);
        }

        @Override
        public String serviceName() {
            return real.serviceName();
        }

        @Override
        public void close() {
        }
    }

    @Test
    void missingTable_surfacesAsResourceNotFound() {
        DeviceRegistry nowhere = new DeviceRegistry(table.client(), "no-such-table");
        assertThrows(ResourceNotFoundException.class, () -> nowhere.certificate(CERT));
        assertThrows(ResourceNotFoundException.class, () -> nowhere.write(activated(T0)));
        assertThrows(ResourceNotFoundException.class, () -> nowhere.certificates(List.of(CERT)));
    }

    @Test
    void badKeys_areRefusedBeforeAnyCall() {
        assertThrows(IllegalArgumentException.class, () -> registry.certificate("not-an-id"));
        assertThrows(IllegalArgumentException.class, () -> registry.certificates(List.of(CERT, "not-an-id")));
        assertThrows(IllegalArgumentException.class, () -> CertificateUpdate.of("A".repeat(64), Step.ACTIVATED, T0));
        assertThrows(IllegalArgumentException.class, () -> new CaItem("x", "ACTIVE", null, T0, Step.SYNCED));
    }

    @Test
    void fromEnvironment_readsTheTableName_andNamesTheVariableWhenUnset() {
        assertEquals(table.name(), DeviceRegistry.fromEnvironment(
                Env.of(Map.of(DeviceRegistry.TABLE_VARIABLE, table.name())), table.client()).tableName());
        IllegalStateException unset = assertThrows(IllegalStateException.class,
                () -> DeviceRegistry.fromEnvironment(Env.of(Map.of()), table.client()));
        assertTrue(unset.getMessage().contains("DEVICE_REGISTRY_TABLE"), unset.getMessage());
    }

    @Test
    void ifNamed_isTheRegistryOfTheNamedTable_orNoneWithoutNameOrClient() {
        Env named = Env.of(Map.of(DeviceRegistry.TABLE_VARIABLE, table.name()));
        assertEquals(Optional.of(table.name()), DeviceRegistry.ifNamed(named, table.client())
                .map(DeviceRegistry::tableName));
        assertEquals(Optional.empty(), DeviceRegistry.ifNamed(Env.of(Map.of()), table.client()));
        assertEquals(Optional.empty(), DeviceRegistry.ifNamed(named, null));
    }

    private Map<String, AttributeValue> raw(String pk) {
        return table.client().getItem(r -> r.tableName(table.name()).key(Map.of("pk", AttributeValue.fromS(pk))))
                .item();
    }
}
