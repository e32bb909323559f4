package dev.iotonboard.lambda.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.registry.CaItem;
import dev.iotonboard.lambda.core.registry.CertificateItem;
import dev.iotonboard.lambda.core.registry.CertificateUpdate;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.Step;
import dev.iotonboard.lambda.testing.Fault;
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
import java.util.HashMap;
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

/** The registry sync against the IoT double and the device registry table in a real dynalite. */
class RegistrySyncHandlerTest extends HandlerTest {

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

    private RegistrySyncHandler handler() {
        return handler(Map.of());
    }

    private RegistrySyncHandler handler(Map<String, String> moreEnvironment) {
        Map<String, String> environment = new HashMap<>(moreEnvironment);
        environment.put(DeviceRegistry.TABLE_VARIABLE, table.name());
        return new RegistrySyncHandler(Env.of(environment), CLOCK,
                (e, interceptors) -> {
                    IotClient c = iot.client(IotDouble.fastRetries(), interceptors);
                    clients.add(c);
                    return c;
                }, table.client());
    }

    private JsonNode run(String eventName, String requestParameters) {
        return run(eventName, requestParameters, null);
    }

    private JsonNode run(String eventName, String requestParameters, String errorCode) {
        return Handlers.invoke(handler(), event(eventName, requestParameters, errorCode, null));
    }

    /** The EventBridge event of a CloudTrail record; {@code userIdentity} (JSON) left out when null. */
    private static String event(String eventName, String requestParameters, String errorCode, String userIdentity) {
        return "{\"version\":\"0\",\"id\":\"" + UUID.randomUUID() + "\",\"detail-type\":\"AWS API Call via "
                + "CloudTrail\",\"source\":\"aws.iot\",\"account\":\"123456789012\",\"time\":\"" + NOW + "\","
                + "\"region\":\"eu-west-1\",\"resources\":[],\"detail\":{\"eventVersion\":\"1.08\","
                + (userIdentity == null ? "" : "\"userIdentity\":" + userIdentity + ",")
                + "\"eventSource\":\"iot.amazonaws.com\",\"eventName\":\"" + eventName + "\",\"eventTime\":\"" + NOW
                + "\"," + (errorCode == null ? "" : "\"errorCode\":\"" + errorCode + "\",")
                + "\"requestParameters\":" + requestParameters + ",\"responseElements\":null}}";
    }

