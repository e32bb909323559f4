package dev.iotonboard.lambda.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.IotPrimer;

import dev.iotonboard.lambda.core.ThingNameRule;
import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.MutableClock;
import dev.iotonboard.lambda.testing.TestPki;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.iot.IotClient;

class DeviceAuthorizerHandlerTest extends HandlerTest {

    private static final String METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/sample";

    private final MutableClock clock = new MutableClock();
    private TestPki.Issued device;
    private String arn;
    private String thingName;

    @Override
    protected Set<String> declaredOperations() {
        return handler().iotOperations();
    }

    @BeforeEach
    void provisionedDevice() {
        thingName = UUID.randomUUID().toString();
        device = pki.issue(thingName);
        iot.addCertificate(device.pem(), pki.caId(), "ACTIVE");
        arn = iot.certificateArn(device.id());
    }

    private DeviceAuthorizerHandler handler(Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(Map.of("CA_CERTIFICATE_ID", pki.caId()));
        env.putAll(extraEnv);
        return new DeviceAuthorizerHandler(client, Env.of(env), clock);
    }

    private DeviceAuthorizerHandler handler() {
        return handler(Map.of());
    }

    private static String event(String pem) {
        return Fixtures.event("authorizer.json", Map.of("clientCertPem", Fixtures.jsonString(pem)));
    }

    private static void assertAllowed(JsonNode answer, String thing) {
        assertEquals(thing, answer.get("principalId").asText(), answer.toString());
        assertEquals(thing, answer.get("context").get("thingName").asText());
        assertStatement(answer, "Allow");
    }

    private static void assertDenied(JsonNode answer) {
        assertStatement(answer, "Deny");
        assertFalse(answer.has("context") && answer.get("context").has("thingName"), answer.toString());
    }

    private static void assertStatement(JsonNode answer, String effect) {
        JsonNode policy = answer.get("policyDocument");
        assertEquals("2012-10-17", policy.get("Version").asText());
        assertEquals(1, policy.get("Statement").size());
        JsonNode statement = policy.get("Statement").get(0);
        assertEquals("execute-api:Invoke", statement.get("Action").asText());
        assertEquals(effect, statement.get("Effect").asText());
        assertEquals(METHOD_ARN, statement.get("Resource").asText());
    }

    // ---- allowed -------------------------------------------------------------------------------------------

    @Test
    void authorize_allowsActiveCertificateAttachedToOneThing() {
        iot.addThing(thingName, arn);

        JsonNode answer = Handlers.invoke(handler(), event(device.pem()));

        assertAllowed(answer, thingName);
        assertEquals(List.of("DescribeCertificate", "ListPrincipalThings"), iot.operations());
        assertEquals("/certificates/" + device.id(), iot.calls().get(0).path());
        assertEquals(arn, iot.calls().get(1).header("x-amzn-principal"));
    }

    @Test
    void authorize_allowsCertificatePresentedWithItsChain() {
        iot.addThing(thingName, arn);
        String chain = device.pem() + CertificateIds.toPem(pki.caCertificate());

        assertAllowed(Handlers.invoke(handler(), event(chain)), thingName);
    }

    @Test
    void authorize_acceptsAnyCaWhenNoneIsConfigured() {
        TestPki.Issued foreign = otherPki.issue(thingName);
        iot.addCertificate(foreign.pem(), otherPki.caId(), "ACTIVE");
        iot.addThing(thingName, iot.certificateArn(foreign.id()));

        assertAllowed(Handlers.invoke(handler(Map.of("CA_CERTIFICATE_ID", "")), event(foreign.pem())), thingName);
    }

    @Test
    void authorize_allowsCertificateOfTheSecondListedCa() {
        TestPki.Issued second = otherPki.issue(thingName);
        iot.addCertificate(second.pem(), otherPki.caId(), "ACTIVE");
        iot.addThing(thingName, iot.certificateArn(second.id()));
        Map<String, String> both = Map.of("CA_CERTIFICATE_IDS", pki.caId() + "," + otherPki.caId(),
                "CA_CERTIFICATE_ID", "");

        assertAllowed(Handlers.invoke(handler(both), event(second.pem())), thingName);
    }

