package dev.iotonboard.lambda.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.IotPrimer;

import dev.iotonboard.lambda.core.ThingNameRule;
import dev.iotonboard.lambda.testing.EmfLines;
import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.RecordedCall;
import dev.iotonboard.lambda.testing.TestContext;
import dev.iotonboard.lambda.testing.TestPki;
import dev.iotonboard.lambda.reconciler.model.ReconcilerSummary;
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

class ReconcilerHandlerTest extends HandlerTest {

    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    /** The clients of the handlers a test made (each with the reconciler's interceptors). */
    private final List<IotClient> clients = new ArrayList<>();

    /** The declaration, asked for after the test; then the handlers' clients are closed. */
    @Override
    protected Set<String> declaredOperations() {
        Set<String> declared = handler().iotOperations();
        clients.forEach(IotClient::close);
        return declared;
    }

    // ---- fixtures ----------------------------------------------------------------------------------------------

    /** A handler against the double; 100 requests/s per operation keeps the limiter's waits short. */
    private ReconcilerHandler handler(Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>(Map.of("CA_CERTIFICATE_ID", pki.caId(), "JITR_POLICY_NAME", JITR,
                "MAX_REQUESTS_PER_SECOND", "100"));
        env.putAll(overrides);
        return new ReconcilerHandler(Env.of(env), CLOCK, (e, interceptors) -> {
            IotClient client = iot.client(IotDouble.fastRetries(), interceptors);
            clients.add(client);
            return client;
        });
    }

    private ReconcilerHandler handler() {
        return handler(Map.of());
    }

    private static JsonNode run(ReconcilerHandler handler) {
        return Handlers.invoke(handler, Fixtures.event("scheduled.json", Map.of()));
    }

    /** A certificate of the CA with a real PEM whose CN is a new UUID (see {@link #cn}), registered {@code age} ago. */
    private String certificate(String status, Duration age) {
        TestPki.Issued issued = pki.issueDevice();
        iot.addCertificate(issued.pem(), pki.caId(), status);
        iot.setCreationDate(issued.id(), NOW.minus(age));
        return issued.id();
    }

    /** The subject CN (the thing name) of a certificate made by {@link #certificate}. */
    private String cn(String id) {
        return ThingNameRule.defaultRule().thingOf(CertificateIds.parsePem(iot.certificate(id).pem()));
    }


    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static void assertSummary(JsonNode summary, int scanned, int activated, int rejected,
            boolean complete) {
        assertEquals(scanned, summary.get("scanned").asInt(), summary.toString());
        assertEquals(activated, summary.get("activated").asInt(), summary.toString());
        assertEquals(rejected, summary.get("rejected").asInt(), summary.toString());
        assertEquals(complete, summary.get("complete").asBoolean(), summary.toString());
    }

    // ---- pending certificates ----------------------------------------------------------------------------------

    @Test
    void run_activatesPendingCertificatePastTheGracePeriod() {
        String id = certificate("PENDING_ACTIVATION", Duration.ofMinutes(10));

        JsonNode summary = run(handler());

        assertSummary(summary, 1, 1, 0, true);
        assertEquals(List.of(pki.caId()), texts(summary.get("caCertificateIds")));
        assertEquals(List.of(), texts(summary.get("activeWithoutThing")));
        assertEquals("ACTIVE", iot.certificateStatus(id));
        assertEquals(List.of(JITR), iot.policiesOf(iot.certificateArn(id)));
        assertEquals(List.of("ListCertificatesByCA", "DescribeCertificate", "DescribeCACertificate", "AttachPolicy",
                "UpdateCertificate"), iot.operations());
        RecordedCall list = iot.calls("ListCertificatesByCA").get(0);
        assertEquals("/certificates-by-ca/" + pki.caId(), list.path());
        assertEquals("250", list.query().get("pageSize"));
        assertEquals("false", list.query().get("isAscendingOrder"));
    }

