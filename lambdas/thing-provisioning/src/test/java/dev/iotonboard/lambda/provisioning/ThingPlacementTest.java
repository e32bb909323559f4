package dev.iotonboard.lambda.provisioning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.HandlerTest;
import dev.iotonboard.lambda.testing.Handlers;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.TestPki;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
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

/**
 * Placement at provisioning: the thing's type, its groups, and its attributes read from the certificate the CA
 * attested; each step idempotent, an existing thing reconciled, a crash at any step converging on the retry.
 */
class ThingPlacementTest extends HandlerTest {

    private static final String TYPE = "sensor";
    private static final List<String> GROUPS = List.of("fleet", "eu-sensors");
    private static final String ATTRIBUTES = "org=O,unit=OU,deviceSerial=serialNumber,country=C,certSerial=serial,"
            + "certNotAfter=notAfter";
    private static final List<String> NEW_DEVICE_RUN = List.of("DescribeCertificate", "ListPrincipalThings",
            "DescribeThing", "CreateThing", "AttachThingPrincipal", "ListThingPrincipals", "AddThingToThingGroup",
            "AddThingToThingGroup", "AttachPolicy", "DetachPolicy");

    private String thingName;
    private TestPki.Issued device;
    private String arn;

    @Override
    protected Set<String> declaredOperations() {
        return handler(ATTRIBUTES).iotOperations();
    }

    @BeforeEach
    void typeGroupsAndADevice() {
        createTypeAndGroups(iot);
        thingName = UUID.randomUUID().toString();
        device = issue(thingName, "C=DE, O=Acme, OU=Sensors, SERIALNUMBER=SN-0042, CN=" + thingName);
        arn = activeWithJitrPolicy(iot, device);
    }

    private static void createTypeAndGroups(IotDouble double_) {
        double_.registry().thingTypes().create(TYPE, null, List.of("org", "unit", "deviceSerial"));
        GROUPS.forEach(group -> double_.registry().thingGroups().create(group, null, Map.of()));
    }

    private static TestPki.Issued issue(String thingName, String subject) {
        return pki.device(thingName).subject(subject).issue();
    }

    private static String activeWithJitrPolicy(IotDouble double_, TestPki.Issued issued) {
        double_.addCertificate(issued.pem(), pki.caId(), "ACTIVE");
        String certificateArn = double_.certificateArn(issued.id());
        double_.attachPolicy(JITR, certificateArn);
        return certificateArn;
    }

    private static Map<String, String> env(String attributes, String type) {
        Map<String, String> env = new HashMap<>(Map.of("JITR_POLICY_NAME", JITR, "APP_POLICY_NAME", APP,
                "CA_CERTIFICATE_ID", pki.caId(), "THING_GROUP_NAMES", String.join(",", GROUPS),
                "THING_ATTRIBUTES", attributes));
        if (type != null) {
            env.put("THING_TYPE_NAME", type);
        }
        return env;
    }

    private ThingProvisioningHandler handler(String attributes) {
        return new ThingProvisioningHandler(client, registry(), Env.of(env(attributes, TYPE)));
    }

    private JsonNode provision(ThingProvisioningHandler handler, TestPki.Issued issued) {
        return Handlers.invoke(handler, Fixtures.event("request.json",
                Map.of("thingName", thingName, "certificateId", issued.id())));
    }

    private JsonNode provision() {
        return provision(handler(ATTRIBUTES), device);
    }

    private static void assertOutcome(JsonNode result, String outcome, String reason) {
        assertEquals(outcome, result.get("outcome").asText(), result.toString());
        if (reason != null) {
            assertEquals(reason, result.get("reason").asText(), result.toString());
        }
    }

    private Map<String, String> expectedAttributes(TestPki.Issued issued) {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("org", "Acme");
        expected.put("unit", "Sensors");
        expected.put("deviceSerial", "SN-0042");
        expected.put("country", "DE");
        expected.put("certSerial", issued.certificate().getSerialNumber().toString(16));
        expected.put("certNotAfter", issued.certificate().getNotAfter().toInstant().truncatedTo(ChronoUnit.SECONDS)
                .toString());
        return expected;
    }

    private static void assertPlaced(IotDouble double_, String thingName, Map<String, String> attributes) {
        Registry.Thing thing = double_.registry().things().get(thingName);
        assertEquals(TYPE, thing.thingTypeName());
        assertEquals(attributes, thing.attributes());
        assertEquals(GROUPS, double_.registry().thingGroups().groupsFor(thingName));
    }

    private void assertProvisioned() {
        assertEquals(List.of(arn), iot.principalsOf(thingName));
        assertEquals(List.of(APP), iot.policiesOf(arn));
    }

