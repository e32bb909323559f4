package dev.iotonboard.lambda.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.RecordedCall;
import dev.iotonboard.lambda.testing.TestPki;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.InternalFailureException;
import software.amazon.awssdk.services.iot.model.IotException;
import software.amazon.awssdk.services.iot.model.ResourceNotFoundException;
import software.amazon.awssdk.services.iot.model.ThrottlingException;

class IotClientsTest {

    private static final TestPki PKI = TestPki.newCa("client-test-ca");

    private IotDouble iot;
    private String id;
    private IotClient client;

    @BeforeEach
    void start() {
        iot = IotDouble.start();
        id = iot.addCertificate(PKI.issueDevice().pem(), PKI.caId(), "ACTIVE");
        client = iot.client();
    }

    @AfterEach
    void stop() {
        client.close();
        iot.close();
    }

    @Test
    void endpointOverride_prefersServiceSpecificVariable() {
        Env env = Env.of(Map.of("AWS_ENDPOINT_URL_IOT", "http://127.0.0.1:4566",
                "AWS_ENDPOINT_URL", "http://127.0.0.1:9999"));
        assertEquals(Optional.of(URI.create("http://127.0.0.1:4566")), IotClients.endpointOverride(env));
        assertEquals(Optional.of(URI.create("http://127.0.0.1:9999")),
                IotClients.endpointOverride(Env.of(Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:9999"))));
        assertEquals(Optional.empty(), IotClients.endpointOverride(Env.of(Map.of())));
    }

    @Test
    void endpointOverride_rejectsAValueThatIsNotAnHttpUrl() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> IotClients.endpointOverride(Env.of(Map.of("AWS_ENDPOINT_URL_IOT", "localhost:4566"))));
        assertTrue(e.getMessage().contains("AWS_ENDPOINT_URL_IOT"));
    }

    @Test
    void region_readsAwsRegionThenDefaultRegion() {
        assertEquals(Region.EU_WEST_1, IotClients.region(Env.of(Map.of("AWS_REGION", "eu-west-1",
                "AWS_DEFAULT_REGION", "us-east-1"))));
        assertEquals(Region.US_EAST_1, IotClients.region(Env.of(Map.of("AWS_DEFAULT_REGION", "us-east-1"))));
        assertThrows(IllegalStateException.class, () -> IotClients.region(Env.of(Map.of())));
    }

    @Test
    void fromEnvironment_sendsSignedRequestsToTheOverriddenEndpoint() {
        Env env = Env.of(Map.of("AWS_REGION", IotDouble.REGION, "AWS_ENDPOINT_URL_IOT", iot.endpoint().toString(),
                "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret"));
        try (IotClient fromEnv = IotClients.fromEnvironment(env)) {
            CertificateStatus status = fromEnv.describeCertificate(r -> r.certificateId(id))
                    .certificateDescription().status();
            assertEquals(CertificateStatus.ACTIVE, status);
        }
        RecordedCall call = iot.calls().get(0);
        assertEquals("DescribeCertificate", call.operation());
        assertEquals("/certificates/" + id, call.path());
        assertTrue(call.header("authorization").startsWith("AWS4-HMAC-SHA256 Credential=AKIDTEST/"),
                call.header("authorization"));
        assertTrue(call.header("authorization").contains("/" + IotDouble.REGION + "/"), call.header("authorization"));
    }

    /** HttpURLConnection refuses PATCH ("Invalid HTTP method"); UpdateThing goes through PatchCapableHttpClient. */
    @Test
    void updateThing_isSentAsASignedPatch_andRetriedLikeAnyCall() {
        iot.addThing("t-1");
        iot.failNext("UpdateThing", 2, Fault.SERVICE_UNAVAILABLE);

        client.updateThing(r -> r.thingName("t-1").attributePayload(p -> p.attributes(Map.of("a", "1")).merge(true)));

        assertEquals(Map.of("a", "1"), iot.registry().things().get("t-1").attributes());
        List<RecordedCall> calls = iot.calls("UpdateThing");
        assertEquals(List.of(503, 503, 200), calls.stream().map(RecordedCall::status).toList());
        RecordedCall call = calls.get(2);
        assertEquals("PATCH", call.method());
        assertTrue(call.header("authorization").startsWith("AWS4-HMAC-SHA256 Credential=AKIDTEST/"),
                call.header("authorization"));

        iot.failAlways("UpdateThing", Fault.RESOURCE_NOT_FOUND);
        assertThrows(ResourceNotFoundException.class, () -> client.updateThing(r -> r.thingName("t-1")));
    }

    @Test
    void retryStrategy_allowsEightAttemptsForEvents() {
        assertEquals(8, IotClients.retryStrategy().maxAttempts());
    }

    @Test
    void throttling_isRetriedUntilItClears() {
        iot.failNext("DescribeCertificate", 3, Fault.THROTTLING);
        assertEquals(CertificateStatus.ACTIVE,
                client.describeCertificate(r -> r.certificateId(id)).certificateDescription().status());
        assertEquals(List.of(400, 400, 400, 200), iot.calls().stream().map(RecordedCall::status).toList());
    }

    @Test
    void throttling_thatOutlastsEveryAttempt_surfacesAsThrottlingException() {
        iot.failAlways("DescribeCertificate", Fault.THROTTLING);
        ThrottlingException e = assertThrows(ThrottlingException.class,
                () -> client.describeCertificate(r -> r.certificateId(id)));
        assertEquals(400, e.statusCode());
        assertEquals(IotClients.MAX_ATTEMPTS, iot.calls("DescribeCertificate").size());
    }

    @Test
    void serverErrors_areRetried() {
        iot.failNth("DescribeCertificate", 1, Fault.INTERNAL_FAILURE);
        iot.failNth("DescribeCertificate", 2, Fault.SERVICE_UNAVAILABLE);
        iot.failNth("DescribeCertificate", 3, Fault.BAD_GATEWAY);
        client.describeCertificate(r -> r.certificateId(id));
        assertEquals(List.of(500, 503, 502, 200), iot.calls().stream().map(RecordedCall::status).toList());

        iot.failAlways("UpdateCertificate", Fault.INTERNAL_FAILURE);
        assertThrows(InternalFailureException.class,
                () -> client.updateCertificate(r -> r.certificateId(id).newStatus(CertificateStatus.INACTIVE)));
        assertEquals(IotClients.MAX_ATTEMPTS, iot.calls("UpdateCertificate").size());
        assertEquals("ACTIVE", iot.certificateStatus(id));
    }

    @Test
    void notFound_isNotRetriedAndKeepsItsErrorShape() {
        ResourceNotFoundException e = assertThrows(ResourceNotFoundException.class,
                () -> client.describeCertificate(r -> r.certificateId("f".repeat(64))));
        assertEquals(404, e.statusCode());
        assertEquals("ResourceNotFoundException", e.awsErrorDetails().errorCode());
        assertEquals(1, iot.calls().size());
    }

    @Test
    void double_refusesToReactivateARevokedCertificate() {
        iot.setCertificateStatus(id, "REVOKED");
        IotException e = assertThrows(IotException.class,
                () -> client.updateCertificate(r -> r.certificateId(id).newStatus(CertificateStatus.ACTIVE)));
        assertEquals(406, e.statusCode());
        assertEquals("REVOKED", iot.certificateStatus(id));
    }

    @Test
    void double_marshalsPrincipalsAndPolicyTargets() {
        String arn = iot.certificateArn(id);
        iot.addPolicy("jitr");
        client.attachPolicy(r -> r.policyName("jitr").target(arn));
        client.createThing(r -> r.thingName("thing-1"));
        client.attachThingPrincipal(r -> r.thingName("thing-1").principal(arn));
        assertEquals(List.of("jitr"), client.listAttachedPolicies(r -> r.target(arn)).policies().stream()
                .map(p -> p.policyName()).toList());
        assertEquals(List.of("thing-1"), IotLookups.thingsOf(client, arn));
        assertEquals(List.of(arn), IotLookups.principalsOf(client, "thing-1"));
        assertEquals(List.of(), IotLookups.principalsOf(client, "missing-thing"));
        assertEquals(arn, iot.calls("AttachThingPrincipal").get(0).header("x-amzn-principal"));
        assertEquals(List.of("AttachPolicy", "CreateThing", "AttachThingPrincipal", "ListAttachedPolicies",
                "ListPrincipalThings", "ListThingPrincipals", "ListThingPrincipals"), iot.operations());
    }
}
