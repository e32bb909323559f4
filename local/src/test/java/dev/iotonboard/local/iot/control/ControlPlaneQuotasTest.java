package dev.iotonboard.local.iot.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.admin.AdminRoutes;
import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.gateway.Gateway;
import dev.iotonboard.local.lambda.LambdaRunner;
import dev.iotonboard.local.tls.Pki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.LimitExceededException;
import software.amazon.awssdk.services.iot.model.ServiceUnavailableException;
import software.amazon.awssdk.services.iot.model.ThrottlingException;

/** Quotas, faults and the admin routes of the control plane, driven by the real SDK (and a JDK HTTP client). */
class ControlPlaneQuotasTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<AutoCloseable> open = new ArrayList<>();
    private Registry registry;
    /** The control-plane port: the gateway, with the control plane as its fallback (and the admin routes first). */
    private Gateway gateway;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private ControlPlane plane(Quotas quotas, Faults faults) throws IOException {
        registry = new Registry("us-east-1", "000000000000", null);
        registry.policies().put("jitr", "{\"Statement\":[]}");
        ControlPlane plane = new ControlPlane(registry, "localhost",
                new EventLog(new PrintStream(new ByteArrayOutputStream())), quotas, faults);
        gateway = new Gateway(0, plane);
        open.add(gateway);
        return plane;
    }

    private IotClient sdk(RetryStrategy retries) {
        IotClient iot = IotClient.builder().region(Region.US_EAST_1)
                .endpointOverride(URI.create(gateway.url()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .overrideConfiguration(c -> c.retryStrategy(retries))
                .build();
        open.add(iot);
        return iot;
    }

    /** A certificate as JITR leaves it (PENDING_ACTIVATION), of a fresh CA. */
    private String pendingCertificate() {
        Pki.Issued root = Pki.rootCa("Quota CA", Duration.ofDays(1));
        Registry.CaCertificate ca = registry.caCertificates().register(
                dev.iotonboard.lambda.core.CertificateIds.toPem(root.certificate()),
                dev.iotonboard.lambda.core.CertificateIds.toPem(Pki.issue(root, registry.registrationCode(),
                        Duration.ofDays(1), false, null, null).certificate()), true, true);
        return registry.certificates().registerPendingActivation(Pki.issue(root, "device", Duration.ofDays(1), false,
                null, null).certificate(), ca.id()).id();
    }

    private static final int BURST = 6;

    @Test
    void overQuota_withoutRetries_isThrottlingException400() throws IOException {
        long frozen = System.nanoTime();
        ControlPlane plane = plane(new Quotas(true, Map.of("DescribeCertificate", 2.0), () -> frozen),
                Faults.none());
        IotClient iot = sdk(AwsRetryStrategy.doNotRetry());
        String id = pendingCertificate();
        int throttled = 0;
        for (int i = 0; i < BURST; i++) {
            try {
                iot.describeCertificate(r -> r.certificateId(id));
            } catch (ThrottlingException e) {
                assertEquals("ThrottlingException", e.awsErrorDetails().errorCode());
                assertEquals("Rate exceeded", e.awsErrorDetails().errorMessage());
                assertEquals(400, e.statusCode());
                assertTrue(e.isThrottlingException());
                throttled++;
            }
        }
        assertEquals(BURST - 2, throttled, "a bucket of one second of 2/s lets two calls through");
        assertEquals(new ControlPlane.OperationStats(BURST, BURST - 2, 0), plane.stats().get("DescribeCertificate"));
        iot.getPolicy(r -> r.policyName("jitr"));
    }

    @Test
    void overQuota_withTheSdksStandardRetries_succeeds() throws IOException {
        ControlPlane plane = plane(new Quotas(true, Map.of("DescribeCertificate", 2.0)), Faults.none());
        // the handlers' setting (IotClients): the standard strategy with 8 attempts
        IotClient iot = sdk(AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(8).build());
        String id = pendingCertificate();
        for (int i = 0; i < BURST; i++) {
            assertEquals(CertificateStatus.PENDING_ACTIVATION,
                    iot.describeCertificate(r -> r.certificateId(id)).certificateDescription().status());
        }
        ControlPlane.OperationStats stats = plane.stats().get("DescribeCertificate");
        assertTrue(stats.throttled() > 0, "the burst was throttled and retried: " + stats);
        assertEquals(BURST + stats.throttled(), stats.calls());
    }

    @Test
    void failNth_failsExactlyThatCall_andLeavesTheStateUnchanged() throws IOException {
        Faults faults = Faults.none();
        faults.add("UpdateCertificate:2:503");
        faults.add("AttachPolicy:1:410");
        ControlPlane plane = plane(Quotas.off(), faults);
        IotClient iot = sdk(AwsRetryStrategy.doNotRetry());
        String id = pendingCertificate();
        iot.updateCertificate(r -> r.certificateId(id).newStatus(CertificateStatus.ACTIVE));
        int generation = registry.certificates().get(id).generation();
        ServiceUnavailableException unavailable = assertThrows(ServiceUnavailableException.class,
                () -> iot.updateCertificate(r -> r.certificateId(id).newStatus(CertificateStatus.INACTIVE)));
        assertEquals(503, unavailable.statusCode());
        assertEquals("ServiceUnavailableException", unavailable.awsErrorDetails().errorCode());
        assertEquals("ACTIVE", registry.certificates().get(id).status(), "the failed call had no effect");
        assertEquals(generation, registry.certificates().get(id).generation());
        iot.updateCertificate(r -> r.certificateId(id).newStatus(CertificateStatus.INACTIVE));
        assertEquals("INACTIVE", registry.certificates().get(id).status(), "the third call is served");

        String arn = registry.certificateArn(id);
        LimitExceededException limit = assertThrows(LimitExceededException.class,
                () -> iot.attachPolicy(r -> r.policyName("jitr").target(arn)));
        assertEquals(410, limit.statusCode());
        assertEquals(List.of(), registry.policies().attached(arn));
        iot.attachPolicy(r -> r.policyName("jitr").target(arn));
        assertEquals(1, registry.policies().attached(arn).size());
        assertEquals(new ControlPlane.OperationStats(3, 0, 1), plane.stats().get("UpdateCertificate"));
    }

    @Test
    void throttleFault_isRetriedByTheSdk() throws IOException {
        Faults faults = Faults.none();
        faults.add("GetPolicy:1:throttle");
        plane(Quotas.off(), faults);
        IotClient iot = sdk(AwsRetryStrategy.standardRetryStrategy());
        assertEquals("jitr", iot.getPolicy(r -> r.policyName("jitr")).policyName());
        assertEquals(1, faults.list().get(0).injected());
    }

    // admin routes

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private record Answer(int status, JsonNode body) {
    }

    private Answer admin(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(
                StandardCharsets.UTF_8));
        return new Answer(response.statusCode(), JSON.readTree(response.body()));
    }

    private ControlPlane planeWithAdmin(Quotas quotas, Faults faults) throws IOException {
        ControlPlane plane = plane(quotas, faults);
        gateway.addHandler(new AdminRoutes(quotas, faults, plane::stats,
                () -> Map.of("Fn", new LambdaRunner.FunctionStats(5, 2, 1, 1, 0, 0)), () -> 0, () -> 7));
        return plane;
    }

    @Test
    void adminFaults_addListAndClear_badSpecIs400() throws Exception {
        ControlPlane plane = planeWithAdmin(Quotas.off(), new Faults(List.of("ActivationAB12")));
        assertEquals(0, admin("GET", "/_local/faults", null).body().path("faults").size());
        Answer bad = admin("POST", "/_local/faults", "{\"spec\":\"UpdateCertificate:x:500\"}");
        assertEquals(400, bad.status());
        assertTrue(bad.body().path("message").asText().contains("N must be a positive whole number"), bad.body()
                .toString());
        assertEquals(400, admin("POST", "/_local/faults", "drop:Nope:1").status());
        assertEquals(200, admin("POST", "/_local/faults", "{\"spec\":\"GetPolicy:1:500\"}").status());
        Answer added = admin("POST", "/_local/faults", "drop:Activation:every=2");
        assertEquals(200, added.status());
        assertEquals("ActivationAB12", added.body().path("faults").get(1).path("target").asText());

        IotClient iot = sdk(AwsRetryStrategy.doNotRetry());
        assertEquals(500, assertThrows(AwsServiceException.class, () -> iot.getPolicy(r -> r.policyName("jitr")))
                .statusCode());
        JsonNode listed = admin("GET", "/_local/faults", null).body().path("faults").get(0);
        assertEquals("GetPolicy:1:500", listed.path("spec").asText());
        assertEquals(1, listed.path("injected").asInt());

        assertEquals(0, admin("DELETE", "/_local/faults", null).body().path("faults").size());
        assertEquals(List.of(), plane.faults().list());
    }

    @Test
    void adminQuotas_readAndChange_unknownOperationIs400() throws Exception {
        ControlPlane plane = planeWithAdmin(new Quotas(true, Map.of()), Faults.none());
        JsonNode quotas = admin("GET", "/_local/quotas", null).body();
        assertTrue(quotas.path("enabled").asBoolean());
        assertEquals(10.0, quotas.path("rates").path("DescribeCertificate").asDouble());
        assertEquals(500.0, quotas.path("rates").path("connect").asDouble());

        Answer unknown = admin("PUT", "/_local/quotas", "{\"rates\":{\"DescribeCertificat\":20}}");
        assertEquals(400, unknown.status());
        assertTrue(unknown.body().path("message").asText().contains("unknown operation DescribeCertificat"));
        assertEquals(400, admin("PUT", "/_local/quotas", "{\"rates\":{\"CreateThing\":0}}").status());
        assertEquals(400, admin("PUT", "/_local/quotas", "{\"enabled\":\"yes\"}").status());

        Answer changed = admin("PUT", "/_local/quotas",
                "{\"enabled\":false,\"rates\":{\"DescribeCertificate\":20}}");
        assertEquals(200, changed.status());
        assertEquals(20.0, changed.body().path("rates").path("DescribeCertificate").asDouble());
        assertTrue(!plane.quotas().enabled());
    }

    @Test
    void adminStats_countOperationsFunctionsAndConnects_otherPathsAre404() throws Exception {
        long frozen = System.nanoTime();
        ControlPlane plane = planeWithAdmin(new Quotas(true, Map.of("GetPolicy", 1.0), () -> frozen),
                Faults.none());
        IotClient iot = sdk(AwsRetryStrategy.doNotRetry());
        iot.getPolicy(r -> r.policyName("jitr"));
        assertThrows(ThrottlingException.class, () -> iot.getPolicy(r -> r.policyName("jitr")));
        JsonNode stats = admin("GET", "/_local/stats", null).body();
        assertEquals(2, stats.path("operations").path("GetPolicy").path("calls").asInt());
        assertEquals(1, stats.path("operations").path("GetPolicy").path("throttled").asInt());
        assertEquals(0, stats.path("operations").path("GetPolicy").path("faults").asInt());
        assertEquals(5, stats.path("functions").path("Fn").path("invocations").asInt());
        assertEquals(1, stats.path("functions").path("Fn").path("crashes").asInt());
        assertEquals(7, stats.path("connect").path("throttled").asInt());
        assertTrue(stats.path("quotasEnabled").asBoolean());

        Answer missing = admin("GET", "/_local/nope", null);
        assertEquals(404, missing.status());
        assertTrue(missing.body().path("message").asText().contains("GET /_local/stats"));
        assertEquals(404, admin("POST", "/_local/stats", "").status());
    }
}
