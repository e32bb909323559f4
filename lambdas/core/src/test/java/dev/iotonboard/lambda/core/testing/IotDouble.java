package dev.iotonboard.lambda.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * An HTTP double of the AWS IoT control-plane REST API (protocol rest-json, service model iot/2015-05-28), built on
 * the JDK's {@link HttpServer}, for driving the real SDK client in handler tests: requests are marshalled and errors
 * unmarshalled by the SDK exactly as against AWS.
 *
 * <p>Routes (method, URI, operation) as in the service model:
 * <pre>
 * GET    /certificates/{certificateId}            DescribeCertificate
 * PUT    /certificates/{certificateId}?newStatus= UpdateCertificate
 * PUT    /target-policies/{policyName}  {target}  AttachPolicy
 * POST   /target-policies/{policyName}  {target}  DetachPolicy
 * POST   /attached-policies/{target}              ListAttachedPolicies
 * POST   /things/{thingName}                      CreateThing
 * GET    /things/{thingName}                      DescribeThing
 * GET    /things/{thingName}/principals           ListThingPrincipals
 * PUT    /things/{thingName}/principals           AttachThingPrincipal (x-amzn-principal, ?thingPrincipalType=)
 * DELETE /things/{thingName}/principals           DetachThingPrincipal (x-amzn-principal)
 * GET    /principals/things                       ListPrincipalThings (x-amzn-principal)
 * GET    /certificates-by-ca/{caCertificateId}    ListCertificatesByCA (?pageSize=&marker=&isAscendingOrder=)
 * GET    /cacertificate/{caCertificateId}         DescribeCACertificate
 * </pre>
 * Errors are answered like IoT: the HTTP status of the error shape, header {@code x-amzn-ErrorType: <shape>} and body
 * {@code {"message": "..."}}; throttling is {@code 400 ThrottlingException}.
 *
 * <p>Behaviours modelled on the service documentation (aws-behaviour.md): UpdateCertificate is idempotent, refuses
 * PENDING_ACTIVATION/PENDING_TRANSFER as a new status (InvalidRequestException) and refuses to move a REVOKED
 * certificate (CertificateStateException 406: the exact error AWS returns there is unconfirmed); CreateThing of an
 * existing thing succeeds; AttachPolicy / AttachThingPrincipal are idempotent; AttachThingPrincipal with
 * EXCLUSIVE_THING refuses a principal already on another thing (InvalidRequestException, exact error unconfirmed).
 *
 * <p>Faults are scripted per operation and per call number (every received request counts, retries included), and
 * a faulted request changes no state: {@link #failAlways}, {@link #failNth}, {@link #failNext} and
 * {@link #failEveryNth} (e.g. every second request throttled, like a quota under load). Every request is recorded
 * ({@link #calls()}, {@link #operationCounts()}), faulted ones included.
 */
public final class IotDouble implements AutoCloseable {

    public static final String ACCOUNT = "123456789012";
    public static final String REGION = "eu-west-1";

    /** Error answers the double can be told to give. */
    public enum Fault {
        THROTTLING(400, "ThrottlingException", "Rate exceeded"),
        INVALID_REQUEST(400, "InvalidRequestException", "Invalid request"),
        UNAUTHORIZED(401, "UnauthorizedException", "Unauthorized"),
        RESOURCE_NOT_FOUND(404, "ResourceNotFoundException", "Not found"),
        CERTIFICATE_STATE(406, "CertificateStateException", "Certificate state does not allow this"),
        RESOURCE_ALREADY_EXISTS(409, "ResourceAlreadyExistsException", "Resource already exists"),
        LIMIT_EXCEEDED(410, "LimitExceededException", "Limit exceeded"),
        INTERNAL_FAILURE(500, "InternalFailureException", "Internal failure"),
        /** A bare 502 from a proxy: no error type header, an HTML body. */
        BAD_GATEWAY(502, null, "<html><body>502 Bad Gateway</body></html>"),
        SERVICE_UNAVAILABLE(503, "ServiceUnavailableException", "Service unavailable");

        final int status;
        final String errorType;
        final String message;

        Fault(int status, String errorType, String message) {
            this.status = status;
            this.errorType = errorType;
            this.message = message;
        }
    }

    /** One request as the double received it, with the HTTP status it answered. */
    public record Call(String operation, String method, String path, Map<String, String> query,
            Map<String, String> headers, String body, int status) {

        /** The value of a request header (lower-case name). */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        /** A field of the JSON body, or null. */
        public String bodyField(String name) {
            if (body == null || body.isBlank()) {
                return null;
            }
            try {
                JsonNode node = Json.MAPPER.readTree(body).get(name);
                return node == null ? null : node.asText();
            } catch (IOException e) {
                return null;
            }
        }
    }

    /** A certificate as IoT holds it. */
    public static final class Certificate {
        public final String id;
        public final String arn;
        public final String caCertificateId;
        public final String pem;
        public final Instant notBefore;
        public final Instant notAfter;
        volatile String status;
        volatile Instant creationDate = Instant.now();

        Certificate(String id, String caCertificateId, String status, String pem, Instant notBefore,
                Instant notAfter) {
            this.id = id;
            this.arn = "arn:aws:iot:" + REGION + ":" + ACCOUNT + ":cert/" + id;
            this.caCertificateId = caCertificateId;
            this.status = status;
            this.pem = pem;
            this.notBefore = notBefore;
            this.notAfter = notAfter;
        }

        public String status() {
            return status;
        }

        /** When IoT registered the certificate (JITR: the first connection); set at {@code add}, changeable. */
        public Instant creationDate() {
            return creationDate;
        }
    }

    /** Calls {@code fromCall..toCall} of {@code operation} fail; with {@code every > 0} only each every-th of them. */
    private record FaultRule(String operation, int fromCall, int toCall, int every, Fault fault) {

        boolean matches(String op, int number) {
            return operation.equals(op) && number >= fromCall && number <= toCall && (every == 0 || number % every == 0);
        }
    }

    private static final Pattern THING_NAME = Pattern.compile("[a-zA-Z0-9:_-]{1,128}");
    private static final Pattern CERTIFICATE_ID = Pattern.compile("(0x)?[a-fA-F0-9]{64}");
    private static final Set<String> STATUSES = Set.of("ACTIVE", "INACTIVE", "REVOKED", "PENDING_TRANSFER",
            "REGISTER_INACTIVE", "PENDING_ACTIVATION");

    static {
        // Without TCP_NODELAY every request whose headers and body the client writes separately waits ~40 ms for
        // a delayed ACK (Nagle); read once by the JDK server's configuration, so set before the first server.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final HttpServer server;
    private final Map<String, Certificate> certificates = new LinkedHashMap<>();
    /** CA certificate id to status (ACTIVE or INACTIVE). */
    private final Map<String, String> caCertificates = new HashMap<>();
    private final Map<String, Set<String>> things = new LinkedHashMap<>();
    private final Map<String, String> thingIds = new HashMap<>();
    private final Set<String> policies = new LinkedHashSet<>();
    private final Map<String, Set<String>> attachedPolicies = new HashMap<>();
    private final List<Call> calls = new ArrayList<>();
    private final List<FaultRule> faults = new ArrayList<>();
    private final Map<String, Integer> callCounts = new HashMap<>();
    private final Map<String, List<Runnable>> hooks = new HashMap<>();

    private IotDouble(HttpServer server) {
        this.server = server;
    }

    /** Starts a double on a free loopback port. */
    public static IotDouble start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            IotDouble iot = new IotDouble(server);
            server.createContext("/", iot::handle);
            server.start();
            return iot;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the IoT double", e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** The double's base URL, for {@code AWS_ENDPOINT_URL_IOT}. */
    public URI endpoint() {
        return URI.create("http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort());
    }

    /**
     * A real SDK client aimed at the double, with the production attempt count ({@link IotClients#MAX_ATTEMPTS})
     * and a 1 ms backoff so retries keep tests fast.
     */
    public IotClient client() {
        return client(fastRetries());
    }

    /** A real SDK client aimed at the double with the given retry strategy. */
    public IotClient client(RetryStrategy retryStrategy) {
        return client(retryStrategy, List.of());
    }

    /** A real SDK client aimed at the double with the given retry strategy and execution interceptors. */
    public IotClient client(RetryStrategy retryStrategy, List<ExecutionInterceptor> interceptors) {
        return IotClients.create(Region.of(REGION), Optional.of(endpoint()),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")), retryStrategy,
                interceptors);
    }

    /** The production strategy's attempt count with a 1 ms backoff and no circuit breaker. */
    public static RetryStrategy fastRetries() {
        BackoffStrategy fast = BackoffStrategy.fixedDelayWithoutJitter(Duration.ofMillis(1));
        return AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(IotClients.MAX_ATTEMPTS)
                .backoffStrategy(fast)
                .throttlingBackoffStrategy(fast)
                .circuitBreakerEnabled(false)
                .build();
    }

    // ---- state -----------------------------------------------------------------------------------------------

    /**
     * Registers a certificate from its PEM (its id is computed by {@link CertificateIds}); returns the id. Its CA is
     * registered ACTIVE unless it is known already.
     */
    public synchronized String addCertificate(String pem, String caCertificateId, String status) {
        if (caCertificateId != null) {
            caCertificates.putIfAbsent(caCertificateId, "ACTIVE");
        }
        X509Certificate certificate = CertificateIds.parsePem(pem);
        String id = CertificateIds.fromCertificate(certificate);
        certificates.put(id, new Certificate(id, caCertificateId, status, pem,
                certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant()));
        return id;
    }

    /** Registers a CA certificate with this status (ACTIVE or INACTIVE), or changes its status. */
    public synchronized void setCaStatus(String caCertificateId, String status) {
        caCertificates.put(caCertificateId, status);
    }

    /** Forgets a CA certificate: DescribeCACertificate then answers not found. */
    public synchronized void removeCa(String caCertificateId) {
        caCertificates.remove(caCertificateId);
    }

    /** Registers a certificate known only by id (no PEM). */
    public synchronized String addCertificateId(String id, String caCertificateId, String status) {
        Instant now = Instant.now();
        certificates.put(id, new Certificate(id, caCertificateId, status, null, now.minus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(365))));
        return id;
    }

    public synchronized Certificate certificate(String id) {
        return certificates.get(id);
    }

    public synchronized String certificateStatus(String id) {
        return certificates.get(id).status;
    }

    public synchronized void setCertificateStatus(String id, String status) {
        certificates.get(id).status = status;
    }

    /** Sets when IoT registered the certificate (ListCertificatesByCA orders and reports by it). */
    public synchronized void setCreationDate(String id, Instant creationDate) {
        certificates.get(id).creationDate = creationDate;
    }

    public String certificateArn(String id) {
        return "arn:aws:iot:" + REGION + ":" + ACCOUNT + ":cert/" + id;
    }

    public synchronized void addPolicy(String name) {
        policies.add(name);
    }

    public synchronized void attachPolicy(String policyName, String target) {
        attachedPolicies.computeIfAbsent(target, t -> new LinkedHashSet<>()).add(policyName);
    }

    /** The policies attached to {@code target} (a certificate ARN), in attachment order. */
    public synchronized List<String> policiesOf(String target) {
        return List.copyOf(attachedPolicies.getOrDefault(target, Set.of()));
    }

    /** Creates a thing with these principals (ARNs) attached. */
    public synchronized void addThing(String thingName, String... principalArns) {
        things.computeIfAbsent(thingName, t -> new LinkedHashSet<>()).addAll(List.of(principalArns));
        thingIds.computeIfAbsent(thingName, t -> UUID.randomUUID().toString());
    }

    public synchronized boolean thingExists(String thingName) {
        return things.containsKey(thingName);
    }

    public synchronized List<String> thingNames() {
        return List.copyOf(things.keySet());
    }

    /** The principals (ARNs) attached to a thing; empty when the thing does not exist. */
    public synchronized List<String> principalsOf(String thingName) {
        return List.copyOf(things.getOrDefault(thingName, Set.of()));
    }

    /** The things a principal (ARN) is attached to. */
    public synchronized List<String> thingsOf(String principalArn) {
        return things.entrySet().stream().filter(e -> e.getValue().contains(principalArn)).map(Map.Entry::getKey)
                .toList();
    }

    // ---- faults ----------------------------------------------------------------------------------------------

    /** Every call of {@code operation} fails with {@code fault}. */
    public synchronized void failAlways(String operation, Fault fault) {
        faults.add(new FaultRule(operation, 1, Integer.MAX_VALUE, 0, fault));
    }

    /** The {@code n}-th call of {@code operation} (counting every request received so far, from 1) fails. */
    public synchronized void failNth(String operation, int n, Fault fault) {
        faults.add(new FaultRule(operation, n, n, 0, fault));
    }

    /** The next {@code times} calls of {@code operation} fail. */
    public synchronized void failNext(String operation, int times, Fault fault) {
        int done = callCounts.getOrDefault(operation, 0);
        faults.add(new FaultRule(operation, done + 1, done + times, 0, fault));
    }

    /**
     * From now on, every {@code n}-th request of {@code operation} (counting every request received, from 1) fails:
     * with {@code n = 2} and {@link Fault#THROTTLING}, half of the requests are throttled, and a client retrying
     * each throttled request once still gets through.
     */
    public synchronized void failEveryNth(String operation, int n, Fault fault) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be at least 1: " + n);
        }
        faults.add(new FaultRule(operation, 1, Integer.MAX_VALUE, n, fault));
    }

    /**
     * Runs {@code action} once, when the next {@code operation} request arrives and before it is answered (to model
     * another client acting concurrently). The action may change the double's state.
     */
    public synchronized void onNext(String operation, Runnable action) {
        hooks.computeIfAbsent(operation, o -> new ArrayList<>()).add(action);
    }

    /** Removes every scripted fault. */
    public synchronized void clearFaults() {
        faults.clear();
    }

    // ---- calls -----------------------------------------------------------------------------------------------

    /** Every request received, in order, faulted ones included. */
    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** The operation names of every request received, in order. */
    public synchronized List<String> operations() {
        return calls.stream().map(Call::operation).toList();
    }

    /** The operation names of the requests that succeeded (2xx), in order. */
    public synchronized List<String> successfulOperations() {
        return calls.stream().filter(c -> c.status() / 100 == 2).map(Call::operation).toList();
    }

    /**
     * How many requests of each operation were received (since the last {@link #clearCalls()}), faulted ones
     * included, by operation name.
     */
    public synchronized Map<String, Long> operationCounts() {
        Map<String, Long> counts = new java.util.TreeMap<>();
        calls.forEach(c -> counts.merge(c.operation(), 1L, Long::sum));
        return counts;
    }

    /** How many requests of {@code operation} were received (since the last {@link #clearCalls()}). */
    public synchronized long callCount(String operation) {
        return calls.stream().filter(c -> c.operation().equals(operation)).count();
    }

    /** The requests received for {@code operation}, in order. */
    public synchronized List<Call> calls(String operation) {
        return calls.stream().filter(c -> c.operation().equals(operation)).toList();
    }

    /** Forgets the recorded calls (state and faults are kept; call numbers keep counting). */
    public synchronized void clearCalls() {
        calls.clear();
    }

    // ---- HTTP ------------------------------------------------------------------------------------------------

    private record Answer(int status, String errorType, String body) {
        static Answer ok(Object body) {
            return new Answer(200, null, Json.toJson(body));
        }

        static Answer error(int status, String type, String message) {
            return new Answer(status, type, Json.toJson(Map.of("message", message)));
        }

        static Answer of(Fault fault) {
            return fault.errorType == null ? new Answer(fault.status, null, fault.message)
                    : error(fault.status, fault.errorType, fault.message);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String rawPath = exchange.getRequestURI().getRawPath();
            List<String> segments = new ArrayList<>();
            for (String s : rawPath.split("/")) {
                if (!s.isEmpty()) {
                    segments.add(percentDecode(s));
                }
            }
            Map<String, String> query = parseQuery(exchange.getRequestURI().getRawQuery());
            Map<String, String> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String operation = operation(method, segments);

            Answer answer;
            synchronized (this) {
                int number = callCounts.merge(operation, 1, Integer::sum);
                List<Runnable> pending = hooks.remove(operation);
                if (pending != null) {
                    pending.forEach(Runnable::run);
                }
                Fault fault = faults.stream().filter(f -> f.matches(operation, number))
                        .map(FaultRule::fault).findFirst().orElse(null);
                if (fault != null) {
                    answer = Answer.of(fault);
                } else {
                    answer = dispatch(operation, segments, query, headers, body);
                }
                calls.add(new Call(operation, method, rawPath, Map.copyOf(query), Map.copyOf(headers), body,
                        answer.status()));
            }
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type",
                    answer.body().startsWith("<") ? "text/html" : "application/json");
            exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
            if (answer.errorType() != null) {
                exchange.getResponseHeaders().set("x-amzn-ErrorType", answer.errorType());
            }
            exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    private static String operation(String method, List<String> s) {
        if (s.size() == 2 && s.get(0).equals("certificates")) {
            return switch (method) {
                case "GET" -> "DescribeCertificate";
                case "PUT" -> "UpdateCertificate";
                default -> "Unknown";
            };
        }
        if (s.size() == 2 && s.get(0).equals("target-policies")) {
            return switch (method) {
                case "PUT" -> "AttachPolicy";
                case "POST" -> "DetachPolicy";
                default -> "Unknown";
            };
        }
        if (s.size() == 2 && s.get(0).equals("attached-policies") && method.equals("POST")) {
            return "ListAttachedPolicies";
        }
        if (s.size() == 2 && s.get(0).equals("things")) {
            return switch (method) {
                case "POST" -> "CreateThing";
                case "GET" -> "DescribeThing";
                default -> "Unknown";
            };
        }
        if (s.size() == 3 && s.get(0).equals("things") && s.get(2).equals("principals")) {
            return switch (method) {
                case "GET" -> "ListThingPrincipals";
                case "PUT" -> "AttachThingPrincipal";
                case "DELETE" -> "DetachThingPrincipal";
                default -> "Unknown";
            };
        }
        if (s.size() == 2 && s.get(0).equals("principals") && s.get(1).equals("things") && method.equals("GET")) {
            return "ListPrincipalThings";
        }
        if (s.size() == 2 && s.get(0).equals("certificates-by-ca") && method.equals("GET")) {
            return "ListCertificatesByCA";
        }
        if (s.size() == 2 && s.get(0).equals("cacertificate") && method.equals("GET")) {
            return "DescribeCACertificate";
        }
        return "Unknown";
    }

    private Answer dispatch(String operation, List<String> s, Map<String, String> query,
            Map<String, String> headers, String body) {
        return switch (operation) {
            case "DescribeCertificate" -> describeCertificate(s.get(1));
            case "UpdateCertificate" -> updateCertificate(s.get(1), query.get("newStatus"));
            case "AttachPolicy" -> attachPolicyCall(s.get(1), jsonField(body, "target"));
            case "DetachPolicy" -> detachPolicy(s.get(1), jsonField(body, "target"));
            case "ListAttachedPolicies" -> listAttachedPolicies(s.get(1));
            case "CreateThing" -> createThing(s.get(1));
            case "DescribeThing" -> describeThing(s.get(1));
            case "ListThingPrincipals" -> listThingPrincipals(s.get(1));
            case "AttachThingPrincipal" -> attachThingPrincipal(s.get(1), headers.get("x-amzn-principal"),
                    query.get("thingPrincipalType"));
            case "DetachThingPrincipal" -> detachThingPrincipal(s.get(1), headers.get("x-amzn-principal"));
            case "ListPrincipalThings" -> listPrincipalThings(headers.get("x-amzn-principal"));
            case "ListCertificatesByCA" -> listCertificatesByCa(s.get(1), query);
            case "DescribeCACertificate" -> describeCaCertificate(s.get(1));
            default -> Answer.error(404, "UnknownOperationException", "the IoT double has no such route");
        };
    }

    private Answer describeCertificate(String id) {
        if (!CERTIFICATE_ID.matcher(id).matches()) {
            return Answer.error(400, "InvalidRequestException", "certificateId is not a certificate id");
        }
        Certificate c = certificates.get(id.toLowerCase(Locale.ROOT));
        if (c == null) {
            return Answer.error(404, "ResourceNotFoundException", "The certificate " + id + " does not exist");
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("certificateArn", c.arn);
        d.put("certificateId", c.id);
        if (c.caCertificateId != null) {
            d.put("caCertificateId", c.caCertificateId);
        }
        d.put("status", c.status);
        if (c.pem != null) {
            d.put("certificatePem", c.pem);
        }
        d.put("ownedBy", ACCOUNT);
        d.put("creationDate", epochSeconds(c.creationDate));
        d.put("lastModifiedDate", epochSeconds(c.creationDate));
        d.put("certificateMode", "DEFAULT");
        d.put("validity", Map.of("notBefore", c.notBefore.getEpochSecond(), "notAfter", c.notAfter.getEpochSecond()));
        return Answer.ok(Map.of("certificateDescription", d));
    }

    private Answer describeCaCertificate(String id) {
        if (!CERTIFICATE_ID.matcher(id).matches()) {
            return Answer.error(400, "InvalidRequestException", "caCertificateId is not a certificate id");
        }
        String status = caCertificates.get(id.toLowerCase(Locale.ROOT));
        if (status == null) {
            return Answer.error(404, "ResourceNotFoundException", "The CA certificate " + id + " does not exist");
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("certificateArn", "arn:aws:iot:" + REGION + ":" + ACCOUNT + ":cacert/" + id);
        d.put("certificateId", id);
        d.put("status", status);
        d.put("autoRegistrationStatus", "ENABLE");
        d.put("ownedBy", ACCOUNT);
        d.put("certificateMode", "DEFAULT");
        return Answer.ok(Map.of("certificateDescription", d));
    }

    private Answer updateCertificate(String id, String newStatus) {
        Certificate c = certificates.get(id.toLowerCase(Locale.ROOT));
        if (newStatus == null || !STATUSES.contains(newStatus)) {
            return Answer.error(400, "InvalidRequestException", "newStatus is not a certificate status");
        }
        if (c == null) {
            return Answer.error(404, "ResourceNotFoundException", "The certificate " + id + " does not exist");
        }
        if (newStatus.equals("PENDING_ACTIVATION") || newStatus.equals("PENDING_TRANSFER")) {
            return Answer.error(400, "InvalidRequestException", newStatus + " cannot be set with UpdateCertificate");
        }
        if (c.status.equals("REVOKED") && !newStatus.equals("REVOKED")) {
            return Answer.error(406, "CertificateStateException", "The certificate is revoked");
        }
        c.status = newStatus;
        return new Answer(200, null, "");
    }

    private Answer attachPolicyCall(String policyName, String target) {
        if (target == null) {
            return Answer.error(400, "InvalidRequestException", "target is required");
        }
        if (!policies.contains(policyName)) {
            return Answer.error(404, "ResourceNotFoundException", "Policy " + policyName + " does not exist");
        }
        if (!knownTarget(target)) {
            return Answer.error(404, "ResourceNotFoundException", "Target " + target + " does not exist");
        }
        attachPolicy(policyName, target);
        return new Answer(200, null, "");
    }

    private Answer detachPolicy(String policyName, String target) {
        if (target == null) {
            return Answer.error(400, "InvalidRequestException", "target is required");
        }
        Set<String> attached = attachedPolicies.get(target);
        if (attached != null) {
            attached.remove(policyName);
        }
        return new Answer(200, null, "");
    }

    private Answer listAttachedPolicies(String target) {
        List<Map<String, String>> list = attachedPolicies.getOrDefault(target, Set.of()).stream()
                .map(p -> Map.of("policyName", p, "policyArn", "arn:aws:iot:" + REGION + ":" + ACCOUNT + ":policy/" + p))
                .toList();
        return Answer.ok(Map.of("policies", list));
    }

    private Answer createThing(String thingName) {
        if (!THING_NAME.matcher(thingName).matches()) {
            return Answer.error(400, "InvalidRequestException", "thingName is not valid");
        }
        things.computeIfAbsent(thingName, t -> new LinkedHashSet<>());
        String thingId = thingIds.computeIfAbsent(thingName, t -> UUID.randomUUID().toString());
        return Answer.ok(Map.of("thingName", thingName, "thingArn", thingArn(thingName), "thingId", thingId));
    }

    private Answer describeThing(String thingName) {
        if (!things.containsKey(thingName)) {
            return Answer.error(404, "ResourceNotFoundException", "Thing " + thingName + " cannot be found");
        }
        return Answer.ok(Map.of("thingName", thingName, "thingArn", thingArn(thingName), "thingId",
                thingIds.get(thingName), "defaultClientId", thingName, "version", 1, "attributes", Map.of()));
    }

    private Answer listThingPrincipals(String thingName) {
        Set<String> principals = things.get(thingName);
        if (principals == null) {
            return Answer.error(404, "ResourceNotFoundException", "Thing " + thingName + " cannot be found");
        }
        return Answer.ok(Map.of("principals", List.copyOf(principals)));
    }

    private Answer attachThingPrincipal(String thingName, String principal, String principalType) {
        if (principal == null) {
            return Answer.error(400, "InvalidRequestException", "x-amzn-principal is required");
        }
        Set<String> principals = things.get(thingName);
        if (principals == null) {
            return Answer.error(404, "ResourceNotFoundException", "Thing " + thingName + " cannot be found");
        }
        if (!knownTarget(principal)) {
            return Answer.error(404, "ResourceNotFoundException", "Principal " + principal + " cannot be found");
        }
        if ("EXCLUSIVE_THING".equals(principalType) && things.entrySet().stream()
                .anyMatch(e -> !e.getKey().equals(thingName) && e.getValue().contains(principal))) {
            return Answer.error(400, "InvalidRequestException",
                    "Principal is already exclusively attached to another thing");
        }
        principals.add(principal);
        return Answer.ok(Map.of());
    }

    private Answer detachThingPrincipal(String thingName, String principal) {
        Set<String> principals = things.get(thingName);
        if (principals == null) {
            return Answer.error(404, "ResourceNotFoundException", "Thing " + thingName + " cannot be found");
        }
        principals.remove(principal);
        return Answer.ok(Map.of());
    }

    private Answer listPrincipalThings(String principal) {
        if (principal == null) {
            return Answer.error(400, "InvalidRequestException", "x-amzn-principal is required");
        }
        if (!knownTarget(principal)) {
            return Answer.error(404, "ResourceNotFoundException", "Principal " + principal + " cannot be found");
        }
        return Answer.ok(Map.of("things", thingsOf(principal)));
    }

    /**
     * Certificates of one CA ordered by creation date (ascending unless {@code isAscendingOrder=false}; equal dates
     * in registration order, reversed for descending), {@code pageSize} (1..250, default 25) per page; the marker is the next index.
     */
    private Answer listCertificatesByCa(String caCertificateId, Map<String, String> query) {
        int pageSize;
        int start;
        try {
            pageSize = query.containsKey("pageSize") ? Integer.parseInt(query.get("pageSize")) : 25;
            start = query.containsKey("marker") ? Integer.parseInt(query.get("marker")) : 0;
        } catch (NumberFormatException e) {
            return Answer.error(400, "InvalidRequestException", "pageSize and marker must be numbers");
        }
        if (pageSize < 1 || pageSize > 250 || start < 0) {
            return Answer.error(400, "InvalidRequestException", "pageSize must be 1..250 and marker valid");
        }
        List<Certificate> list = new ArrayList<>(certificates.values().stream()
                .filter(c -> caCertificateId.equals(c.caCertificateId))
                .sorted(java.util.Comparator.comparing(Certificate::creationDate)).toList());
        if ("false".equals(query.get("isAscendingOrder"))) {
            java.util.Collections.reverse(list);
        }
        List<Map<String, Object>> page = new ArrayList<>();
        for (Certificate c : list.subList(Math.min(start, list.size()), Math.min(start + pageSize, list.size()))) {
            page.add(Map.of("certificateArn", c.arn, "certificateId", c.id, "status", c.status,
                    "certificateMode", "DEFAULT", "creationDate", epochSeconds(c.creationDate)));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("certificates", page);
        if (start + pageSize < list.size()) {
            body.put("nextMarker", Integer.toString(start + pageSize));
        }
        return Answer.ok(body);
    }

    /** rest-json timestamps: epoch seconds with a fraction (milliseconds), never in exponent notation. */
    private static java.math.BigDecimal epochSeconds(Instant instant) {
        return java.math.BigDecimal.valueOf(instant.toEpochMilli(), 3);
    }

    private boolean knownTarget(String arn) {
        return CertificateIds.fromArn(arn).map(certificates::containsKey).orElse(false);
    }

    private static String thingArn(String thingName) {
        return "arn:aws:iot:" + REGION + ":" + ACCOUNT + ":thing/" + thingName;
    }

    private static String jsonField(String body, String name) {
        try {
            JsonNode node = Json.MAPPER.readTree(body.isBlank() ? "{}" : body).get(name);
            return node == null || node.isNull() ? null : node.asText();
        } catch (IOException e) {
            return null;
        }
    }

    private static Map<String, String> parseQuery(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            query.put(percentDecode(key), percentDecode(value));
        }
        return query;
    }

    /** RFC 3986 percent-decoding ('+' stays '+', unlike form decoding). */
    private static String percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '%' && i + 2 < s.length()) {
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.writeBytes(String.valueOf(ch).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
