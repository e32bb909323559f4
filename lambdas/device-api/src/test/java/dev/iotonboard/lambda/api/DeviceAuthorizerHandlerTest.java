package dev.iotonboard.lambda.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.core.ThingNameRule;
import dev.iotonboard.lambda.core.registry.CaItem;
import dev.iotonboard.lambda.core.registry.CertificateUpdate;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.DynamoDbClients;
import dev.iotonboard.lambda.core.registry.Step;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.MutableClock;
import dev.iotonboard.lambda.testing.TestPki;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * The authorizer on the device registry: real DynamoDB calls against dynalite (items shaped as activation and
 * provisioning write them), and after every test the check that it called IoT not once.
 */
class DeviceAuthorizerHandlerTest extends HandlerTest {

    private static final String METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/sample";

    private final MutableClock clock = new MutableClock();
    /** The DynamoDB operations the handler sent, in order (GetItem for both kinds of item). */
    private final List<String> reads = Collections.synchronizedList(new ArrayList<>());
    private DynamoDbClient counted;
    private DeviceRegistry registry;
    private TestPki.Issued device;
    private String thingName;

    @Override
    protected Set<String> declaredOperations() {
        return handler().iotOperations();
    }

    @BeforeEach
    void provisionedDevice() {
        counted = DynamoDbClients.create(Region.of(IotDouble.REGION), Optional.of(registryTable().endpoint()),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")),
                IotDouble.fastRetries(), List.of(new ExecutionInterceptor() {
                    @Override
                    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                        reads.add(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
                    }
                }), null, null);
        registry = new DeviceRegistry(counted, registryTable().name());
        thingName = UUID.randomUUID().toString();
        device = pki.issue(thingName);
        activated(device, pki);
    }

    @AfterEach
    void noIotCallAtAll() {
        assertEquals(List.of(), iot.operations(), "the authorizer decides from the registry alone");
        List<String> undeclared = reads.stream().map(operation -> "dynamodb:" + operation)
                .filter(action -> !handler().registryActions().contains(action)).toList();
        assertEquals(List.of(), undeclared, "DynamoDB actions called but not declared by the handler");
        counted.close();
    }

    /** The items activation writes: the CA (ACTIVE) and the certificate (ACTIVE, its CN, no thing yet). */
    private void activated(TestPki.Issued issued, TestPki ca) {
        Instant at = clock.instant().minusSeconds(60);
        registry().write(new CaItem(ca.caId(), "ACTIVE", null, at, Step.ACTIVATED));
        registry().write(CertificateUpdate.of(issued.id(), Step.ACTIVATED, at).caCertificateId(ca.caId())
                .thingName(ThingNameRule.commonNames(issued.certificate().getSubjectX500Principal()).get(0))
                .status("ACTIVE").certificatePem(issued.pem())
                .validity(issued.certificate().getNotBefore().toInstant(),
                        issued.certificate().getNotAfter().toInstant())
                .build());
    }

    /** What provisioning writes: the binding. */
    private void bound(TestPki.Issued issued, String thing) {
        registry().write(CertificateUpdate.of(issued.id(), Step.PROVISIONED, clock.instant().minusSeconds(30))
                .boundThing(thing).build());
    }

    /** A later observation (a script, the sync) of the certificate's status. */
    private void status(TestPki.Issued issued, String status) {
        registry().write(CertificateUpdate.of(issued.id(), Step.REVOKED, Instant.now().plusSeconds(1)).status(status)
                .build());
    }

