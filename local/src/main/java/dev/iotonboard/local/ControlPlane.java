package dev.iotonboard.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The IoT control plane: the routes, status codes and error shapes of the IoT service model (protocol rest-json,
 * {@code iot/2015-05-28/service-2.json}) over plain HTTP on loopback, for the AWS CLI ({@code --endpoint-url}) and the
 * SDK ({@code endpointOverride}). Request signatures are accepted without checking. Errors: the HTTP status of the
 * error shape, header {@code x-amzn-ErrorType} and body {@code {"message": ...}}. Every route carries its
 * service-model operation name: before its handler runs, the operation's request-rate quota ({@link Quotas}: over
 * it, 400 ThrottlingException "Rate exceeded") and the injected faults ({@link Faults}) are checked.
 */
public final class ControlPlane implements AutoCloseable {


    /**
     * Another API served on this port (the local admin routes, further AWS stand-ins), tried before the IoT routes.
     */
    @FunctionalInterface
    public interface Handler {
        /** Answers the exchange and returns true, or leaves it untouched and returns false. */
        boolean handle(HttpExchange exchange) throws IOException;
    }

    /** The Lambda containers, known by the access key id each one signs its requests with. */
    public interface Callers {
        boolean isContainer(String accessKeyId);

        /** Kills the container at once (as a crashed runtime); returns when it is gone. */
        void crash(String accessKeyId);
    }

    /** Per operation: calls routed to it, calls refused by the quota, faults injected (failures and crashes). */
    public record OperationStats(long calls, long throttled, long faults) {
    }

    /** @param names the path parameters, in the order of the template */
    private record Route(String operation, String method, Pattern path, List<String> names,
            Function<Request, Object> handler) {
    }

    private static final class Counters {
        final AtomicLong calls = new AtomicLong();
        final AtomicLong throttled = new AtomicLong();
        final AtomicLong faults = new AtomicLong();
    }

    /** Thrown after a crash fault killed the caller: the exchange is closed without an answer. */
    private static final class CallerCrashed extends RuntimeException {
        CallerCrashed() {
            super(null, null, false, false);
        }
    }

    private static final Pattern ACCESS_KEY = Pattern.compile("Credential=([^/,\\s]+)/");

    /** One request: path parameters (decoded), query parameters, headers, JSON body. */
    record Request(Map<String, String> path, Map<String, String> query, com.sun.net.httpserver.Headers headers,
            JsonNode body) {
        String query(String name) {
            return query.get(name);
        }

        boolean flag(String name) {
            return "true".equalsIgnoreCase(query.get(name));
        }

        String bodyText(String field) {
            JsonNode node = body.get(field);
            return node == null || node.isNull() ? null : node.asText();
        }
    }

    private static final Object EMPTY = new Object();
    private final ObjectMapper json = new ObjectMapper();
    private final Registry registry;
    private final String dataEndpoint;
    private final EventLog log;
    private final List<Route> routes = new ArrayList<>();
    private final HttpServer server;
    private final ExecutorService executor;
    private final Quotas quotas;
    private final Faults faults;
    private final List<Handler> handlers = new CopyOnWriteArrayList<>();
    private final Map<String, Counters> counters = new ConcurrentHashMap<>();
    private volatile Callers callers;

    /** Without quotas or faults. */
    public ControlPlane(Registry registry, int port, String dataEndpoint, EventLog log) throws IOException {
        this(registry, port, dataEndpoint, log, Quotas.off(), Faults.none());
    }