    // ---- a new device ------------------------------------------------------------------------------------------

    @Test
    void newDevice_isCreatedWithTypeAndCertificateAttributes_andAddedToEachGroup_beforeThePolicySwap() {
        assertOutcome(provision(), "PROVISIONED", null);

        assertEquals(NEW_DEVICE_RUN, iot.operations());
        assertPlaced(iot, thingName, expectedAttributes(device));
        assertProvisioned();
        assertEquals(GROUPS, iot.calls("AddThingToThingGroup").stream()
                .map(call -> call.bodyField("thingGroupName")).toList());
    }

    @Test
    void attributesComeFromTheCertificate_neverFromThePayload() {
        String event = Fixtures.event("request.json", Map.of("thingName", thingName, "certificateId", device.id()))
                .replace("}", ",\"attributes\":{\"org\":\"Evil\"},\"thingTypeName\":\"other\"}");

        Handlers.invoke(handler(ATTRIBUTES), event);

        assertEquals("Acme", iot.registry().things().get(thingName).attributes().get("org"));
    }

    @Test
    void untypedThing_getsItsAttributesWithoutAType() {
        ThingProvisioningHandler untyped = new ThingProvisioningHandler(client, registry(),
                Env.of(env("org=O,country=C", null)));

        assertOutcome(provision(untyped, device), "PROVISIONED", null);

        Registry.Thing thing = iot.registry().things().get(thingName);
        assertEquals(null, thing.thingTypeName());
        assertEquals(Map.of("org", "Acme", "country", "DE"), thing.attributes());
    }

    @Test
    void replayAfterCompletion_writesNothingButTheIdempotentGroupAdds() {
        provision();
        iot.clearCalls();
        long version = iot.registry().things().get(thingName).version();

        assertOutcome(provision(handler(ATTRIBUTES), device), "PROVISIONED", null);

        assertEquals(List.of("ListPrincipalThings", "DescribeThing", "ListThingPrincipals",
                "AttachThingPrincipal", "ListThingPrincipals", "AddThingToThingGroup", "AddThingToThingGroup",
                "AttachPolicy", "DetachPolicy"), iot.operations(), "the first run recorded the certificate item");
        assertEquals(version, iot.registry().things().get(thingName).version());
        assertPlaced(iot, thingName, expectedAttributes(device));
    }

    // ---- an existing thing -------------------------------------------------------------------------------------

    @Test
    void existingThingWithOtherTypeAndAttributes_isReconciledByOneMergingUpdate_keepingOtherAttributes() {
        iot.registry().thingTypes().create("legacy", null, List.of());
        iot.registry().things().create(thingName, "legacy", Map.of("org", "Wrong", "note", "operator"));

        assertOutcome(provision(), "PROVISIONED", null);

        assertEquals(1, iot.calls("UpdateThing").size());
        assertEquals(0, iot.calls("CreateThing").size());
        Map<String, String> expected = new LinkedHashMap<>(expectedAttributes(device));
        expected.put("note", "operator");
        assertPlaced(iot, thingName, expected);
        assertProvisioned();
        assertTrue(logs.stream().anyMatch(l -> l.contains("reconciled") && l.contains("legacy")), logs.toString());
    }

    @Test
    void thingCreatedConcurrentlyWithOtherAttributes_isReadAgainAndReconciled() {
        iot.onNext("CreateThing", () -> iot.addThing(thingName));

        assertOutcome(provision(), "PROVISIONED", null);

        assertEquals(List.of("DescribeThing", "CreateThing", "DescribeThing", "UpdateThing"), iot.operations().stream()
                .filter(op -> op.contains("Thing") && !op.contains("Principal") && !op.contains("Group")).toList());
        assertPlaced(iot, thingName, expectedAttributes(device));
        assertProvisioned();
    }

    @Test
    void deprecatedType_refusesBeforeAnyWrite_withTheReason() {
        iot.registry().thingTypes().deprecate(TYPE, false);

        JsonNode result = provision();

        assertOutcome(result, "REJECTED", "PLACEMENT_REFUSED");
        assertTrue(result.get("detail").asText().contains(TYPE), result.toString());
        assertFalse(iot.thingExists(thingName));
        assertEquals(List.of(JITR), iot.policiesOf(arn));
        assertEquals(List.of(), iot.thingsOf(arn));
    }

    @Test
    void untypedExistingThingWithNoFreeAttributeSlot_isRefusedWithTheReason_andLeftAsItIs() {
        iot.registry().things().create(thingName, Map.of("a", "1", "b", "2", "c", "3"));
        ThingProvisioningHandler untyped = new ThingProvisioningHandler(client, registry(),
                Env.of(env("org=O", null)));

        JsonNode result = provision(untyped, device);

        assertOutcome(result, "REJECTED", "PLACEMENT_REFUSED");
        assertEquals(Map.of("a", "1", "b", "2", "c", "3"), iot.registry().things().get(thingName).attributes());
        assertEquals(List.of(), iot.thingsOf(arn));
        assertEquals(List.of(JITR), iot.policiesOf(arn));
    }

