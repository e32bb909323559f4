package dev.iotonboard.iot.model;

import static dev.iotonboard.iot.model.RestJson.EMPTY;
import static dev.iotonboard.iot.model.RestJson.JSON;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The IoT control plane's REST-JSON binding (protocol rest-json, {@code iot/2015-05-28/service-2.json}) over a
 * {@link Registry}, without a transport: a request (method, raw path and query, headers, body) resolves to a
 * {@link Call} that names its service-model operation and, when invoked, answers what AWS IoT answers: status,
 * {@code x-amzn-ErrorType} and a JSON body ({@code {"message": ...}} for an error). The local IoT Core serves it over
 * HTTP with quotas and faults in front; the handler tests' IoT double serves the same object with call recording and
 * scripted failures in front, so the two cannot disagree.
 *
 * <p>Before an operation runs, its input is checked against the service model's constraints ({@link InputRules}: one
 * table, compared with the service model by a test), then against the rules the model cannot express (a principal
 * or policy target is an ARN, a certificate id 64 hex digits, DescribeEndpoint's endpointType one of four). A request
 * whose path IoT does not serve, or serves for another method, is ResourceNotFoundException 404
 * {@code {"message":"Not Found"}}. What each operation answers, and the source of each rule: iot-model/README.md.
 *
 * <p>The operations on each kind of resource are bound in a class of their own ({@link CaCertificatesApi},
 * {@link CertificatesApi}, {@link PoliciesApi}, {@link ThingsApi}, {@link ThingPrincipalsApi}, {@link ThingTypesApi},
 * {@link ThingGroupsApi}, {@link TopicRulesApi})
 * that adds its routes to the one route table ({@link Routes}).
 */
public final class IotApi {

    /** Request headers, looked up case-insensitively. */
    @FunctionalInterface
    public interface Headers {
        /** The first value of the header, or null. */
        String first(String name);
    }

    /** An operation this API serves: its service-model name and HTTP route (method, requestUri template). */
    public record Operation(String name, String method, String uri) {
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

        /**
         * A top input member of the request as it came, by the service model's location ({@code uri},
         * {@code querystring}, {@code header} or {@code body}) and wire name; null when the request has none or no
         * route matched. What IAM authorizes the call on is built from these ({@link IamResources}).
         */
        public String member(String location, String wireName) {
            JsonNode value = request == null ? null : request.input(location, wireName);
            return value == null || value.isNull() ? null : value.asText();
        }

        /** Runs the operation on the registry and renders AWS's answer. */
        public Response invoke() {
            if (refusal != null) {
                return error(refusal);
            }
            try {
                rules.check(operation, member -> request.input(member.location(), member.wireName()));
                Object result = handler.apply(request);
                return new Response(200, null, result == EMPTY ? "{}".getBytes(StandardCharsets.UTF_8)
                        : JSON.writeValueAsBytes(result));
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

    /**
     * DescribeEndpoint's endpoint types (API reference, DescribeEndpoint: "Valid endpoint types include: iot:Data,
     * iot:Data-ATS, iot:CredentialProvider, iot:Jobs"); none is the legacy iot:Data endpoint.
     */
    private static final Set<String> ENDPOINT_TYPES = Set.of("iot:Data", "iot:Data-ATS", "iot:CredentialProvider",
            "iot:Jobs");

    private final Registry registry;
    private final String dataEndpoint;
    private final Consumer<String> events;
    private final InputRules rules = InputRules.standard();
    private final Routes routes = new Routes();

    /**
     * @param dataEndpoint the host name DescribeEndpoint answers
     * @param events       receives one line per change (e.g. "AttachPolicy p -> arn") and per internal failure
     */
    public IotApi(Registry registry, String dataEndpoint, Consumer<String> events) {
        this.registry = registry;
        this.dataEndpoint = dataEndpoint;
        this.events = events;
        new CaCertificatesApi(registry, events).addTo(routes);
        new CertificatesApi(registry, events).addTo(routes);
        new PoliciesApi(registry, events).addTo(routes);
        new ThingsApi(registry, events).addTo(routes);
        new ThingPrincipalsApi(registry, events).addTo(routes);
        new ThingTypesApi(registry, events).addTo(routes);
        new ThingGroupsApi(registry, events).addTo(routes);
        routes.add("DescribeEndpoint", "GET", "/endpoint", this::describeEndpoint);
        new TopicRulesApi(registry).addTo(routes);
    }

    public Registry registry() {
        return registry;
    }

    /** The names of every operation the model serves (the same for every instance). */
    public static List<String> operationNames() {
        return OperationNames.NAMES;
    }

    /** Computed once, from a throw-away instance: the routes are defined per instance, over its registry. */
    private static final class OperationNames {
        static final List<String> NAMES = new IotApi(new Registry("us-east-1", "000000000000", null), "localhost",
                line -> { }).operations().stream().map(Operation::name).toList();
    }

    /** Every operation served, in the order of its route's definition. */
    public List<Operation> operations() {
        return routes.all().stream().map(r -> new Operation(r.operation(), r.method(), r.template())).toList();
    }

    /**
     * The call a request makes. A path that matches no route, or a route of another method only, is
     * ResourceNotFoundException 404 {@code {"message":"Not Found"}}; a body that is not a JSON object
     * SerializationException 400: those calls have no operation and only answer their error.
     *
     * <p>Sources: for a path IoT does not serve, aws-amplify/aws-sdk-ios#720 shows AWS IoT answering 404 with
     * {@code x-amzn-ErrorType: ResourceNotFoundException:} and {@code {"message":"Not Found","traceId":...}}. For a
     * served path with another method nothing conclusive was found (searched: issues about UnknownOperationException
     * and "Not Found" from iot.&lt;region&gt;.amazonaws.com): it gets the same answer here, **unconfirmed**.
     */
    public Call resolve(String method, String rawPath, String rawQuery, Headers headers, byte[] body) {
        Optional<Routes.Match> match = routes.match(method, rawPath);
        if (match.isEmpty()) {
            return refused(IotException.notFound("Not Found"));
        }
        JsonNode json;
        try {
            json = body == null || body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (IOException e) {
            return refused(new IotException("SerializationException", 400, "the request body is not JSON: "
                    + e.getMessage()));
        }
        if (json == null || !json.isObject()) {
            return refused(new IotException("SerializationException", 400, "the request body is not a JSON object"));
        }
        Routes.Route route = match.get().route();
        return new Call(route.operation(), route.handler(), new Request(method, rawPath, match.get().path(),
                query(rawQuery), headers, json), null);
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

    private Object describeEndpoint(Request r) {
        String type = r.query("endpointType");
        if (type != null && !ENDPOINT_TYPES.contains(type)) {
            // The message is unconfirmed.
            throw IotException.invalidRequest("Endpoint type " + type + " is not valid: use iot:Data,"
                    + " iot:Data-ATS, iot:CredentialProvider or iot:Jobs");
        }
        // The model has one endpoint: every type answers it (AWS answers a host of its own for each).
        return RestJson.obj().put("endpointAddress", dataEndpoint);
    }

    /** The parameters of a raw query string, decoded ({@code +} stays a literal plus, as AWS's signing encodes). */
    public static Map<String, String> query(String raw) {
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

    static String decode(String value) {
        // URLDecoder turns '+' into a space; in a path '+' is literal, and the SDK encodes a space as %20.
        return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
