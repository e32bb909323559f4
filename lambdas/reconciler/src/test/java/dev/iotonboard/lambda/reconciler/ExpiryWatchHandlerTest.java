package dev.iotonboard.lambda.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.EmbeddedMetrics;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.core.registry.CertificateUpdate;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.Step;
import dev.iotonboard.lambda.reconciler.model.ExpiryReport;
import dev.iotonboard.lambda.testing.EmfLines;
import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.RecordedCall;
import dev.iotonboard.lambda.testing.TestContext;
import dev.iotonboard.lambda.testing.TestPki;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.iot.IotClient;

class ExpiryWatchHandlerTest extends HandlerTest {

    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    /** A CA that expires in ten days (10 days and an hour: whole days round down). */
    private static final TestPki shortCa = TestPki.newCa("short-lived-ca", NOW.plus(Duration.ofDays(10)).plusSeconds(3600));

    private final List<IotClient> clients = new ArrayList<>();

    @Override
    protected Set<String> declaredOperations() {
        Set<String> declared = handler().iotOperations();
        clients.forEach(IotClient::close);
        return declared;
    }

    @Override
    protected Set<String> declaredRegistryActions() {
        return handler().registryActions();
    }

    // ---- fixtures ----------------------------------------------------------------------------------------------

    private ExpiryWatchHandler handler(Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>(Map.of("CA_CERTIFICATE_IDS", pki.caId(),
                "MAX_REQUESTS_PER_SECOND", "100"));
        env.putAll(overrides);
        return new ExpiryWatchHandler(Env.of(env), CLOCK, this::iotClient);
    }

    /** The handler's IoT client on the double, closed after the test. */
    private IotClient iotClient(Env env, List<ExecutionInterceptor> interceptors) {
        IotClient client = iot.client(IotDouble.fastRetries(), interceptors);
        clients.add(client);
        return client;
    }

    private ExpiryWatchHandler handler() {
        return handler(Map.of());
    }

    /** A handler that reads validity from this test's registry table (or the table {@code tableName}). */
    private ExpiryWatchHandler handlerWithRegistry(String tableName) {
        return new ExpiryWatchHandler(Env.of(Map.of("CA_CERTIFICATE_IDS", pki.caId(), "MAX_REQUESTS_PER_SECOND", "100",
                DeviceRegistry.TABLE_VARIABLE, tableName)), CLOCK, this::iotClient, handlerRegistryClient());
    }

    private ExpiryWatchHandler handlerWithRegistry() {
        return handlerWithRegistry(registryTable().name());
    }

    /** The device's item as activation writes it: status, CA, CN and validity read from its PEM. */
    private void recordInRegistry(Device device, String status) {
        X509Certificate x509 = CertificateIds.parsePem(device.pem());
        assertTrue(registry().write(CertificateUpdate.of(device.id(), Step.ACTIVATED, NOW).status(status)
                .caCertificateId(pki.caId()).thingName(device.thing())
                .validity(x509.getNotBefore().toInstant(), x509.getNotAfter().toInstant()).build()));
    }

    private static JsonNode run(ExpiryWatchHandler handler) {
        return Handlers.invoke(handler, Fixtures.event("scheduled.json", Map.of()));
    }

    /** A certificate of {@code ca} for a new thing (its CN) that expires {@code in} from now. */
    private Device device(TestPki ca, String status, Duration in) {
        String thing = UUID.randomUUID().toString();
        TestPki.Issued issued = ca.device(thing).validity(NOW.minus(Duration.ofDays(400)), NOW.plus(in)).issue();
        iot.addCertificate(issued.pem(), ca.caId(), status);
        return new Device(thing, issued.id(), issued.pem());
    }

    private record Device(String thing, String id, String pem) {
    }

    private static JsonNode ca(JsonNode report, String caId) {
        for (JsonNode ca : report.get("cas")) {
            if (ca.get("caCertificateId").asText().equals(caId)) {
                return ca;
            }
        }
        throw new AssertionError("no CA " + caId + " in " + report);
    }

