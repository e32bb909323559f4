package dev.iotonboard.lambda.provisioning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.IotPrimer;

import dev.iotonboard.lambda.core.ThingNameRule;
import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.TestPki;
import dev.iotonboard.lambda.provisioning.model.ProvisioningRequest;
import dev.iotonboard.lambda.provisioning.model.ProvisioningResult.Outcome;
import dev.iotonboard.lambda.core.registry.CertificateItem;
import dev.iotonboard.lambda.core.registry.CertificateUpdate;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.IotObservations;
import dev.iotonboard.lambda.core.registry.Step;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.iot.IotClient;

class ThingProvisioningHandlerTest extends HandlerTest {

    /** A new device: the thing does not exist yet, so DescribeThing stands in for a first ListThingPrincipals. */
    private static final List<String> FULL_RUN = List.of("ListPrincipalThings",
            "DescribeThing", "CreateThing", "AttachThingPrincipal", "ListThingPrincipals", "AttachPolicy",
            "DetachPolicy");
    /**
     * The thing exists (a replay, or a crash left it): its principals are read before any write; it is not created
     * again (already placed: without placement configured, any existing thing is).
     */
    private static final List<String> RUN_ON_EXISTING_THING = List.of("ListPrincipalThings",
            "DescribeThing", "ListThingPrincipals", "AttachThingPrincipal", "ListThingPrincipals",
            "AttachPolicy", "DetachPolicy");

    private TestPki.Issued device;
    private String arn;
    private String thingName;

    @Override
    protected Set<String> declaredRegistryActions() {
        return ProvisioningService.REGISTRY_ACTIONS;
    }

    @Override
    protected Set<String> declaredOperations() {
        return handler(pki.caId()).iotOperations();
    }

    @BeforeEach
    void activatedDevice() {
        thingName = UUID.randomUUID().toString();
        device = pki.issue(thingName);
        arn = activeWithJitrPolicy(device);
    }

    /**
     * The state certificate activation leaves: ACTIVE with the JITR policy, and its registry item (what IoT's
     * DescribeCertificate said, step ACTIVATED).
     */
    private String activeWithJitrPolicy(TestPki.Issued issued) {
        String certificateArn = activeInIotOnly(issued);
        registry().write(IotObservations.certificate(client.describeCertificate(r -> r.certificateId(issued.id()))
                .certificateDescription(), Step.ACTIVATED, Instant.now().minusSeconds(1)).build());
        iot.clearCalls();
        return certificateArn;
    }

    /** ACTIVE with the JITR policy, without a registry item (activation crashed before writing it). */
    private String activeInIotOnly(TestPki.Issued issued) {
        iot.addCertificate(issued.pem(), pki.caId(), "ACTIVE");
        String certificateArn = iot.certificateArn(issued.id());
        iot.attachPolicy(JITR, certificateArn);
        return certificateArn;
    }

    private ThingProvisioningHandler handler(String configuredCa) {
        Map<String, String> env = new HashMap<>();
        env.put("JITR_POLICY_NAME", JITR);
        env.put("APP_POLICY_NAME", APP);
        env.put("CA_CERTIFICATE_IDS", configuredCa);
        return new ThingProvisioningHandler(client, handlerRegistry(), Env.of(env));
    }

    private JsonNode provision(String event) {
        return Handlers.invoke(handler(pki.caId()), event);
    }

    private String request(String name, String certificateId) {
        return Fixtures.event("request.json",
                Map.of("thingName", Fixtures.jsonString(name), "certificateId", certificateId));
    }

    private static void assertOutcome(JsonNode result, String outcome, String reason) {
        assertEquals(outcome, result.get("outcome").asText(), result.toString());
        if (reason != null) {
            assertEquals(reason, result.get("reason").asText(), result.toString());
        }
    }

    private void assertProvisioned() {
        assertEquals(List.of(arn), iot.principalsOf(thingName));
        assertEquals(List.of(thingName), iot.thingsOf(arn));
        assertEquals(List.of(APP), iot.policiesOf(arn));
    }

    private void assertUntouched() {
        assertFalse(iot.thingExists(thingName));
        assertEquals(List.of(JITR), iot.policiesOf(arn));
        assertEquals(List.of(), iot.thingsOf(arn));
    }

    // ---- the normal path -------------------------------------------------------------------------------------

    @Test
    void provision_createsThingAttachesCertificateThenSwapsPolicies() {
        JsonNode result = provision(request(thingName, device.id()));

        assertOutcome(result, "PROVISIONED", null);
        assertEquals(FULL_RUN, iot.operations());
        assertEquals("EXCLUSIVE_THING",
                iot.calls("AttachThingPrincipal").get(0).query().get("thingPrincipalType"));
        assertEquals(arn, iot.calls("AttachThingPrincipal").get(0).header("x-amzn-principal"));
        assertEquals("/target-policies/" + APP, iot.calls("AttachPolicy").get(0).path());
        assertEquals("/target-policies/" + JITR, iot.calls("DetachPolicy").get(0).path());
        assertEquals(arn, iot.calls("DetachPolicy").get(0).bodyField("target"));
        assertProvisioned();
    }