    @Test
    void authorize_deniesCertificateOfACaNotInTheList() {
        TestPki unlisted = TestPki.newCa("unlisted-ca");
        TestPki.Issued foreign = unlisted.issue(thingName);
        iot.addCertificate(foreign.pem(), unlisted.caId(), "ACTIVE");
        iot.addThing(thingName, iot.certificateArn(foreign.id()));
        Map<String, String> both = Map.of("CA_CERTIFICATE_IDS", pki.caId() + "," + otherPki.caId(),
                "CA_CERTIFICATE_ID", "");

        assertDenied(Handlers.invoke(handler(both), event(foreign.pem())));
        assertTrue(logs.stream().anyMatch(l -> l.contains("UNKNOWN_CA")), logs.toString());
    }

    // ---- denied --------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"authorizer-no-client-cert.json", "authorizer-null-client-cert.json"})
    void authorize_deniesRequestWithoutClientCertificate(String fixture) {
        JsonNode answer = Handlers.invoke(handler(), Fixtures.event(fixture, Map.of()));

        assertDenied(answer);
        assertEquals("anonymous", answer.get("principalId").asText());
        assertEquals(List.of(), iot.operations());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not a pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"})
    void authorize_deniesUnparsableClientCertificate(String pem) {
        JsonNode answer = Handlers.invoke(handler(), event(pem));

        assertDenied(answer);
        assertEquals(List.of(), iot.operations());
    }

    @Test
    void authorize_deniesExpiredOrNotYetValidCertificateWithoutIotCall() {
        java.time.Instant now = clock.instant();
        TestPki.Issued expired = pki.issue(UUID.randomUUID().toString(), TestPki.Key.EC_P256,
                now.minus(Duration.ofDays(30)), now.minus(Duration.ofSeconds(1)));
        TestPki.Issued future = pki.issue(UUID.randomUUID().toString(), TestPki.Key.EC_P256,
                now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)));
        for (TestPki.Issued issued : List.of(expired, future)) {
            iot.addCertificate(issued.pem(), pki.caId(), "ACTIVE");
            iot.addThing(ThingNameRule.defaultRule().thingOf(issued.certificate()), iot.certificateArn(issued.id()));

            assertDenied(Handlers.invoke(handler(), event(issued.pem())));
        }
        assertEquals(List.of(), iot.operations());
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"reason\":\"EXPIRED\"")), logs.toString());
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"reason\":\"NOT_YET_VALID\"")), logs.toString());
    }

    @Test
    void authorize_deniesCertificateUnknownToIot() {
        TestPki.Issued unknown = pki.issueDevice();

        JsonNode answer = Handlers.invoke(handler(), event(unknown.pem()));

        assertDenied(answer);
        assertEquals(unknown.id(), answer.get("principalId").asText());
        assertEquals(List.of("DescribeCertificate"), iot.operations());
        assertEquals(404, iot.calls().get(0).status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"INACTIVE", "REVOKED", "PENDING_ACTIVATION", "PENDING_TRANSFER"})
    void authorize_deniesCertificateThatIsNotActive(String status) {
        iot.addThing(thingName, arn);
        iot.setCertificateStatus(device.id(), status);

        JsonNode answer = Handlers.invoke(handler(), event(device.pem()));

        assertDenied(answer);
        assertEquals(List.of("DescribeCertificate"), iot.operations());
        String reason = status.equals("PENDING_ACTIVATION") ? "PENDING_ACTIVATION" : "NOT_ACTIVE";
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"reason\":\"" + reason + "\"")), logs.toString());
    }

    @Test
    void authorize_deniesActiveCertificateWithoutThing() {
        JsonNode answer = Handlers.invoke(handler(), event(device.pem()));

        assertDenied(answer);
        assertEquals(List.of("DescribeCertificate", "ListPrincipalThings"), iot.operations());
    }

    @Test
    void authorize_deniesCertificateBoundToAThingOtherThanItsCn_asASecurityEvent() {
        String otherThing = UUID.randomUUID().toString();
        iot.addThing(otherThing, arn);

        JsonNode answer = Handlers.invoke(handler(), event(device.pem()));

        assertDenied(answer);
        assertEquals(List.of("DescribeCertificate", "ListPrincipalThings"), iot.operations());
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"reason\":\"THING_NOT_CERTIFICATE_CN\"")
                && l.contains("\"security\":true")), logs.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"CN=my-device", "O=Acme", "CN=3F2B8C1E-7D4A-4E9B-9C2F-1A2B3C4D5E6F"})
    void authorize_deniesCertificateWhoseSubjectNamesNoThing_withoutIotCall(String subject) {
        TestPki.Issued odd = pki.device("x").subject(subject).issue();
        iot.addCertificate(odd.pem(), pki.caId(), "ACTIVE");

        assertDenied(Handlers.invoke(handler(), event(odd.pem())));

        assertEquals(List.of(), iot.operations());
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"reason\":\"CERTIFICATE_NAMES_NO_THING\"")),
                logs.toString());
    }

    @Test
    void authorize_customThingNamePattern_isTheCnRule() {
        TestPki.Issued sensor = pki.issue("sensor-0042");
        iot.addCertificate(sensor.pem(), pki.caId(), "ACTIVE");
        iot.addThing("sensor-0042", iot.certificateArn(sensor.id()));

        assertAllowed(Handlers.invoke(handler(Map.of("THING_NAME_PATTERN", "sensor-[0-9]{4}")), event(sensor.pem())),
                "sensor-0042");
        assertDenied(Handlers.invoke(handler(), event(sensor.pem())));
    }

    @Test
    void authorize_deniesActiveCertificateOnSeveralThings() {
        iot.addThing(thingName, arn);
        iot.addThing(UUID.randomUUID().toString(), arn);

        assertDenied(Handlers.invoke(handler(), event(device.pem())));
    }

    @Test
    void authorize_deniesCertificateOfAnotherCa() {
        TestPki.Issued foreign = otherPki.issue(thingName);
        iot.addCertificate(foreign.pem(), otherPki.caId(), "ACTIVE");
        iot.addThing(thingName, iot.certificateArn(foreign.id()));

        assertDenied(Handlers.invoke(handler(), event(foreign.pem())));
        assertEquals(List.of("DescribeCertificate"), iot.operations());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not json", "[]", "null"})
    void authorize_deniesMalformedEventWithoutThrowing(String event) {
        JsonNode answer = Handlers.invoke(handler(), event);

        assertEquals("Deny", answer.get("policyDocument").get("Statement").get(0).get("Effect").asText());
        assertEquals(List.of(), iot.operations());
    }

    // ---- cache ---------------------------------------------------------------------------------------------

    @Test
    void authorize_cacheHit_answersWithoutIotCalls() {
        iot.addThing(thingName, arn);
        DeviceAuthorizerHandler handler = handler();
        Handlers.invoke(handler, event(device.pem()));
        iot.clearCalls();

        JsonNode answer = Handlers.invoke(handler, event(device.pem()));

        assertAllowed(answer, thingName);
        assertEquals(List.of(), iot.operations());
        assertTrue(logs.get(logs.size() - 1).contains("\"cacheHit\":true"), logs.toString());
    }

    @Test
    void authorize_revocationTakesEffectWhenTheCachedDecisionExpires() {
        iot.addThing(thingName, arn);
        DeviceAuthorizerHandler handler = handler(Map.of("AUTH_CACHE_TTL_SECONDS", "30"));
        assertAllowed(Handlers.invoke(handler, event(device.pem())), thingName);
        iot.setCertificateStatus(device.id(), "REVOKED");

        clock.advance(Duration.ofSeconds(29));
        assertAllowed(Handlers.invoke(handler, event(device.pem())), thingName);
        clock.advance(Duration.ofSeconds(1));
        assertDenied(Handlers.invoke(handler, event(device.pem())));

        assertEquals(List.of("DescribeCertificate", "ListPrincipalThings", "DescribeCertificate"), iot.operations());
    }

    @Test
    void authorize_deniesAreCachedToo() {
        DeviceAuthorizerHandler handler = handler();
        TestPki.Issued unknown = pki.issueDevice();
        Handlers.invoke(handler, event(unknown.pem()));
        Handlers.invoke(handler, event(unknown.pem()));

        assertEquals(List.of("DescribeCertificate"), iot.operations());
    }

    @Test
    void authorize_noThingYet_isDeniedOnlyBriefly_notForTheWholeTtl() {
        DeviceAuthorizerHandler handler = handler();
        assertDenied(Handlers.invoke(handler, event(device.pem())));
        iot.addThing(thingName, arn);

        clock.advance(DecisionCache.TRANSIENT_TTL.minusSeconds(1));
        assertDenied(Handlers.invoke(handler, event(device.pem())));
        clock.advance(Duration.ofSeconds(1));
        assertAllowed(Handlers.invoke(handler, event(device.pem())), thingName);

        assertEquals(List.of("DescribeCertificate", "ListPrincipalThings", "DescribeCertificate",
                "ListPrincipalThings"), iot.operations());
    }

    @Test
    void authorize_pendingActivation_isDeniedOnlyBriefly() {
        iot.addThing(thingName, arn);
        iot.setCertificateStatus(device.id(), "PENDING_ACTIVATION");
        DeviceAuthorizerHandler handler = handler();
        assertDenied(Handlers.invoke(handler, event(device.pem())));
        iot.setCertificateStatus(device.id(), "ACTIVE");

        clock.advance(DecisionCache.TRANSIENT_TTL);

        assertAllowed(Handlers.invoke(handler, event(device.pem())), thingName);
    }

    @ParameterizedTest
    @ValueSource(strings = {"INACTIVE", "REVOKED"})
    void authorize_permanentDenial_isCachedForTheWholeTtl(String status) {
        iot.addThing(thingName, arn);
        iot.setCertificateStatus(device.id(), status);
        DeviceAuthorizerHandler handler = handler();
        Handlers.invoke(handler, event(device.pem()));

        clock.advance(Duration.ofSeconds(59));
        Handlers.invoke(handler, event(device.pem()));

        assertEquals(List.of("DescribeCertificate"), iot.operations());
    }

    @Test
    void authorize_zeroTtlDisablesTheCache() {
        iot.addThing(thingName, arn);
        DeviceAuthorizerHandler handler = handler(Map.of("AUTH_CACHE_TTL_SECONDS", "0"));
        Handlers.invoke(handler, event(device.pem()));
        Handlers.invoke(handler, event(device.pem()));

        assertEquals(List.of("DescribeCertificate", "ListPrincipalThings", "DescribeCertificate",
                "ListPrincipalThings"), iot.operations());
    }

    @Test
    void authorize_defaultTtlIsSixtySeconds() {
        iot.addThing(thingName, arn);
        DeviceAuthorizerHandler handler = handler();
        Handlers.invoke(handler, event(device.pem()));
        clock.advance(Duration.ofSeconds(59));
        Handlers.invoke(handler, event(device.pem()));
        assertEquals(2, iot.operations().size());
        clock.advance(Duration.ofSeconds(1));
        Handlers.invoke(handler, event(device.pem()));
        assertEquals(4, iot.operations().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "3601", "sixty"})
    void constructor_failsFastOnBadCacheTtl(String ttl) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> handler(Map.of("AUTH_CACHE_TTL_SECONDS", ttl)));
        assertTrue(e.getMessage().contains("AUTH_CACHE_TTL_SECONDS"));
    }

    // ---- faults --------------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"THROTTLING", "INTERNAL_FAILURE", "SERVICE_UNAVAILABLE", "BAD_GATEWAY"})
    void authorize_retriesTransientFaults(Fault fault) {
        iot.addThing(thingName, arn);
        iot.failNext("DescribeCertificate", 2, fault);
        iot.failNext("ListPrincipalThings", 2, fault);

        assertAllowed(Handlers.invoke(handler(), event(device.pem())), thingName);
        assertEquals(6, iot.operations().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"DescribeCertificate", "ListPrincipalThings"})
    void authorize_deniesWhenThrottlingOutlastsRetries_andCachesNothing(String operation) {
        iot.addThing(thingName, arn);
        iot.failAlways(operation, Fault.THROTTLING);
        DeviceAuthorizerHandler handler = handler();

        assertDenied(Handlers.invoke(handler, event(device.pem())));
        assertEquals(IotClients.MAX_ATTEMPTS, iot.calls(operation).size());
        assertLoggedIotUnavailable();
        iot.clearFaults();
        iot.clearCalls();

        assertAllowed(Handlers.invoke(handler, event(device.pem())), thingName);
        assertEquals(List.of("DescribeCertificate", "ListPrincipalThings"), iot.operations());
    }

    /** The production client (forApiRequests: its attempts, backoff and timeouts), every call of one operation failing. */
    static Stream<Arguments> persistentFaults() {
        return Stream.of("DescribeCertificate", "ListPrincipalThings").flatMap(operation -> Stream.of(
                Arguments.of(operation, Fault.THROTTLING), Arguments.of(operation, Fault.INTERNAL_FAILURE),
                Arguments.of(operation, Fault.SERVICE_UNAVAILABLE)));
    }

    @ParameterizedTest
    @MethodSource("persistentFaults")
    void authorize_withTheApiClient_deniesWithinTheBudget_whenIotFailsEveryAttempt(String operation, Fault fault) {
        iot.addThing(thingName, arn);
        iot.failAlways(operation, fault);
        try (IotClient api = IotClients.forApiRequests(apiEnv(iot.endpoint().toString()), List.of())) {
            DeviceAuthorizerHandler handler = new DeviceAuthorizerHandler(api,
                    Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId())), clock);

            long start = System.nanoTime();
            JsonNode answer = Handlers.invoke(handler, event(device.pem()));
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertDenied(answer);
            assertEquals(IotClients.API_MAX_ATTEMPTS, iot.calls(operation).size());
            assertTrue(took.compareTo(IotClients.apiAuthorizationBudget()) < 0, took.toString());
            assertLoggedIotUnavailable();
        }
    }

    @Test
    void authorize_withTheApiClient_deniesWithinTheBudget_whenIotNeverAnswers() throws IOException {
        HttpServer silent = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        CountDownLatch stop = new CountDownLatch(1);
        AtomicInteger requests = new AtomicInteger();
        silent.createContext("/", exchange -> {
            requests.incrementAndGet();
            try {
                stop.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        silent.setExecutor(Executors.newCachedThreadPool());
        silent.start();
        String endpoint = "http://127.0.0.1:" + silent.getAddress().getPort();
        try (IotClient api = IotClients.forApiRequests(apiEnv(endpoint), List.of())) {
            DeviceAuthorizerHandler handler = new DeviceAuthorizerHandler(api,
                    Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId())), clock);

            long start = System.nanoTime();
            JsonNode answer = Handlers.invoke(handler, event(device.pem()));
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertDenied(answer);
            assertTrue(requests.get() >= 1, "no request reached the silent endpoint");
            // One call (DescribeCertificate) timed out: it took its whole call timeout, no more.
            assertTrue(took.compareTo(IotClients.API_CALL_TIMEOUT.plusMillis(500)) < 0, took.toString());
            assertTrue(took.compareTo(IotClients.API_CALL_ATTEMPT_TIMEOUT) >= 0, took.toString());
            assertLoggedIotUnavailable();
        } finally {
            stop.countDown();
            silent.stop(0);
        }
    }

    private static Env apiEnv(String endpoint) {
        return Env.of(Map.of("AWS_REGION", "eu-west-1", "AWS_ENDPOINT_URL", endpoint,
                "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret"));
    }

    private void assertLoggedIotUnavailable() {
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"level\":\"ERROR\"")
                && l.contains("\"reason\":\"" + DeviceAuthorizerHandler.IOT_UNAVAILABLE + "\"")), logs.toString());
    }

    // ---- SnapStart priming ----------------------------------------------------------------------------------------

    @Test
    void prime_makesNoNetworkCallAndCachesNothing_andLeavesTheHandlerWorking() {
        iot.addThing(thingName, arn);
        IotPrimer primer = new IotPrimer();
        try (IotClient primed = iot.client(IotDouble.fastRetries(), List.of(primer))) {
            DeviceAuthorizerHandler container = new DeviceAuthorizerHandler(primed,
                    Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId())), clock);

            assertEquals(2, container.prime());
            assertEquals(List.of(), iot.operations());

            assertAllowed(Handlers.invoke(container, event(device.pem())), thingName);
            assertEquals(List.of("DescribeCertificate", "ListPrincipalThings"), iot.operations());
        }
    }
}