    private static void assertCounts(JsonNode ca, int active, int expiringSoon, int expired, boolean complete) {
        assertEquals(active, ca.get("activeCertificates").asInt(), ca.toString());
        assertEquals(expiringSoon, ca.get("expiringSoon").asInt(), ca.toString());
        assertEquals(expired, ca.get("expired").asInt(), ca.toString());
        assertEquals(complete, ca.get("complete").asBoolean(), ca.toString());
    }

    private static List<String> field(JsonNode devices, String name) {
        List<String> out = new ArrayList<>();
        devices.forEach(d -> out.add(d.get(name).asText()));
        return out;
    }

    /** The EMF line of {@code caId}, and the fleet line (no dimension), from the log. */
    private EmfLines.Metrics caLine(String caId) {
        return EmfLines.in(logs).stream().filter(m -> caId.equals(m.dimensions().get("CaCertificateId")))
                .reduce((a, b) -> {
                    throw new AssertionError("two lines for " + caId);
                }).orElseThrow(() -> new AssertionError("no EMF line for " + caId + ": " + logs));
    }

    private EmfLines.Metrics fleetLine() {
        List<EmfLines.Metrics> fleet = EmfLines.in(logs).stream().filter(m -> m.dimensions().isEmpty()).toList();
        assertEquals(1, fleet.size(), logs.toString());
        return fleet.get(0);
    }

    // ---- certificates ------------------------------------------------------------------------------------------

    @Test
    void scan_countsActiveCertificatesExpiringWithinTheWarningDays_andListsTheSoonestFirst() {
        Device in29 = device(pki, "ACTIVE", Duration.ofDays(29));
        Device in5 = device(pki, "ACTIVE", Duration.ofDays(5));
        Device in31 = device(pki, "ACTIVE", Duration.ofDays(31));
        Device in365 = device(pki, "ACTIVE", Duration.ofDays(365));

        JsonNode report = run(handler());

        assertCounts(ca(report, pki.caId()), 4, 2, 0, true);
        assertTrue(report.get("complete").asBoolean());
        assertEquals(30, report.get("warningDays").asInt());
        JsonNode devices = report.get("soonestExpiring");
        assertEquals(List.of(in5.thing(), in29.thing(), in31.thing(), in365.thing()), field(devices, "thingName"));
        assertEquals(List.of(in5.id(), in29.id(), in31.id(), in365.id()), field(devices, "certificateId"));
        assertEquals(List.of("5", "29", "31", "365"), field(devices, "daysLeft"));
        assertEquals(NOW.plus(Duration.ofDays(5)).toString(), devices.get(0).get("notAfter").asText());
        assertEquals(pki.caId(), devices.get(0).get("caCertificateId").asText());
        assertTrue(logs.stream().anyMatch(l -> l.contains("CERTIFICATE_EXPIRING_SOON") && l.contains(in5.id())
                && l.contains(in5.thing()) && l.contains("\"level\":\"WARN\"")), logs.toString());
        assertTrue(logs.stream().noneMatch(l -> l.contains("CERTIFICATE_EXPIRING_SOON") && l.contains(in31.id())));
    }

    @Test
    void scan_countsExpiredActiveCertificatesApart() {
        Device expired = device(pki, "ACTIVE", Duration.ofHours(-1));
        device(pki, "ACTIVE", Duration.ofDays(3));

        JsonNode report = run(handler());

        assertCounts(ca(report, pki.caId()), 2, 1, 1, true);
        assertEquals(expired.id(), report.get("soonestExpiring").get(0).get("certificateId").asText());
        assertEquals(-1, report.get("soonestExpiring").get(0).get("daysLeft").asLong(), "whole days round down");
        assertTrue(logs.stream().anyMatch(l -> l.contains("CERTIFICATE_EXPIRED") && l.contains(expired.id())),
                logs.toString());
    }

