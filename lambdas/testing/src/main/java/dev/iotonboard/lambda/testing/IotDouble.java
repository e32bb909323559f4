package dev.iotonboard.lambda.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.iotonboard.iot.model.IotApi;
import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.IotClients;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * The IoT control plane for handler tests: the IoT model (module iot-model: {@link Registry} and its REST-JSON
 * binding {@link IotApi}, the very object the local IoT Core serves) on a JDK {@link HttpServer}, for driving the
 * real SDK client, with a thin test layer in front of it: every request is recorded, failures are scripted per
 * operation and call number, and another client's action can be run between two calls. The double holds no IoT
 * semantics of its own; state for a test is put in place through the model's {@link Registry#seed()}.
 *
 * <p>Faults are scripted per operation and per call number (every received request counts, retries included), and
 * a faulted request changes no state: {@link #failAlways}, {@link #failNth}, {@link #failNext} and
 * {@link #failEveryNth} (e.g. every second request throttled, like a quota under load).
 */
public final class IotDouble implements AutoCloseable {

    public static final String ACCOUNT = "123456789012";
    public static final String REGION = "eu-west-1";
    private static final String POLICY_DOCUMENT = "{\"Version\":\"2012-10-17\",\"Statement\":[]}";

    static {
        // Without TCP_NODELAY every request whose headers and body the client writes separately waits ~40 ms for
        // a delayed ACK (Nagle); read once by the JDK server's configuration, so set before the first server.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final HttpServer server;
    private final OffsetClock clock = new OffsetClock();
    private final Registry registry = new Registry(REGION, ACCOUNT, null, clock);
    private final IotApi api = new IotApi(registry, "iot-double.localhost", line -> { });
    private final List<RecordedCall> calls = new ArrayList<>();
    private final FaultScript script = new FaultScript();

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

    /** The model behind the double, for assertions on state the helpers below do not cover. */
    public Registry registry() {
        return registry;
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

    // ---- state, through the model ----------------------------------------------------------------------------

    /**
     * Registers a device certificate of a {@link TestPki} CA with this status; returns its id. The CA is registered
     * ACTIVE, with auto-registration, unless it is known already.
     */
    public synchronized String addCertificate(String pem, String caCertificateId, String status) {
        knownCa(caCertificateId);
        return registry.seed().certificate(pem, caCertificateId, status, Instant.now()).id();
    }

    /** Registers the {@link TestPki} CA of this id with this status (ACTIVE or INACTIVE), or changes its status. */
    public synchronized void setCaStatus(String caCertificateId, String status) {
        knownCa(caCertificateId);
        registry.caCertificates().update(caCertificateId, status, null);
    }

    private void knownCa(String caCertificateId) {
        if (registry.caCertificates().find(caCertificateId).isEmpty()) {
            registry.seed().caCertificate(TestPki.caCertificate(caCertificateId), "ACTIVE");
        }
    }

    public synchronized Registry.Certificate certificate(String id) {
        return registry.certificates().get(id);
    }

    public synchronized String certificateStatus(String id) {
        return registry.certificates().get(id).status();
    }

    /** The status an operator or another client left the certificate in (any status, PENDING_ACTIVATION included). */
    public synchronized void setCertificateStatus(String id, String status) {
        registry.seed().status(id, status);
    }

    /** Sets when IoT registered the certificate (ListCertificatesByCA orders and reports by it). */
    public synchronized void setCreationDate(String id, Instant creationDate) {
        registry.seed().registered(id, creationDate);
    }

    public String certificateArn(String id) {
        return registry.certificateArn(id);
    }

    public synchronized void addPolicy(String name) {
        registry.policies().put(name, POLICY_DOCUMENT);
    }

    public synchronized void attachPolicy(String policyName, String target) {
        registry.policies().attach(policyName, target);
    }

    /** The policies attached to {@code target} (a certificate ARN), in attachment order. */
    public synchronized List<String> policiesOf(String target) {
        return registry.policies().attached(target).stream().map(Registry.Policy::name).toList();
    }

    /** Creates a thing (when new) with these principals (certificate ARNs) attached, non-exclusively. */
    public synchronized void addThing(String thingName, String... principalArns) {
        if (registry.things().find(thingName).isEmpty()) {
            registry.things().create(thingName, Map.of());
        }
        for (String principal : principalArns) {
            registry.thingPrincipals().attach(thingName, principal, "NON_EXCLUSIVE_THING");
        }
    }

    public synchronized boolean thingExists(String thingName) {
        return registry.things().find(thingName).isPresent();
    }

    public synchronized List<String> thingNames() {
        return registry.things().names();
    }

    /** The principals (ARNs) attached to a thing; empty when the thing does not exist. */
    public synchronized List<String> principalsOf(String thingName) {
        return thingExists(thingName) ? registry.thingPrincipals().principals(thingName) : List.of();
    }

    /** The things a principal (ARN) is attached to. */
    public synchronized List<String> thingsOf(String principalArn) {
        return registry.thingPrincipals().things(principalArn);
    }

    /**
     * How long a DetachThingPrincipal takes to show (the model's {@link Registry#detachPropagationDelay(Duration)}; 0,
     * the default: at once). Move time on with {@link #advanceClock} rather than sleeping.
     */
    public void detachPropagationDelay(Duration delay) {
        registry.detachPropagationDelay(delay);
    }

    /** Moves the model's clock forward (it starts at the system time): timestamps and propagating detachments. */
    public synchronized void advanceClock(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("the clock only moves forward: " + by);
        }
        clock.advance(by);
    }

    // ---- faults ----------------------------------------------------------------------------------------------

    /** Every call of {@code operation} fails with {@code fault}. */
    public synchronized void failAlways(String operation, Fault fault) {
        script.failAlways(operation, fault);
    }

    /** The {@code n}-th call of {@code operation} (counting every request received so far, from 1) fails. */
    public synchronized void failNth(String operation, int n, Fault fault) {
        script.failNth(operation, n, fault);
    }

    /** The next {@code times} calls of {@code operation} fail. */
    public synchronized void failNext(String operation, int times, Fault fault) {
        script.failNext(operation, times, fault);
    }

    /**
     * From now on, every {@code n}-th request of {@code operation} (counting every request received, from 1) fails:
     * with {@code n = 2} and {@link Fault#THROTTLING}, half of the requests are throttled, and a client retrying
     * each throttled request once still gets through.
     */
    public synchronized void failEveryNth(String operation, int n, Fault fault) {
        script.failEveryNth(operation, n, fault);
    }

    /**
     * Runs {@code action} once, when the next {@code operation} request arrives and before it is answered (to model
     * another client acting concurrently). The action may change the model's state.
     */
    public synchronized void onNext(String operation, Runnable action) {
        script.onNext(operation, action);
    }

    /**
     * The next request of {@code operation} gets this answer instead of the model's, without effect: an answer AWS
     * would not give (a description without a field, a truncated body), to test a handler's defences.
     */
    public synchronized void respondNext(String operation, int status, String body) {
        script.respondNext(operation, status, body);
    }

    /** Removes every scripted fault. */
    public synchronized void clearFaults() {
        script.clearFaults();
    }

    // ---- calls -----------------------------------------------------------------------------------------------

    /** Every request received, in order, faulted ones included. */
    public synchronized List<RecordedCall> calls() {
        return List.copyOf(calls);
    }

    /** The operation names of every request received, in order. */
    public synchronized List<String> operations() {
        return calls.stream().map(RecordedCall::operation).toList();
    }

    /** The operation names of the requests that succeeded (2xx), in order. */
    public synchronized List<String> successfulOperations() {
        return calls.stream().filter(c -> c.status() / 100 == 2).map(RecordedCall::operation).toList();
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
    public synchronized List<RecordedCall> calls(String operation) {
        return calls.stream().filter(c -> c.operation().equals(operation)).toList();
    }

    /** Forgets the recorded calls (state and faults are kept; call numbers keep counting). */
    public synchronized void clearCalls() {
        calls.clear();
    }

    // ---- HTTP ------------------------------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String rawPath = exchange.getRequestURI().getRawPath();
            String rawQuery = exchange.getRequestURI().getRawQuery();
            Map<String, String> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT),
                    values.isEmpty() ? "" : values.get(0)));
            IotApi.Call call = api.resolve(exchange.getRequestMethod(), rawPath, rawQuery,
                    name -> headers.get(name.toLowerCase(Locale.ROOT)), body);
            String operation = call.operation() == null ? "Unknown" : call.operation();
            IotApi.Response response;
            synchronized (this) {
                response = script.answer(operation, call::invoke);
                calls.add(new RecordedCall(operation, exchange.getRequestMethod(), rawPath, IotApi.query(rawQuery),
                        Map.copyOf(headers), new String(body, StandardCharsets.UTF_8), response.status()));
            }
            byte[] bytes = response.body();
            exchange.getResponseHeaders().set("Content-Type",
                    bytes.length > 0 && bytes[0] == '<' ? "text/html" : "application/json");
            exchange.getResponseHeaders().set("x-amzn-RequestId", java.util.UUID.randomUUID().toString());
            if (response.errorType() != null) {
                exchange.getResponseHeaders().set("x-amzn-ErrorType", response.errorType());
            }
            exchange.sendResponseHeaders(response.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

}