    @Test
    void run_leavesPendingCertificateWithinTheGracePeriodToTheActivationFunction() {
        String id = certificate("PENDING_ACTIVATION", Duration.ofSeconds(299));

        assertSummary(run(handler()), 1, 0, 0, true);

        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(id));
        assertEquals(List.of("ListCertificatesByCA"), iot.operations());
    }

    @Test
    void run_honoursAConfiguredGracePeriod() {
        String id = certificate("PENDING_ACTIVATION", Duration.ofMinutes(10));

        assertSummary(run(handler(Map.of("GRACE_PERIOD_SECONDS", "900"))), 1, 0, 0, true);

        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(id));
    }

    @ParameterizedTest
    @ValueSource(strings = {"REVOKED", "INACTIVE"})
    void run_neverTouchesRevokedOrInactiveCertificates(String status) {
        String id = certificate(status, Duration.ofHours(2));

        assertSummary(run(handler()), 1, 0, 0, true);

        assertEquals(status, iot.certificateStatus(id));
        assertEquals(List.of(), iot.policiesOf(iot.certificateArn(id)));
        assertEquals(List.of("ListCertificatesByCA"), iot.operations());
    }

    @Test
    void run_pendingCertificateRevokedAfterTheListing_isNotActivated() {
        String id = certificate("PENDING_ACTIVATION", Duration.ofHours(2));
        iot.onNext("DescribeCertificate", () -> iot.setCertificateStatus(id, "REVOKED"));

        assertSummary(run(handler()), 1, 0, 1, true);

        assertEquals("REVOKED", iot.certificateStatus(id));
        assertEquals(List.of(), iot.policiesOf(iot.certificateArn(id)));
    }

    @Test
    void run_pendingCertificateThatFailsTheChecks_staysPendingAndIsCountedRejected() {
        TestPki.Issued caTrue = pki.device(java.util.UUID.randomUUID().toString()).ca(true).issue();
        String id = iot.addCertificate(caTrue.pem(), pki.caId(), "PENDING_ACTIVATION");
        iot.setCreationDate(id, NOW.minus(Duration.ofHours(2)));

        assertSummary(run(handler()), 1, 0, 1, true);

        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(id));
    }

    // ---- active certificates -----------------------------------------------------------------------------------

    @Test
    void run_reportsActiveCertificateWithoutThing() {
        String id = certificate("ACTIVE", Duration.ofHours(1));

        JsonNode summary = run(handler());

        assertSummary(summary, 1, 0, 0, true);
        assertEquals(List.of(id), texts(summary.get("activeWithoutThing")));
        assertEquals(List.of("ListCertificatesByCA", "ListPrincipalThings"), iot.operations());
        assertEquals(iot.certificateArn(id), iot.calls("ListPrincipalThings").get(0).header("x-amzn-principal"));
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"level\":\"WARN\"") && l.contains(id)
                && l.contains("\"creationDate\":\"" + NOW.minus(Duration.ofHours(1)) + "\"")), logs.toString());
        assertEquals("ACTIVE", iot.certificateStatus(id));
    }

    @Test
    void run_doesNotReportActiveCertificateWithThing_andDoesNotAskAgainInThisContainer() {
        String id = certificate("ACTIVE", Duration.ofHours(1));
        iot.addThing(cn(id), iot.certificateArn(id));
        iot.attachPolicy(APP, iot.certificateArn(id));
        ReconcilerHandler container = handler();

        JsonNode first = run(container);
        JsonNode second = run(container);

        assertEquals(List.of(), texts(first.get("activeWithoutThing")));
        assertEquals(List.of(), texts(first.get("thingNotCertificateCn")));
        assertEquals(List.of(), texts(first.get("jitrPolicyLeft")));
        assertSummary(second, 1, 0, 0, true);
        assertEquals(List.of("ListCertificatesByCA", "ListPrincipalThings", "DescribeCertificate",
                "ListAttachedPolicies", "ListCertificatesByCA"), iot.operations());
    }

    @Test
    void run_reportsCertificateOnAThingOtherThanItsCn_asASecurityFinding_everyRun() {
        String id = certificate("ACTIVE", Duration.ofHours(1));
        iot.addThing("3f2b8c1e-7d4a-4e9b-9c2f-1a2b3c4d5e6f", iot.certificateArn(id));
        ReconcilerHandler container = handler();

        JsonNode first = run(container);
        JsonNode second = run(container);

        assertEquals(List.of(id), texts(first.get("thingNotCertificateCn")));
        assertEquals(List.of(id), texts(second.get("thingNotCertificateCn")));
        assertEquals(List.of(), texts(first.get("activeWithoutThing")));
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"security\":true") && l.contains(id)
                && l.contains("THING_NOT_CERTIFICATE_CN") && l.contains(cn(id))), logs.toString());
        assertEquals(List.of("3f2b8c1e-7d4a-4e9b-9c2f-1a2b3c4d5e6f"), iot.thingsOf(iot.certificateArn(id)),
                "the reconciler only reports");
    }

    @Test
    void run_reportsCertificateOnSeveralThings() {
        String id = certificate("ACTIVE", Duration.ofHours(1));
        iot.addThing(cn(id), iot.certificateArn(id));
        iot.addThing("3f2b8c1e-7d4a-4e9b-9c2f-1a2b3c4d5e6f", iot.certificateArn(id));

        assertEquals(List.of(id), texts(run(handler()).get("thingNotCertificateCn")));
    }

    @Test
    void run_reportsProvisionedCertificateThatStillHoldsTheJitrPolicy() {
        String id = certificate("ACTIVE", Duration.ofHours(1));
        String arn = iot.certificateArn(id);
        iot.addThing(cn(id), arn);
        iot.attachPolicy(APP, arn);
        iot.attachPolicy(JITR, arn);

        JsonNode summary = run(handler());

        assertEquals(List.of(id), texts(summary.get("jitrPolicyLeft")));
        assertEquals(List.of(), texts(summary.get("thingNotCertificateCn")));
        assertEquals(List.of(APP, JITR), iot.policiesOf(arn), "the reconciler only reports");
        assertTrue(logs.stream().anyMatch(l -> l.contains("JITR_POLICY_LEFT") && l.contains(id)), logs.toString());
    }

    @Test
    void run_leavesPendingCertificateOfAnInactiveCaPending() {
        String id = certificate("PENDING_ACTIVATION", Duration.ofHours(1));
        iot.setCaStatus(pki.caId(), "INACTIVE");

        JsonNode summary = run(handler());

        assertSummary(summary, 1, 0, 1, true);
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(id));
        assertEquals(List.of(), iot.policiesOf(iot.certificateArn(id)));
        assertTrue(logs.stream().anyMatch(l -> l.contains("CA_NOT_ACTIVE") && l.contains(id)), logs.toString());
    }

    @Test
    void run_leavesActiveCertificateWithinTheGracePeriodToTheProvisioningFunction() {
        certificate("ACTIVE", Duration.ofSeconds(30));

        JsonNode summary = run(handler());

        assertEquals(List.of(), texts(summary.get("activeWithoutThing")));
        assertEquals(List.of("ListCertificatesByCA"), iot.operations());
    }

    @Test
    void run_capsTheReportedCertificates_butLogsEachOne() {
        int count = ReconcilerSummary.MAX_REPORTED + 5;
        for (int i = 1; i <= count; i++) {
            certificate("ACTIVE", Duration.ofHours(1).plusSeconds(i));
        }

        JsonNode summary = run(handler());

        assertEquals(ReconcilerSummary.MAX_REPORTED, summary.get("activeWithoutThing").size());
        assertEquals(count, logs.stream().filter(l -> l.contains("ACTIVE_WITHOUT_THING")).count());
        assertSummary(summary, count, 0, 0, true);
    }

    // ---- paging and lookback -----------------------------------------------------------------------------------

    @Test
    void run_pagesNewestFirstThroughEveryPageWithinTheLookback() {
        for (int i = 1; i <= 520; i++) {
            certificate("INACTIVE", Duration.ofHours(1).plusSeconds(i));
        }
        String oldest = certificate("PENDING_ACTIVATION", Duration.ofDays(2));

        JsonNode summary = run(handler());

        assertSummary(summary, 521, 1, 0, true);
        assertEquals("ACTIVE", iot.certificateStatus(oldest));
        List<RecordedCall> pages = iot.calls("ListCertificatesByCA");
        assertEquals(3, pages.size());
        assertEquals(null, pages.get(0).query().get("marker"));
        assertEquals("250", pages.get(1).query().get("marker"));
        assertEquals("500", pages.get(2).query().get("marker"));
    }

    @Test
    void run_stopsPagingAtTheFirstCertificateOlderThanTheLookback() {
        String recent = certificate("PENDING_ACTIVATION", Duration.ofHours(1));
        List<String> old = new ArrayList<>();
        for (int i = 1; i <= 250; i++) {
            old.add(certificate("PENDING_ACTIVATION", Duration.ofHours(169).plusSeconds(i)));
        }

        JsonNode summary = run(handler());

        assertSummary(summary, 1, 1, 0, true);
        assertEquals("ACTIVE", iot.certificateStatus(recent));
        assertEquals(1, iot.callCount("ListCertificatesByCA"), "the first page had a next marker, not followed");
        assertEquals(1, iot.callCount("DescribeCertificate"));
        assertTrue(old.stream().allMatch(id -> iot.certificateStatus(id).equals("PENDING_ACTIVATION")));
    }

    @Test
    void run_honoursAConfiguredLookback() {
        String id = certificate("PENDING_ACTIVATION", Duration.ofHours(3));

        assertSummary(run(handler(Map.of("LOOKBACK_HOURS", "2"))), 0, 0, 0, true);

        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(id));
    }

    // ---- quotas, faults, time ----------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"THROTTLING", "INTERNAL_FAILURE", "SERVICE_UNAVAILABLE"})
    void run_survivesFaultsOnEveryOperation(Fault fault) {
        String pending = certificate("PENDING_ACTIVATION", Duration.ofHours(1));
        String active = certificate("ACTIVE", Duration.ofHours(2));
        for (String operation : List.of("ListCertificatesByCA", "DescribeCertificate", "AttachPolicy",
                "UpdateCertificate", "ListPrincipalThings")) {
            iot.failNext(operation, 1, fault);
            iot.failEveryNth(operation, 2, fault);
        }

        JsonNode summary = run(handler());

        assertSummary(summary, 2, 1, 0, true);
        assertEquals(List.of(active), texts(summary.get("activeWithoutThing")));
        assertEquals("ACTIVE", iot.certificateStatus(pending));
        assertEquals(3, iot.callCount("ListCertificatesByCA"));
    }

    @Test
    void run_faultThatOutlastsTheRetriesFailsTheInvocation() {
        iot.failAlways("ListCertificatesByCA", Fault.SERVICE_UNAVAILABLE);

        assertThrows(SdkException.class, () -> run(handler()));

        assertEquals(IotClients.MAX_ATTEMPTS, iot.callCount("ListCertificatesByCA"));
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"level\":\"ERROR\"")), logs.toString());
    }

    @Test
    void run_crashBetweenPolicyAndActivation_convergesOnTheNextRun() {
        String id = certificate("PENDING_ACTIVATION", Duration.ofHours(1));
        iot.failAlways("UpdateCertificate", Fault.INTERNAL_FAILURE);
        ReconcilerHandler container = handler();

        assertThrows(SdkException.class, () -> run(container));
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(id));
        iot.clearFaults();

        assertSummary(run(container), 1, 1, 0, true);
        assertEquals("ACTIVE", iot.certificateStatus(id));
        assertEquals(List.of(JITR), iot.policiesOf(iot.certificateArn(id)));
    }

    @Test
    void run_stopsEarlyWhenTheInvocationRunsOutOfTime() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(certificate("PENDING_ACTIVATION", Duration.ofHours(1).plusMinutes(i)));
        }
        AtomicInteger checks = new AtomicInteger();
        int plenty = 60_000;
        int tooLittle = (int) ReconcilerService.TIME_MARGIN.toMillis() - 1;
        // checks: before the page, then before each certificate; the fourth check finds too little time
        TestContext context = TestContext.withRemainingTime(() -> checks.incrementAndGet() <= 3 ? plenty : tooLittle);

        JsonNode summary = Handlers.invoke(handler(), "{}", context);

        assertSummary(summary, 2, 2, 0, false);
        assertEquals(List.of("ACTIVE", "ACTIVE", "PENDING_ACTIVATION", "PENDING_ACTIVATION", "PENDING_ACTIVATION"),
                ids.stream().map(iot::certificateStatus).toList(), "newest first");
        assertTrue(logs.stream().anyMatch(l -> l.contains("stopping early")), logs.toString());
    }

    @Test
    void run_withTooLittleTimeLeft_makesNoCallAtAll() {
        certificate("PENDING_ACTIVATION", Duration.ofHours(1));

        JsonNode summary = Handlers.invoke(handler(), "{}", TestContext.withRemainingTime(() -> 1_000));

        assertSummary(summary, 0, 0, 0, false);
        assertEquals(List.of(), iot.operations());
    }

    // ---- SnapStart priming ----------------------------------------------------------------------------------------

    @Test
    void prime_makesNoNetworkCall_andLeavesTheHandlerWorking() {
        String id = certificate("PENDING_ACTIVATION", Duration.ofHours(1));
        ReconcilerHandler container = handler();

        assertEquals(7, container.prime());
        assertEquals(List.of(), iot.operations());

        assertSummary(run(container), 1, 1, 0, true);
        assertEquals("ACTIVE", iot.certificateStatus(id));
    }

    // ---- input and configuration -------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"scheduled.json", "empty-object.json", "not-json.txt"})
    void run_acceptsAnyInput_theContentIsOnlyLogged(String fixture) {
        String id = certificate("PENDING_ACTIVATION", Duration.ofHours(1));

        assertSummary(Handlers.invoke(handler(), Fixtures.event(fixture, Map.of())), 1, 1, 0, true);

        assertEquals("ACTIVE", iot.certificateStatus(id));
    }

    @Test
    void run_logsTheScheduledEventsIdAndTime() {
        run(handler());

        assertTrue(logs.stream().anyMatch(l -> l.contains("reconciler run started")
                && l.contains("53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa") && l.contains("2026-11-29T07:00:00Z")),
                logs.toString());
    }

    @Test
    void constructor_installsTheConfiguredRateLimit() {
        AtomicReference<List<ExecutionInterceptor>> installed = new AtomicReference<>();
        new ReconcilerHandler(Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId(), "JITR_POLICY_NAME", JITR,
                "MAX_REQUESTS_PER_SECOND", "7")), CLOCK, (env, interceptors) -> {
                    installed.set(interceptors);
                    IotClient client = iot.client();
                    clients.add(client);
                    return client;
                });

        assertEquals(2, installed.get().size());
        assertTrue(installed.get().get(0) instanceof IotPrimer, "the primer aborts before the limiter counts");
        assertEquals(7, ((RequestRateLimiter) installed.get().get(1)).requestsPerSecond());
    }

    @Test
    void config_defaults() {
        ReconcilerConfig defaults = ReconcilerConfig.from(Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId(),
                "JITR_POLICY_NAME", JITR)));

        assertEquals(2, defaults.maxRequestsPerSecond());
        assertEquals(Duration.ofSeconds(300), defaults.gracePeriod());
        assertEquals(Duration.ofHours(168), defaults.lookback());
    }

    static Stream<Arguments> badEnvironments() {
        String ca = "a".repeat(64);
        return Stream.of(
                Arguments.of(Map.of("JITR_POLICY_NAME", JITR), "CA_CERTIFICATE_ID"),
                Arguments.of(Map.of("CA_CERTIFICATE_ID", " ", "JITR_POLICY_NAME", JITR), "CA_CERTIFICATE_ID"),
                Arguments.of(Map.of("CA_CERTIFICATE_ID", "not-a-certificate-id", "JITR_POLICY_NAME", JITR),
                        "CA_CERTIFICATE_ID"),
                Arguments.of(Map.of("CA_CERTIFICATE_ID", ca), "JITR_POLICY_NAME"),
                Arguments.of(Map.of("CA_CERTIFICATE_ID", ca, "JITR_POLICY_NAME", JITR, "GRACE_PERIOD_SECONDS", "five"),
                        "GRACE_PERIOD_SECONDS"),
                Arguments.of(Map.of("CA_CERTIFICATE_ID", ca, "JITR_POLICY_NAME", JITR, "GRACE_PERIOD_SECONDS", "-1"),
                        "GRACE_PERIOD_SECONDS"),
                Arguments.of(Map.of("CA_CERTIFICATE_ID", ca, "JITR_POLICY_NAME", JITR, "LOOKBACK_HOURS", "0"),
                        "LOOKBACK_HOURS"),
                Arguments.of(Map.of("CA_CERTIFICATE_ID", ca, "JITR_POLICY_NAME", JITR, "MAX_REQUESTS_PER_SECOND",
                        "0"), "MAX_REQUESTS_PER_SECOND"),
                Arguments.of(Map.of("CA_CERTIFICATE_ID", ca, "JITR_POLICY_NAME", JITR, "MAX_REQUESTS_PER_SECOND",
                        "1.5"), "MAX_REQUESTS_PER_SECOND"),
                Arguments.of(Map.of("CA_CERTIFICATE_ID", ca, "JITR_POLICY_NAME", JITR, "GRACE_PERIOD_SECONDS", "7200",
                        "LOOKBACK_HOURS", "2"), "GRACE_PERIOD_SECONDS"));
    }

    @ParameterizedTest
    @MethodSource("badEnvironments")
    void constructor_failsFastNamingTheBadVariable(Map<String, String> env, String variable) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new ReconcilerHandler(Env.of(env), CLOCK, (x, interceptors) -> {
                    throw new AssertionError("no client is built for a bad configuration");
                }));

        assertTrue(e.getMessage().contains("environment variable " + variable), e.getMessage());
    }

    @Test
    void run_scansEachListedCaInTurn() {
        String first = certificate("PENDING_ACTIVATION", Duration.ofMinutes(10));
        TestPki.Issued issued = otherPki.issueDevice();
        iot.addCertificate(issued.pem(), otherPki.caId(), "PENDING_ACTIVATION");
        iot.setCreationDate(issued.id(), NOW.minus(Duration.ofMinutes(10)));
        TestPki unlisted = TestPki.newCa("unlisted-ca");
        TestPki.Issued foreign = unlisted.issueDevice();
        iot.addCertificate(foreign.pem(), unlisted.caId(), "PENDING_ACTIVATION");
        iot.setCreationDate(foreign.id(), NOW.minus(Duration.ofMinutes(10)));

        JsonNode summary = run(handler(Map.of("CA_CERTIFICATE_ID", "",
                "CA_CERTIFICATE_IDS", pki.caId() + "," + otherPki.caId())));

        assertSummary(summary, 2, 2, 0, true);
        assertEquals(List.of(pki.caId(), otherPki.caId()), texts(summary.get("caCertificateIds")));
        assertEquals("ACTIVE", iot.certificateStatus(first));
        assertEquals("ACTIVE", iot.certificateStatus(issued.id()));
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(foreign.id()));
        assertEquals(List.of("/certificates-by-ca/" + pki.caId(), "/certificates-by-ca/" + otherPki.caId()),
                iot.calls("ListCertificatesByCA").stream().map(RecordedCall::path).toList());
    }

    @Test
    void constructor_missingCaCertificateIdSaysSo() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new ReconcilerHandler(Env.of(Map.of("JITR_POLICY_NAME", JITR)), CLOCK,
                        (x, interceptors) -> iot.client()));

        assertEquals("environment variable CA_CERTIFICATE_IDS is not set", e.getMessage());
    }

    // ---- metrics (lambdas/README.md, "Metrics") ----------------------------------------------------------------

    /** The run's one EMF line: every metric, with no dimension. */
    private EmfLines.Metrics runLine() {
        List<EmfLines.Metrics> lines = EmfLines.in(logs);
        assertEquals(1, lines.size(), logs.toString());
        assertEquals("IotOnboarding", lines.get(0).namespace());
        assertEquals(List.of(List.of()), lines.get(0).dimensionSets());
        return lines.get(0);
    }

    @Test
    void metrics_countEachKindOfFinding_driftCountsEveryFindingOutOfLine() {
        certificate("PENDING_ACTIVATION", Duration.ofHours(1));
        certificate("ACTIVE", Duration.ofHours(1));
        String otherThing = certificate("ACTIVE", Duration.ofHours(1));
        iot.addThing("3f2b8c1e-7d4a-4e9b-9c2f-1a2b3c4d5e6f", iot.certificateArn(otherThing));
        String jitrLeft = certificate("ACTIVE", Duration.ofHours(1));
        iot.addThing(cn(jitrLeft), iot.certificateArn(jitrLeft));
        iot.attachPolicy(JITR, iot.certificateArn(jitrLeft));
        TestPki.Issued caTrue = pki.device(java.util.UUID.randomUUID().toString()).ca(true).issue();
        iot.setCreationDate(iot.addCertificate(caTrue.pem(), pki.caId(), "PENDING_ACTIVATION"),
                NOW.minus(Duration.ofHours(2)));

        assertSummary(run(handler()), 5, 1, 1, true);

        assertEquals(Map.of("ReconcilerPendingRepaired", 1.0, "ReconcilerActiveWithoutThing", 1.0,
                "ReconcilerDrift", 4.0, "ReconcilerRegistryDrift", 0.0, "ReconcilerScanIncomplete", 0.0),
                runLine().values(),
                "drift: the repaired, the thingless, the other thing, the JITR policy left; not the rejected");
    }

    @Test
    void metrics_ofACleanRun_areAllZero() {
        certificate("PENDING_ACTIVATION", Duration.ofMinutes(1));

        run(handler());

        assertEquals(Map.of("ReconcilerPendingRepaired", 0.0, "ReconcilerActiveWithoutThing", 0.0,
                "ReconcilerDrift", 0.0, "ReconcilerRegistryDrift", 0.0, "ReconcilerScanIncomplete", 0.0),
                runLine().values());
    }

    @Test
    void metrics_ofARunStoppedForTime_sayItIsIncomplete() {
        certificate("ACTIVE", Duration.ofHours(1));
        int tooLittle = (int) ReconcilerService.TIME_MARGIN.toMillis() - 1;

        Handlers.invoke(handler(), "{}", TestContext.withRemainingTime(() -> tooLittle));

        assertEquals(1.0, runLine().value("ReconcilerScanIncomplete"));
        assertEquals(0.0, runLine().value("ReconcilerDrift"));
    }

    @Test
    void metrics_ofAFailedRun_areNotWritten() {
        iot.failAlways("ListCertificatesByCA", Fault.SERVICE_UNAVAILABLE);

        assertThrows(SdkException.class, () -> run(handler()));

        assertEquals(List.of(), EmfLines.in(logs));
    }
}
