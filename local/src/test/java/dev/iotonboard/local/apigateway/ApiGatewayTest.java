package dev.iotonboard.local.apigateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.lambda.LambdaPermissions;
import dev.iotonboard.local.lambda.LambdaRunner;
import dev.iotonboard.local.tls.ClientFiles;
import dev.iotonboard.local.tls.Pki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Routing, the authorizer and proxy events, the answers, and mutual TLS refusals (a JDK HTTPS client). */
class ApiGatewayTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALLOW = """
            {"principalId":"thing-1","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":
            "execute-api:Invoke","Effect":"Allow","Resource":"%s"}]},"context":{"thingName":"thing-1"}}""";
    private static final String DENY = """
            {"principalId":"abc","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":
            "execute-api:Invoke","Effect":"Deny","Resource":"*"}]}}""";

    private static final String SAMPLE_ARN = "arn:aws:lambda:us-east-1:000000000000:function:sample-fn";
    private static final String AUTHORIZER_ARN = "arn:aws:lambda:us-east-1:000000000000:function:auth-fn";

    @TempDir
    static Path tmp;

    private static Pki.Issued serverRoot;
    private static Pki.Issued deviceCa;
    private static ApiGateway gateway;
    private static ApiDefinition api;
    private static volatile String authorizerAnswer;
    private static volatile boolean authorizerError;
    private static volatile String throttledFunction;
    private static final List<String[]> invocations = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        serverRoot = Pki.rootCa("Server root", Duration.ofDays(1));
        deviceCa = Pki.rootCa("Device CA", Duration.ofDays(1));
        api = new ApiDefinition("Api1", "v1", List.of(
                new ApiDefinition.Route("GET", "/sample", "Res1", "SampleFn", "AuthFn", "CUSTOM", SAMPLE_ARN, "Auth1",
                        AUTHORIZER_ARN),
                new ApiDefinition.Route("POST", "/things/{id}", "Res2", "SampleFn", null, "NONE", SAMPLE_ARN, null,
                        null)),
                CertificateIds.toPem(deviceCa.certificate()), "TruststoreUpload");
        ApiGateway.Invoker invoker = (function, payload) -> {
            invocations.add(new String[] {function, payload});
            if (function.equals(throttledFunction)) {
                throw new LambdaRunner.Throttled();
            }
            if (function.equals("AuthFn")) {
                if (authorizerError) {
                    return new LambdaRunner.Result(true, "{\"errorMessage\":\"boom\"}");
                }
                return new LambdaRunner.Result(false, authorizerAnswer.replace("%s", methodArnOf(payload)));
            }
            return new LambdaRunner.Result(false, "{\"statusCode\":200,\"headers\":{\"X-Test\":\"1\"},"
                    + "\"body\":\"{\\\"message\\\":\\\"Good.\\\"}\"}");
        };
        gateway = gateway(invoker);
    }

    /** A gateway for the test's API on a free port, with a new server certificate of the test's root. */
    private static ApiGateway gateway(ApiGateway.Invoker invoker) throws IOException {
        Pki.Issued server = Pki.issue(serverRoot, "localhost", Duration.ofDays(1), true, new String[] {"localhost"},
                new String[] {"127.0.0.1"});
        return new ApiGateway(api, invoker, new EventLog(new PrintStream(new ByteArrayOutputStream())), server,
                serverRoot.certificate(), "localhost", "us-east-1", "000000000000", "127.0.0.1", 0);
    }

    private static String methodArnOf(String authorizerEvent) {
        try {
            return JSON.readTree(authorizerEvent).path("methodArn").asText();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static ApiEvents.Request request(String method, String path, X509Holder cert) {
        return new ApiEvents.Request(method, path, Map.of("Host", List.of("localhost:9443"), "User-Agent",
                List.of("curl/8")), Map.of("a", List.of("1", "2")), new byte[0], cert == null ? null : cert.cert,
                "127.0.0.1", "req-1", Instant.parse("2026-11-29T04:00:00Z"), "localhost");
    }

    private record X509Holder(java.security.cert.X509Certificate cert) {
    }

    @Test
    void routes_matchMethodAndPath_withPathParameters() {
        assertEquals("SampleFn", api.match("GET", "/sample").orElseThrow().route().function());
        assertTrue(api.match("POST", "/sample").isEmpty());
        assertTrue(api.match("GET", "/other").isEmpty());
        assertEquals(Map.of("id", "t1"), api.match("POST", "/things/t1").orElseThrow().pathParameters());
    }

    @Test
    void authorizerEvent_asApiGatewayBuildsIt() {
        Pki.Issued device = Pki.issue(deviceCa, "device-1", Duration.ofDays(1), false, null, null);
        JsonNode event = ApiEvents.authorizerEvent("us-east-1", "000000000000", api,
                api.match("GET", "/sample").orElseThrow(), request("GET", "/sample", new X509Holder(device.certificate())));
        assertEquals("REQUEST", event.path("type").asText());
        assertEquals("arn:aws:execute-api:us-east-1:000000000000:Api1/v1/GET/sample", event.path("methodArn").asText());
        assertEquals("/sample", event.path("resource").asText());
        assertEquals("2", event.path("queryStringParameters").path("a").asText());
        assertEquals(2, event.path("multiValueQueryStringParameters").path("a").size());
        JsonNode context = event.path("requestContext");
        assertEquals("v1", context.path("stage").asText());
        assertEquals("Api1", context.path("apiId").asText());
        assertEquals("29/Nov/2026:04:00:00 +0000", context.path("requestTime").asText());
        JsonNode cert = context.path("identity").path("clientCert");
        assertEquals(CertificateIds.fromCertificate(device.certificate()),
                CertificateIds.fromPem(cert.path("clientCertPem").asText()));
        assertEquals("CN=device-1", cert.path("subjectDN").asText());
        assertEquals("CN=Device CA", cert.path("issuerDN").asText());
        assertTrue(cert.path("serialNumber").asText().matches("[0-9a-f]{2}(:[0-9a-f]{2})*"), cert.toString());
        assertTrue(cert.path("validity").path("notAfter").asText().matches("[A-Z][a-z]{2} \\d{1,2} \\d\\d:\\d\\d:\\d\\d \\d{4} GMT"),
                cert.toString());
        assertFalse(context.has("authorizer"));
    }

    @Test
    void allowed_proxyEventCarriesTheAuthorizerContext_andTheAnswerIsMapped() throws Exception {
        authorizerAnswer = ALLOW;
        authorizerError = false;
        invocations.clear();
        ApiGateway.Response response = gateway.handle(request("GET", "/sample", null));
        assertEquals(200, response.status());
        assertEquals(List.of("1"), response.headers().get("X-Test"));
        assertEquals("{\"message\":\"Good.\"}", new String(response.body(), StandardCharsets.UTF_8));
        assertEquals("SampleFn", invocations.get(1)[0]);
        JsonNode proxy = JSON.readTree(invocations.get(1)[1]);
        assertEquals("thing-1", proxy.path("requestContext").path("authorizer").path("thingName").asText());
        assertEquals("thing-1", proxy.path("requestContext").path("authorizer").path("principalId").asText());
        assertTrue(proxy.path("body").isNull());
        assertEquals(false, proxy.path("isBase64Encoded").asBoolean());
    }

    @Test
    void deny_403ExplicitDeny_error500_missingRoute403() {
        authorizerError = false;
        authorizerAnswer = DENY;
        ApiGateway.Response denied = gateway.handle(request("GET", "/sample", null));
        assertEquals(403, denied.status());
        assertEquals(ApiGateway.EXPLICIT_DENY, new String(denied.body(), StandardCharsets.UTF_8));
        authorizerAnswer = "{\"principalId\":\"x\",\"policyDocument\":{\"Statement\":[]}}";
        assertEquals(403, gateway.handle(request("GET", "/sample", null)).status());
        authorizerAnswer = "not json";
        assertEquals(500, gateway.handle(request("GET", "/sample", null)).status());
        authorizerError = true;
        assertEquals(500, gateway.handle(request("GET", "/sample", null)).status());
        authorizerError = false;
        ApiGateway.Response missing = gateway.handle(request("GET", "/nope", null));
        assertEquals(403, missing.status());
        assertEquals(ApiGateway.MISSING_TOKEN, new String(missing.body(), StandardCharsets.UTF_8));
        assertEquals(403, gateway.handle(request("DELETE", "/sample", null)).status());
    }

    /**
     * API Gateway may invoke the authorizer and the integration only with their permissions (the authorizer's from
     * {@code <api>/authorizers/<id>}, the method's from {@code <api>/<stage>/<METHOD>/<path>}); without one, the
     * request is a 500 and the function is not invoked.
     */
    @Test
    void withoutTheFunctionsPermission_theRequestIs500_andTheFunctionIsNotInvoked() {
        String api = "arn:aws:execute-api:us-east-1:000000000000:Api1/";
        LambdaPermissions.Statement authorizer = new LambdaPermissions.Statement("AuthPermission", AUTHORIZER_ARN,
                "lambda:InvokeFunction", "apigateway.amazonaws.com", api + "authorizers/Auth1", null);
        LambdaPermissions.Statement sample = new LambdaPermissions.Statement("SamplePermission", SAMPLE_ARN,
                "lambda:InvokeFunction", "apigateway.amazonaws.com", api + "v1/GET/sample", "000000000000");
        authorizerError = false;
        authorizerAnswer = ALLOW;
        try {
            gateway.permissions(LambdaPermissions.of(List.of(authorizer, sample), "000000000000"));
            assertEquals(200, gateway.handle(request("GET", "/sample", null)).status());

            gateway.permissions(LambdaPermissions.of(List.of(sample), "000000000000"));
            invocations.clear();
            ApiGateway.Response noAuthorizer = gateway.handle(request("GET", "/sample", null));
            assertEquals(500, noAuthorizer.status());
            assertEquals(ApiGateway.AUTHORIZER_ERROR, new String(noAuthorizer.body(), StandardCharsets.UTF_8));
            assertTrue(invocations.isEmpty(), "the authorizer was not invoked");

            gateway.permissions(LambdaPermissions.of(List.of(authorizer), "000000000000"));
            invocations.clear();
            ApiGateway.Response noIntegration = gateway.handle(request("GET", "/sample", null));
            assertEquals(500, noIntegration.status());
            assertEquals(ApiGateway.INTERNAL_ERROR, new String(noIntegration.body(), StandardCharsets.UTF_8));
            assertEquals(List.of("AuthFn"), invocations.stream().map(i -> i[0]).toList(),
                    "the authorizer ran, the integration did not");
        } finally {
            gateway.permissions(null);
        }
    }

    /** Lambda developer guide, "Handling Lambda errors with an API Gateway API": a rejected invocation is a 500. */
    @Test
    void aThrottledAuthorizerOrFunction_is500() {
        authorizerError = false;
        authorizerAnswer = ALLOW;
        try {
            throttledFunction = "AuthFn";
            ApiGateway.Response authorizer = gateway.handle(request("GET", "/sample", null));
            assertEquals(500, authorizer.status());
            assertEquals(ApiGateway.AUTHORIZER_ERROR, new String(authorizer.body(), StandardCharsets.UTF_8));

            throttledFunction = "SampleFn";
            ApiGateway.Response function = gateway.handle(request("GET", "/sample", null));
            assertEquals(500, function.status());
            assertEquals(ApiGateway.INTERNAL_ERROR, new String(function.body(), StandardCharsets.UTF_8));
        } finally {
            throttledFunction = null;
        }
        assertEquals(200, gateway.handle(request("GET", "/sample", null)).status());
    }

    @Test
    void proxyResponse_base64AndMalformed() {
        ApiGateway.Response binary = ApiGateway.proxyResponse(
                "{\"statusCode\":201,\"multiValueHeaders\":{\"A\":[\"x\",\"y\"]},\"body\":\"aGk=\",\"isBase64Encoded\":true}")
                .orElseThrow();
        assertEquals(201, binary.status());
        assertEquals("hi", new String(binary.body(), StandardCharsets.UTF_8));
        assertEquals(List.of("x", "y"), binary.headers().get("A"));
        assertTrue(ApiGateway.proxyResponse("{\"body\":\"x\"}").isEmpty());
        assertTrue(ApiGateway.proxyResponse("[]").isEmpty());
    }

    // ---- mutual TLS ----

    private static HttpResponse<String> get(Pki.Issued device, Pki.Issued issuer, String... protocols)
            throws Exception {
        SSLContext context = dev.iotonboard.local.TestTls.clientContext(
                device == null ? null : Pki.keyStore(device, issuer.certificate()), serverRoot.certificate());
        SSLParameters parameters = new SSLParameters();
        if (protocols.length > 0) {
            parameters.setProtocols(protocols);
        }
        HttpClient client = HttpClient.newBuilder().sslContext(context).sslParameters(parameters)
                .connectTimeout(Duration.ofSeconds(10)).build();
        return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + gateway.port() + "/nope"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void requests_areServedSideBySide_notEightAtATime() throws Exception {
        int together = 16;
        CountDownLatch allInProgress = new CountDownLatch(together);
        ApiGateway.Invoker waitingForAll = (function, payload) -> {
            if (function.equals("AuthFn")) {
                allInProgress.countDown();
                try {
                    if (!allInProgress.await(20, TimeUnit.SECONDS)) {
                        return new LambdaRunner.Result(true, "{\"errorMessage\":\"not all in progress\"}");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new LambdaRunner.Result(true, "{\"errorMessage\":\"interrupted\"}");
                }
                return new LambdaRunner.Result(false, ALLOW.replace("%s", methodArnOf(payload)));
            }
            return new LambdaRunner.Result(false, "{\"statusCode\":200,\"body\":\"ok\"}");
        };
        Pki.Issued device = Pki.issue(deviceCa, "device", Duration.ofDays(1), false, null, null);
        try (ApiGateway busy = gateway(waitingForAll)) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .sslContext(dev.iotonboard.local.TestTls.clientContext(
                            Pki.keyStore(device, deviceCa.certificate()), serverRoot.certificate()))
                    .connectTimeout(Duration.ofSeconds(10)).build();
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < together; i++) {
                calls.add(client.sendAsync(HttpRequest.newBuilder(
                        URI.create("https://localhost:" + busy.port() + "/sample")).timeout(Duration.ofSeconds(40))
                        .build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> call : calls) {
                assertEquals(200, call.get(60, TimeUnit.SECONDS).statusCode(), "every authorizer saw all "
                        + together + " requests in progress");
            }
        }
    }

    @Test
    void tls_certificateOfTheTruststore_passes() throws Exception {
        Pki.Issued device = Pki.issue(deviceCa, "device", Duration.ofDays(1), false, null, null);
        HttpResponse<String> response = get(device, deviceCa);
        assertEquals(403, response.statusCode());
        assertEquals(ApiGateway.MISSING_TOKEN, response.body());
        assertEquals(403, get(device, deviceCa, "TLSv1.2").statusCode());
    }

    @Test
    void onResponse_isToldTheStatusOfEveryAnswer_theMutualTlsRefusalIncluded() throws Exception {
        java.util.List<Integer> statuses = new java.util.concurrent.CopyOnWriteArrayList<>();
        gateway.onResponse(statuses::add);
        try {
            assertEquals(403, get(Pki.issue(deviceCa, "device", Duration.ofDays(1), false, null, null), deviceCa)
                    .statusCode());
            assertEquals(ApiGateway.FORBIDDEN, get(Pki.issue(deviceCa, "d", Duration.ofMinutes(-1), false, null,
                    null), deviceCa).body());
        } finally {
            gateway.onResponse(status -> { });
        }
        assertEquals(java.util.List.of(403, 403), statuses, "the missing route, then the expired certificate");
    }

    @Test
    void tls_noCertificate_tls11_refusedAtTheHandshake() {
        assertThrows(IOException.class, () -> get(null, deviceCa));
        assertThrows(Exception.class, () -> get(Pki.issue(deviceCa, "d", Duration.ofDays(1), false, null, null),
                deviceCa, "TLSv1.1"));
    }

    /**
     * The handshake completes and the answer is 403 Forbidden, before routing (/nope would be 403 Missing
     * Authentication Token). The JDK client sends only a certificate of an issuer the server names, so the other
     * cases (another CA, self-signed) are curl's, below.
     */
    @Test
    void tls_expired_insecurelySigned_get403Forbidden() throws Exception {
        for (Pki.Issued device : List.of(Pki.issue(deviceCa, "d", Duration.ofMinutes(-1), false, null, null),
                Pki.issueClient(deviceCa, "d", Duration.ofDays(1), Pki.ecKeyPair(), "SHA1withECDSA"))) {
            HttpResponse<String> response = get(device, deviceCa);
            assertEquals(403, response.statusCode());
            assertEquals(ApiGateway.FORBIDDEN, response.body());
        }
    }

    /**
     * curl, as a device would call the API: a certificate of another CA, a self-signed one, one signed with SHA-1 or
     * MD5 complete the handshake and get 403 {"message":"Forbidden"}; no certificate fails the handshake (curl 35 over
     * TLS 1.2), and so does a call by address, without SNI.
     */
    @Test
    void tls_curl_forbiddenCertificates_noCertificate_noSni() throws Exception {
        ClientFiles files = new ClientFiles(tmp);
        Map<String, String> weak = files.weakSignaturesAllowed();
        Pki.Issued otherCa = Pki.rootCa("Other CA", Duration.ofDays(1));
        Pki.Issued selfSigned = Pki.rootCa("self-signed device", Duration.ofDays(1));
        Pki.Issued rsaCa = Pki.rootCa("RSA CA", Duration.ofDays(1), Pki.rsaKeyPair(2048), "SHA256withRSA");
        List<Pki.Issued[]> forbidden = List.of(
                new Pki.Issued[] {Pki.issue(otherCa, "d", Duration.ofDays(1), false, null, null), otherCa},
                new Pki.Issued[] {selfSigned, null},
                new Pki.Issued[] {Pki.issueClient(deviceCa, "d", Duration.ofDays(1), Pki.ecKeyPair(),
                        "SHA1withECDSA"), deviceCa},
                // an RSA CA outside the truststore signs with MD5: refused for the algorithm before the issuer
                new Pki.Issued[] {Pki.issueClient(rsaCa, "d", Duration.ofDays(1), Pki.rsaKeyPair(2048), "MD5withRSA"),
                        rsaCa});
        for (Pki.Issued[] device : forbidden) {
            ClientFiles.Run call = curl(files, weak, device[0], device[1], "localhost", "--tls-max", "1.2");
            assertEquals(0, call.exit(), call.output());
            assertEquals(ApiGateway.FORBIDDEN + "\n403", call.output(), call.output());
        }
        ClientFiles.Run ok = curl(files, Map.of(), Pki.issue(deviceCa, "d", Duration.ofDays(1), false, null, null),
                deviceCa, "localhost");
        assertTrue(ok.output().endsWith("Missing Authentication Token\"}\n403"), ok.output());
        assertEquals(35, curl(files, Map.of(), null, null, "localhost", "--tls-max", "1.2").exit(), "no certificate");
        ClientFiles.Run byAddress = curl(files, Map.of(), Pki.issue(deviceCa, "d", Duration.ofDays(1), false, null,
                null), deviceCa, "127.0.0.1");
        assertEquals(35, byAddress.exit(), "no SNI: " + byAddress.output());
    }

    /** The reasons, in the words of API Gateway's execution log ("Access denied. Reason: ..."). */
    @Test
    void mutualTls_refusalReasons() {
        MutualTls mutualTls = new MutualTls(List.of(deviceCa.certificate()));
        Pki.Issued otherCa = Pki.rootCa("Other CA", Duration.ofDays(1));
        Pki.Issued selfSigned = Pki.rootCa("device", Duration.ofDays(1));
        assertEquals(null, mutualTls.refusal(new X509Certificate[] {
                Pki.issue(deviceCa, "d", Duration.ofDays(1), false, null, null).certificate()}));
        assertEquals("Could not find issuer for certificate", mutualTls.refusal(new X509Certificate[] {
                Pki.issue(otherCa, "d", Duration.ofDays(1), false, null, null).certificate()}));
        assertEquals("self signed certificate", mutualTls.refusal(new X509Certificate[] {selfSigned.certificate()}));
        assertEquals("self signed certificate", mutualTls.refusal(new X509Certificate[] {deviceCa.certificate()}),
                "the truststore's own root, presented as a client certificate");
        assertEquals("certificate has expired", mutualTls.refusal(new X509Certificate[] {
                Pki.issue(deviceCa, "d", Duration.ofMinutes(-1), false, null, null).certificate()}));
        assertTrue(mutualTls.refusal(new X509Certificate[] {Pki.issueClient(deviceCa, "d", Duration.ofDays(1),
                Pki.ecKeyPair(), "SHA1withECDSA").certificate()}).startsWith(
                        "Client cert using an insecure Signature Algorithm"));
    }

    private static ClientFiles.Run curl(ClientFiles files, Map<String, String> env, Pki.Issued device,
            Pki.Issued issuer, String host, String... options) {
        List<String> command = new ArrayList<>(List.of("curl", "--silent", "--show-error", "--max-time", "20",
                "--cacert", files.chain("server-ca", serverRoot.certificate()).toString(), "--write-out",
                "\n%{http_code}"));
        if (device != null) {
            command.addAll(List.of("--cert", (issuer == null ? files.chain("device", device.certificate())
                    : files.chain("device", device.certificate(), issuer.certificate())).toString(), "--key",
                    files.key("device", device.keys()).toString()));
        }
        command.addAll(List.of(options));
        command.add("https://" + host + ":" + gateway.port() + "/nope");
        return ClientFiles.run(command, env, 30);
    }

    @Test
    void truststore_unreadable_namesTheResource() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ApiGateway.parsePem("nothing", "TruststoreUpload0946D626"));
        assertTrue(e.getMessage().contains("TruststoreUpload0946D626"), e.getMessage());
    }

    @Test
    void truststore_ofSeveralCas_isReadWhole() {
        Pki.Issued second = Pki.rootCa("Device CA 2", Duration.ofDays(1));
        String bundle = CertificateIds.toPem(deviceCa.certificate()) + CertificateIds.toPem(second.certificate());

        assertEquals(List.of(deviceCa.certificate(), second.certificate()), ApiGateway.parsePem(bundle, "Upload"));
    }

    @Test
    void truststore_overApiGatewaysQuotas_isRefused() {
        String pem = CertificateIds.toPem(deviceCa.certificate());
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> ApiGateway.parsePem(pem.repeat(1_001), "Upload"));
        assertTrue(count.getMessage().contains("holds 1001 certificates; API Gateway takes at most 1000"),
                count.getMessage());
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> ApiGateway.parsePem(pem.repeat(1_000_000 / pem.length() + 1), "Upload"));
        assertTrue(size.getMessage().contains("bytes; API Gateway takes at most 1 MB"), size.getMessage());
    }
}
