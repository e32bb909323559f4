package dev.iotonboard.lambda.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.activation.model.ActivationResult.Outcome;
import dev.iotonboard.lambda.activation.model.RegisteredEvent;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.IotPrimer;

import dev.iotonboard.lambda.core.ThingNameRule;
import dev.iotonboard.lambda.core.registry.CaItem;
import dev.iotonboard.lambda.core.registry.CertificateItem;
import dev.iotonboard.lambda.core.registry.CertificateUpdate;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.Step;
import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.MutableClock;
import dev.iotonboard.lambda.testing.RecordedCall;
import dev.iotonboard.lambda.testing.TestContext;
import dev.iotonboard.lambda.testing.TestPki;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;

import software.amazon.awssdk.services.iot.model.CertificateStatus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.iot.IotClient;

class CertificateActivationHandlerTest extends HandlerTest {

    /** The fresh path in a new container: the CA's status is not cached yet. */
    private static final List<String> FRESH = List.of("DescribeCertificate", "DescribeCACertificate", "AttachPolicy",
            "UpdateCertificate");

    private TestPki.Issued device;
    private String arn;

    @Override
    protected Set<String> declaredRegistryActions() {
        return ActivationService.REGISTRY_ACTIONS;
    }

    @Override
    protected Set<String> declaredOperations() {
        return handler().iotOperations();
    }

    @BeforeEach
    void pendingDevice() {
        device = pki.issueDevice();
        iot.addCertificate(device.pem(), pki.caId(), "PENDING_ACTIVATION");
        arn = iot.certificateArn(device.id());
    }

    private CertificateActivationHandler handler(String configuredCa) {
        Map<String, String> env = new HashMap<>();
        env.put("JITR_POLICY_NAME", JITR);
        env.put("CA_CERTIFICATE_IDS", configuredCa);
        return new CertificateActivationHandler(client, handlerRegistry(), Env.of(env), Clock.systemUTC());
    }

    private CertificateActivationHandler handler() {
        return handler(pki.caId());
    }

    private String event(String certificateId, String caId) {
        return Fixtures.event("registered.json", Map.of("certificateId", certificateId, "caCertificateId", caId));
    }

    private JsonNode activate(String event) {
        return Handlers.invoke(handler(), event);
    }

    private static void assertOutcome(JsonNode result, String outcome, String reason) {
        assertEquals(outcome, result.get("outcome").asText(), result.toString());
        if (reason != null) {
            assertEquals(reason, result.get("reason").asText(), result.toString());
        }
    }

    // ---- the normal path -------------------------------------------------------------------------------------

    @Test
    void activate_attachesJitrPolicyThenActivatesPendingCertificate() {
        JsonNode result = activate(event(device.id(), pki.caId()));

        assertOutcome(result, "ACTIVATED", null);
        assertEquals(device.id(), result.get("certificateId").asText());
        assertEquals(FRESH, iot.operations());
        RecordedCall attach = iot.calls("AttachPolicy").get(0);
        assertEquals("/target-policies/" + JITR, attach.path());
        assertEquals(arn, attach.bodyField("target"));
        assertEquals("ACTIVE", iot.calls("UpdateCertificate").get(0).query().get("newStatus"));
        assertEquals("ACTIVE", iot.certificateStatus(device.id()));
        assertEquals(List.of(JITR), iot.policiesOf(arn));
    }

    @Test
    void activate_acceptsAnyCaWhenNoneIsConfigured() {
        TestPki.Issued foreign = otherPki.issueDevice();
        iot.addCertificate(foreign.pem(), otherPki.caId(), "PENDING_ACTIVATION");

        JsonNode result = Handlers.invoke(handler(""), event(foreign.id(), otherPki.caId()));

        assertOutcome(result, "ACTIVATED", null);
        assertEquals("ACTIVE", iot.certificateStatus(foreign.id()));
    }

    @Test
    void activate_acceptsRsa2048AndP384Keys() {
        Instant now = Instant.now();
        for (TestPki.Key key : List.of(TestPki.Key.RSA_2048, TestPki.Key.EC_P384)) {
            TestPki.Issued issued = pki.issue(UUID.randomUUID().toString(), key, now.minusSeconds(60), now.plusSeconds(86_400));
            iot.addCertificate(issued.pem(), pki.caId(), "PENDING_ACTIVATION");
            assertOutcome(activate(event(issued.id(), pki.caId())), "ACTIVATED", null);
            assertEquals("ACTIVE", iot.certificateStatus(issued.id()));
        }
    }

    // ---- statuses that are never activated --------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"REVOKED", "INACTIVE", "PENDING_TRANSFER", "REGISTER_INACTIVE"})
    void activate_skipsCertificateNotPendingActivation(String status) {
        iot.setCertificateStatus(device.id(), status);

        JsonNode result = activate(event(device.id(), pki.caId()));

        assertOutcome(result, "REJECTED", "NOT_PENDING_ACTIVATION");
        assertEquals(List.of("DescribeCertificate"), iot.operations());
        assertEquals(status, iot.certificateStatus(device.id()));
        assertEquals(List.of(), iot.policiesOf(arn));
    }

