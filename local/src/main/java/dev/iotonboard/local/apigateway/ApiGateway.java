package dev.iotonboard.local.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.Threads;
import dev.iotonboard.local.gateway.HttpServers;
import dev.iotonboard.local.iot.policy.PolicyEvaluator;
import dev.iotonboard.local.lambda.LambdaPermissions;
import dev.iotonboard.local.lambda.LambdaRunner;
import dev.iotonboard.local.tls.Pki;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * API Gateway custom domain stand-in (issue 6): HTTPS with TLS 1.2/1.3 only, for clients that name the domain in SNI,
 * with mutual TLS ({@link MutualTls}): no client certificate fails the handshake; a certificate that is self-signed,
 * insecurely signed, expired or not issued by the truststore bundle the stack uploads gets 403
 * {@code {"message":"Forbidden"}} (rest-api-mutual-tls.md; AWS Knowledge Center, "API Gateway mutual TLS 403
 * errors"). Each request is routed by the template's resources and methods; a CUSTOM method runs its REQUEST
 * authorizer synchronously, whose policy must allow {@code execute-api:Invoke} on the method ARN; then the Lambda
 * proxy integration runs and its answer is mapped.
 */
public final class ApiGateway implements AutoCloseable {
    static final String MISSING_TOKEN = "{\"message\":\"Missing Authentication Token\"}";
    static final String EXPLICIT_DENY =
            "{\"message\":\"User is not authorized to access this resource with an explicit deny\"}";
    static final String IMPLICIT_DENY = "{\"message\":\"User is not authorized to access this resource\"}";
    static final String AUTHORIZER_ERROR = "{\"message\":null}";
    static final String INTERNAL_ERROR = "{\"message\": \"Internal server error\"}";
    static final String FORBIDDEN = "{\"message\":\"Forbidden\"}";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the API answers. */
    public record Response(int status, Map<String, List<String>> headers, byte[] body) {
        static Response json(int status, String body, String errorType) {
            Map<String, List<String>> headers = new LinkedHashMap<>();
            headers.put("Content-Type", List.of("application/json"));
            if (errorType != null) {
                headers.put("x-amzn-ErrorType", List.of(errorType));
            }
            return new Response(status, headers, body.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Runs a function synchronously (the Lambda runner in the tool, a stub in tests). */
    public interface Invoker {
        LambdaRunner.Result invoke(String function, String payload);
    }

    private final ApiDefinition api;
    private final Invoker lambdas;
    private final EventLog log;
    private final String region;
    private final String account;
    private final MutualTls mutualTls;
    private final HttpsServer server;
    private volatile LambdaPermissions permissions;
    /**
     * Requests in progress at once (each thread holds one from its TLS handshake to its answer, waiting on the
     * authorizer and the integration most of the time); as many as the accept backlog. API Gateway itself has no such
     * small bound (its throttle is per second, 10,000 by default).
     */
    static final int REQUESTS_IN_PROGRESS = 64;

    private final ExecutorService executor = Executors.newFixedThreadPool(REQUESTS_IN_PROGRESS,
            Threads.daemon("api-request"));
    private volatile java.util.function.IntConsumer responses = status -> { };

    /** @param domain the custom domain's name (the tool's {@code --host}): the SNI clients must send */
    public ApiGateway(ApiDefinition api, Invoker lambdas, EventLog log, Pki.Issued serverCertificate,
            X509Certificate serverRoot, String domain, String region, String account, String bindAddress, int port)
            throws IOException {
        this.api = api;
        this.lambdas = lambdas;
        this.log = log;
        this.region = region;
        this.account = account;
        List<X509Certificate> trusted = parsePem(api.truststorePem(), api.truststoreResource());
        mutualTls = new MutualTls(trusted);
        SSLContext context = Pki.serverContext(serverCertificate, serverRoot, domain,
                (connection, reason) -> log.event("api", "TLS handshake refused: " + reason),
                mutualTls.trustManager());
        server = HttpServers.https(new InetSocketAddress(InetAddress.getByName(bindAddress), port),
                REQUESTS_IN_PROGRESS);
        server.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters ssl = context.getDefaultSSLParameters();
                ssl.setNeedClientAuth(true);
                ssl.setProtocols(Pki.tlsProtocols(context.getSupportedSSLParameters().getProtocols()));
                params.setSSLParameters(ssl);
            }
        });
        server.setExecutor(executor);
        server.createContext("/", this::exchange);
        server.start();
        log.event("api", "REST API " + api.apiId() + " stage " + api.stage() + ": " + api.routes().size()
                + " method(s) " + api.routes().stream().map(r -> r.method() + " " + r.path()
                        + (r.authorizerFunction() != null ? " (authorizer " + r.authorizerFunction() + ")" : ""))
                        .toList()
                + "; mutual TLS truststore from " + api.truststoreResource() + " (" + trusted.size()
                + " certificate(s))");
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /** API Gateway's truststore quotas, not adjustable (aws-behaviour.md; "1 MB" read strictly, as the CDK app does). */
    static final int TRUSTSTORE_MAX_CERTIFICATES = 1_000;
    static final int TRUSTSTORE_MAX_BYTES = 1_000_000;

    static List<X509Certificate> parsePem(String pem, String resource) {
        int bytes = pem.getBytes(StandardCharsets.US_ASCII).length;
        if (bytes > TRUSTSTORE_MAX_BYTES) {
            throw new IllegalArgumentException(resource + ": the truststore bundle is " + bytes + " bytes; API Gateway "
                    + "takes at most 1 MB");
        }
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            List<X509Certificate> list = new ArrayList<>();
            for (var c : factory.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                list.add((X509Certificate) c);
            }
            if (list.isEmpty()) {
                throw new IllegalArgumentException(resource + ": the truststore bundle holds no certificate");
            }
            if (list.size() > TRUSTSTORE_MAX_CERTIFICATES) {
                throw new IllegalArgumentException(resource + ": the truststore bundle holds " + list.size()
                        + " certificates; API Gateway takes at most " + TRUSTSTORE_MAX_CERTIFICATES);
            }
            return list;
        } catch (CertificateException e) {
            throw new IllegalArgumentException(resource + ": the truststore bundle cannot be read: " + e.getMessage(),
                    e);
        }
    }

    private void exchange(HttpExchange exchange) throws IOException {
        try (exchange) {
            X509Certificate leaf = null;
            String refused = null;
            if (exchange instanceof HttpsExchange https) {
                refused = mutualTls.refusal(https.getSSLSession());
                try {
                    leaf = (X509Certificate) https.getSSLSession().getPeerCertificates()[0];
                } catch (SSLPeerUnverifiedException e) {
                    leaf = null;
                }
            }
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readNBytes(10 * 1024 * 1024);
            }
            if (refused != null) {
                log.event("api", exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath()
                        + ": 403 Forbidden (mutual TLS: Access denied. Reason: " + refused + "; client certificate "
                        + (leaf == null ? "(none)" : leaf.getSubjectX500Principal().getName()) + ")");
                send(exchange, Response.json(403, FORBIDDEN, null), UUID.randomUUID().toString());
                return;
            }
            String rawPath = exchange.getRequestURI().getRawPath();
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach(headers::put);
            String host = ApiEvents.first(headers, "host");
            String domain = host == null ? "localhost" : host.replaceAll(":\\d+$", "");
            ApiEvents.Request request = new ApiEvents.Request(exchange.getRequestMethod(),
                    URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8), headers,
                    query(exchange.getRequestURI().getRawQuery()), body, leaf,
                    exchange.getRemoteAddress().getAddress().getHostAddress(), UUID.randomUUID().toString(),
                    Instant.now(), domain);
            Response response;
            try {
                response = handle(request);
            } catch (RuntimeException e) {
                log.event("api", request.method() + " " + request.path() + ": 500 (" + e + ")");
                response = Response.json(500, INTERNAL_ERROR, null);
            }
            send(exchange, response, request.requestId());
        }
    }

    /** Told the status of every answer the API gives a request (the 5XXError and 4XXError metrics). */
    public void onResponse(java.util.function.IntConsumer listener) {
        this.responses = listener;
    }

    private void send(HttpExchange exchange, Response response, String requestId) throws IOException {
        responses.accept(response.status());
        response.headers().forEach((name, values) -> exchange.getResponseHeaders().put(name, values));
        exchange.getResponseHeaders().set("x-amzn-RequestId", requestId);
        exchange.sendResponseHeaders(response.status(), response.body().length == 0 ? -1 : response.body().length);
        if (response.body().length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(response.body());
            }
        }
    }

    static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            query.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return query;
    }

    /** Routing, authorizer and integration for one request (after the TLS handshake). */
    public Response handle(ApiEvents.Request request) {
        String what = request.method() + " " + request.path();
        Optional<ApiDefinition.Match> found = api.match(request.method(), request.path());
        if (found.isEmpty()) {
            log.event("api", what + ": 403 Missing Authentication Token (no such route)");
            return Response.json(403, MISSING_TOKEN, "MissingAuthenticationTokenException");
        }
        ApiDefinition.Match match = found.get();
        ObjectNode authorizerContext = null;
        if (match.route().authorizerFunction() != null) {
            String function = match.route().authorizerFunction();
            Optional<String> refused = refused("arn:aws:execute-api:" + region + ":" + account + ":" + api.apiId()
                    + "/authorizers/" + match.route().authorizerId(), match.route().authorizerArn());
            if (refused.isPresent()) {
                log.event("api", what + ": 500 (authorizer " + function + " not invoked: " + refused.get() + ")");
                return Response.json(500, AUTHORIZER_ERROR, "AuthorizerConfigurationException");
            }
            ObjectNode event = ApiEvents.authorizerEvent(region, account, api, match, request);
            LambdaRunner.Result result;
            try {
                result = lambdas.invoke(function, event.toString());
            } catch (RuntimeException e) {
                log.event("api", what + ": 500 (authorizer " + function + " failed: " + e.getMessage() + ")");
                return Response.json(500, AUTHORIZER_ERROR, "AuthorizerConfigurationException");
            }
            if (result.error()) {
                log.event("api", what + ": 500 (authorizer " + function + " error: " + result.body() + ")");
                return Response.json(500, AUTHORIZER_ERROR, "AuthorizerConfigurationException");
            }
            JsonNode answer;
            try {
                answer = JSON.readTree(result.body());
            } catch (IOException e) {
                answer = null;
            }
            if (answer == null || !answer.path("principalId").isTextual() || !answer.path("policyDocument").isObject()) {
                log.event("api", what + ": 500 (authorizer " + function + " answered no principalId/policyDocument: "
                        + result.body() + ")");
                return Response.json(500, AUTHORIZER_ERROR, "AuthorizerConfigurationException");
            }
            String methodArn = event.path("methodArn").asText();
            PolicyEvaluator.Decision decision = PolicyEvaluator.evaluate(
                    List.of(answer.get("policyDocument").toString()), "execute-api:Invoke", methodArn, Map.of());
            if (decision == PolicyEvaluator.Decision.EXPLICIT_DENY) {
                log.event("api", what + ": 403 (authorizer: explicit deny for " + answer.get("principalId").asText()
                        + ")");
                return Response.json(403, EXPLICIT_DENY, "AccessDeniedException");
            }
            if (decision != PolicyEvaluator.Decision.ALLOW) {
                log.event("api", what + ": 403 (authorizer: no allow for " + methodArn + ")");
                return Response.json(403, IMPLICIT_DENY, "AccessDeniedException");
            }
            authorizerContext = JSON.createObjectNode();
            if (answer.path("context").isObject()) {
                authorizerContext.setAll((ObjectNode) answer.get("context"));
            }
            authorizerContext.put("principalId", answer.get("principalId").asText());
        }
        String function = match.route().function();
        Optional<String> refused = refused(ApiEvents.methodArn(region, account, api, match.route().method(),
                match.route().path()), match.route().functionArn());
        if (refused.isPresent()) {
            log.event("api", what + ": 500 (function " + function + " not invoked: " + refused.get() + ")");
            return Response.json(500, INTERNAL_ERROR, null);
        }
        ObjectNode event = ApiEvents.proxyEvent(account, api, match, request, authorizerContext);
        LambdaRunner.Result result;
        try {
            result = lambdas.invoke(function, event.toString());
        } catch (LambdaRunner.Throttled e) {
            log.event("api", what + ": 500 (function " + function + " throttled: " + e.getMessage() + ")");
            return Response.json(500, INTERNAL_ERROR, null);
        } catch (RuntimeException e) {
            log.event("api", what + ": 502 (function " + function + " failed: " + e.getMessage() + ")");
            return Response.json(502, INTERNAL_ERROR, null);
        }
        if (result.error()) {
            log.event("api", what + ": 502 (function " + function + " error: " + result.body() + ")");
            return Response.json(502, INTERNAL_ERROR, null);
        }
        Optional<Response> mapped = proxyResponse(result.body());
        if (mapped.isEmpty()) {
            log.event("api", what + ": 502 (malformed Lambda proxy response: " + result.body() + ")");
            return Response.json(502, INTERNAL_ERROR, null);
        }
        log.event("api", what + ": " + mapped.get().status() + (authorizerContext != null ? " (principal "
                + authorizerContext.path("principalId").asText() + ")" : ""));
        return mapped.get();
    }

    /**
     * The functions' resource-based policies: API Gateway may invoke the authorizer and each integration only with a
     * permission for {@code apigateway.amazonaws.com} from the authorizer's or the method's execute-api ARN, else the
     * request is a 500 (Lambda developer guide, "Handling Lambda errors with an API Gateway API": an invocation Lambda
     * rejects). Without them every function may be invoked.
     */
    public void permissions(LambdaPermissions permissions) {
        this.permissions = permissions;
    }

    private Optional<String> refused(String sourceArn, String targetArn) {
        LambdaPermissions decisions = permissions;
        return decisions == null || targetArn == null ? Optional.empty()
                : decisions.denial(LambdaPermissions.API_GATEWAY, sourceArn, targetArn);
    }

    /** The Lambda proxy answer: statusCode, headers, multiValueHeaders, body, isBase64Encoded. */
    static Optional<Response> proxyResponse(String text) {
        JsonNode answer;
        try {
            answer = JSON.readTree(text);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (answer == null || !answer.isObject() || !answer.path("statusCode").canConvertToInt()
                || answer.path("statusCode").asInt() < 100 || answer.path("statusCode").asInt() > 599) {
            return Optional.empty();
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        answer.path("headers").fields().forEachRemaining(e -> headers.put(e.getKey(),
                new ArrayList<>(List.of(e.getValue().asText()))));
        answer.path("multiValueHeaders").fields().forEachRemaining(e -> {
            List<String> values = headers.computeIfAbsent(e.getKey(), k -> new ArrayList<>());
            e.getValue().forEach(v -> {
                if (!values.contains(v.asText())) {
                    values.add(v.asText());
                }
            });
        });
        headers.putIfAbsent("Content-Type", List.of("application/json"));
        JsonNode body = answer.path("body");
        byte[] bytes;
        if (body.isMissingNode() || body.isNull()) {
            bytes = new byte[0];
        } else if (!body.isTextual()) {
            return Optional.empty();
        } else if (answer.path("isBase64Encoded").asBoolean(false)) {
            try {
                bytes = Base64.getDecoder().decode(body.asText());
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        } else {
            bytes = body.asText().getBytes(StandardCharsets.UTF_8);
        }
        return Optional.of(new Response(answer.get("statusCode").asInt(), headers, bytes));
    }
}