    /**
     * @param dataEndpoint the host name DescribeEndpoint answers (devices connect to it on the data plane's port)
     */
    public ControlPlane(Registry registry, int port, String dataEndpoint, EventLog log, Quotas quotas, Faults faults)
            throws IOException {
        this.registry = registry;
        this.dataEndpoint = dataEndpoint;
        this.log = log;
        this.quotas = quotas;
        this.faults = faults;
        defineRoutes();
        server = HttpServers.loopback(port, 64);
        server.createContext("/", this::handle);
        executor = Executors.newFixedThreadPool(8, daemon("control-plane"));
        server.setExecutor(executor);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Adds a handler tried (in the order added) before the IoT routes. */
    public void addHandler(Handler handler) {
        handlers.add(handler);
    }

    /** The Lambda containers, for crash faults (calls of anyone else are not counted by them). */
    public void callers(Callers callers) {
        this.callers = callers;
    }

    public Quotas quotas() {
        return quotas;
    }

    public Faults faults() {
        return faults;
    }

    /** Counters of every operation called so far, by name. */
    public Map<String, OperationStats> stats() {
        Map<String, OperationStats> stats = new TreeMap<>();
        counters.forEach((operation, c) -> stats.put(operation, new OperationStats(c.calls.get(), c.throttled.get(),
                c.faults.get())));
        return stats;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void route(String operation, String method, String template, Function<Request, Object> handler) {
        // {name} matches one path segment; names are kept in order for the request's path map.
        Matcher names = Pattern.compile("\\{(\\w+)}").matcher(template);
        StringBuilder regex = new StringBuilder();
        List<String> parameters = new ArrayList<>();
        int last = 0;
        while (names.find()) {
            parameters.add(names.group(1));
            regex.append(Pattern.quote(template.substring(last, names.start())));
            regex.append("(?<").append(names.group(1)).append(">[^/]+)");
            last = names.end();
        }
        regex.append(Pattern.quote(template.substring(last)));
        routes.add(new Route(operation, method, Pattern.compile(regex.toString()), List.copyOf(parameters), handler));
    }

    private void defineRoutes() {
        route("GetRegistrationCode", "GET", "/registrationcode",
                r -> obj().put("registrationCode", registry.registrationCode()));
        route("RegisterCACertificate", "POST", "/cacertificate", this::registerCaCertificate);
        route("ListCACertificates", "GET", "/cacertificates", r -> listCaCertificates(r));
        route("DescribeCACertificate", "GET", "/cacertificate/{caCertificateId}",
                r -> describeCaCertificate(r.path().get("caCertificateId")));
        route("UpdateCACertificate", "PUT", "/cacertificate/{caCertificateId}", r -> {
            registry.updateCaCertificate(r.path().get("caCertificateId"), r.query("newStatus"),
                    r.query("newAutoRegistrationStatus"));
            log.event("control", "UpdateCACertificate " + r.path().get("caCertificateId") + " status="
                    + r.query("newStatus") + " autoRegistration=" + r.query("newAutoRegistrationStatus"));
            return EMPTY;
        });
        route("DescribeCertificate", "GET", "/certificates/{certificateId}",
                r -> describeCertificate(r.path().get("certificateId")));
        route("UpdateCertificate", "PUT", "/certificates/{certificateId}", r -> {
            registry.updateCertificate(r.path().get("certificateId"), r.query("newStatus"));
            log.event("control", "UpdateCertificate " + r.path().get("certificateId") + " -> " + r.query("newStatus"));
            return EMPTY;
        });
        route("ListCertificatesByCA", "GET", "/certificates-by-ca/{caCertificateId}", this::listCertificatesByCa);
        route("AttachPolicy", "PUT", "/target-policies/{policyName}", r -> {
            registry.attachPolicy(r.path().get("policyName"), r.bodyText("target"));
            log.event("control", "AttachPolicy " + r.path().get("policyName") + " -> " + r.bodyText("target"));
            return EMPTY;
        });
        route("DetachPolicy", "POST", "/target-policies/{policyName}", r -> {
            registry.detachPolicy(r.path().get("policyName"), r.bodyText("target"));
            log.event("control", "DetachPolicy " + r.path().get("policyName") + " from " + r.bodyText("target"));
            return EMPTY;
        });
        route("ListAttachedPolicies", "POST", "/attached-policies/{target}", this::listAttachedPolicies);
        route("GetPolicy", "GET", "/policies/{policyName}", r -> {
            Registry.Policy policy = registry.policy(r.path().get("policyName"));
            return obj().put("policyName", policy.name()).put("policyArn", registry.policyArn(policy.name()))
                    .put("policyDocument", policy.document()).put("defaultVersionId", "1")
                    .put("creationDate", policy.creationDate()).put("lastModifiedDate", policy.creationDate())
                    .put("generationId", "1");
        });
        route("CreateThing", "POST", "/things/{thingName}", this::createThing);
        route("DescribeThing", "GET", "/things/{thingName}", r -> describeThing(r.path().get("thingName")));
        route("AttachThingPrincipal", "PUT", "/things/{thingName}/principals", r -> {
            String principal = r.headers().getFirst("x-amzn-principal");
            registry.attachThingPrincipal(r.path().get("thingName"), principal, r.query("thingPrincipalType"));
            log.event("control", "AttachThingPrincipal " + r.path().get("thingName") + " <- " + principal);
            return EMPTY;
        });
        route("DetachThingPrincipal", "DELETE", "/things/{thingName}/principals", r -> {
            String principal = r.headers().getFirst("x-amzn-principal");
            registry.detachThingPrincipal(r.path().get("thingName"), principal);
            log.event("control", "DetachThingPrincipal " + r.path().get("thingName") + " -x- " + principal);
            return EMPTY;
        });
        route("ListThingPrincipals", "GET", "/things/{thingName}/principals",
                r -> page(registry.thingPrincipals(r.path().get("thingName")),
                r, "maxResults", "nextToken", "principals", "nextToken", json::valueToTree));
        route("ListPrincipalThings", "GET", "/principals/things", r -> {
            String principal = r.headers().getFirst("x-amzn-principal");
            if (principal == null || principal.isBlank()) {
                throw IotException.invalidRequest("principal (x-amzn-principal) is required");
            }
            return page(registry.principalThings(principal), r, "maxResults", "nextToken", "things", "nextToken",
                    json::valueToTree);
        });
        route("DescribeEndpoint", "GET", "/endpoint", r -> obj().put("endpointAddress", dataEndpoint));
    }

    private Object registerCaCertificate(Request r) {
        String mode = r.bodyText("certificateMode");
        if (mode != null && !mode.equals("DEFAULT")) {
            throw IotException.invalidRequest("certificateMode " + mode + " is not supported by the local IoT Core");
        }
        Registry.CaCertificate ca = registry.registerCaCertificate(r.bodyText("caCertificate"),
                r.bodyText("verificationCertificate"), r.flag("setAsActive"), r.flag("allowAutoRegistration"));
        log.event("control", "RegisterCACertificate " + ca.id() + " status=" + ca.status() + " autoRegistration="
                + ca.autoRegistrationStatus());
        return obj().put("certificateArn", registry.caCertificateArn(ca.id())).put("certificateId", ca.id());
    }

    private Object listCaCertificates(Request r) {
        List<Registry.CaCertificate> cas = new ArrayList<>(registry.caCertificates());
        if (r.query("isAscendingOrder") != null && !r.flag("isAscendingOrder")) {
            java.util.Collections.reverse(cas);
        }
        return page(cas, r, "pageSize", "marker", "certificates", "nextMarker", ca -> obj()
                .put("certificateArn", registry.caCertificateArn(ca.id())).put("certificateId", ca.id())
                .put("status", ca.status()).put("creationDate", ca.creationDate()));
    }

    private Object describeCaCertificate(String id) {
        Registry.CaCertificate ca = registry.caCertificate(id);
        X509Certificate x509 = dev.iotonboard.lambda.core.CertificateIds.parsePem(ca.pem());
        ObjectNode description = obj().put("certificateArn", registry.caCertificateArn(id)).put("certificateId", id)
                .put("status", ca.status()).put("certificatePem", ca.pem()).put("ownedBy", registry.account())
                .put("creationDate", ca.creationDate()).put("autoRegistrationStatus", ca.autoRegistrationStatus())
                .put("lastModifiedDate", ca.lastModifiedDate()).put("customerVersion", ca.generation())
                .put("generationId", Integer.toString(ca.generation())).put("certificateMode", "DEFAULT");
        description.set("validity", validity(x509));
        ObjectNode out = obj();
        out.set("certificateDescription", description);
        out.set("registrationConfig", obj());
        return out;
    }

    private Object describeCertificate(String id) {
        Registry.Certificate certificate = registry.certificate(id);
        X509Certificate x509 = dev.iotonboard.lambda.core.CertificateIds.parsePem(certificate.pem());
        ObjectNode description = obj().put("certificateArn", registry.certificateArn(id)).put("certificateId", id)
                .put("caCertificateId", certificate.caCertificateId()).put("status", certificate.status())
                .put("certificatePem", certificate.pem()).put("ownedBy", registry.account())
                .put("creationDate", certificate.creationDate())
                .put("lastModifiedDate", certificate.lastModifiedDate())
                .put("customerVersion", certificate.generation())
                .put("generationId", Integer.toString(certificate.generation())).put("certificateMode", "DEFAULT");
        description.set("validity", validity(x509));
        ObjectNode out = obj();
        out.set("certificateDescription", description);
        return out;
    }

    private Object listCertificatesByCa(Request r) {
        String caId = r.path().get("caCertificateId");
        List<Registry.Certificate> list = new ArrayList<>(registry.certificatesByCa(caId));
        if (r.query("isAscendingOrder") != null && !r.flag("isAscendingOrder")) {
            java.util.Collections.reverse(list);
        }
        return page(list, r, "pageSize", "marker", "certificates", "nextMarker", c -> obj()
                .put("certificateArn", registry.certificateArn(c.id())).put("certificateId", c.id())
                .put("status", c.status()).put("certificateMode", "DEFAULT").put("creationDate", c.creationDate()));
    }

    private Object listAttachedPolicies(Request r) {
        return page(registry.attachedPolicies(r.path().get("target")), r, "pageSize", "marker", "policies",
                "nextMarker", p -> obj().put("policyName", p.name()).put("policyArn", registry.policyArn(p.name())));
    }

    private Object createThing(Request r) {
        Map<String, String> attributes = new LinkedHashMap<>();
        JsonNode payload = r.body().path("attributePayload").path("attributes");
        payload.fields().forEachRemaining(e -> attributes.put(e.getKey(), e.getValue().asText()));
        if (r.body().hasNonNull("thingTypeName") || r.body().hasNonNull("billingGroupName")) {
            throw IotException.invalidRequest("thing types and billing groups are not supported by the local IoT Core");
        }
        String name = r.path().get("thingName");
        boolean existed = registry.findThing(name).isPresent();
        Registry.Thing thing = registry.createThing(name, attributes);
        if (!existed) {
            log.event("control", "CreateThing " + name);
        }
        return obj().put("thingName", thing.name()).put("thingArn", registry.thingArn(thing.name()))
                .put("thingId", thing.id());
    }

    private Object describeThing(String name) {
        Registry.Thing thing = registry.thing(name);
        ObjectNode out = obj().put("defaultClientId", thing.name()).put("thingName", thing.name())
                .put("thingId", thing.id()).put("thingArn", registry.thingArn(thing.name()))
                .put("version", thing.version());
        out.set("attributes", json.valueToTree(thing.attributes()));
        return out;
    }

    private ObjectNode validity(X509Certificate x509) {
        return obj().put("notBefore", x509.getNotBefore().getTime() / 1000.0)
                .put("notAfter", x509.getNotAfter().getTime() / 1000.0);
    }

    /** A page of {@code items}: the marker is the index of the next item, as a decimal string. */
    private <T> ObjectNode page(List<T> items, Request r, String sizeParam, String markerParam, String listField,
            String nextField, Function<T, JsonNode> render) {
        int size = parseInt(r.query(sizeParam), 250, sizeParam);
        int start = parseInt(r.query(markerParam), 0, markerParam);
        if (size < 1 || start < 0) {
            throw IotException.invalidRequest(sizeParam + " and " + markerParam + " must be positive");
        }
        ArrayNode list = json.createArrayNode();
        int end = Math.min(items.size(), start + size);
        for (int i = start; i < end; i++) {
            list.add(render.apply(items.get(i)));
        }
        ObjectNode out = obj();
        out.set(listField, list);
        if (end < items.size()) {
            out.put(nextField, Integer.toString(end));
        }
        return out;
    }

    private static int parseInt(String value, int fallback, String name) {
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw IotException.invalidRequest(name + " is not a number: " + value);
        }
    }

    private ObjectNode obj() {
        return json.createObjectNode();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            for (Handler handler : handlers) {
                if (handler.handle(exchange)) {
                    return;
                }
            }
            String requestId = UUID.randomUUID().toString();
            exchange.getResponseHeaders().set("x-amzn-RequestId", requestId);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            int status;
            Object result;
            try {
                byte[] raw = exchange.getRequestBody().readAllBytes();
                JsonNode body = raw.length == 0 ? json.createObjectNode() : json.readTree(raw);
                if (body == null || !body.isObject()) {
                    throw new IotException("SerializationException", 400, "the request body is not a JSON object");
                }
                result = dispatch(exchange, body);
                status = 200;
            } catch (CallerCrashed e) {
                return;
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                result = error(exchange, new IotException("SerializationException", 400,
                        "the request body is not JSON: " + e.getOriginalMessage()));
                status = 400;
            } catch (IotException e) {
                result = error(exchange, e);
                status = e.status();
            } catch (RuntimeException e) {
                log.event("control", "InternalFailure on " + exchange.getRequestMethod() + " "
                        + exchange.getRequestURI() + ": " + e);
                IotException failure = new IotException("InternalFailureException", 500, String.valueOf(e));
                result = error(exchange, failure);
                status = 500;
            }
            byte[] bytes = result == EMPTY ? "{}".getBytes(StandardCharsets.UTF_8) : json.writeValueAsBytes(result);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private Object dispatch(HttpExchange exchange, JsonNode body) {
        String rawPath = exchange.getRequestURI().getRawPath();
        boolean pathMatched = false;
        for (Route route : routes) {
            Matcher matcher = route.path().matcher(rawPath);
            if (!matcher.matches()) {
                continue;
            }
            pathMatched = true;
            if (!route.method().equals(exchange.getRequestMethod())) {
                continue;
            }
            Map<String, String> path = new HashMap<>();
            for (String name : route.names()) {
                path.put(name, decode(matcher.group(name)));
            }
            return call(route, new Request(path, query(exchange.getRequestURI().getRawQuery()),
                    exchange.getRequestHeaders(), body));
        }
        if (pathMatched) {
            throw new IotException("MethodNotAllowedException", 405, exchange.getRequestMethod() + " is not allowed on "
                    + rawPath);
        }
        throw new IotException("UnknownOperationException", 404, "the local IoT Core does not implement "
                + exchange.getRequestMethod() + " " + rawPath);
    }

    /** Quota check, then fault check, then the handler; then a crash fault when a container made the call. */
    private Object call(Route route, Request request) {
        String operation = route.operation();
        Counters count = counters.computeIfAbsent(operation, k -> new Counters());
        count.calls.incrementAndGet();
        if (!quotas.tryAcquire(operation)) {
            count.throttled.incrementAndGet();
            throw new IotException("ThrottlingException", 400, "Rate exceeded");
        }
        Optional<IotException> failure = faults.failure(operation);
        if (failure.isPresent()) {
            count.faults.incrementAndGet();
            log.event("control", "fault: " + operation + " answered " + failure.get().errorType());
            throw failure.get();
        }
        Object result = route.handler().apply(request);
        Callers known = callers;
        String caller = accessKeyId(request.headers().getFirst("Authorization"));
        if (known != null && caller != null && known.isContainer(caller) && faults.crashAfter(operation)) {
            count.faults.incrementAndGet();
            log.event("control", "fault: " + operation + " took effect; crashing its caller " + caller
                    + " before it gets the answer");
            known.crash(caller);
            throw new CallerCrashed();
        }
        return result;
    }

    /** The access key id of a SigV4 {@code Authorization} header, or null. */
    static String accessKeyId(String authorization) {
        if (authorization == null) {
            return null;
        }
        Matcher matcher = ACCESS_KEY.matcher(authorization);
        return matcher.find() ? matcher.group(1) : null;
    }

    private ObjectNode error(HttpExchange exchange, IotException e) {
        exchange.getResponseHeaders().set("x-amzn-ErrorType", e.errorType());
        ObjectNode body = obj().put("message", e.getMessage());
        if (e.resourceId() != null) {
            body.put("resourceId", e.resourceId());
        }
        return body;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            query.put(key, eq < 0 ? "" : decode(pair.substring(eq + 1)));
        }
        return query;
    }

    private static String decode(String value) {
        // URLDecoder turns '+' into a space; in a path '+' is literal, and the SDK encodes a space as %20.
        return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