    @Test
    void scan_honoursAConfiguredWarningWindow() {
        device(pki, "ACTIVE", Duration.ofDays(29));
        device(pki, "ACTIVE", Duration.ofDays(6));

        assertCounts(ca(run(handler(Map.of("WARNING_DAYS", "7"))), pki.caId()), 2, 1, 0, true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"INACTIVE", "REVOKED", "PENDING_ACTIVATION"})
    void scan_ignoresCertificatesThatAreNotActive_withoutAskingAboutThem(String status) {
        Device device = device(pki, status, Duration.ofDays(2));

        JsonNode report = run(handler());

        assertCounts(ca(report, pki.caId()), 0, 0, 0, true);
        assertEquals(0, report.get("soonestExpiring").size());
        assertEquals(List.of("DescribeCACertificate", "ListCertificatesByCA"), iot.operations());
        assertEquals(status, iot.certificateStatus(device.id()), "the watch only reads");
    }

    @Test
    void scan_certificateDeactivatedAfterTheListing_isNotCounted() {
        Device device = device(pki, "ACTIVE", Duration.ofDays(2));
        iot.onNext("DescribeCertificate", () -> iot.setCertificateStatus(device.id(), "REVOKED"));

        assertCounts(ca(run(handler()), pki.caId()), 0, 0, 0, true);
    }

    @Test
    void scan_thingNameIsTheCn_onlyWhenItIsAValidThingName() {
        TestPki.Issued odd = pki.device("not a thing name").validity(NOW.minus(Duration.ofDays(1)),
                NOW.plus(Duration.ofDays(2))).issue();
        iot.addCertificate(odd.pem(), pki.caId(), "ACTIVE");

        JsonNode device = run(handler()).get("soonestExpiring").get(0);

        assertEquals(odd.id(), device.get("certificateId").asText());
        assertTrue(device.get("thingName") == null || device.get("thingName").isNull(), device.toString());
    }

    @Test
    void scan_listsAtMostTwentyDevices_theSoonest() {
        List<String> soonest = new ArrayList<>();
        for (int i = 1; i <= ExpiryReport.MAX_DEVICES + 5; i++) {
            Device device = device(pki, "ACTIVE", Duration.ofDays(i));
            if (i <= ExpiryReport.MAX_DEVICES) {
                soonest.add(device.id());
            }
        }

        JsonNode report = run(handler());

        assertEquals(soonest, field(report.get("soonestExpiring"), "certificateId"));
        assertCounts(ca(report, pki.caId()), ExpiryReport.MAX_DEVICES + 5, 25, 0, true);
    }

    // ---- paging, time, faults ----------------------------------------------------------------------------------

    @Test
    void scan_readsEveryPageOldestFirst() {
        for (int i = 1; i <= 510; i++) {
            String id = iot.addCertificate(pki.issueDevice().pem(), pki.caId(), "INACTIVE");
            iot.setCreationDate(id, NOW.minus(Duration.ofDays(600)).plusSeconds(i));
        }
        Device last = device(pki, "ACTIVE", Duration.ofDays(1));
        iot.setCreationDate(last.id(), NOW.minus(Duration.ofDays(1)));

        JsonNode report = run(handler());

        assertCounts(ca(report, pki.caId()), 1, 1, 0, true);
        List<RecordedCall> pages = iot.calls("ListCertificatesByCA");
        assertEquals(3, pages.size());
        assertEquals("/certificates-by-ca/" + pki.caId(), pages.get(0).path());
        assertEquals("true", pages.get(0).query().get("isAscendingOrder"));
        assertEquals("250", pages.get(0).query().get("pageSize"));
        assertEquals(null, pages.get(0).query().get("marker"));
        assertEquals("250", pages.get(1).query().get("marker"));
        assertEquals("500", pages.get(2).query().get("marker"));
        assertEquals(1, iot.callCount("DescribeCertificate"), "only the ACTIVE one is described");
    }