    @Test
    void provision_replayAfterCompletion_changesNothing() {
        provision(request(thingName, device.id()));
        iot.clearCalls();

        JsonNode result = provision(request(thingName, device.id()));

        assertOutcome(result, "PROVISIONED", null);
        assertEquals(RUN_ON_EXISTING_THING, iot.operations());
        assertProvisioned();
        assertEquals(List.of(thingName), iot.thingNames());
    }

    @Test
    void provision_usesOnlyThePrincipalCertificateId_ignoringOtherPayloadFields() {
        TestPki.Issued other = pki.issueDevice();
        String otherArn = activeWithJitrPolicy(other);
        String event = Fixtures.event("request-extra-fields.json", Map.of("thingName", thingName,
                "certificateId", device.id(), "otherArn", otherArn, "otherCertificateId", other.id()));

        assertOutcome(provision(event), "PROVISIONED", null);

        assertProvisioned();
        assertEquals(List.of(), iot.thingsOf(otherArn));
        assertEquals(List.of(JITR), iot.policiesOf(otherArn));
        assertTrue(iot.calls().stream().noneMatch(c -> c.toString().contains(other.id())));
    }

    @Test
    void provision_thingLeftWithoutPrincipalByEarlierCrash_isCompleted() {
        iot.addThing(thingName);

        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);