    /** A device certificate registered in IoT with this status; attached to its thing (its CN) when bound. */
    private Device device(String status, boolean bound) {
        String thing = UUID.randomUUID().toString();
        TestPki.Issued issued = pki.device(thing).validity(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(365)))
                .issue();
        String id = iot.addCertificate(issued.pem(), pki.caId(), status);
        if (bound) {
            iot.addThing(thing, iot.certificateArn(id));
        }
        return new Device(thing, id);
    }

    private record Device(String thing, String id) {
    }

    /** What provisioning leaves: ACTIVE, bound to its thing, written before the sync. */
    private void provisioned(Device device) {
        registry.write(CertificateUpdate.of(device.id(), Step.PROVISIONED, NOW.minusSeconds(60)).status("ACTIVE")
                .thingName(device.thing()).boundThing(device.thing()).caCertificateId(pki.caId()).build());
    }

    private CertificateItem item(String id) {
        return registry.latestCertificate(id).orElseThrow(() -> new AssertionError("no item for " + id));
    }

    // ---- certificates ----------------------------------------------------------------------------------------------

    @Test
    void updateCertificate_rewritesTheItemFromIot_notFromTheRecord() {
        Device device = device("ACTIVE", true);
        provisioned(device);
        iot.setCertificateStatus(device.id(), "REVOKED");

        JsonNode result = run("UpdateCertificate",
                "{\"certificateId\":\"" + device.id() + "\",\"newStatus\":\"INACTIVE\"}");

        assertEquals("SYNCED", result.get("outcome").asText(), result.toString());
        CertificateItem item = item(device.id());
        assertEquals("REVOKED", item.status(), "IoT's status, not the record's newStatus");
        assertEquals(device.thing(), item.boundThing());
        assertEquals(device.thing(), item.thingName(), "what the sync did not observe is left");
        assertEquals(pki.caId(), item.caCertificateId());
        assertEquals(Step.SYNCED, item.step());
        assertEquals(NOW, item.updatedAt());
        assertEquals(NOW.plus(Duration.ofDays(365)).truncatedTo(ChronoUnit.SECONDS),
                item.notAfter().truncatedTo(ChronoUnit.SECONDS));
        assertEquals(List.of("DescribeCertificate", "ListPrincipalThings"), iot.operations());
    }

    @Test
    void deleteCertificate_recordsDeleted_andUnbound() {
        Device device = device("INACTIVE", false);
        provisioned(device);
        String id = device.id();
        client.deleteCertificate(r -> r.certificateId(id));
        iot.clearCalls();

        JsonNode result = run("DeleteCertificate", "{\"certificateId\":\"" + id + "\"}");

        assertEquals("DELETED", result.get("status").asText(), result.toString());
        assertEquals(DeviceRegistry.DELETED, item(id).status());
        assertNull(item(id).boundThing());
        assertEquals(List.of("DescribeCertificate"), iot.operations());
    }

    @Test
    void detachThingPrincipal_recordsTheCertificateUnbound() {
        Device device = device("ACTIVE", true);
        provisioned(device);
        client.detachThingPrincipal(r -> r.thingName(device.thing()).principal(iot.certificateArn(device.id())));
        iot.clearCalls();

        JsonNode result = run("DetachThingPrincipal", "{\"thingName\":\"" + device.thing() + "\",\"principal\":\""
                + iot.certificateArn(device.id()) + "\"}");

        assertEquals("SYNCED", result.get("outcome").asText(), result.toString());
        assertEquals("ACTIVE", item(device.id()).status());
        assertNull(item(device.id()).boundThing());
    }

    @Test
    void anItemTheTableLacks_isCreated() {
        Device device = device("INACTIVE", true);

        run("UpdateCertificate", "{\"certificateId\":\"" + device.id() + "\",\"newStatus\":\"INACTIVE\"}");

        CertificateItem item = item(device.id());
        assertEquals("INACTIVE", item.status());
        assertEquals(device.thing(), item.boundThing());
        assertNull(item.certificatePem());
    }

    @Test
    void newerStateInTheTable_isKept() {
        Device device = device("INACTIVE", true);
        registry.write(CertificateUpdate.of(device.id(), Step.DECOMMISSIONED, NOW.plusSeconds(5)).status("REVOKED")
                .unbound().build());

        JsonNode result = run("UpdateCertificate", "{\"certificateId\":\"" + device.id() + "\"}");

        assertEquals("NEWER_STATE_KEPT", result.get("outcome").asText(), result.toString());
        assertEquals("REVOKED", item(device.id()).status());
        assertEquals(Step.DECOMMISSIONED, item(device.id()).step());
    }

    // ---- CAs -------------------------------------------------------------------------------------------------------

    @Test
    void updateCaCertificate_writesTheCaItem() {
        iot.setCaStatus(pki.caId(), "INACTIVE");

        JsonNode result = run("UpdateCACertificate", "{\"certificateId\":\"" + pki.caId()
                + "\",\"newStatus\":\"INACTIVE\"}");

        assertEquals("CA", result.get("kind").asText(), result.toString());
        CaItem ca = registry.ca(pki.caId()).orElseThrow();
        assertEquals("INACTIVE", ca.status());
        assertEquals(Step.SYNCED, ca.step());
        assertEquals(pki.caCertificate().getNotAfter().toInstant(), ca.notAfter());
        assertEquals(List.of("DescribeCACertificate"), iot.operations());
    }

    @Test
    void aCaOtherThanTheStacks_isIgnored_whenTheStackListsItsCas() {
        RegistrySyncHandler handler = new RegistrySyncHandler(Env.of(Map.of(DeviceRegistry.TABLE_VARIABLE,
                table.name(), "CA_CERTIFICATE_IDS", pki.caId())), CLOCK, (e, interceptors) -> {
                    IotClient c = iot.client(IotDouble.fastRetries(), interceptors);
                    clients.add(c);
                    return c;
                }, table.client());
        iot.setCaStatus(otherPki.caId(), "INACTIVE");

        JsonNode result = Handlers.invoke(handler, "{\"source\":\"aws.iot\",\"detail\":{\"eventName\":"
                + "\"UpdateCACertificate\",\"requestParameters\":{\"certificateId\":\"" + otherPki.caId() + "\"}}}");

        assertEquals("IGNORED", result.get("outcome").asText(), result.toString());
        assertEquals(List.of(), iot.operations());
        assertTrue(registry.ca(otherPki.caId()).isEmpty());
    }

    // ---- the stack's own writers ------------------------------------------------------------------------------------

    private static final String WRITER = "arn:aws:iam::123456789012:role/Stack-ProvisioningRole-ABC";
    private static final String OTHER_ROLE = "arn:aws:iam::123456789012:role/ops/Operator";

    /** CloudTrail's userIdentity of a call made in a session of {@code roleArn} (a Lambda function's calls). */
    private static String assumedRole(String roleArn) {
        String name = roleArn.substring(roleArn.lastIndexOf('/') + 1);
        return "{\"type\":\"AssumedRole\",\"principalId\":\"AROAEXAMPLE:fn\",\"arn\":\"arn:aws:sts::123456789012:"
                + "assumed-role/" + name + "/fn\",\"accountId\":\"123456789012\",\"sessionContext\":{"
                + "\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"AROAEXAMPLE\",\"arn\":\"" + roleArn
                + "\",\"accountId\":\"123456789012\",\"userName\":\"" + name + "\"},\"attributes\":{"
                + "\"creationDate\":\"" + NOW + "\",\"mfaAuthenticated\":\"false\"}}}";
    }

    private JsonNode runAs(String userIdentity, Device device) {
        return Handlers.invoke(handler(Map.of(RegistrySyncHandler.WRITER_ROLE_ARNS, WRITER + ", "
                + "arn:aws:iam::123456789012:role/Stack-ActivationRole-DEF")), event("UpdateCertificate",
                "{\"certificateId\":\"" + device.id() + "\",\"newStatus\":\"INACTIVE\"}", null, userIdentity));
    }

    @Test
    void aCallByAFunctionThatWritesTheItemItself_isIgnored_withoutAnyIotCall() {
        Device device = device("INACTIVE", true);
        provisioned(device);

        JsonNode result = runAs(assumedRole(WRITER), device);

        assertEquals("IGNORED", result.get("outcome").asText(), result.toString());
        assertTrue(result.get("detail").asText().contains(WRITER), result.toString());
        assertEquals(List.of(), iot.operations());
        assertEquals(Step.PROVISIONED, item(device.id()).step());
    }

    @Test
    void aCallByAnotherRole_isSynced() {
        Device device = device("INACTIVE", true);
        provisioned(device);

        JsonNode result = runAs(assumedRole(OTHER_ROLE), device);

        assertEquals("SYNCED", result.get("outcome").asText(), result.toString());
        assertEquals("INACTIVE", item(device.id()).status());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // an IAM user: no session issuer
        "{\"type\":\"IAMUser\",\"principalId\":\"AIDAEXAMPLE\",\"arn\":\"arn:aws:iam::123456789012:user/ops\","
                + "\"accountId\":\"123456789012\",\"userName\":\"ops\"}",
        // the writer's ARN where a role session's issuer is not: only the issuer counts
        "{\"type\":\"IAMUser\",\"arn\":\"" + WRITER + "\",\"sessionContext\":{\"attributes\":{}}}",
        // a federated session whose issuer is a user, not a role
        "{\"type\":\"FederatedUser\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"IAMUser\",\"arn\":\""
                + WRITER + "\"}}}",
        "{\"type\":\"Root\",\"arn\":\"arn:aws:iam::123456789012:root\"}"})
    void aCallByAnyoneButAWriterRole_isSynced(String userIdentity) {
        Device device = device("INACTIVE", true);
        provisioned(device);

        JsonNode result = runAs(userIdentity, device);

        assertEquals("SYNCED", result.get("outcome").asText(), result.toString());
        assertEquals(List.of("DescribeCertificate", "ListPrincipalThings"), iot.operations());
    }

    @Test
    void aCallWithoutUserIdentity_isSynced() {
        Device device = device("INACTIVE", true);
        provisioned(device);

        assertEquals("SYNCED", runAs(null, device).get("outcome").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"arn:aws:iam::123456789012:user/ops", "Stack-ProvisioningRole-ABC",
        "arn:aws:iam::12345:role/x", WRITER + ",,"})
    void aWriterListThatIsNotRoleArns_stopsTheHandler(String value) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> handler(Map.of(RegistrySyncHandler.WRITER_ROLE_ARNS, value)));
        assertTrue(e.getMessage().contains(RegistrySyncHandler.WRITER_ROLE_ARNS), e.getMessage());
    }

    // ---- what is ignored or refused ----------------------------------------------------------------------------------

    @Test
    void aFailedCall_isIgnored_withoutAnyIotCall() {
        Device device = device("ACTIVE", true);

        JsonNode result = run("UpdateCertificate", "{\"certificateId\":\"" + device.id() + "\"}", "AccessDenied");

        assertEquals("IGNORED", result.get("outcome").asText(), result.toString());
        assertEquals(List.of(), iot.operations());
        assertTrue(registry.latestCertificate(device.id()).isEmpty());
    }

    @Test
    void aPrincipalThatIsNotACertificate_isIgnored() {
        JsonNode result = run("DetachThingPrincipal", "{\"thingName\":\"t\",\"principal\":\"arn:aws:cognito-identity:"
                + "eu-west-1:123456789012:identitypool/x\"}");

        assertEquals("IGNORED", result.get("outcome").asText(), result.toString());
        assertEquals(List.of(), iot.operations());
    }

    @Test
    void anotherCall_isIgnored() {
        assertEquals("IGNORED", run("CreateThing", "{\"thingName\":\"t\"}").get("outcome").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"certificateId\":\"ABC\"}", "{\"certificateId\":7}"})
    void aBadCertificateId_isRejected_andNotRetried(String parameters) {
        JsonNode result = run("UpdateCertificate", parameters);

        assertEquals("REJECTED", result.get("outcome").asText(), result.toString());
        assertTrue(result.get("detail").asText().contains("certificateId"), result.toString());
        assertEquals(List.of(), iot.operations());
    }

    @Test
    void anEventOfAnotherSource_isRejected() {
        JsonNode result = Handlers.invoke(handler(), "{\"source\":\"aws.s3\",\"detail\":{\"eventName\":\"x\"}}");

        assertEquals("REJECTED", result.get("outcome").asText(), result.toString());
    }

    @Test
    void anIotFailure_failsTheInvocation_andTheItemIsUnchanged() {
        Device device = device("INACTIVE", true);
        provisioned(device);
        iot.failAlways("DescribeCertificate", Fault.INTERNAL_FAILURE);

        assertThrows(SdkException.class,
                () -> run("UpdateCertificate", "{\"certificateId\":\"" + device.id() + "\"}"));
        assertEquals(Step.PROVISIONED, item(device.id()).step());
        assertTrue(logs.stream().anyMatch(line -> line.contains("\"level\":\"ERROR\"")
                && line.contains("\"message\":\"Iot call failed after the SDK retries;")
                && line.contains("\"service\":\"Iot\"")), String.join("\n", logs));
    }

    @Test
    void aMissingTable_failsTheInvocation() {
        Device device = device("INACTIVE", true);
        RegistrySyncHandler handler = new RegistrySyncHandler(Env.of(Map.of(DeviceRegistry.TABLE_VARIABLE,
                "no-such-table")), CLOCK, (e, interceptors) -> {
                    IotClient c = iot.client(IotDouble.fastRetries(), interceptors);
                    clients.add(c);
                    return c;
                }, table.client());

        assertThrows(SdkException.class, () -> Handlers.invoke(handler, "{\"source\":\"aws.iot\",\"detail\":{"
                + "\"eventName\":\"UpdateCertificate\",\"requestParameters\":{\"certificateId\":\"" + device.id()
                + "\"}}}"));
        assertTrue(logs.stream().anyMatch(line -> line.contains("\"message\":\"DynamoDb call failed after the SDK "
                + "retries;") && line.contains("\"service\":\"DynamoDb\"")), "the ERROR line names the registry, "
                + "not IoT:\n" + String.join("\n", logs));
    }

    @Test
    void declarations_canBeReadWithoutAnyAwsSetting() {
        RegistrySyncHandler offline = new RegistrySyncHandler(Env.of(Map.of(DeviceRegistry.TABLE_VARIABLE, "t")),
                CLOCK, (e, interceptors) -> {
                    IotClient c = iot.client(IotDouble.fastRetries(), interceptors);
                    clients.add(c);
                    return c;
                });

        assertEquals(Set.of("DescribeCertificate", "ListPrincipalThings", "DescribeCACertificate"),
                offline.iotOperations());
    }

    @Test
    void withoutTheTableVariable_theHandlerRefusesToStart() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new RegistrySyncHandler(
                Env.of(Map.of()), CLOCK, (env, interceptors) -> iot.client(), table.client()));
        assertTrue(e.getMessage().contains(DeviceRegistry.TABLE_VARIABLE), e.getMessage());
    }
}
