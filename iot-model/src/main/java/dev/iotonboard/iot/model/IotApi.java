package dev.iotonboard.iot.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.lambda.core.CertificateIds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The IoT control plane's REST-JSON binding (protocol rest-json, {@code iot/2015-05-28/service-2.json}) over a
 * {@link Registry}, without a transport: a request (method, raw path and query, headers, body) resolves to a
 * {@link Call} that names its service-model operation and, when invoked, answers what AWS IoT answers: status,
 * {@code x-amzn-ErrorType} and a JSON body ({@code {"message": ...}} for an error). The local IoT Core serves it over
 * HTTP with quotas and faults in front; the handler tests' IoT double serves the same object with call recording and
 * scripted failures in front, so the two cannot disagree.
 */
public final class IotApi {

    /** Request headers, looked up case-insensitively. */
    @FunctionalInterface
    public interface Headers {
        /** The first value of the header, or null. */
        String first(String name);
    }

    /** An answer: HTTP status, error shape name (null for a success) and JSON body. */
    public record Response(int status, String errorType, byte[] body) {

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** One request with its route: {@link #operation()} is null when no route matched (invoke answers the error). */
    public final class Call {
        private final String operation;
        private final Function<Request, Object> handler;
        private final Request request;
        private final IotException refusal;

        private Call(String operation, Function<Request, Object> handler, Request request, IotException refusal) {
            this.operation = operation;
            this.handler = handler;
            this.request = request;
            this.refusal = refusal;
        }

        /** The service-model operation name (e.g. DescribeCertificate), or null for an unknown route. */
        public String operation() {
            return operation;
        }

        /** Runs the operation on the registry and renders AWS's answer. */
        public Response invoke() {
            if (refusal != null) {
                return error(refusal);
            }
            try {
                Object result = handler.apply(request);
                return new Response(200, null, result == EMPTY ? "{}".getBytes(StandardCharsets.UTF_8)
                        : json.writeValueAsBytes(result));
            } catch (IotException e) {
                return error(e);
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            } catch (RuntimeException e) {
                events.accept("InternalFailure on " + request.method() + " " + request.rawPath() + ": " + e);
                return error(new IotException("InternalFailureException", 500, String.valueOf(e)));
            }
        }
    }

    /** @param names the path parameters, in the order of the template */
    private record Route(String operation, String method, Pattern path, List<String> names,
            Function<Request, Object> handler) {
    }

    /** One request: path parameters (decoded), query parameters, headers, JSON body. */
    private record Request(String method, String rawPath, Map<String, String> path, Map<String, String> query,
            Headers headers, JsonNode body) {
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
    private static final int MAX_PAGE_SIZE = 250;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectMapper json = JSON;
    private final Registry registry;
    private final String dataEndpoint;
    private final Consumer<String> events;
    private final List<Route> routes = new ArrayList<>();

    /**
     * @param dataEndpoint the host name DescribeEndpoint answers
     * @param events       receives one line per change (e.g. "AttachPolicy p -> arn") and per internal failure
     */
    public IotApi(Registry registry, String dataEndpoint, Consumer<String> events) {
        this.registry = registry;
        this.dataEndpoint = dataEndpoint;
        this.events = events;
        defineRoutes();
    }

    public Registry registry() {
        return registry;
    }

    /**
     * The call a request makes. A path that matches no route is UnknownOperationException 404, one that matches a
     * route of another method MethodNotAllowedException 405, a body that is not a JSON object SerializationException
     * 400: those calls have no operation and only answer their error.
     */
    public Call resolve(String method, String rawPath, String rawQuery, Headers headers, byte[] body) {
        boolean pathMatched = false;
        for (Route route : routes) {
            Matcher matcher = route.path().matcher(rawPath);
            if (!matcher.matches()) {
                continue;
            }
            pathMatched = true;
            if (!route.method().equals(method)) {
                continue;
            }
            Map<String, String> path = new HashMap<>();
            for (String name : route.names()) {
                path.put(name, decode(matcher.group(name)));
            }
            JsonNode json;
            try {
                json = body == null || body.length == 0 ? this.json.createObjectNode() : this.json.readTree(body);
            } catch (IOException e) {
                return refused(new IotException("SerializationException", 400, "the request body is not JSON: "
                        + e.getMessage()));
            }
            if (json == null || !json.isObject()) {
                return refused(new IotException("SerializationException", 400, "the request body is not a JSON object"));
            }
            return new Call(route.operation(), route.handler(), new Request(method, rawPath, path, query(rawQuery),
                    headers, json), null);
        }
        if (pathMatched) {
            return refused(new IotException("MethodNotAllowedException", 405, method + " is not allowed on " + rawPath));
        }
        return refused(new IotException("UnknownOperationException", 404, "the IoT model does not implement "
                + method + " " + rawPath));
    }

    private Call refused(IotException e) {
        return new Call(null, null, null, e);
    }

    /** AWS's answer to an error: its status, {@code x-amzn-ErrorType}, and {@code {"message"[, "resourceId"]}}. */
    public static Response error(IotException e) {
        ObjectNode body = JSON.createObjectNode().put("message", e.getMessage());
        if (e.resourceId() != null) {
            body.put("resourceId", e.resourceId());
        }
        try {
            return new Response(e.status(), e.errorType(), JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException impossible) {
            throw new UncheckedIOException(impossible);
        }
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
        route("ListCACertificates", "GET", "/cacertificates", this::listCaCertificates);
        route("DescribeCACertificate", "GET", "/cacertificate/{caCertificateId}",
                r -> describeCaCertificate(r.path().get("caCertificateId")));
        route("UpdateCACertificate", "PUT", "/cacertificate/{caCertificateId}", r -> {
            registry.updateCaCertificate(r.path().get("caCertificateId"), r.query("newStatus"),
                    r.query("newAutoRegistrationStatus"));
            events.accept("UpdateCACertificate " + r.path().get("caCertificateId") + " status="
                    + r.query("newStatus") + " autoRegistration=" + r.query("newAutoRegistrationStatus"));
            return EMPTY;
        });
        route("DescribeCertificate", "GET", "/certificates/{certificateId}",
                r -> describeCertificate(r.path().get("certificateId")));
        route("UpdateCertificate", "PUT", "/certificates/{certificateId}", r -> {
            registry.updateCertificate(r.path().get("certificateId"), r.query("newStatus"));
            events.accept("UpdateCertificate " + r.path().get("certificateId") + " -> " + r.query("newStatus"));
            return EMPTY;
        });
        route("ListCertificatesByCA", "GET", "/certificates-by-ca/{caCertificateId}", this::listCertificatesByCa);
        route("AttachPolicy", "PUT", "/target-policies/{policyName}", r -> {
            registry.attachPolicy(r.path().get("policyName"), r.bodyText("target"));
            events.accept("AttachPolicy " + r.path().get("policyName") + " -> " + r.bodyText("target"));
            return EMPTY;
        });
        route("DetachPolicy", "POST", "/target-policies/{policyName}", r -> {
            registry.detachPolicy(r.path().get("policyName"), r.bodyText("target"));
            events.accept("DetachPolicy " + r.path().get("policyName") + " from " + r.bodyText("target"));
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
            String principal = r.headers().first("x-amzn-principal");
            registry.attachThingPrincipal(r.path().get("thingName"), principal, r.query("thingPrincipalType"));
            events.accept("AttachThingPrincipal " + r.path().get("thingName") + " <- " + principal);
            return EMPTY;
        });
        route("DetachThingPrincipal", "DELETE", "/things/{thingName}/principals", r -> {
            String principal = r.headers().first("x-amzn-principal");
            registry.detachThingPrincipal(r.path().get("thingName"), principal);
            events.accept("DetachThingPrincipal " + r.path().get("thingName") + " -x- " + principal);
            return EMPTY;
        });
        route("ListThingPrincipals", "GET", "/things/{thingName}/principals",
                r -> page(registry.thingPrincipals(r.path().get("thingName")),
                r, "maxResults", "nextToken", "principals", "nextToken", json::valueToTree));
        route("ListPrincipalThings", "GET", "/principals/things", r -> {
            String principal = r.headers().first("x-amzn-principal");
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
            throw IotException.invalidRequest("certificateMode " + mode + " is not supported by the IoT model");
        }
        Registry.CaCertificate ca = registry.registerCaCertificate(r.bodyText("caCertificate"),
                r.bodyText("verificationCertificate"), r.flag("setAsActive"), r.flag("allowAutoRegistration"));
        events.accept("RegisterCACertificate " + ca.id() + " status=" + ca.status() + " autoRegistration="
                + ca.autoRegistrationStatus());
        return obj().put("certificateArn", registry.caCertificateArn(ca.id())).put("certificateId", ca.id());
    }

    private Object listCaCertificates(Request r) {
        List<Registry.CaCertificate> cas = new ArrayList<>(registry.caCertificates());
        if (r.query("isAscendingOrder") != null && !r.flag("isAscendingOrder")) {
            Collections.reverse(cas);
        }
        return page(cas, r, "pageSize", "marker", "certificates", "nextMarker", ca -> obj()
                .put("certificateArn", registry.caCertificateArn(ca.id())).put("certificateId", ca.id())
                .put("status", ca.status()).put("creationDate", ca.creationDate()));
    }

    private Object describeCaCertificate(String id) {
        Registry.CaCertificate ca = registry.caCertificate(id);
        X509Certificate x509 = CertificateIds.parsePem(ca.pem());
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
        X509Certificate x509 = CertificateIds.parsePem(certificate.pem());
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
            Collections.reverse(list);
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
            throw IotException.invalidRequest("thing types and billing groups are not supported by the IoT model");
        }
        String name = r.path().get("thingName");
        boolean existed = registry.findThing(name).isPresent();
        Registry.Thing thing = registry.createThing(name, attributes);
        if (!existed) {
            events.accept("CreateThing " + name);
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

    /**
     * A page of {@code items}: the service model's page size range (1 to 250, default 250 here: AWS documents no
     * default), the marker is the index of the next item, as a decimal string.
     */
    private <T> ObjectNode page(List<T> items, Request r, String sizeParam, String markerParam, String listField,
            String nextField, Function<T, JsonNode> render) {
        int size = parseInt(r.query(sizeParam), MAX_PAGE_SIZE, sizeParam);
        int start = parseInt(r.query(markerParam), 0, markerParam);
        if (size < 1 || size > MAX_PAGE_SIZE) {
            throw IotException.invalidRequest(sizeParam + " must be between 1 and " + MAX_PAGE_SIZE + ", not " + size);
        }
        if (start < 0) {
            throw IotException.invalidRequest(markerParam + " is not a marker this API gave: " + start);
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
}