    @Test
    void scan_stopsEarlyWhenTheInvocationRunsOutOfTime_andSaysSo() {
        for (int i = 0; i < 5; i++) {
            device(pki, "ACTIVE", Duration.ofDays(2));
        }
        AtomicInteger checks = new AtomicInteger();
        int tooLittle = (int) ExpiryWatchService.TIME_MARGIN.toMillis() - 1;
        // checks: before the CA, before the page, then before each certificate; the fifth finds too little time
        TestContext context = TestContext.withRemainingTime(() -> checks.incrementAndGet() <= 4 ? 60_000 : tooLittle);

        JsonNode report = Handlers.invoke(handler(), "{}", context);

        assertCounts(ca(report, pki.caId()), 2, 2, 0, false);
        assertEquals(false, report.get("complete").asBoolean());
        assertEquals(2, iot.callCount("DescribeCertificate"));
        assertEquals(1.0, fleetLine().value("ExpiryScanIncomplete"));
        assertEquals(2.0, caLine(pki.caId()).value("CertificatesExpiringSoon"), "a lower bound, still written");
        assertTrue(logs.stream().anyMatch(l -> l.contains("stopping early")), logs.toString());
    }

    @Test
    void scan_withTooLittleTimeLeft_makesNoCall_andReportsEveryCaIncomplete() {
        device(pki, "ACTIVE", Duration.ofDays(2));

        JsonNode report = Handlers.invoke(handler(), "{}", TestContext.withRemainingTime(() -> 1_000));

        assertEquals(List.of(), iot.operations());
        assertEquals(false, ca(report, pki.caId()).get("complete").asBoolean());
        assertEquals(1.0, fleetLine().value("ExpiryScanIncomplete"));
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"THROTTLING", "INTERNAL_FAILURE", "SERVICE_UNAVAILABLE"})
    void scan_survivesFaultsOnEveryOperation(Fault fault) {
        device(pki, "ACTIVE", Duration.ofDays(2));
        device(pki, "ACTIVE", Duration.ofDays(200));
        for (String operation : List.of("DescribeCACertificate", "ListCertificatesByCA", "DescribeCertificate")) {
            iot.failNext(operation, 1, fault);
            iot.failEveryNth(operation, 2, fault);
        }

        assertCounts(ca(run(handler()), pki.caId()), 2, 1, 0, true);
    }

    @Test
    void scan_faultThatOutlastsTheRetries_failsTheRun_andWritesNoMetric() {
        device(pki, "ACTIVE", Duration.ofDays(2));
        iot.failAlways("DescribeCertificate", Fault.SERVICE_UNAVAILABLE);

        assertThrows(SdkException.class, () -> run(handler()));

        assertEquals(IotClients.MAX_ATTEMPTS, iot.callCount("DescribeCertificate"));
        assertEquals(List.of(), EmfLines.in(logs), "no partial figures that an alarm would read as all clear");
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"level\":\"ERROR\"")), logs.toString());
    }

    // ---- the device registry ----------------------------------------------------------------------------------

    @Test
    void withRegistry_validityComesFromTheTable_andNoCertificateIsDescribed() {
        Device in5 = device(pki, "ACTIVE", Duration.ofDays(5));
        Device expired = device(pki, "ACTIVE", Duration.ofHours(-1));
        Device in90 = device(pki, "ACTIVE", Duration.ofDays(90));
        Device inactive = device(pki, "INACTIVE", Duration.ofDays(1));
        for (Device d : List.of(in5, expired, in90)) {
            recordInRegistry(d, "ACTIVE");
        }
        recordInRegistry(inactive, "INACTIVE");

        JsonNode report = run(handlerWithRegistry());

        assertCounts(ca(report, pki.caId()), 3, 1, 1, true);
        JsonNode devices = report.get("soonestExpiring");
        assertEquals(List.of(expired.thing(), in5.thing(), in90.thing()), field(devices, "thingName"));
        assertEquals(List.of("-1", "5", "90"), field(devices, "daysLeft"));
        assertEquals(0, iot.callCount("DescribeCertificate"));
        assertEquals(List.of("dynamodb:BatchGetItem"), registryOperations(), "one request for the page's ACTIVE three");
        assertTrue(logs.stream().anyMatch(l -> l.contains("expiry scan finished")
                && l.contains("\"certificatesDescribed\":0")), logs.toString());
        assertTrue(logs.stream().anyMatch(l -> l.contains("CERTIFICATE_EXPIRED") && l.contains(expired.id())
                && l.contains(expired.thing())), logs.toString());
    }

    @Test
    void withRegistry_aCertificateWithoutAnItem_orWithoutValidityInIt_isDescribed() {
        Device recorded = device(pki, "ACTIVE", Duration.ofDays(5));
        Device unrecorded = device(pki, "ACTIVE", Duration.ofDays(6));
        Device withoutValidity = device(pki, "ACTIVE", Duration.ofDays(7));
        recordInRegistry(recorded, "ACTIVE");
        assertTrue(registry().write(CertificateUpdate.of(withoutValidity.id(), Step.SYNCED, NOW).status("ACTIVE")
                .build()));

        JsonNode report = run(handlerWithRegistry());

        assertCounts(ca(report, pki.caId()), 3, 3, 0, true);
        assertEquals(List.of(recorded.thing(), unrecorded.thing(), withoutValidity.thing()),
                field(report.get("soonestExpiring"), "thingName"));
        assertEquals(Set.of("/certificates/" + unrecorded.id(), "/certificates/" + withoutValidity.id()),
                Set.copyOf(iot.calls("DescribeCertificate").stream().map(RecordedCall::path).toList()));
        assertTrue(logs.stream().anyMatch(l -> l.contains("expiry scan finished")
                && l.contains("\"certificatesDescribed\":2")), logs.toString());
    }

    @Test
    void withRegistry_whetherACertificateIsActive_isTheListingsAnswer_notTheItems() {
        Device activeInIot = device(pki, "ACTIVE", Duration.ofDays(5));
        Device revokedInIot = device(pki, "REVOKED", Duration.ofDays(5));
        recordInRegistry(activeInIot, "INACTIVE");
        recordInRegistry(revokedInIot, "ACTIVE");

        JsonNode report = run(handlerWithRegistry());

        assertCounts(ca(report, pki.caId()), 1, 1, 0, true);
        assertEquals(List.of(activeInIot.id()), field(report.get("soonestExpiring"), "certificateId"));
    }

    @Test
    void withRegistry_readsAPageOfActiveCertificatesAHundredKeysARequest() {
        for (int i = 0; i < 260; i++) {
            recordInRegistry(device(pki, "ACTIVE", Duration.ofDays(100 + i)), "ACTIVE");
        }

        JsonNode report = run(handlerWithRegistry());

        assertCounts(ca(report, pki.caId()), 260, 0, 0, true);
        assertEquals(2, iot.callCount("ListCertificatesByCA"));
        assertEquals(0, iot.callCount("DescribeCertificate"));
        assertEquals(4, registryOperations().size(), "100 + 100 + 50 keys of the first page, 10 of the second");
    }

    @Test
    void withRegistry_aTableThatCannotBeRead_failsTheRun_andWritesNoMetric() {
        device(pki, "ACTIVE", Duration.ofDays(2));

        assertThrows(SdkException.class, () -> run(handlerWithRegistry("no-such-table")));

        assertEquals(List.of(), EmfLines.in(logs));
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"level\":\"ERROR\"") && l.contains("DynamoDb")),
                logs.toString());
    }

    // ---- CAs and metrics ---------------------------------------------------------------------------------------

    @Test
    void scan_reportsDaysUntilEachCaExpires_andWarnsAboutOneWithinTheWindow() {
        iot.setCaStatus(shortCa.caId(), "ACTIVE");
        iot.setCaStatus(pki.caId(), "ACTIVE");
        device(shortCa, "ACTIVE", Duration.ofDays(3));

        JsonNode report = run(handler(Map.of("CA_CERTIFICATE_IDS", pki.caId() + "," + shortCa.caId())));

        JsonNode longCa = ca(report, pki.caId());
        JsonNode soon = ca(report, shortCa.caId());
        assertEquals(10, soon.get("caDaysLeft").asLong());
        assertEquals("ACTIVE", soon.get("caStatus").asText());
        assertEquals(NOW.plus(Duration.ofDays(10)).plusSeconds(3600).toString(), soon.get("caNotAfter").asText());
        assertTrue(longCa.get("caDaysLeft").asLong() > 3600, longCa.toString());
        assertCounts(soon, 1, 1, 0, true);
        assertCounts(longCa, 0, 0, 0, true);
        assertEquals(List.of(pki.caId(), shortCa.caId()), field(report.get("cas"), "caCertificateId"));
        assertTrue(logs.stream().anyMatch(l -> l.contains("CA_EXPIRING_SOON") && l.contains(shortCa.caId())),
                logs.toString());
        assertTrue(logs.stream().noneMatch(l -> l.contains("CA_EXPIRING_SOON") && l.contains(pki.caId())));

        assertEquals(10.0, caLine(shortCa.caId()).value("CaDaysUntilExpiry"));
        assertEquals(10.0, fleetLine().value("CaDaysUntilExpiry"), "the fleet line: the soonest CA");
    }

    @Test
    void scan_writesOneEmfLinePerCa_andOneForTheFleet() {
        iot.setCaStatus(shortCa.caId(), "ACTIVE");
        device(pki, "ACTIVE", Duration.ofDays(2));
        device(pki, "ACTIVE", Duration.ofDays(-2));
        device(pki, "ACTIVE", Duration.ofDays(90));
        device(shortCa, "ACTIVE", Duration.ofDays(1));

        run(handler(Map.of("CA_CERTIFICATE_IDS", pki.caId() + "," + shortCa.caId())));

        List<EmfLines.Metrics> lines = EmfLines.in(logs);
        assertEquals(3, lines.size(), logs.toString());
        assertTrue(lines.stream().allMatch(m -> m.namespace().equals(EmbeddedMetrics.NAMESPACE)));
        assertTrue(lines.stream().allMatch(m -> m.timestamp() == NOW.toEpochMilli()));
        EmfLines.Metrics first = caLine(pki.caId());
        assertEquals(Map.of("ActiveCertificates", 3.0, "CertificatesExpiringSoon", 1.0, "CertificatesExpired", 1.0),
                Map.of("ActiveCertificates", first.value("ActiveCertificates"), "CertificatesExpiringSoon",
                        first.value("CertificatesExpiringSoon"), "CertificatesExpired",
                        first.value("CertificatesExpired")));
        assertEquals("Count", first.units().get("CertificatesExpiringSoon"));
        assertEquals("None", first.units().get("CaDaysUntilExpiry"));
        assertEquals(Set.of("CaCertificateId"), first.dimensions().keySet(), "the CA id, nothing of higher cardinality");
        EmfLines.Metrics fleet = fleetLine();
        assertEquals(2.0, fleet.value("CertificatesExpiringSoon"));
        assertEquals(1.0, fleet.value("CertificatesExpired"));
        assertEquals(0.0, fleet.value("ExpiryScanIncomplete"));
        assertEquals(10.0, fleet.value("CaDaysUntilExpiry"));
    }

    @Test
    void scan_caNotRegistered_isReportedIncomplete_withoutListingItsCertificates() {
        String unknown = "ab".repeat(32);
        iot.setCaStatus(pki.caId(), "ACTIVE");

        JsonNode report = run(handler(Map.of("CA_CERTIFICATE_IDS", unknown + "," + pki.caId())));

        JsonNode missing = ca(report, unknown);
        assertTrue(missing.get("caStatus") == null || missing.get("caStatus").isNull(), missing.toString());
        assertEquals(false, missing.get("complete").asBoolean());
        assertEquals(true, ca(report, pki.caId()).get("complete").asBoolean());
        assertEquals(false, report.get("complete").asBoolean());
        assertEquals(1, iot.callCount("ListCertificatesByCA"), "only the registered CA's certificates are listed");
        assertTrue(logs.stream().anyMatch(l -> l.contains("CA_NOT_REGISTERED") && l.contains(unknown)));
        assertEquals(1.0, fleetLine().value("ExpiryScanIncomplete"));
        assertTrue(EmfLines.in(logs).stream().noneMatch(m -> unknown.equals(m.dimensions().get("CaCertificateId"))));
    }

    @Test
    void scan_logsTheReport() {
        Device device = device(pki, "ACTIVE", Duration.ofDays(2));

        run(handler());

        assertTrue(logs.stream().anyMatch(l -> l.contains("expiry scan finished") && l.contains("\"report\":{")
                && l.contains(device.id())), logs.toString());
    }

    // ---- priming, input and configuration ---------------------------------------------------------------------

    @Test
    void prime_makesNoNetworkCall_andLeavesTheHandlerWorking() {
        device(pki, "ACTIVE", Duration.ofDays(2));
        ExpiryWatchHandler container = handler();

        assertEquals(3, container.prime());
        assertEquals(List.of(), iot.operations());

        assertCounts(ca(run(container), pki.caId()), 1, 1, 0, true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"scheduled.json", "empty-object.json", "not-json.txt"})
    void scan_acceptsAnyInput(String fixture) {
        device(pki, "ACTIVE", Duration.ofDays(2));

        assertCounts(ca(Handlers.invoke(handler(), Fixtures.event(fixture, Map.of())), pki.caId()), 1, 1, 0, true);
    }

    @Test
    void constructor_installsThePrimerThenTheConfiguredRateLimit() {
        AtomicReference<List<ExecutionInterceptor>> installed = new AtomicReference<>();
        new ExpiryWatchHandler(Env.of(Map.of("CA_CERTIFICATE_IDS", pki.caId(), "MAX_REQUESTS_PER_SECOND", "3")),
                CLOCK, (env, interceptors) -> {
                    installed.set(interceptors);
                    IotClient client = iot.client();
                    clients.add(client);
                    return client;
                });

        assertEquals(2, installed.get().size());
        assertTrue(installed.get().get(0) instanceof IotPrimer);
        assertEquals(3, ((RequestRateLimiter) installed.get().get(1)).requestsPerSecond());
    }

    @Test
    void config_defaults_andAListOfCas() {
        ExpiryWatchConfig config = ExpiryWatchConfig.from(Env.of(Map.of("CA_CERTIFICATE_IDS",
                " " + pki.caId() + " , " + otherPki.caId())));

        assertEquals(List.of(pki.caId(), otherPki.caId()), config.caCertificateIds());
        assertEquals(30, config.warningDays());
        assertEquals(2, config.maxRequestsPerSecond());
    }

    static Stream<Arguments> badEnvironments() {
        String ca = "a".repeat(64);
        return Stream.of(
                Arguments.of(Map.of(), "CA_CERTIFICATE_IDS"),
                Arguments.of(Map.of("CA_CERTIFICATE_IDS", "not-a-ca"), "CA_CERTIFICATE_IDS"),
                Arguments.of(Map.of("CA_CERTIFICATE_IDS", ca + ","), "CA_CERTIFICATE_IDS"),
                Arguments.of(Map.of("CA_CERTIFICATE_IDS", ca + "," + ca), "CA_CERTIFICATE_IDS"),
                Arguments.of(Map.of("CA_CERTIFICATE_IDS", ca, "WARNING_DAYS", "0"), "WARNING_DAYS"),
                Arguments.of(Map.of("CA_CERTIFICATE_IDS", ca, "WARNING_DAYS", "thirty"), "WARNING_DAYS"),
                Arguments.of(Map.of("CA_CERTIFICATE_IDS", ca, "MAX_REQUESTS_PER_SECOND", "101"),
                        "MAX_REQUESTS_PER_SECOND"),
                Arguments.of(Map.of("CA_CERTIFICATE_IDS", ca, "THING_NAME_PATTERN", "("), "THING_NAME_PATTERN"));
    }

    @ParameterizedTest
    @MethodSource("badEnvironments")
    void constructor_failsFastNamingTheBadVariable(Map<String, String> env, String variable) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new ExpiryWatchHandler(Env.of(env), CLOCK, (x, interceptors) -> {
                    throw new AssertionError("no client is built for a bad configuration");
                }));

        assertTrue(e.getMessage().contains(variable), e.getMessage());
    }

    @Test
    void daysUntil_roundsDown() {
        assertEquals(0, ExpiryWatchService.daysUntil(NOW.plusSeconds(86_399), NOW));
        assertEquals(1, ExpiryWatchService.daysUntil(NOW.plusSeconds(86_400), NOW));
        assertEquals(-1, ExpiryWatchService.daysUntil(NOW.minusSeconds(1), NOW));
    }
}