    // ---- certificate fields that make no attribute ------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"C=DE, O=Acme Corp, OU=Sensors, SERIALNUMBER=SN-0042", "C=DE, OU=Sensors, SERIALNUMBER=1",
            "C=DE, O=Acme, O=Other, OU=Sensors, SERIALNUMBER=SN-0042"})
    void certificateFieldThatIsNoValidAttributeValue_rejectsBeforeAnyWrite(String subject) {
        TestPki.Issued odd = issue(thingName, subject + ", CN=" + thingName);
        String oddArn = activeWithJitrPolicy(iot, odd);
        iot.clearCalls();

        JsonNode result = provision(handler(ATTRIBUTES), odd);

        assertOutcome(result, "REJECTED", "CERTIFICATE_FIELD_NOT_ATTRIBUTE");
        assertEquals(List.of("DescribeCertificate"), iot.operations());
        assertFalse(iot.thingExists(thingName));
        assertEquals(List.of(JITR), iot.policiesOf(oddArn));
    }

    // ---- crash and retry ---------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"CreateThing", "AttachThingPrincipal", "AddThingToThingGroup#1", "AddThingToThingGroup#2",
            "AttachPolicy", "DetachPolicy"})
    void crashAtEachStep_retryConverges(String step) {
        IotDouble fresh = IotDouble.start();
        try (fresh; IotClient freshClient = fresh.client()) {
            fresh.addPolicy(JITR);
            fresh.addPolicy(APP);
            createTypeAndGroups(fresh);
            String freshArn = activeWithJitrPolicy(fresh, device);
            ThingProvisioningHandler handler = new ThingProvisioningHandler(freshClient, registry(),
                    Env.of(env(ATTRIBUTES, TYPE)));
            String operation = step.replaceAll("#.*", "");
            if (step.endsWith("#2")) {
                fresh.onNext(operation, () -> fresh.failAlways(operation, Fault.SERVICE_UNAVAILABLE));
            } else {
                fresh.failAlways(operation, Fault.SERVICE_UNAVAILABLE);
            }
            assertThrows(SdkException.class, () -> provision(handler, device), step);
            assertEquals(List.of(JITR), fresh.policiesOf(freshArn).stream().filter(JITR::equals).toList(), step);
            fresh.clearFaults();

            assertOutcome(provision(handler, device), "PROVISIONED", null);

            assertPlaced(fresh, thingName, expectedAttributes(device));
            assertEquals(List.of(freshArn), fresh.principalsOf(thingName));
            assertEquals(List.of(APP), fresh.policiesOf(freshArn));
        }
    }

    // ---- renewal ------------------------------------------------------------------------------------------------

    @Test
    void renewal_theCertificateAttributesFollowTheNewCertificate_andTheAnnouncementIsCleared() {
        provision();
        TestPki.Issued next = pki.device(thingName).subject("C=DE, O=Acme, OU=Sensors, SERIALNUMBER=SN-0042, CN="
                + thingName).validity(Instant.now().minus(1, ChronoUnit.DAYS), Instant.now().plus(730,
                ChronoUnit.DAYS)).issue();
        String nextArn = activeWithJitrPolicy(iot, next);
        iot.registry().things().update(thingName, Map.of(RenewalAttributes.ATTRIBUTE,
                next.id() + ":" + device.id() + ":" + Instant.now().getEpochSecond()), true, null);

        assertOutcome(provision(handler(ATTRIBUTES), next), "PROVISIONED", null);

        assertPlaced(iot, thingName, expectedAttributes(next));
        assertEquals(List.of(nextArn), iot.principalsOf(thingName));
        assertEquals(List.of(APP), iot.policiesOf(nextArn));
        assertEquals("INACTIVE", iot.certificateStatus(device.id()));
    }

    // ---- configuration -----------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"org=Org", "org", "org=O,org=C", "renewalAnnouncement=O", "bad name=O", "=O"})
    void malformedThingAttributes_isAConfigurationError(String attributes) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Placement.from(Env.of(Map.of("THING_ATTRIBUTES", attributes))));
        assertTrue(e.getMessage().contains("THING_ATTRIBUTES"), e.getMessage());
    }

    @Test
    void noPlacementConfigured_isABareThing() {
        assertEquals(Placement.NONE, Placement.from(Env.of(Map.of())));
    }
}