    @Test
    void activate_skipsRevokedCertificate() {
        iot.setCertificateStatus(device.id(), "REVOKED");

        JsonNode result = activate(event(device.id(), pki.caId()));

        assertOutcome(result, "REJECTED", "NOT_PENDING_ACTIVATION");
        assertEquals("REVOKED", iot.certificateStatus(device.id()));
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"reason\":\"NOT_PENDING_ACTIVATION\"")
                && l.contains("REVOKED")), logs.toString());
    }

    @Test
    void activate_rejectsWhenRevokedBetweenDescribeAndUpdate() {
        iot.onNext("UpdateCertificate", () -> iot.setCertificateStatus(device.id(), "REVOKED"));

        JsonNode result = activate(event(device.id(), pki.caId()));

        assertOutcome(result, "REJECTED", "STATE_CHANGED");
        assertEquals(FRESH, iot.operations());
        assertEquals("REVOKED", iot.certificateStatus(device.id()));
    }

    // ---- duplicates -------------------------------------------------------------------------------------------

    @Test
    void activate_duplicateDeliveryOfActivatedCertificate_withoutRegistryItem_succeedsWithoutWrites() {
        activate(event(device.id(), pki.caId()));
        registryTable().client().deleteItem(r -> r.tableName(registryTable().name())
                .key(Map.of("pk", AttributeValue.fromS("cert#" + device.id()))));
        iot.clearCalls();

        JsonNode result = activate(event(device.id(), pki.caId()));

        assertOutcome(result, "ALREADY_ACTIVE", null);
        assertEquals(List.of("DescribeCertificate", "ListAttachedPolicies"), iot.operations());
        assertEquals(List.of(JITR), iot.policiesOf(arn));
    }

    @Test
    void activate_duplicateAfterProvisioning_doesNotReattachJitrPolicy() {
        iot.setCertificateStatus(device.id(), "ACTIVE");
        iot.attachPolicy(APP, arn);

        JsonNode result = activate(event(device.id(), pki.caId()));

        assertOutcome(result, "ALREADY_ACTIVE", null);
        assertEquals(List.of(APP), iot.policiesOf(arn));
        assertFalse(iot.operations().contains("AttachPolicy"));
    }

    @Test
    void activate_activeCertificateWithoutPolicy_isLeftUnchanged() {
        iot.setCertificateStatus(device.id(), "ACTIVE");

        JsonNode result = activate(event(device.id(), pki.caId()));

        assertOutcome(result, "REJECTED", "ACTIVE_WITHOUT_POLICY");
        assertEquals(List.of("DescribeCertificate", "ListAttachedPolicies"), iot.operations());
        assertEquals(List.of(), iot.policiesOf(arn));
    }

    // ---- unknown CA, unknown certificate, bad certificates ---------------------------------------------------

    @Test
    void activate_rejectsEventFromUnknownCaWithoutIotCall() {
        TestPki.Issued foreign = otherPki.issueDevice();
        iot.addCertificate(foreign.pem(), otherPki.caId(), "PENDING_ACTIVATION");

        JsonNode result = activate(event(foreign.id(), otherPki.caId()));

        assertOutcome(result, "REJECTED", "UNKNOWN_CA");
        assertEquals(List.of(), iot.operations());
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(foreign.id()));
    }

    // ---- several CAs (rotation with overlap) ---------------------------------------------------------------

    @Test
    void activate_acceptsCertificateOfTheSecondListedCa() {
        TestPki.Issued second = otherPki.issueDevice();
        iot.addCertificate(second.pem(), otherPki.caId(), "PENDING_ACTIVATION");

        JsonNode result = Handlers.invoke(handler(pki.caId() + "," + otherPki.caId()), event(second.id(), otherPki.caId()));

        assertOutcome(result, "ACTIVATED", null);
        assertEquals(FRESH, iot.operations());
        assertEquals("DescribeCACertificate", iot.calls().get(1).operation());
        assertTrue(iot.calls().get(1).path().endsWith("/" + otherPki.caId()), iot.calls().get(1).path());
        assertEquals("ACTIVE", iot.certificateStatus(second.id()));
    }

    @Test
    void activate_rejectsCertificateOfACaNotInTheListWithoutIotCall() {
        TestPki unlisted = TestPki.newCa("unlisted-ca");
        TestPki.Issued foreign = unlisted.issueDevice();
        iot.addCertificate(foreign.pem(), unlisted.caId(), "PENDING_ACTIVATION");

        JsonNode result = Handlers.invoke(handler(pki.caId() + "," + otherPki.caId()), event(foreign.id(), unlisted.caId()));

        assertOutcome(result, "REJECTED", "UNKNOWN_CA");
        assertEquals(List.of(), iot.operations());
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(foreign.id()));
    }

    @Test
    void activate_checksEachListedCaStatusOnItsOwn() {
        TestPki.Issued second = otherPki.issueDevice();
        iot.addCertificate(second.pem(), otherPki.caId(), "PENDING_ACTIVATION");
        iot.setCaStatus(pki.caId(), "INACTIVE");
        CertificateActivationHandler both = handler(pki.caId() + "," + otherPki.caId());

        assertOutcome(Handlers.invoke(both, event(device.id(), pki.caId())), "REJECTED", "CA_NOT_ACTIVE");
        assertOutcome(Handlers.invoke(both, event(second.id(), otherPki.caId())), "ACTIVATED", null);

        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(device.id()));
        assertEquals("ACTIVE", iot.certificateStatus(second.id()));
    }

    @Test
    void activate_rejectsCertificateThatIotAttributesToAnotherCa() {
        TestPki.Issued foreign = otherPki.issueDevice();
        iot.addCertificate(foreign.pem(), otherPki.caId(), "PENDING_ACTIVATION");

        JsonNode result = activate(event(foreign.id(), pki.caId()));

        assertOutcome(result, "REJECTED", "UNKNOWN_CA");
        assertEquals(List.of("DescribeCertificate"), iot.operations());
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(foreign.id()));
    }

    @Test
    void activate_rejectsCertificateUnknownToIot() {
        JsonNode result = activate(event("e".repeat(64), pki.caId()));

        assertOutcome(result, "REJECTED", "CERTIFICATE_NOT_FOUND");
        assertEquals(List.of("DescribeCertificate"), iot.operations());
        assertEquals(404, iot.calls().get(0).status());
    }

    static Stream<Arguments> badCertificates() {
        Instant now = Instant.now();
        return Stream.of(
                Arguments.of("expired", TestPki.Key.EC_P256, now.minus(Duration.ofDays(30)),
                        now.minus(Duration.ofDays(1)), "expired"),
                Arguments.of("not yet valid", TestPki.Key.EC_P256, now.plus(Duration.ofDays(1)),
                        now.plus(Duration.ofDays(30)), "not valid before"),
                Arguments.of("weak RSA key", TestPki.Key.RSA_1024, now.minus(Duration.ofDays(1)),
                        now.plus(Duration.ofDays(30)), "1024 bits"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badCertificates")
    void activate_rejectsCertificateThatFailsValidation(String name, TestPki.Key key, Instant notBefore,
            Instant notAfter, String detail) {
        TestPki.Issued bad = pki.issue(UUID.randomUUID().toString(), key, notBefore, notAfter);
        iot.addCertificate(bad.pem(), pki.caId(), "PENDING_ACTIVATION");

        JsonNode result = activate(event(bad.id(), pki.caId()));

        assertOutcome(result, "REJECTED", "INVALID_CERTIFICATE");
        assertTrue(result.get("detail").asText().contains(detail), result.toString());
        assertEquals(List.of("DescribeCertificate"), iot.operations());
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(bad.id()));
    }

    @Test
    void activate_rejectsCertificateWhosePemIotDoesNotReturn() {
        iot.respondNext("DescribeCertificate", 200, "{\"certificateDescription\":{\"certificateId\":\"" + device.id()
                + "\",\"certificateArn\":\"" + arn + "\",\"caCertificateId\":\"" + pki.caId()
                + "\",\"status\":\"PENDING_ACTIVATION\"}}");

        JsonNode result = activate(event(device.id(), pki.caId()));

        assertOutcome(result, "REJECTED", "INVALID_CERTIFICATE");
        assertTrue(result.get("detail").asText().contains("no PEM"), result.toString());
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(device.id()));
        assertEquals(List.of(), iot.policiesOf(arn));
    }

    // ---- certificate profile ----------------------------------------------------------------------------------

    static Stream<Arguments> certificatesOutsideTheProfile() {
        String uuid = UUID.randomUUID().toString();
        Instant now = Instant.now();
        return Stream.<Arguments>of(
                Arguments.of("CA:TRUE", (Function<TestPki.Device, TestPki.Device>) d -> d.ca(true),
                        "CA certificate"),
                Arguments.of("serverAuth-only EKU",
                        (Function<TestPki.Device, TestPki.Device>) d -> d.extendedKeyUsage(KeyPurposeId.id_kp_serverAuth),
                        "lacks clientAuth"),
                Arguments.of("keyUsage without digitalSignature",
                        (Function<TestPki.Device, TestPki.Device>) d -> d.keyUsage(KeyUsage.keyEncipherment),
                        "lacks digitalSignature"),
                Arguments.of("SHA-1 signature", (Function<TestPki.Device, TestPki.Device>) d -> d.signedWith("SHA1withECDSA"),
                        "signed with SHA1withECDSA"),
                Arguments.of("RSA-1024", (Function<TestPki.Device, TestPki.Device>) d -> d.key(TestPki.Key.RSA_1024),
                        "1024 bits"),
                Arguments.of("EC secp256k1", (Function<TestPki.Device, TestPki.Device>) d -> d.key(TestPki.Key.EC_SECP256K1),
                        "P-256, P-384 or P-521"),
                Arguments.of("expired", (Function<TestPki.Device, TestPki.Device>) d -> d.validity(
                        now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1))), "expired"),
                Arguments.of("not yet valid", (Function<TestPki.Device, TestPki.Device>) d -> d.validity(
                        now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(30))), "not valid before"),
                Arguments.of("CN not a UUID", (Function<TestPki.Device, TestPki.Device>) d -> d.subject("CN=my-device"),
                        "not a canonical UUID"),
                Arguments.of("uppercase CN", (Function<TestPki.Device, TestPki.Device>) d -> d.subject(
                        "CN=" + uuid.toUpperCase(Locale.ROOT)), "upper case"),
                Arguments.of("no CN", (Function<TestPki.Device, TestPki.Device>) d -> d.subject("O=Acme, OU=" + uuid),
                        "no CN"),
                Arguments.of("two CNs", (Function<TestPki.Device, TestPki.Device>) d -> d.subject(
                        "CN=" + uuid + ", CN=" + UUID.randomUUID()), "2 CNs"),
                Arguments.of("verification certificate (CN = registration code, no EKU)",
                        (Function<TestPki.Device, TestPki.Device>) d -> d.subject("CN=" + "ab12".repeat(16))
                                .extendedKeyUsage((KeyPurposeId[]) null), "not a canonical UUID"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("certificatesOutsideTheProfile")
    void activate_rejectsCertificateOutsideTheProfile_beforeAnyWrite(String label,
            Function<TestPki.Device, TestPki.Device> breakRule, String detail) {
        TestPki.Issued bad = breakRule.apply(pki.device(UUID.randomUUID().toString())).issue();
        iot.addCertificate(bad.pem(), pki.caId(), "PENDING_ACTIVATION");

        JsonNode result = activate(event(bad.id(), pki.caId()));

        assertOutcome(result, "REJECTED", "INVALID_CERTIFICATE");
        assertTrue(result.get("detail").asText().contains(detail), result.toString());
        assertEquals(List.of("DescribeCertificate"), iot.operations());
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(bad.id()));
        assertEquals(List.of(), iot.policiesOf(iot.certificateArn(bad.id())));
    }

    static Stream<Arguments> certificatesInsideTheProfile() {
        return Stream.<Arguments>of(
                Arguments.of("no extensions at all", (Function<TestPki.Device, TestPki.Device>) d -> d.ca(null)
                        .keyUsage(null).extendedKeyUsage((KeyPurposeId[]) null)),
                Arguments.of("EKU clientAuth and serverAuth", (Function<TestPki.Device, TestPki.Device>) d ->
                        d.extendedKeyUsage(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth)),
                Arguments.of("SHA-384", (Function<TestPki.Device, TestPki.Device>) d -> d.signedWith("SHA384withECDSA")),
                Arguments.of("SHA-512", (Function<TestPki.Device, TestPki.Device>) d -> d.signedWith("SHA512withECDSA")),
                Arguments.of("other subject fields around the CN", (Function<TestPki.Device, TestPki.Device>) d ->
                        d.subject("C=US, O=Acme, OU=Sensors, CN=" + UUID.randomUUID())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("certificatesInsideTheProfile")
    void activate_acceptsCertificateInsideTheProfile(String label, Function<TestPki.Device, TestPki.Device> variant) {
        TestPki.Issued good = variant.apply(pki.device(UUID.randomUUID().toString())).issue();
        iot.addCertificate(good.pem(), pki.caId(), "PENDING_ACTIVATION");

        assertOutcome(activate(event(good.id(), pki.caId())), "ACTIVATED", null);
        assertEquals("ACTIVE", iot.certificateStatus(good.id()));
    }

    @Test
    void activate_customThingNamePattern_decidesWhichCnIsValid() {
        TestPki.Issued sensor = pki.issue("sensor-0042");
        iot.addCertificate(sensor.pem(), pki.caId(), "PENDING_ACTIVATION");
        CertificateActivationHandler custom = new CertificateActivationHandler(client, handlerRegistry(), Env.of(Map.of(
                "JITR_POLICY_NAME", JITR, "CA_CERTIFICATE_ID", pki.caId(), "THING_NAME_PATTERN", "sensor-[0-9]{4}")),
                Clock.systemUTC());

        assertOutcome(Handlers.invoke(custom, event(sensor.id(), pki.caId())), "ACTIVATED", null);
        JsonNode uuid = Handlers.invoke(custom, event(device.id(), pki.caId()));
        assertOutcome(uuid, "REJECTED", "INVALID_CERTIFICATE");
        assertTrue(uuid.get("detail").asText().contains("does not match the pattern sensor-[0-9]{4}"), uuid.toString());
    }

    /** A THING_NAME_PATTERN that is not a regular expression or matches the empty name; a CA status TTL out of range. */
    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {"THING_NAME_PATTERN|[0-9", "THING_NAME_PATTERN|.*", "THING_NAME_PATTERN|a?",
            "CA_STATUS_CACHE_SECONDS|-1", "CA_STATUS_CACHE_SECONDS|3601", "CA_STATUS_CACHE_SECONDS|soon"})
    void constructor_failsFastOnABadVariable(String variable, String value) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new CertificateActivationHandler(
                client, registry(), Env.of(Map.of("JITR_POLICY_NAME", JITR, variable, value)), Clock.systemUTC()));
        assertTrue(e.getMessage().contains(variable), e.getMessage());
    }

    // ---- the CA's status --------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void activate_leavesCertificatePendingWhenItsCaIsNotActive(boolean caRegistered) {
        if (caRegistered) {
            iot.setCaStatus(pki.caId(), "INACTIVE");
        } else {
            iot.failAlways("DescribeCACertificate", Fault.RESOURCE_NOT_FOUND);
        }

        JsonNode result = activate(event(device.id(), pki.caId()));

        assertOutcome(result, "REJECTED", "CA_NOT_ACTIVE");
        assertEquals(List.of("DescribeCertificate", "DescribeCACertificate"), iot.operations());
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(device.id()));
        assertEquals(List.of(), iot.policiesOf(arn));
    }

    @Test
    void activate_caStatusIsCachedForItsTtl_thenAskedAgain() {
        MutableClock clock = new MutableClock();
        CertificateActivationHandler container = new CertificateActivationHandler(client, handlerRegistry(), Env.of(Map.of(
                "JITR_POLICY_NAME", JITR, "CA_CERTIFICATE_ID", pki.caId(), "CA_STATUS_CACHE_SECONDS", "30")), clock);
        assertOutcome(Handlers.invoke(container, event(device.id(), pki.caId())), "ACTIVATED", null);
        iot.setCaStatus(pki.caId(), "INACTIVE");
        TestPki.Issued second = pki.issueDevice();
        iot.addCertificate(second.pem(), pki.caId(), "PENDING_ACTIVATION");
        TestPki.Issued third = pki.issueDevice();
        iot.addCertificate(third.pem(), pki.caId(), "PENDING_ACTIVATION");

        clock.advance(Duration.ofSeconds(29));
        assertOutcome(Handlers.invoke(container, event(second.id(), pki.caId())), "ACTIVATED", null);
        clock.advance(Duration.ofSeconds(2));
        assertOutcome(Handlers.invoke(container, event(third.id(), pki.caId())), "REJECTED", "CA_NOT_ACTIVE");

        assertEquals(2L, iot.callCount("DescribeCACertificate"));
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(third.id()));
    }

    @Test
    void activate_zeroCaStatusTtl_asksForEveryCertificate() {
        CertificateActivationHandler container = new CertificateActivationHandler(client, handlerRegistry(), Env.of(Map.of(
                "JITR_POLICY_NAME", JITR, "CA_CERTIFICATE_ID", pki.caId(), "CA_STATUS_CACHE_SECONDS", "0")),
                Clock.systemUTC());
        TestPki.Issued second = pki.issueDevice();
        iot.addCertificate(second.pem(), pki.caId(), "PENDING_ACTIVATION");

        Handlers.invoke(container, event(device.id(), pki.caId()));
        Handlers.invoke(container, event(second.id(), pki.caId()));

        assertEquals(2L, iot.callCount("DescribeCACertificate"));
    }


    // ---- malformed events -------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"not-json.txt", "empty.txt", "null.json", "array.json", "truncated.json",
            "registered-missing-certificate-id.json", "registered-missing-ca-certificate-id.json",
            "registered-wrong-types.json", "registered-uppercase-id.json"})
    void activate_rejectsMalformedEventWithoutIotCallAndWithoutThrowing(String fixture) {
        String event = Fixtures.event(fixture, Map.of("certificateId", device.id(), "caCertificateId", pki.caId(),
                "upperCertificateId", device.id().toUpperCase(Locale.ROOT)));

        JsonNode result = activate(event);

        assertOutcome(result, "REJECTED", "MALFORMED_EVENT");
        assertEquals(List.of(), iot.operations());
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"level\":\"WARN\"")
                && l.contains("MALFORMED_EVENT")), logs.toString());
    }

    // ---- faults -----------------------------------------------------------------------------------------------

    static Stream<Arguments> stepsAndFaults() {
        return eachWithEach(FRESH, Fault.THROTTLING, Fault.INTERNAL_FAILURE, Fault.SERVICE_UNAVAILABLE,
                Fault.BAD_GATEWAY);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("stepsAndFaults")
    void activate_retriesTransientFaultsWithinTheInvocation(String operation, Fault fault) {
        iot.failNext(operation, 2, fault);

        JsonNode result = activate(event(device.id(), pki.caId()));

        assertOutcome(result, "ACTIVATED", null);
        assertEquals(3, iot.calls(operation).size());
        assertEquals("ACTIVE", iot.certificateStatus(device.id()));
        assertEquals(List.of(JITR), iot.policiesOf(arn));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("stepsAndFaults")
    void activate_failsInvocationWhenFaultOutlastsRetries_thenConvergesOnLambdaRetry(String operation, Fault fault) {
        iot.failAlways(operation, fault);

        assertThrows(SdkException.class, () -> activate(event(device.id(), pki.caId())));

        assertEquals(IotClients.MAX_ATTEMPTS, iot.calls(operation).size());
        if (!iot.policiesOf(arn).contains(JITR)) {
            assertEquals("PENDING_ACTIVATION", iot.certificateStatus(device.id()), "never ACTIVE without policy");
        }
        iot.clearFaults();

        JsonNode retry = activate(event(device.id(), pki.caId()));

        assertOutcome(retry, "ACTIVATED", null);
        assertEquals("ACTIVE", iot.certificateStatus(device.id()));
        assertEquals(List.of(JITR), iot.policiesOf(arn));
    }

    @Test
    void activate_limitExceededIsNotRetriedBySdkButFailsTheInvocation() {
        iot.failNext("AttachPolicy", 1, Fault.LIMIT_EXCEEDED);

        assertThrows(SdkException.class, () -> activate(event(device.id(), pki.caId())));

        assertEquals(List.of("DescribeCertificate", "DescribeCACertificate", "AttachPolicy"), iot.operations());
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(device.id()));
        assertOutcome(activate(event(device.id(), pki.caId())), "ACTIVATED", null);
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = Fault.class,
            names = {"THROTTLING", "INTERNAL_FAILURE", "SERVICE_UNAVAILABLE", "LIMIT_EXCEEDED"})
    void activate_duplicateCheckFailure_failsInvocationWithoutWrites(Fault fault) {
        iot.setCertificateStatus(device.id(), "ACTIVE");
        iot.attachPolicy(JITR, arn);
        iot.failAlways("ListAttachedPolicies", fault);

        assertThrows(SdkException.class, () -> activate(event(device.id(), pki.caId())));

        assertFalse(iot.operations().contains("AttachPolicy"));
        assertFalse(iot.operations().contains("UpdateCertificate"));
        iot.clearFaults();
        assertOutcome(activate(event(device.id(), pki.caId())), "ALREADY_ACTIVE", null);
    }

    @Test
    void activate_unauthorizedIsThrownSoTheEventIsKept() {
        iot.failAlways("AttachPolicy", Fault.UNAUTHORIZED);

        assertThrows(SdkException.class, () -> activate(event(device.id(), pki.caId())));

        assertEquals(1, iot.calls("AttachPolicy").size());
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(device.id()));
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"level\":\"ERROR\"")), logs.toString());
    }

    @Test
    void activate_missingJitrPolicyIsThrownNotSwallowed() {
        CertificateActivationHandler misconfigured = new CertificateActivationHandler(client, handlerRegistry(),
                Env.of(Map.of("JITR_POLICY_NAME", "no-such-policy", "CA_CERTIFICATE_ID", pki.caId())),
                Clock.systemUTC());

        assertThrows(SdkException.class,
                () -> Handlers.invoke(misconfigured, event(device.id(), pki.caId())));

        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(device.id()));
    }

    @Test
    void activate_crashAfterPolicyAttach_leavesCertificatePendingAndRetryActivates() {
        iot.failAlways("UpdateCertificate", Fault.INTERNAL_FAILURE);
        assertThrows(SdkException.class, () -> activate(event(device.id(), pki.caId())));
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(device.id()));
        assertEquals(List.of(JITR), iot.policiesOf(arn));
        iot.clearFaults();
        iot.clearCalls();

        assertOutcome(activate(event(device.id(), pki.caId())), "ACTIVATED", null);

        assertEquals(FRESH, iot.operations());
        assertEquals(List.of(JITR), iot.policiesOf(arn));
    }

    // ---- the device registry ----------------------------------------------------------------------------------

    @Test
    void activate_recordsTheCertificateAndTheCaItRead() {
        Instant before = Instant.now().minusMillis(1);
        assertOutcome(activate(event(device.id(), pki.caId())), "ACTIVATED", null);

        CertificateItem item = registry().certificate(device.id()).orElseThrow();
        assertEquals(device.id(), item.certificateId());
        assertEquals(pki.caId(), item.caCertificateId());
        assertEquals(cnOf(device), item.thingName());
        assertEquals("ACTIVE", item.status());
        assertEquals(device.pem(), item.certificatePem());
        assertEquals(device.certificate().getNotBefore().toInstant(), item.notBefore());
        assertEquals(device.certificate().getNotAfter().toInstant(), item.notAfter());
        assertEquals(Step.ACTIVATED, item.step());
        assertEquals(null, item.boundThing(), "activation binds no thing");
        assertTrue(!item.updatedAt().isBefore(before), item.toString());
        CaItem ca = registry().ca(pki.caId()).orElseThrow();
        assertEquals("ACTIVE", ca.status());
        assertEquals(Step.ACTIVATED, ca.step());
    }

    @Test
    void activate_crashAfterActivationBeforeTheRegistryWrite_retryRecordsTheCertificate() {
        // IoT as a crash right after UpdateCertificate leaves it: ACTIVE with the JITR policy, no item.
        iot.setCertificateStatus(device.id(), "ACTIVE");
        iot.attachPolicy(JITR, arn);

        assertOutcome(activate(event(device.id(), pki.caId())), "ALREADY_ACTIVE", null);

        CertificateItem item = registry().certificate(device.id()).orElseThrow();
        assertEquals("ACTIVE", item.status());
        assertEquals(Step.ACTIVATED, item.step());
        assertEquals(device.pem(), item.certificatePem());
    }

    @Test
    void activate_registryFailureAfterUpdateCertificate_failsTheInvocation_andTheRetryRecordsIt() {
        DeviceRegistry failing = new DeviceRegistry(registryTable().client(), "no-such-table");
        CertificateActivationHandler container = new CertificateActivationHandler(client, failing,
                Env.of(Map.of("JITR_POLICY_NAME", JITR, "CA_CERTIFICATE_ID", pki.caId())), Clock.systemUTC());
        assertThrows(ResourceNotFoundException.class,
                () -> Handlers.invoke(container, event(device.id(), pki.caId())));
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(device.id()),
                "the CA item is written before AttachPolicy, so a missing table stops everything");

        assertOutcome(activate(event(device.id(), pki.caId())), "ACTIVATED", null);
        assertEquals("ACTIVE", registry().certificate(device.id()).orElseThrow().status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"REVOKED", "INACTIVE"})
    void activate_rejection_recordsTheStatusSeenAndTheReason(String status) {
        iot.setCertificateStatus(device.id(), status);

        assertOutcome(activate(event(device.id(), pki.caId())), "REJECTED", "NOT_PENDING_ACTIVATION");

        CertificateItem item = registry().certificate(device.id()).orElseThrow();
        assertEquals(status, item.status());
        assertEquals(Step.REJECTED, item.step());
        assertEquals("NOT_PENDING_ACTIVATION", item.reason());
        assertEquals(cnOf(device), item.thingName());
    }

    @Test
    void activate_caNotActive_recordsTheCaAndThePendingCertificate() {
        iot.setCaStatus(pki.caId(), "INACTIVE");

        assertOutcome(activate(event(device.id(), pki.caId())), "REJECTED", "CA_NOT_ACTIVE");

        assertEquals("INACTIVE", registry().ca(pki.caId()).orElseThrow().status());
        CertificateItem item = registry().certificate(device.id()).orElseThrow();
        assertEquals("PENDING_ACTIVATION", item.status());
        assertEquals("CA_NOT_ACTIVE", item.reason());
    }

    @Test
    void activate_stateChanged_recordsTheRejectionWithoutClaimingAStatus() {
        iot.onNext("UpdateCertificate", () -> iot.setCertificateStatus(device.id(), "REVOKED"));

        assertOutcome(activate(event(device.id(), pki.caId())), "REJECTED", "STATE_CHANGED");

        CertificateItem item = registry().certificate(device.id()).orElseThrow();
        assertEquals(null, item.status());
        assertEquals("STATE_CHANGED", item.reason());
    }

    @Test
    void activate_eventOfAnotherCa_writesNothing() {
        Handlers.invoke(handler(), event(device.id(), otherPki.caId()));
        assertEquals(Optional.empty(), registry().certificate(device.id()));
        assertEquals(Optional.empty(), registry().ca(otherPki.caId()));
    }

    @Test
    void activate_lateDuplicate_neverOverwritesANewerObservation() {
        assertOutcome(activate(event(device.id(), pki.caId())), "ACTIVATED", null);
        Instant later = Instant.now().plusSeconds(3_600);
        registry().write(CertificateUpdate.of(device.id(), Step.REVOKED, later).status("REVOKED").unbound().build());

        assertOutcome(Handlers.invoke(handler(), event(device.id(), pki.caId())), "ALREADY_ACTIVE", null);

        CertificateItem item = registry().certificate(device.id()).orElseThrow();
        assertEquals("REVOKED", item.status());
        assertEquals(Step.REVOKED, item.step());
    }

    // ---- one activation per registration: the claim ------------------------------------------------------------

    /** The registration timestamp of the fixture's registered event. */
    private static final Instant FIXTURE_REGISTERED_AT = Instant.ofEpochMilli(1732838399000L);

    @Test
    void activate_whileAnotherInvocationHoldsTheClaim_isInProgress_withoutIotCallOrWrite() {
        Instant now = Instant.now();
        assertTrue(registry().claimActivation(device.id(), pki.caId(), Optional.of(FIXTURE_REGISTERED_AT), now,
                now.plusSeconds(60), "another-invocation"));

        JsonNode result = activate(event(device.id(), pki.caId()));

        assertOutcome(result, "IN_PROGRESS", null);
        assertEquals(List.of(), iot.operations());
        assertEquals("PENDING_ACTIVATION", iot.certificateStatus(device.id()));
        assertEquals(List.of(), iot.policiesOf(arn));
        registry().releaseActivation(device.id(), "another-invocation");
        assertOutcome(activate(event(device.id(), pki.caId())), "ACTIVATED", null);
    }

    @Test
    void activate_aClaimWhoseHolderDied_lapses() {
        Instant past = Instant.now().minusSeconds(120);
        assertTrue(registry().claimActivation(device.id(), pki.caId(), Optional.of(FIXTURE_REGISTERED_AT), past,
                past.plusSeconds(60), "a-dead-invocation"));

        assertOutcome(activate(event(device.id(), pki.caId())), "ACTIVATED", null);
    }

    /** Lambda retries a crashed or timed-out asynchronous invocation with the same request id. */
    @Test
    void activate_theRetryOfAnAttemptThatDiedHoldingTheClaim_takesItOver() {
        Instant now = Instant.now();
        assertTrue(registry().claimActivation(device.id(), pki.caId(), Optional.of(FIXTURE_REGISTERED_AT), now,
                now.plusSeconds(600), "request-of-the-crashed-attempt"));
        assertOutcome(activate(event(device.id(), pki.caId())), "IN_PROGRESS", null);

        JsonNode retry = Handlers.invoke(handler(), event(device.id(), pki.caId()),
                TestContext.withRequestId("request-of-the-crashed-attempt"));

        assertOutcome(retry, "ACTIVATED", null);
        assertEquals("ACTIVE", iot.certificateStatus(device.id()));
    }

    @Test
    void activate_holdsTheClaimFromBeforeItsFirstIotReadUntilAfterItsLastWrite_thenReleasesIt() {
        List<Boolean> rivals = new ArrayList<>();
        Runnable rival = () -> rivals.add(registry().claimActivation(device.id(), pki.caId(),
                Optional.of(FIXTURE_REGISTERED_AT), Instant.now(), Instant.now().plusSeconds(60), "a-rival"));
        iot.onNext("DescribeCertificate", rival);
        iot.onNext("UpdateCertificate", rival);

        assertOutcome(activate(event(device.id(), pki.caId())), "ACTIVATED", null);

        assertEquals(List.of(false, false), rivals, "no other invocation could claim meanwhile");
        assertFalse(registryTable().client().getItem(r -> r.tableName(registryTable().name())
                .key(Map.of("pk", AttributeValue.fromS("cert#" + device.id())))).item()
                .containsKey("activationClaimUntil"), "released");
    }

    /**
     * The race an onboarding benchmark found (activation concurrency 2): one container finds no proof in the registry
     * (its GetItem, or no registration time) and is about to go on when another activates, the device is provisioned
     * (JITR policy detached), and only then does the first go on. It used to describe the certificate as PENDING_ACTIVATION first and attach the JITR
     * policy again after provisioning; now it must take the claim before it reads IoT, and it cannot.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void activate_aDuplicateOvertakenByAnotherContainer_neverAttachesTheJitrPolicyAgain(boolean registrationTime) {
        AtomicBoolean overtaken = new AtomicBoolean();
        String event = registrationTime ? event(device.id(), pki.caId())
                : event(device.id(), pki.caId()).replace("1732838399000", "not-a-time");
        DynamoDbClient racing = registryClient(new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution c, ExecutionAttributes attributes) {
                if (attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME).equals("UpdateItem")
                        && overtaken.compareAndSet(false, true)) {
                    assertOutcome(activate(event), "ACTIVATED", null);
                    client.attachPolicy(r -> r.policyName(APP).target(arn));
                    client.detachPolicy(r -> r.policyName(JITR).target(arn));
                    iot.clearCalls();
                }
            }
        });
        CertificateActivationHandler overtakenContainer = new CertificateActivationHandler(client,
                new DeviceRegistry(racing, registryTable().name()), Env.of(Map.of("JITR_POLICY_NAME", JITR,
                        "CA_CERTIFICATE_IDS", pki.caId())), Clock.systemUTC());

        JsonNode result = Handlers.invoke(overtakenContainer, event);

        assertTrue(overtaken.get());
        assertOutcome(result, "ALREADY_ACTIVE", null);
        assertEquals(List.of(APP), iot.policiesOf(arn));
        assertFalse(iot.operations().contains("AttachPolicy"), iot.operations().toString());
        assertFalse(iot.operations().contains("UpdateCertificate"), iot.operations().toString());
        racing.close();
    }

    // ---- duplicates absorbed by the registry (another container) -----------------------------------------------

    /** The registered event of {@code device} with {@code certificateRegistrationTimestamp} = {@code at}. */
    private String registeredAt(Instant at) {
        return event(device.id(), pki.caId()).replace("1732838399000", Long.toString(at.toEpochMilli()));
    }

    private List<String> registryOperationsSince(int mark) {
        List<String> all = registryOperations();
        return all.subList(mark, all.size());
    }

    @Test
    void activate_duplicateInAnotherContainer_isAbsorbedByOneGetItem_withoutIotCallOrWrite() {
        assertOutcome(Handlers.invoke(handler(), event(device.id(), pki.caId())), "ACTIVATED", null);
        CertificateItem activated = registry().certificate(device.id()).orElseThrow();
        iot.clearCalls();
        int mark = registryOperations().size();

        JsonNode duplicate = Handlers.invoke(handler(), event(device.id(), pki.caId()));

        assertOutcome(duplicate, "ALREADY_ACTIVE", null);
        assertTrue(duplicate.get("detail").asText().contains("registry"), duplicate.toString());
        assertEquals(List.of(), iot.operations());
        assertEquals(List.of("dynamodb:GetItem"), registryOperationsSince(mark));
        assertEquals(activated, registry().certificate(device.id()).orElseThrow(), "nothing written");
    }

    @Test
    void activate_duplicateAbsorbedByTheRegistry_isRememberedByTheContainer() {
        activate(event(device.id(), pki.caId()));
        CertificateActivationHandler container = handler();
        Handlers.invoke(container, event(device.id(), pki.caId()));
        iot.clearCalls();
        int mark = registryOperations().size();

        assertOutcome(Handlers.invoke(container, event(device.id(), pki.caId())), "ALREADY_ACTIVE", null);

        assertEquals(List.of(), iot.operations());
        assertEquals(List.of(), registryOperationsSince(mark));
    }

    /** Observed ACTIVE at the registration instant is proof; one millisecond before it is not. */
    @ParameterizedTest
    @CsvSource({"0, ALREADY_ACTIVE", "1, ACTIVATED"})
    void activate_registrationTimeAgainstTheItemsObservation_decides(long registeredAfterMillis, String outcome) {
        Instant observed = Instant.now().minusSeconds(60);
        registry().write(CertificateUpdate.of(device.id(), Step.ACTIVATED, observed).caCertificateId(pki.caId())
                .status("ACTIVE").build());

        JsonNode result = activate(registeredAt(observed.plusMillis(registeredAfterMillis)));

        assertOutcome(result, outcome, null);
        assertEquals(outcome.equals("ACTIVATED") ? FRESH : List.of(), iot.operations());
        assertEquals(outcome.equals("ACTIVATED") ? "ACTIVE" : "PENDING_ACTIVATION",
                iot.certificateStatus(device.id()));
    }

    @Test
    void activate_reRegistrationAfterDeletionOutsideTheProject_isActivatedThroughIot() {
        assertOutcome(activate(event(device.id(), pki.caId())), "ACTIVATED", null);
        // Deleted with the CLI (no registry write: the item still says ACTIVE), then presented again.
        client.updateCertificate(r -> r.certificateId(device.id()).newStatus(CertificateStatus.INACTIVE));
        client.detachPolicy(r -> r.policyName(JITR).target(arn));
        client.deleteCertificate(r -> r.certificateId(device.id()));
        iot.addCertificate(device.pem(), pki.caId(), "PENDING_ACTIVATION");
        Instant registeredAgain = registry().certificate(device.id()).orElseThrow().updatedAt().plusMillis(1);
        iot.clearCalls();

        JsonNode result = activate(registeredAt(registeredAgain));

        assertOutcome(result, "ACTIVATED", null);
        assertEquals(FRESH, iot.operations());
        assertEquals("ACTIVE", iot.certificateStatus(device.id()));
        assertEquals(List.of(JITR), iot.policiesOf(arn));
        assertTrue(!registry().certificate(device.id()).orElseThrow().updatedAt().isBefore(registeredAgain));
    }

    @ParameterizedTest
    @ValueSource(strings = {"REVOKED", "INACTIVE"})
    void activate_itemRevokedOrInactive_isNotAbsorbed_fullPathNeverActivates(String status) {
        assertOutcome(activate(event(device.id(), pki.caId())), "ACTIVATED", null);
        iot.setCertificateStatus(device.id(), status);
        registry().write(CertificateUpdate.of(device.id(), Step.REVOKED, Instant.now().plusMillis(1)).status(status)
                .build());
        iot.clearCalls();

        JsonNode result = activate(event(device.id(), pki.caId()));

        assertOutcome(result, "REJECTED", "NOT_PENDING_ACTIVATION");
        assertEquals(List.of("DescribeCertificate"), iot.operations());
        assertEquals(status, iot.certificateStatus(device.id()));
        assertEquals(status, registry().certificate(device.id()).orElseThrow().status());
    }

    /**
     * Items and events that prove nothing: each takes the full path, which here activates the certificate IoT still
     * has PENDING_ACTIVATION (an absorbed event would leave it so).
     */
    static Stream<Arguments> noProof() {
        return Stream.of(
                Arguments.of("item of another CA", "ACTIVE", Step.ACTIVATED, otherPki.caId(), "1732838399000"),
                Arguments.of("rejection of an ACTIVE certificate without policy", "ACTIVE", Step.REJECTED,
                        pki.caId(), "1732838399000"),
                Arguments.of("item PENDING_ACTIVATION", "PENDING_ACTIVATION", Step.REJECTED, pki.caId(),
                        "1732838399000"),
                Arguments.of("item DELETED", "DELETED", Step.DECOMMISSIONED, pki.caId(), "1732838399000"),
                Arguments.of("registration time in seconds", "ACTIVE", Step.ACTIVATED, pki.caId(), "1732838399"),
                Arguments.of("registration time not a number", "ACTIVE", Step.ACTIVATED, pki.caId(), "yesterday"),
                Arguments.of("no registration time", "ACTIVE", Step.ACTIVATED, pki.caId(), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("noProof")
    void activate_itemOrEventThatProvesNothing_takesTheFullPath(String label, String status, Step step, String ca,
            String registrationTimestamp) {
        registry().write(CertificateUpdate.of(device.id(), step, Instant.now()).caCertificateId(ca).status(status)
                .build());
        String event = event(device.id(), pki.caId());
        event = registrationTimestamp == null
                ? event.replace(",\n  \"certificateRegistrationTimestamp\": \"1732838399000\"", "")
                : event.replace("1732838399000", registrationTimestamp);
        assertEquals(registrationTimestamp == null, !event.contains("certificateRegistrationTimestamp"), event);

        assertOutcome(activate(event), "ACTIVATED", null);

        assertEquals(FRESH, iot.operations());
        assertEquals("ACTIVE", iot.certificateStatus(device.id()));
    }

    @Test
    void activate_crashBetweenUpdateCertificateAndTheItemWrite_convergesThroughTheFullPath() {
        // IoT as the crash leaves it: JITR policy attached, ACTIVE; the item as an earlier rejection wrote it
        // (PENDING_ACTIVATION while the CA was INACTIVE), so it proves nothing.
        registry().write(CertificateUpdate.of(device.id(), Step.REJECTED, Instant.now()).caCertificateId(pki.caId())
                .status("PENDING_ACTIVATION").reason("CA_NOT_ACTIVE").build());
        iot.attachPolicy(JITR, arn);
        iot.setCertificateStatus(device.id(), "ACTIVE");
        iot.clearCalls();

        assertOutcome(activate(event(device.id(), pki.caId())), "ALREADY_ACTIVE", null);

        assertEquals(List.of("DescribeCertificate", "ListAttachedPolicies"), iot.operations());
        CertificateItem item = registry().certificate(device.id()).orElseThrow();
        assertEquals("ACTIVE", item.status());
        assertEquals(Step.ACTIVATED, item.step());
        iot.clearCalls();
        assertOutcome(activate(event(device.id(), pki.caId())), "ALREADY_ACTIVE", null);
        assertEquals(List.of(), iot.operations(), "the next duplicate is absorbed by the item the retry wrote");
    }

    // ---- calls per onboarded device (lambdas/README.md, "IoT calls per onboarded device") -------------------

    @Test
    void callsPerDevice_freshCertificate_matchTheReadmeTable() {
        CertificateActivationHandler container = handler();
        TestPki.Issued first = pki.issueDevice();
        iot.addCertificate(first.pem(), pki.caId(), "PENDING_ACTIVATION");
        assertOutcome(Handlers.invoke(container, event(first.id(), pki.caId())), "ACTIVATED", null);
        assertEquals(1L, iot.callCount("DescribeCACertificate"), "the first device of a container asks for the CA");
        iot.clearCalls();

        assertOutcome(Handlers.invoke(container, event(device.id(), pki.caId())), "ACTIVATED", null);

        assertEquals(Map.of("DescribeCertificate", 1L, "AttachPolicy", 1L, "UpdateCertificate", 1L),
                iot.operationCounts());
    }

    @Test
    void callsPerDevice_duplicateInAnotherContainer_matchTheReadmeTable() {
        activate(event(device.id(), pki.caId()));
        iot.clearCalls();
        int before = registryOperations().size();

        assertOutcome(activate(event(device.id(), pki.caId())), "ALREADY_ACTIVE", null);

        assertEquals(Map.of(), iot.operationCounts());
        assertEquals(List.of("dynamodb:GetItem"), registryOperations().subList(before, registryOperations().size()));
    }

    // ---- in-container memory of activated certificates ------------------------------------------------------

    @Test
    void activate_duplicateSeenByThisContainer_isAnsweredWithoutAnyIotCall() {
        CertificateActivationHandler container = handler();
        assertOutcome(Handlers.invoke(container, event(device.id(), pki.caId())), "ACTIVATED", null);
        iot.clearCalls();

        for (int i = 0; i < 3; i++) {
            JsonNode duplicate = Handlers.invoke(container, event(device.id(), pki.caId()));
            assertOutcome(duplicate, "ALREADY_ACTIVE", null);
            assertTrue(duplicate.get("detail").asText().contains("duplicate seen by this container"),
                    duplicate.toString());
        }

        assertEquals(List.of(), iot.operations());
        assertTrue(logs.stream().anyMatch(l -> l.contains("duplicate event seen by this container")
                && l.contains(device.id())), logs.toString());
    }

    @Test
    void activate_certificateDeletedAndRegisteredAgain_isActivatedAgain_notAnsweredFromMemory() {
        CertificateActivationHandler container = handler();
        assertOutcome(Handlers.invoke(container, event(device.id(), pki.caId())), "ACTIVATED", null);
        // Decommissioned (INACTIVE, detached, deleted), then presented again: JITR registers it anew.
        client.updateCertificate(r -> r.certificateId(device.id()).newStatus(CertificateStatus.INACTIVE));
        client.detachPolicy(r -> r.policyName(JITR).target(arn));
        client.deleteCertificate(r -> r.certificateId(device.id()));
        iot.addCertificate(device.pem(), pki.caId(), "PENDING_ACTIVATION");
        String registeredAgain = registeredAt(registry().certificate(device.id()).orElseThrow().updatedAt()
                .plusMillis(1));
        iot.clearCalls();

        assertOutcome(Handlers.invoke(container, registeredAgain), "ACTIVATED", null);
        assertEquals("ACTIVE", client.describeCertificate(r -> r.certificateId(device.id()))
                .certificateDescription().statusAsString());
        iot.clearCalls();
        assertOutcome(Handlers.invoke(container, registeredAgain), "ALREADY_ACTIVE", null);
        assertEquals(List.of(), iot.operations(), "a duplicate of the new registration is answered from memory");
    }

    @Test
    void activate_certificateFoundActiveWithPolicy_isRememberedToo() {
        iot.setCertificateStatus(device.id(), "ACTIVE");
        iot.attachPolicy(JITR, arn);
        CertificateActivationHandler container = handler();
        assertOutcome(Handlers.invoke(container, event(device.id(), pki.caId())), "ALREADY_ACTIVE", null);
        iot.clearCalls();

        assertOutcome(Handlers.invoke(container, event(device.id(), pki.caId())), "ALREADY_ACTIVE", null);

        assertEquals(List.of(), iot.operations());
    }

    @Test
    void activate_rejectedCertificateIsNotRemembered_eachEventReadsIotAgain() {
        iot.setCertificateStatus(device.id(), "ACTIVE");
        CertificateActivationHandler container = handler();
        assertOutcome(Handlers.invoke(container, event(device.id(), pki.caId())), "REJECTED", "ACTIVE_WITHOUT_POLICY");
        iot.clearCalls();
        iot.setCertificateStatus(device.id(), "REVOKED");

        assertOutcome(Handlers.invoke(container, event(device.id(), pki.caId())), "REJECTED",
                "NOT_PENDING_ACTIVATION");

        assertEquals(List.of("DescribeCertificate"), iot.operations());
    }

    @Test
    void activate_duplicateAfterRevocation_writesNothingAndLeavesCertificateRevoked() {
        CertificateActivationHandler container = handler();
        Handlers.invoke(container, event(device.id(), pki.caId()));
        iot.setCertificateStatus(device.id(), "REVOKED");
        iot.clearCalls();

        Handlers.invoke(container, event(device.id(), pki.caId()));

        assertEquals(List.of(), iot.operations());
        assertEquals("REVOKED", iot.certificateStatus(device.id()));
    }

    @Test
    void activate_memoryIsPerCertificateAndCa() {
        TestPki.Issued second = pki.issueDevice();
        iot.addCertificate(second.pem(), pki.caId(), "PENDING_ACTIVATION");
        CertificateActivationHandler anyCa = handler("");
        Handlers.invoke(anyCa, event(device.id(), pki.caId()));
        iot.clearCalls();

        assertOutcome(Handlers.invoke(anyCa, event(second.id(), pki.caId())), "ACTIVATED", null);
        assertOutcome(Handlers.invoke(anyCa, event(device.id(), otherPki.caId())), "REJECTED", "UNKNOWN_CA");

        assertEquals(List.of("DescribeCertificate", "AttachPolicy", "UpdateCertificate", "DescribeCertificate"),
                iot.operations());
    }

    @Test
    void activate_evictedCertificate_isCheckedAgainInIot() {
        TestPki.Issued second = pki.issueDevice();
        iot.addCertificate(second.pem(), pki.caId(), "PENDING_ACTIVATION");
        ActivationService service = new ActivationService(client, Optional.of(handlerRegistry()), new ActivationConfig(JITR,
                List.of(pki.caId()), ThingNameRule.defaultRule(), Duration.ofSeconds(30)), Clock.systemUTC(), 1);
        service.activate(registered(device.id()));
        service.activate(registered(second.id()));
        iot.clearCalls();

        assertEquals(Outcome.ALREADY_ACTIVE, service.activate(registered(second.id())).outcome());
        assertEquals(List.of(), iot.operations());
        assertEquals(Outcome.ALREADY_ACTIVE, service.activate(registered(device.id())).outcome());
        assertEquals(List.of("DescribeCertificate", "ListAttachedPolicies"), iot.operations());
    }

    private static String cnOf(TestPki.Issued issued) {
        return ThingNameRule.commonNames(issued.certificate().getSubjectX500Principal()).get(0);
    }

    private RegisteredEvent registered(String certificateId) {
        return new RegisteredEvent(certificateId, pki.caId(), null,
                "PENDING_ACTIVATION", null, null);
    }

    // ---- throttling and 5xx on every call ----------------------------------------------------------------------

    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = Fault.class,
            names = {"THROTTLING", "INTERNAL_FAILURE", "SERVICE_UNAVAILABLE"})
    void activate_completesWhenTheFirstTwoRequestsOfEveryOperationFail(Fault fault) {
        for (String operation : FRESH) {
            iot.failNext(operation, 1, fault);
            iot.failEveryNth(operation, 2, fault);
        }

        assertOutcome(activate(event(device.id(), pki.caId())), "ACTIVATED", null);

        assertEquals(Map.of("DescribeCertificate", 3L, "DescribeCACertificate", 3L, "AttachPolicy", 3L,
                "UpdateCertificate", 3L), iot.operationCounts());
        assertEquals("ACTIVE", iot.certificateStatus(device.id()));
    }

    // ---- SnapStart priming ----------------------------------------------------------------------------------------

    @Test
    void prime_makesNoNetworkCall_andLeavesTheHandlerWorking() {
        IotPrimer primer = new IotPrimer();
        try (IotClient primed = iot.client(IotDouble.fastRetries(), List.of(primer))) {
            CertificateActivationHandler container = new CertificateActivationHandler(primed, handlerRegistry(),
                    Env.of(Map.of("JITR_POLICY_NAME", JITR, "CA_CERTIFICATE_ID", pki.caId())), Clock.systemUTC());

            assertEquals(5, container.prime());
            assertEquals(List.of(), iot.operations());

            assertOutcome(Handlers.invoke(container, event(device.id(), pki.caId())), "ACTIVATED", null);
            assertEquals(FRESH, iot.operations());
        }
    }

    @Test
    void prime_withoutAPrimer_isRefused() {
        assertThrows(IllegalStateException.class, () -> handler().prime());
        assertEquals(List.of(), iot.operations());
    }

    // ---- configuration ----------------------------------------------------------------------------------------

    @Test
    void constructor_failsFastWithoutJitrPolicyName() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new CertificateActivationHandler(client, handlerRegistry(), Env.of(Map.of()), Clock.systemUTC()));
        assertTrue(e.getMessage().contains("JITR_POLICY_NAME"));
    }

    @Test
    void constructor_failsFastOnMalformedCaCertificateId() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new CertificateActivationHandler(client, handlerRegistry(),
                        Env.of(Map.of("JITR_POLICY_NAME", JITR, "CA_CERTIFICATE_ID", "not-an-id")),
                        Clock.systemUTC()));
        assertTrue(e.getMessage().contains("CA_CERTIFICATE_ID"));
    }
}