    private DeviceAuthorizerHandler handler(Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(Map.of("CA_CERTIFICATE_ID", pki.caId()));
        env.putAll(extraEnv);
        return new DeviceAuthorizerHandler(client, registry, Env.of(env), clock);
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

    private void assertDenied(JsonNode answer, String reason) {
        assertDenied(answer);
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"reason\":\"" + reason + "\"")), logs.toString());
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
    void authorize_allowsActiveCertificateBoundToItsCn_withOneReadOfEachItem() {
        bound(device, thingName);

        assertAllowed(Handlers.invoke(handler(), event(device.pem())), thingName);

        assertEquals(List.of("GetItem", "GetItem"), reads, "the certificate item, then the CA item");
    }

    @Test
    void authorize_allowsCertificatePresentedWithItsChain() {
        bound(device, thingName);
        String chain = device.pem() + CertificateIds.toPem(pki.caCertificate());

        assertAllowed(Handlers.invoke(handler(), event(chain)), thingName);
    }

    @Test
    void authorize_acceptsAnyCaWhenNoneIsConfigured_whileItsItemIsActive() {
        TestPki.Issued foreign = otherPki.issue(thingName);
        activated(foreign, otherPki);
        bound(foreign, thingName);

        assertAllowed(Handlers.invoke(handler(Map.of("CA_CERTIFICATE_ID", "")), event(foreign.pem())), thingName);
    }

    @Test
    void authorize_allowsCertificateOfTheSecondListedCa() {
        TestPki.Issued second = otherPki.issue(thingName);
        activated(second, otherPki);
        bound(second, thingName);

        assertAllowed(Handlers.invoke(handler(Map.of("CA_CERTIFICATE_ID", "", "CA_CERTIFICATE_IDS",
                pki.caId() + "," + otherPki.caId())), event(second.pem())), thingName);
    }

    // ---- denied --------------------------------------------------------------------------------------------

    @Test
    void authorize_deniesCertificateOfACaNotInTheList() {
        TestPki.Issued foreign = otherPki.issue(thingName);
        activated(foreign, otherPki);
        bound(foreign, thingName);

        assertDenied(Handlers.invoke(handler(), event(foreign.pem())), "UNKNOWN_CA");
    }

    @ParameterizedTest
    @ValueSource(strings = {"INACTIVE", "REVOKED", "UNKNOWN"})
    void authorize_deniesCertificateOfACaWhoseItemIsNotActive(String caStatus) {
        bound(device, thingName);
        if (caStatus.equals("UNKNOWN")) {
            registryTable().client().deleteItem(r -> r.tableName(registryTable().name()).key(Map.of("pk",
                    software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("ca#" + pki.caId()))));
        } else {
            registry().write(new CaItem(pki.caId(), caStatus, null, Instant.now(), Step.SYNCED));
        }

        assertDenied(Handlers.invoke(handler(), event(device.pem())), "CA_NOT_ACTIVE");
    }

    @ParameterizedTest
    @ValueSource(strings = {"authorizer-no-client-cert.json", "authorizer-null-client-cert.json"})
    void authorize_deniesRequestWithoutClientCertificate(String fixture) {
        JsonNode answer = Handlers.invoke(handler(), Fixtures.event(fixture, Map.of()));

        assertDenied(answer);
        assertEquals("anonymous", answer.get("principalId").asText());
        assertEquals(List.of(), reads);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not a pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"})
    void authorize_deniesUnparsableClientCertificate(String pem) {
        assertDenied(Handlers.invoke(handler(), event(pem)));
        assertEquals(List.of(), reads);
    }

    @Test
    void authorize_deniesExpiredOrNotYetValidCertificateWithoutARead() {
        Instant now = clock.instant();
        TestPki.Issued expired = pki.issue(UUID.randomUUID().toString(), TestPki.Key.EC_P256,
                now.minus(Duration.ofDays(30)), now.minus(Duration.ofSeconds(1)));
        TestPki.Issued future = pki.issue(UUID.randomUUID().toString(), TestPki.Key.EC_P256,
                now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)));
        for (TestPki.Issued issued : List.of(expired, future)) {
            activated(issued, pki);
            bound(issued, ThingNameRule.defaultRule().thingOf(issued.certificate()));

            assertDenied(Handlers.invoke(handler(), event(issued.pem())));
        }
        assertEquals(List.of(), reads);
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"reason\":\"EXPIRED\"")), logs.toString());
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"reason\":\"NOT_YET_VALID\"")), logs.toString());
    }

    @Test
    void authorize_deniesWhenTheItemSaysTheValidityIsOver() {
        bound(device, thingName);
        registry().write(CertificateUpdate.of(device.id(), Step.SYNCED, Instant.now().plusSeconds(1))
                .validity(clock.instant().minus(Duration.ofDays(2)), clock.instant().minus(Duration.ofDays(1)))
                .build());

        assertDenied(Handlers.invoke(handler(), event(device.pem())), "EXPIRED");
    }

    @Test
    void authorize_deniesCertificateWithoutRegistryItem_onlyBriefly() {
        TestPki.Issued unknown = pki.issue(thingName);
        DeviceAuthorizerHandler handler = handler(Map.of("AUTH_CACHE_TTL_SECONDS", "60"));

        assertDenied(Handlers.invoke(handler, event(unknown.pem())), "NOT_REGISTERED");
        activated(unknown, pki);
        bound(unknown, thingName);
        clock.advance(DecisionCache.TRANSIENT_TTL);

        assertAllowed(Handlers.invoke(handler, event(unknown.pem())), thingName);
    }

    @ParameterizedTest
    @ValueSource(strings = {"INACTIVE", "REVOKED", "DELETED"})
    void authorize_deniesCertificateThatIsNotActive(String status) {
        bound(device, thingName);
        status(device, status);

        assertDenied(Handlers.invoke(handler(), event(device.pem())), "NOT_ACTIVE");
    }

    @Test
    void authorize_pendingActivation_isDeniedOnlyBriefly() {
        status(device, "PENDING_ACTIVATION");
        DeviceAuthorizerHandler handler = handler(Map.of("AUTH_CACHE_TTL_SECONDS", "60"));

        assertDenied(Handlers.invoke(handler, event(device.pem())), "PENDING_ACTIVATION");
        registry().write(CertificateUpdate.of(device.id(), Step.PROVISIONED, Instant.now().plusSeconds(2))
                .status("ACTIVE").boundThing(thingName).build());
        clock.advance(DecisionCache.TRANSIENT_TTL);

        assertAllowed(Handlers.invoke(handler, event(device.pem())), thingName);
    }

    @Test
    void authorize_activeCertificateWithoutThing_isDeniedOnlyBriefly() {
        DeviceAuthorizerHandler handler = handler(Map.of("AUTH_CACHE_TTL_SECONDS", "60"));

        assertDenied(Handlers.invoke(handler, event(device.pem())), "NO_THING");
        bound(device, thingName);
        clock.advance(DecisionCache.TRANSIENT_TTL);

        assertAllowed(Handlers.invoke(handler, event(device.pem())), thingName);
    }

    @Test
    void authorize_deniesCertificateBoundToAThingOtherThanItsCn_asASecurityEvent() {
        bound(device, UUID.randomUUID().toString());

        assertDenied(Handlers.invoke(handler(), event(device.pem())), "THING_NOT_CERTIFICATE_CN");
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"security\":true")), logs.toString());
    }

    @Test
    void authorize_deniesAnItemWhoseThingNameIsNotTheCertificatesCn() {
        bound(device, thingName);
        registry().write(CertificateUpdate.of(device.id(), Step.SYNCED, Instant.now().plusSeconds(1))
                .thingName(UUID.randomUUID().toString()).build());

        assertDenied(Handlers.invoke(handler(), event(device.pem())), "THING_NOT_CERTIFICATE_CN");
    }

    @ParameterizedTest
    @ValueSource(strings = {"CN=my-device", "O=Acme"})
    void authorize_deniesCertificateWhoseSubjectNamesNoThing_withoutARead(String subject) {
        TestPki.Issued odd = pki.device("x").subject(subject).issue();

        assertDenied(Handlers.invoke(handler(), event(odd.pem())), "CERTIFICATE_NAMES_NO_THING");
        assertEquals(List.of(), reads);
    }

    @Test
    void authorize_customThingNamePattern_isTheCnRule() {
        TestPki.Issued sensor = pki.issue("sensor-0042");
        activated(sensor, pki);
        bound(sensor, "sensor-0042");
        DeviceAuthorizerHandler custom = handler(Map.of("THING_NAME_PATTERN", "sensor-[0-9]{4}"));

        assertAllowed(Handlers.invoke(custom, event(sensor.pem())), "sensor-0042");
        assertDenied(Handlers.invoke(custom, event(device.pem())), "CERTIFICATE_NAMES_NO_THING");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not json", "[]", "null"})
    void authorize_deniesMalformedEventWithoutThrowing(String event) {
        JsonNode answer = Handlers.invoke(handler(), event);

        assertEquals("Deny", answer.get("policyDocument").get("Statement").get(0).get("Effect").asText());
        assertEquals(List.of(), reads);
    }

    // ---- cache ---------------------------------------------------------------------------------------------

    @Test
    void authorize_cacheHit_answersWithoutARead_andTheCaItemIsSharedByCertificates() {
        bound(device, thingName);
        String secondThing = UUID.randomUUID().toString();
        TestPki.Issued second = pki.issue(secondThing);
        activated(second, pki);
        bound(second, secondThing);
        DeviceAuthorizerHandler handler = handler();

        assertAllowed(Handlers.invoke(handler, event(device.pem())), thingName);
        assertAllowed(Handlers.invoke(handler, event(device.pem())), thingName);
        assertAllowed(Handlers.invoke(handler, event(second.pem())), secondThing);

        assertEquals(List.of("GetItem", "GetItem", "GetItem"), reads, "cert, CA; cache hit; cert (CA cached)");
    }

    @Test
    void authorize_revocationInTheRegistry_takesEffectWhenTheCachedDecisionExpires() {
        bound(device, thingName);
        DeviceAuthorizerHandler handler = handler();
        assertAllowed(Handlers.invoke(handler, event(device.pem())), thingName);
        status(device, "REVOKED");

        assertAllowed(Handlers.invoke(handler, event(device.pem())), thingName);
        clock.advance(Duration.ofSeconds(AuthorizerConfig.DEFAULT_TTL_SECONDS));

        assertDenied(Handlers.invoke(handler, event(device.pem())), "NOT_ACTIVE");
    }

    @Test
    void authorize_permanentDenial_isCachedForTheWholeTtl() {
        bound(device, thingName);
        status(device, "REVOKED");
        DeviceAuthorizerHandler handler = handler();
        assertDenied(Handlers.invoke(handler, event(device.pem())));
        reads.clear();
        clock.advance(Duration.ofSeconds(AuthorizerConfig.DEFAULT_TTL_SECONDS).minusMillis(1));

        assertDenied(Handlers.invoke(handler, event(device.pem())));
        assertEquals(List.of(), reads);
    }

    @Test
    void authorize_zeroTtlDisablesTheCache() {
        bound(device, thingName);
        DeviceAuthorizerHandler handler = handler(Map.of("AUTH_CACHE_TTL_SECONDS", "0"));

        Handlers.invoke(handler, event(device.pem()));
        Handlers.invoke(handler, event(device.pem()));

        assertEquals(4, reads.size(), reads.toString());
    }

    @Test
    void authorize_defaultTtlIsFiveSeconds() {
        assertEquals(5, AuthorizerConfig.DEFAULT_TTL_SECONDS);
        bound(device, thingName);
        DeviceAuthorizerHandler handler = handler();
        Handlers.invoke(handler, event(device.pem()));
        clock.advance(Duration.ofSeconds(4));
        Handlers.invoke(handler, event(device.pem()));
        assertEquals(2, reads.size(), "a hit within the TTL");
        clock.advance(Duration.ofSeconds(1));

        Handlers.invoke(handler, event(device.pem()));

        assertEquals(4, reads.size(), "both items read again once it expired: " + reads);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "3601", "sixty"})
    void constructor_failsFastOnBadCacheTtl(String ttl) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> handler(Map.of("AUTH_CACHE_TTL_SECONDS", ttl)));
        assertTrue(e.getMessage().contains("AUTH_CACHE_TTL_SECONDS"));
    }

    // ---- registry failures ---------------------------------------------------------------------------------

    @Test
    void authorize_deniesWhenTheRegistryFails_andCachesNothing() {
        bound(device, thingName);
        DeviceAuthorizerHandler broken = new DeviceAuthorizerHandler(client,
                new DeviceRegistry(counted, "no-such-table"), Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId())), clock);

        assertDenied(Handlers.invoke(broken, event(device.pem())), DeviceAuthorizerHandler.REGISTRY_UNAVAILABLE);
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"level\":\"ERROR\"")
                && l.contains("ResourceNotFoundException")), logs.toString());
        assertAllowed(Handlers.invoke(handler(), event(device.pem())), thingName);
    }

    @Test
    void authorize_withTheApiClient_deniesWithinTheBudget_whenTheRegistryNeverAnswers() throws IOException {
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
        Env env = Env.of(Map.of("AWS_REGION", "eu-west-1",
                "AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:" + silent.getAddress().getPort(),
                "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret"));
        try (DynamoDbClient api = DynamoDbClients.forApiRequests(env, List.of())) {
            DeviceAuthorizerHandler handler = new DeviceAuthorizerHandler(client, new DeviceRegistry(api, "registry"),
                    Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId())), clock);

            long start = System.nanoTime();
            JsonNode answer = Handlers.invoke(handler, event(device.pem()));
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertDenied(answer, DeviceAuthorizerHandler.REGISTRY_UNAVAILABLE);
            assertTrue(requests.get() >= 1, "no request reached the silent endpoint");
            assertTrue(took.compareTo(DynamoDbClients.API_CALL_TIMEOUT.plusMillis(500)) < 0, took.toString());
            assertTrue(took.compareTo(DynamoDbClients.API_CALL_ATTEMPT_TIMEOUT) >= 0, took.toString());
        } finally {
            stop.countDown();
            silent.stop(0);
        }
    }

    // ---- SnapStart priming ----------------------------------------------------------------------------------------

    @Test
    void withoutAnIotClient_asLambdaBuildsIt_primesJacksonOnly_andDecidesFromTheRegistry() {
        bound(device, thingName);
        DeviceAuthorizerHandler container = new DeviceAuthorizerHandler(registry,
                Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId())), clock);

        assertEquals(0, container.prime());
        assertEquals(List.of(), reads);

        assertAllowed(Handlers.invoke(container, event(device.pem())), thingName);
        assertEquals(List.of("GetItem", "GetItem"), reads);
        status(device, "REVOKED");
        clock.advance(Duration.ofMinutes(10));
        assertDenied(Handlers.invoke(container, event(device.pem())), "NOT_ACTIVE");
    }

    @Test
    void prime_makesNoNetworkCallAndCachesNothing_andLeavesTheHandlerWorking() {
        bound(device, thingName);
        IotPrimer primer = new IotPrimer();
        try (IotClient primed = iot.client(IotDouble.fastRetries(), List.of(primer))) {
            DeviceAuthorizerHandler container = new DeviceAuthorizerHandler(primed, registry,
                    Env.of(Map.of("CA_CERTIFICATE_ID", pki.caId())), clock);

            assertEquals(0, container.prime());
            assertEquals(List.of(), reads);

            assertAllowed(Handlers.invoke(container, event(device.pem())), thingName);
            assertEquals(List.of("GetItem", "GetItem"), reads);
        }
    }
}