        assertEquals(RUN_ON_EXISTING_THING, iot.operations());
        assertProvisioned();
    }

    @Test
    void provision_createThingAlreadyExistsError_countsAsDone() {
        iot.onNext("CreateThing", () -> iot.addThing(thingName));
        iot.failNext("CreateThing", 1, Fault.RESOURCE_ALREADY_EXISTS);

        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);

        assertEquals(1, iot.calls("CreateThing").size());
        assertProvisioned();
    }

    @Test
    void provision_acceptsAnyCaWhenNoneIsConfigured() {
        TestPki.Issued foreign = otherPki.issue(thingName);
        iot.addCertificate(foreign.pem(), otherPki.caId(), "ACTIVE");

        assertOutcome(Handlers.invoke(handler(""), request(thingName, foreign.id())), "PROVISIONED", null);

        assertEquals(List.of(iot.certificateArn(foreign.id())), iot.principalsOf(thingName));
    }

    // ---- bad requests -----------------------------------------------------------------------------------------

    static Stream<Arguments> badThingNames() {
        String uuid = "3f2b8c1e-7d4a-4e9b-9c2f-1a2b3c4d5e6f";
        return Stream.of(
                Arguments.of("not a UUID", "my-device"),
                Arguments.of("upper case", uuid.toUpperCase()),
                Arguments.of("too long", "a".repeat(129)),
                Arguments.of("UUID plus long suffix", uuid + "-" + "b".repeat(100)),
                Arguments.of("slash", uuid.substring(0, 35) + "/"),
                Arguments.of("hash", uuid.substring(0, 35) + "#"),
                Arguments.of("plus", uuid.substring(0, 35) + "+"),
                Arguments.of("dollar", "$" + uuid.substring(1)),
                Arguments.of("topic wildcard", "things/#"),
                Arguments.of("no dashes", uuid.replace("-", "")),
                Arguments.of("braces", "{" + uuid + "}"),
                Arguments.of("spaces", " " + uuid),
                Arguments.of("newline", uuid + "\n"),
                Arguments.of("empty", ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badThingNames")
    void provision_rejectsThingNameThatIsNotACanonicalLowercaseUuid(String label, String badName) {
        JsonNode result = provision(request(badName, device.id()));

        assertOutcome(result, "REJECTED", "INVALID_THING_NAME");
        assertEquals(List.of(), iot.operations());
        assertEquals(List.of(), iot.thingNames());
        assertEquals(List.of(JITR), iot.policiesOf(arn));
    }

    @ParameterizedTest
    @ValueSource(strings = {"request-missing-thing-name.json", "request-null-thing-name.json"})
    void provision_rejectsMissingThingName(String fixture) {
        JsonNode result = provision(Fixtures.event(fixture, Map.of("certificateId", device.id())));

        assertOutcome(result, "REJECTED", "INVALID_THING_NAME");
        assertEquals(List.of(), iot.operations());
    }

    @ParameterizedTest
    @ValueSource(strings = {"not-json.txt", "empty.txt", "array.json", "string.json",
            "request-missing-certificate-id.json", "request-object-thing-name.json"})
    void provision_rejectsMalformedRequestWithoutIotCallAndWithoutThrowing(String fixture) {
        JsonNode result = provision(Fixtures.event(fixture, Map.of("thingName", thingName,
                "certificateId", device.id())));

        assertOutcome(result, "REJECTED", "MALFORMED_EVENT");
        assertEquals(List.of(), iot.operations());
        assertUntouched();
    }

    // ---- certificate state ------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"PENDING_ACTIVATION", "INACTIVE", "REVOKED"})
    void provision_rejectsCertificateThatIsNotActive(String status) {
        iot.setCertificateStatus(device.id(), status);
        registry().write(CertificateUpdate.of(device.id(), Step.REVOKED, Instant.now()).status(status).build());

        JsonNode result = provision(request(thingName, device.id()));

        assertOutcome(result, "REJECTED", "CERTIFICATE_NOT_ACTIVE");
        assertEquals(List.of("DescribeCertificate"), iot.operations(), "an item not ACTIVE is confirmed with IoT");
        assertUntouched();
    }

    /**
     * The registry is what provisioning trusts for the status: a certificate revoked in IoT alone, behind the
     * table's back (no script, no sync), is provisioned from its ACTIVE item. IoT still refuses its connections.
     */
    @Test
    void provision_revokedInIotAloneWhileTheItemSaysActive_trustsTheItem() {
        iot.setCertificateStatus(device.id(), "REVOKED");

        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);

        assertEquals("REVOKED", iot.certificateStatus(device.id()), "never made ACTIVE");
        assertFalse(iot.operations().contains("DescribeCertificate"));
    }

    @Test
    void provision_rejectsCertificateUnknownToIot() {
        JsonNode result = provision(request(thingName, "c".repeat(64)));

        assertOutcome(result, "REJECTED", "CERTIFICATE_NOT_FOUND");
        assertEquals(List.of("DescribeCertificate"), iot.operations());
        assertFalse(iot.thingExists(thingName));
    }

    @Test
    void provision_rejectsCertificateOfAnotherCa() {
        TestPki.Issued foreign = otherPki.issue(thingName);
        iot.addCertificate(foreign.pem(), otherPki.caId(), "ACTIVE");

        JsonNode result = provision(request(thingName, foreign.id()));

        assertOutcome(result, "REJECTED", "UNKNOWN_CA");
        assertEquals(List.of("DescribeCertificate"), iot.operations());
        assertFalse(iot.thingExists(thingName));
    }

    @Test
    void provision_acceptsCertificateOfTheSecondListedCa() {
        TestPki.Issued second = otherPki.issue(thingName);
        iot.addCertificate(second.pem(), otherPki.caId(), "ACTIVE");
        arn = iot.certificateArn(second.id());
        iot.attachPolicy(JITR, arn);

        JsonNode result = Handlers.invoke(handler(pki.caId() + "," + otherPki.caId()), request(thingName, second.id()));

        assertOutcome(result, "PROVISIONED", null);
        assertProvisioned();
    }

    @Test
    void provision_rejectsCertificateOfACaNotInTheList() {
        TestPki unlisted = TestPki.newCa("unlisted-ca");
        TestPki.Issued foreign = unlisted.issue(thingName);
        iot.addCertificate(foreign.pem(), unlisted.caId(), "ACTIVE");

        JsonNode result = Handlers.invoke(handler(pki.caId() + "," + otherPki.caId()), request(thingName, foreign.id()));

        assertOutcome(result, "REJECTED", "UNKNOWN_CA");
        assertEquals(List.of("DescribeCertificate"), iot.operations());
        assertFalse(iot.thingExists(thingName));
    }

    // ---- anti-hijack ------------------------------------------------------------------------------------------

    @Test
    void provision_rejectsThingOwnedByAnotherCertificate() {
        TestPki.Issued owner = pki.issue(thingName);
        String ownerArn = activeWithJitrPolicy(owner);
        iot.addThing(thingName, ownerArn);

        JsonNode result = provision(request(thingName, device.id()));

        assertOutcome(result, "REJECTED", "THING_OWNED_BY_ANOTHER_CERTIFICATE");
        assertEquals(List.of("ListPrincipalThings", "DescribeThing", "ListThingPrincipals"),
                iot.operations());
        assertEquals(List.of(ownerArn), iot.principalsOf(thingName));
        assertEquals(List.of(JITR), iot.policiesOf(arn));
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"level\":\"WARN\"") && l.contains("\"security\":true")
                && l.contains("THING_OWNED_BY_ANOTHER_CERTIFICATE")), logs.toString());
    }

    @Test
    void provision_rejectsCertificateAlreadyAttachedToAnotherThing() {
        String firstThing = UUID.randomUUID().toString();
        iot.addThing(firstThing, arn);

        JsonNode result = provision(request(thingName, device.id()));

        assertOutcome(result, "REJECTED", "CERTIFICATE_ON_ANOTHER_THING");
        assertEquals(List.of("ListPrincipalThings"), iot.operations());
        assertFalse(iot.thingExists(thingName));
        assertEquals(List.of(firstThing), iot.thingsOf(arn));
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"security\":true")), logs.toString());
    }

    @Test
    void provision_detachesAgainWhenAnotherCertificateRacesOntoTheThing() {
        TestPki.Issued racer = pki.issue(thingName);
        String racerArn = activeWithJitrPolicy(racer);
        iot.onNext("AttachThingPrincipal", () -> iot.addThing(thingName, racerArn));

        JsonNode result = provision(request(thingName, device.id()));

        assertOutcome(result, "REJECTED", "THING_OWNED_BY_ANOTHER_CERTIFICATE");
        assertEquals(List.of(racerArn), iot.principalsOf(thingName));
        assertEquals(List.of(JITR), iot.policiesOf(arn));
        assertEquals("DetachThingPrincipal", iot.operations().get(iot.operations().size() - 1));
    }

    @Test
    void provision_exclusiveAttachRefused_isRejectedNotRetried() {
        iot.failNext("AttachThingPrincipal", 1, Fault.INVALID_REQUEST);

        JsonNode result = provision(request(thingName, device.id()));

        assertOutcome(result, "REJECTED", "CERTIFICATE_ON_ANOTHER_THING");
        assertEquals(1, iot.calls("AttachThingPrincipal").size());
        assertEquals(List.of(JITR), iot.policiesOf(arn));
    }

    // ---- the identity rule: the thing is the certificate's CN ---------------------------------------------------

    @Test
    void provision_refusesAThingOtherThanTheCertificateCn_andDeactivatesTheCertificate() {
        String victim = UUID.randomUUID().toString();

        JsonNode result = provision(request(victim, device.id()));

        assertOutcome(result, "REJECTED", "THING_NAME_NOT_CERTIFICATE_CN");
        assertTrue(result.get("certificateDeactivated").asBoolean(), result.toString());
        assertEquals(List.of("DetachPolicy", "UpdateCertificate"), iot.operations());
        assertEquals("INACTIVE", iot.calls("UpdateCertificate").get(0).query().get("newStatus"));
        assertEquals("INACTIVE", iot.certificateStatus(device.id()));
        assertEquals(List.of(), iot.policiesOf(arn));
        assertFalse(iot.thingExists(victim));
        assertEquals(List.of(), iot.thingsOf(arn));
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"level\":\"WARN\"") && l.contains("\"security\":true")
                && l.contains(device.id()) && l.contains("\"requestedThingName\":\"" + victim + "\"")
                && l.contains("\"certificateCn\":\"" + thingName + "\"")), logs.toString());
    }

    @Test
    void provision_squattingAnOnboardedDevice_leavesTheVictimUntouched() {
        String victim = UUID.randomUUID().toString();
        TestPki.Issued victimCertificate = pki.issue(victim);
        String victimArn = activeWithJitrPolicy(victimCertificate);
        assertOutcome(provision(request(victim, victimCertificate.id())), "PROVISIONED", null);

        JsonNode result = provision(request(victim, device.id()));

        assertOutcome(result, "REJECTED", "THING_NAME_NOT_CERTIFICATE_CN");
        assertEquals(List.of(victimArn), iot.principalsOf(victim));
        assertEquals(List.of(APP), iot.policiesOf(victimArn));
        assertEquals("ACTIVE", iot.certificateStatus(victimCertificate.id()));
        assertEquals("INACTIVE", iot.certificateStatus(device.id()));
    }

    @Test
    void provision_crashBetweenDetachAndDeactivate_retryCompletesBoth() {
        String victim = UUID.randomUUID().toString();
        iot.failAlways("UpdateCertificate", Fault.SERVICE_UNAVAILABLE);
        ThingProvisioningHandler container = handler(pki.caId());

        assertThrows(SdkException.class, () -> Handlers.invoke(container, request(victim, device.id())));
        assertEquals(List.of(), iot.policiesOf(arn));
        assertEquals("ACTIVE", iot.certificateStatus(device.id()));
        iot.clearFaults();

        assertOutcome(Handlers.invoke(container, request(victim, device.id())), "REJECTED",
                "THING_NAME_NOT_CERTIFICATE_CN");
        assertEquals("INACTIVE", iot.certificateStatus(device.id()));
        assertFalse(iot.thingExists(victim));
    }

    @Test
    void provision_nameMismatchOfACertificateRevokedMeanwhile_leavesItRevoked() {
        iot.onNext("UpdateCertificate", () -> iot.setCertificateStatus(device.id(), "REVOKED"));

        JsonNode result = provision(request(UUID.randomUUID().toString(), device.id()));

        assertOutcome(result, "REJECTED", "THING_NAME_NOT_CERTIFICATE_CN");
        assertEquals("REVOKED", iot.certificateStatus(device.id()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"CN=my-device", "O=Acme"})
    void provision_refusesACertificateWhoseSubjectNamesNoThing_withoutWrites(String subject) {
        TestPki.Issued odd = pki.device("x").subject(subject).issue();
        String oddArn = activeWithJitrPolicy(odd);

        JsonNode result = provision(request(thingName, odd.id()));

        assertOutcome(result, "REJECTED", "CERTIFICATE_NAMES_NO_THING");
        assertEquals(List.of(), iot.operations(), "the PEM comes from the registry item");
        assertEquals("ACTIVE", iot.certificateStatus(odd.id()));
        assertEquals(List.of(JITR), iot.policiesOf(oddArn));
    }

    @Test
    void provision_customThingNamePattern_provisionsTheCnItAllows() {
        TestPki.Issued sensor = pki.issue("sensor-0042");
        String sensorArn = activeWithJitrPolicy(sensor);
        ThingProvisioningHandler custom = new ThingProvisioningHandler(client, handlerRegistry(), Env.of(Map.of("JITR_POLICY_NAME", JITR,
                "APP_POLICY_NAME", APP, "CA_CERTIFICATE_ID", pki.caId(), "THING_NAME_PATTERN", "sensor-[0-9]{4}")));

        assertOutcome(Handlers.invoke(custom, request("sensor-0042", sensor.id())), "PROVISIONED", null);

        assertEquals(List.of(sensorArn), iot.principalsOf("sensor-0042"));
        assertOutcome(Handlers.invoke(custom, request(thingName, device.id())), "REJECTED", "INVALID_THING_NAME");
    }

    // ---- faults and convergence -------------------------------------------------------------------------------

    /** DescribeCertificate is called only without a registry item: the device loses its item for that case. */
    private void onThePathOf(String operation) {
        if (operation.equals("DescribeCertificate")) {
            thingName = UUID.randomUUID().toString();
            device = pki.issue(thingName);
            arn = activeInIotOnly(device);
        }
    }

    static Stream<Arguments> stepsAndFaults() {
        return eachWithEach(List.of("DescribeCertificate", "ListPrincipalThings", "DescribeThing",
                "ListThingPrincipals", "CreateThing", "AttachThingPrincipal", "AttachPolicy", "DetachPolicy"),
                Fault.THROTTLING, Fault.INTERNAL_FAILURE, Fault.SERVICE_UNAVAILABLE);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("stepsAndFaults")
    void provision_retriesTransientFaultsWithinTheInvocation(String operation, Fault fault) {
        onThePathOf(operation);
        iot.failNext(operation, 2, fault);

        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);

        assertProvisioned();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("stepsAndFaults")
    void provision_failsInvocationWhenFaultOutlastsRetries_thenConvergesOnLambdaRetry(String operation,
            Fault fault) {
        onThePathOf(operation);
        iot.failAlways(operation, fault);

        assertThrows(SdkException.class, () -> provision(request(thingName, device.id())));

        assertTrue(iot.calls(operation).size() >= IotClients.MAX_ATTEMPTS);
        assertFalse(iot.policiesOf(arn).isEmpty(), "the certificate always keeps a policy");
        iot.clearFaults();

        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);
        assertProvisioned();
    }

    @ParameterizedTest
    @ValueSource(strings = {"CreateThing", "AttachThingPrincipal", "AttachPolicy", "DetachPolicy"})
    void provision_limitExceededFailsTheInvocation_thenConverges(String operation) {
        iot.failNext(operation, 1, Fault.LIMIT_EXCEEDED);

        assertThrows(SdkException.class, () -> provision(request(thingName, device.id())));
        assertFalse(iot.policiesOf(arn).isEmpty());

        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);
        assertProvisioned();
    }

    @Test
    void provision_crashAfterEachStep_retryConverges() {
        List<String> writes = List.of("CreateThing", "AttachThingPrincipal", "AttachPolicy", "DetachPolicy");
        for (int step = 0; step < writes.size(); step++) {
            IotDouble fresh = IotDouble.start();
            try (fresh; IotClient freshClient = fresh.client()) {
                fresh.addPolicy(JITR);
                fresh.addPolicy(APP);
                fresh.addCertificate(device.pem(), pki.caId(), "ACTIVE");
                fresh.attachPolicy(JITR, arn);
                ThingProvisioningHandler handler = new ThingProvisioningHandler(freshClient, handlerRegistry(), Env.of(Map.of(
                        "JITR_POLICY_NAME", JITR, "APP_POLICY_NAME", APP, "CA_CERTIFICATE_ID", pki.caId())));
                fresh.failAlways(writes.get(step), Fault.SERVICE_UNAVAILABLE);
                assertThrows(SdkException.class, () -> Handlers.invoke(handler, request(thingName, device.id())));
                List<String> expectedPolicies = writes.get(step).equals("DetachPolicy") ? List.of(JITR, APP)
                        : List.of(JITR);
                assertEquals(expectedPolicies, fresh.policiesOf(arn), "crash before " + writes.get(step));
                fresh.clearFaults();

                assertOutcome(Handlers.invoke(handler, request(thingName, device.id())), "PROVISIONED", null);

                assertEquals(List.of(arn), fresh.principalsOf(thingName));
                assertEquals(List.of(APP), fresh.policiesOf(arn));
            }
        }
    }

    @Test
    void provision_existingThingOwnedByAnotherCertificate_isReadBeforeAnyWrite() {
        TestPki.Issued owner = pki.issue(thingName);
        String ownerArn = activeWithJitrPolicy(owner);
        iot.addThing(thingName, ownerArn);
        ThingProvisioningHandler container = handler(pki.caId());

        for (int i = 0; i < 2; i++) {
            assertOutcome(Handlers.invoke(container, request(thingName, device.id())), "REJECTED",
                    "THING_OWNED_BY_ANOTHER_CERTIFICATE");
        }

        assertEquals(Map.of("ListPrincipalThings", 2L, "DescribeThing", 2L,
                "ListThingPrincipals", 2L), iot.operationCounts(), "a rejection is never remembered");
        assertEquals(List.of(ownerArn), iot.principalsOf(thingName));
        assertEquals(List.of(JITR), iot.policiesOf(arn));
    }

    @Test
    void provision_thingCreatedByAnotherCertificateAfterDescribeThing_isCaughtByTheRaceCheck() {
        TestPki.Issued racer = pki.issue(thingName);
        String racerArn = activeWithJitrPolicy(racer);
        iot.onNext("CreateThing", () -> iot.addThing(thingName, racerArn));

        JsonNode result = provision(request(thingName, device.id()));

        assertOutcome(result, "REJECTED", "THING_OWNED_BY_ANOTHER_CERTIFICATE");
        assertEquals(List.of("ListPrincipalThings", "DescribeThing", "CreateThing",
                "AttachThingPrincipal", "ListThingPrincipals", "DetachThingPrincipal"), iot.operations());
        assertEquals(List.of(racerArn), iot.principalsOf(thingName));
        assertEquals(List.of(JITR), iot.policiesOf(arn));
    }

    // ---- the device registry ----------------------------------------------------------------------------------

    @Test
    void provision_readsTheCertificateFromTheRegistry_andRecordsTheBinding() {
        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);

        assertFalse(iot.operations().contains("DescribeCertificate"), iot.operations().toString());
        CertificateItem item = registry().certificate(device.id()).orElseThrow();
        assertEquals(Step.PROVISIONED, item.step());
        assertEquals(thingName, item.boundThing());
        assertEquals("ACTIVE", item.status());
        assertEquals(device.pem(), item.certificatePem());
        assertEquals(arn, item.certificateArn());
    }

    @Test
    void provision_withoutARegistryItem_readsIot_andRecordsTheCertificateWhole() {
        thingName = UUID.randomUUID().toString();
        device = pki.issue(thingName);
        arn = activeInIotOnly(device);

        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);

        assertEquals("DescribeCertificate", iot.operations().get(0));
        CertificateItem item = registry().certificate(device.id()).orElseThrow();
        assertEquals(Step.PROVISIONED, item.step());
        assertEquals(thingName, item.boundThing());
        assertEquals(thingName, item.thingName());
        assertEquals("ACTIVE", item.status());
        assertEquals(pki.caId(), item.caCertificateId());
        assertEquals(device.pem(), item.certificatePem());
        assertEquals(arn, item.certificateArn());
        assertEquals(device.certificate().getNotAfter().toInstant(), item.notAfter());
    }

    @Test
    void provision_registryItemThatIsNotActive_isConfirmedWithIot_theAuthority() {
        registry().write(CertificateUpdate.of(device.id(), Step.REJECTED, Instant.now()).status("PENDING_ACTIVATION")
                .reason("CA_NOT_ACTIVE").build());

        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);

        assertEquals("DescribeCertificate", iot.operations().get(0));
        assertEquals("ACTIVE", registry().certificate(device.id()).orElseThrow().status());
        assertEquals(null, registry().certificate(device.id()).orElseThrow().reason());
    }

    @Test
    void provision_revokedInIotAndInTheRegistry_isRefused_andRecordedSo() {
        iot.setCertificateStatus(device.id(), "REVOKED");
        registry().write(CertificateUpdate.of(device.id(), Step.REVOKED, Instant.now()).status("REVOKED").build());

        assertOutcome(provision(request(thingName, device.id())), "REJECTED", "CERTIFICATE_NOT_ACTIVE");

        assertUntouched();
        CertificateItem item = registry().certificate(device.id()).orElseThrow();
        assertEquals("REVOKED", item.status());
        assertEquals(Step.REFUSED, item.step());
        assertEquals("CERTIFICATE_NOT_ACTIVE", item.reason());
    }

    @Test
    void provision_requestForAnotherThing_recordsTheDeactivation() {
        assertOutcome(provision(request(UUID.randomUUID().toString(), device.id())), "REJECTED",
                "THING_NAME_NOT_CERTIFICATE_CN");

        CertificateItem item = registry().certificate(device.id()).orElseThrow();
        assertEquals("INACTIVE", item.status());
        assertEquals(Step.REFUSED, item.step());
        assertEquals("THING_NAME_NOT_CERTIFICATE_CN", item.reason());
        assertEquals(null, item.boundThing());
    }

    @Test
    void provision_crashBeforeTheLastIotStep_recordsNoBinding_theRetryRecordsIt() {
        iot.failAlways("DetachPolicy", Fault.SERVICE_UNAVAILABLE);
        assertThrows(SdkException.class, () -> provision(request(thingName, device.id())));
        assertEquals(null, registry().certificate(device.id()).orElseThrow().boundThing(),
                "the binding is written after the IoT calls it records");
        iot.clearFaults();

        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);

        assertEquals(thingName, registry().certificate(device.id()).orElseThrow().boundThing());
        assertProvisioned();
    }

    @Test
    void provision_registryUnavailable_failsTheInvocationBeforeAnyIotCall() {
        ThingProvisioningHandler noTable = new ThingProvisioningHandler(client,
                new DeviceRegistry(registryTable().client(), "no-such-table"),
                Env.of(Map.of("JITR_POLICY_NAME", JITR, "APP_POLICY_NAME", APP, "CA_CERTIFICATE_ID", pki.caId())));

        assertThrows(ResourceNotFoundException.class, () -> Handlers.invoke(noTable, request(thingName, device.id())));

        assertEquals(List.of(), iot.operations());
        assertUntouched();
    }

    // ---- calls per onboarded device (lambdas/README.md, "IoT calls per onboarded device") -------------------

    @Test
    void callsPerDevice_newThing_matchTheReadmeTable() {
        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);

        assertEquals(Map.of("ListPrincipalThings", 1L, "DescribeThing", 1L,
                "CreateThing", 1L, "AttachThingPrincipal", 1L, "ListThingPrincipals", 1L, "AttachPolicy", 1L,
                "DetachPolicy", 1L), iot.operationCounts());
    }

    @Test
    void callsPerDevice_duplicateInAnotherContainer_matchTheReadmeTable() {
        provision(request(thingName, device.id()));
        iot.clearCalls();

        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);

        assertEquals(Map.of("ListPrincipalThings", 1L, "DescribeThing", 1L,
                "AttachThingPrincipal", 1L, "ListThingPrincipals", 2L, "AttachPolicy", 1L,
                "DetachPolicy", 1L), iot.operationCounts());
    }

    // ---- requests already served, by the registry ------------------------------------------------------------

    /** A request as the rule delivers it, received by the rules engine at {@code receivedAt}. */
    private String requestReceived(String name, String certificateId, Instant receivedAt) {
        return Fixtures.event("request-received.json", Map.of("thingName", Fixtures.jsonString(name),
                "certificateId", certificateId, "requestedAt", Long.toString(receivedAt.toEpochMilli())));
    }

    @Test
    void provision_aRequestReceivedBeforeTheBindingWasRecorded_isAnsweredFromTheRegistry_withoutAnyIotCall() {
        String resent = requestReceived(thingName, device.id(), Instant.now().minusSeconds(1));
        assertOutcome(provision(requestReceived(thingName, device.id(), Instant.now().minusSeconds(5))),
                "PROVISIONED", null);
        iot.clearCalls();
        int registryCalls = registryOperations().size();

        JsonNode duplicate = provision(resent);

        assertOutcome(duplicate, "PROVISIONED", null);
        assertTrue(duplicate.get("detail").asText().contains("the registry recorded this binding"),
                duplicate.toString());
        assertEquals(List.of(), iot.operations(), "another container: no memory of it, the registry answers");
        assertEquals(List.of("dynamodb:GetItem"), registryOperations().subList(registryCalls,
                registryOperations().size()));
        assertProvisioned();
        assertTrue(logs.stream().anyMatch(l -> l.contains("registry recorded this binding after the request")
                && l.contains(thingName)), logs.toString());
    }

    @Test
    void provision_aRequestReceivedAfterTheBinding_takesTheWholePath() {
        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);
        iot.attachPolicy(JITR, arn); // an operator has the device provisioned anew
        iot.clearCalls();

        assertOutcome(provision(requestReceived(thingName, device.id(), Instant.now().plusSeconds(60))),
                "PROVISIONED", null);

        assertEquals(List.of(APP), iot.policiesOf(arn), "the JITR policy detached again");
        assertTrue(iot.callCount("ListPrincipalThings") > 0);
    }

    @Test
    void provision_theRegistryNeverAnswersForAnotherThing_orAnUnboundCertificate() {
        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);
        iot.clearCalls();

        assertOutcome(provision(requestReceived(UUID.randomUUID().toString(), device.id(),
                Instant.now().minusSeconds(1))), "REJECTED", "THING_NAME_NOT_CERTIFICATE_CN");

        assertTrue(iot.callCount("UpdateCertificate") > 0, "the whole path: the certificate is deactivated");
    }

    // ---- in-container memory of provisioned pairs ------------------------------------------------------------

    @Test
    void provision_duplicateSeenByThisContainer_isAnsweredWithoutAnyIotCall() {
        ThingProvisioningHandler container = handler(pki.caId());
        assertOutcome(Handlers.invoke(container, request(thingName, device.id())), "PROVISIONED", null);
        iot.clearCalls();

        for (int i = 0; i < 3; i++) {
            JsonNode duplicate = Handlers.invoke(container, request(thingName, device.id()));
            assertOutcome(duplicate, "PROVISIONED", null);
            assertTrue(duplicate.get("detail").asText().contains("duplicate seen by this container"),
                    duplicate.toString());
        }

        assertEquals(List.of(), iot.operations());
        assertProvisioned();
        assertTrue(logs.stream().anyMatch(l -> l.contains("duplicate request seen by this container")
                && l.contains(thingName)), logs.toString());
    }

    @Test
    void provision_memoryNeverAnswersForAnotherThingOrAnotherCertificate() {
        ThingProvisioningHandler container = handler(pki.caId());
        Handlers.invoke(container, request(thingName, device.id()));
        TestPki.Issued other = pki.issue(thingName);
        String otherArn = activeWithJitrPolicy(other);
        iot.clearCalls();

        assertOutcome(Handlers.invoke(container, request(thingName, other.id())), "REJECTED",
                "THING_OWNED_BY_ANOTHER_CERTIFICATE");
        assertOutcome(Handlers.invoke(container, request(UUID.randomUUID().toString(), device.id())), "REJECTED",
                "THING_NAME_NOT_CERTIFICATE_CN");

        assertEquals(List.of("ListPrincipalThings", "DescribeThing", "ListThingPrincipals",
                "DetachPolicy", "UpdateCertificate"), iot.operations());
        assertEquals(List.of(arn), iot.principalsOf(thingName));
        assertEquals(List.of(JITR), iot.policiesOf(otherArn));
    }

    @Test
    void provision_failedAttemptIsNotRemembered_theRetryDoesTheWork() {
        ThingProvisioningHandler container = handler(pki.caId());
        iot.failAlways("DetachPolicy", Fault.SERVICE_UNAVAILABLE);
        assertThrows(SdkException.class, () -> Handlers.invoke(container, request(thingName, device.id())));
        iot.clearFaults();
        iot.clearCalls();

        assertOutcome(Handlers.invoke(container, request(thingName, device.id())), "PROVISIONED", null);

        assertEquals(RUN_ON_EXISTING_THING, iot.operations());
        assertProvisioned();
    }

    @Test
    void provision_evictedPair_isProvisionedAgainIdempotently() {
        ProvisioningService service = new ProvisioningService(client, java.util.Optional.of(handlerRegistry()),
                new ProvisioningConfig(JITR, APP, List.of(pki.caId()), ThingNameRule.defaultRule(),
                        java.time.Duration.ofHours(168)), 1, java.time.Clock.systemUTC());
        String secondThing = UUID.randomUUID().toString();
        TestPki.Issued second = pki.issue(secondThing);
        activeWithJitrPolicy(second);
        service.provision(new ProvisioningRequest(thingName, device.id()));
        service.provision(new ProvisioningRequest(secondThing, second.id()));
        iot.clearCalls();

        service.provision(new ProvisioningRequest(secondThing, second.id()));
        assertEquals(List.of(), iot.operations());
        assertEquals(Outcome.PROVISIONED, service.provision(new ProvisioningRequest(thingName, device.id())).outcome());
        assertEquals(RUN_ON_EXISTING_THING, iot.operations());
        assertProvisioned();
    }

    // ---- throttling and 5xx on every call ----------------------------------------------------------------------

    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = Fault.class,
            names = {"THROTTLING", "INTERNAL_FAILURE", "SERVICE_UNAVAILABLE"})
    void provision_completesWhenTheFirstTwoRequestsOfEveryOperationFail(Fault fault) {
        List<String> operations = List.of("ListPrincipalThings", "DescribeThing",
                "CreateThing", "AttachThingPrincipal", "ListThingPrincipals", "AttachPolicy", "DetachPolicy");
        for (String operation : operations) {
            iot.failNext(operation, 1, fault);
            iot.failEveryNth(operation, 2, fault);
        }

        assertOutcome(provision(request(thingName, device.id())), "PROVISIONED", null);

        for (String operation : operations) {
            assertEquals(3L, iot.callCount(operation), operation);
        }
        assertProvisioned();
    }

    // ---- SnapStart priming ----------------------------------------------------------------------------------------

    @Test
    void prime_makesNoNetworkCall_andLeavesTheHandlerWorking() {
        IotPrimer primer = new IotPrimer();
        try (IotClient primed = iot.client(IotDouble.fastRetries(), List.of(primer))) {
            ThingProvisioningHandler container = new ThingProvisioningHandler(primed, handlerRegistry(), Env.of(Map.of(
                    "JITR_POLICY_NAME", JITR, "APP_POLICY_NAME", APP, "CA_CERTIFICATE_ID", pki.caId())));

            assertEquals(12, container.prime(), "every declared operation, DetachThingPrincipal (a race) included");
            assertEquals(List.of(), iot.operations());
            assertEquals(List.of(), iot.thingNames());

            assertOutcome(Handlers.invoke(container, request(thingName, device.id())), "PROVISIONED", null);
            assertEquals(FULL_RUN, iot.operations());
            assertProvisioned();
        }
    }

    @Test
    void prime_withoutAPrimer_isRefused() {
        assertThrows(IllegalStateException.class, () -> handler(pki.caId()).prime());
        assertEquals(List.of(), iot.operations());
    }

    // ---- configuration ----------------------------------------------------------------------------------------

    @Test
    void constructor_failsFastWithoutAppPolicyName() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new ThingProvisioningHandler(client, handlerRegistry(), Env.of(Map.of("JITR_POLICY_NAME", JITR))));
        assertTrue(e.getMessage().contains("APP_POLICY_NAME"));
    }
}
