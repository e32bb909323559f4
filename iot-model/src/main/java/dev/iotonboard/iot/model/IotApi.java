package dev.iotonboard.iot.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
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
import java.util.Set;
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
 *
 * <p>Before an operation runs, its input is checked against the service model's constraints ({@link InputRules}: one
 * table, compared with the service model by a test), then against the rules the model cannot express (a principal
 * or policy target is an ARN, a certificate id 64 hex digits, DescribeEndpoint's endpointType one of four). A request
 * whose path IoT does not serve, or serves for another method, is ResourceNotFoundException 404
 * {@code {"message":"Not Found"}}. What each operation answers, and the source of each rule: iot-model/README.md.
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
            JsonNode value = request == null ? null : input(request, location, wireName);
            return value == null || value.isNull() ? null : value.asText();
        }

        /** Runs the operation on the registry and renders AWS's answer. */
        public Response invoke() {
            if (refusal != null) {
                return error(refusal);
            }
            try {
                rules.check(operation, member -> input(request, member));
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
    private record Route(String operation, String method, String template, Pattern path, List<String> names,
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
    /**
     * The page size when a request gives none, where AWS documents none (the service model's greatest page size).
     * ListCertificates and ListCACertificates document 25 (API reference: "The results are paginated with a default
     * page size of 25").
     */
    private static final int DEFAULT_PAGE_SIZE = 250;
    private static final int DOCUMENTED_CERTIFICATE_PAGE_SIZE = 25;
    /**
     * DescribeEndpoint's endpoint types (API reference, DescribeEndpoint: "Valid endpoint types include: iot:Data,
     * iot:Data-ATS, iot:CredentialProvider, iot:Jobs"); none is the legacy iot:Data endpoint.
     */
    private static final Set<String> ENDPOINT_TYPES = Set.of("iot:Data", "iot:Data-ATS", "iot:CredentialProvider",
            "iot:Jobs");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectMapper json = JSON;
    private final Registry registry;
    private final String dataEndpoint;
    private final Consumer<String> events;
    private final InputRules rules = InputRules.standard();
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
        return routes.stream().map(r -> new Operation(r.operation(), r.method(), r.template())).toList();
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
        for (Route route : routes) {
            Matcher matcher = route.path().matcher(rawPath);
            if (!matcher.matches() || !route.method().equals(method)) {
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
        return refused(IotException.notFound("Not Found"));
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
        routes.add(new Route(operation, method, template, Pattern.compile(regex.toString()), List.copyOf(parameters),
                handler));
    }

    /** A top input member's value as it came: a text node for a path, query or header value, the body's member. */
    private static JsonNode input(Request r, InputRules.Member member) {
        return input(r, member.location(), member.wireName());
    }

    private static JsonNode input(Request r, String location, String wireName) {
        return switch (location) {
            case "uri" -> InputRules.text(r.path().get(wireName));
            case "querystring" -> InputRules.text(r.query(wireName));
            case "header" -> InputRules.text(r.headers().first(wireName));
            default -> r.body().get(wireName);
        };
    }

    /** Each route with the service model's method and requestUri (a test compares them with the model). */
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
        route("DeleteCACertificate", "DELETE", "/cacertificate/{caCertificateId}", r -> {
            registry.deleteCaCertificate(r.path().get("caCertificateId"));
            events.accept("DeleteCACertificate " + r.path().get("caCertificateId"));
            return EMPTY;
        });
        route("DescribeCertificate", "GET", "/certificates/{certificateId}",
                r -> describeCertificate(r.path().get("certificateId")));
        route("UpdateCertificate", "PUT", "/certificates/{certificateId}", r -> {
            registry.updateCertificate(r.path().get("certificateId"), r.query("newStatus"));
            events.accept("UpdateCertificate " + r.path().get("certificateId") + " -> " + r.query("newStatus"));
            return EMPTY;
        });
        route("DeleteCertificate", "DELETE", "/certificates/{certificateId}", r -> {
            registry.deleteCertificate(r.path().get("certificateId"), r.flag("forceDelete"));
            events.accept("DeleteCertificate " + r.path().get("certificateId")
                    + (r.flag("forceDelete") ? " (forceDelete)" : ""));
            return EMPTY;
        });
        route("ListCertificates", "GET", "/certificates", r -> certificatePage(registry.certificates(), r,
                DOCUMENTED_CERTIFICATE_PAGE_SIZE));
        route("ListCertificatesByCA", "GET", "/certificates-by-ca/{caCertificateId}",
                r -> certificatePage(registry.certificatesByCa(r.path().get("caCertificateId")), r,
                        DEFAULT_PAGE_SIZE));
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
        route("ListAttachedPolicies", "POST", "/attached-policies/{target}",
                r -> policyPage(registry.attachedPolicies(r.path().get("target")), r, false));
        route("GetPolicy", "GET", "/policies/{policyName}", r -> {
            Registry.Policy policy = registry.policy(r.path().get("policyName"));
            return obj().put("policyName", policy.name()).put("policyArn", registry.policyArn(policy.name()))
                    .put("policyDocument", policy.document()).put("defaultVersionId", "1")
                    .put("creationDate", policy.creationDate()).put("lastModifiedDate", policy.creationDate())
                    .put("generationId", "1");
        });
        route("ListPolicies", "GET", "/policies", r -> policyPage(registry.policies(), r, true));
        route("ListTargetsForPolicy", "POST", "/policy-targets/{policyName}",
                r -> page(registry.policyTargets(r.path().get("policyName")), r, "pageSize", "marker",
                        DEFAULT_PAGE_SIZE, "targets", "nextMarker", TextNode::valueOf));
        route("CreateThing", "POST", "/things/{thingName}", this::createThing);
        route("DescribeThing", "GET", "/things/{thingName}", r -> describeThing(r.path().get("thingName")));
        route("UpdateThing", "PATCH", "/things/{thingName}", this::updateThing);
        route("DeleteThing", "DELETE", "/things/{thingName}", r -> {
            String name = r.path().get("thingName");
            boolean existed = registry.findThing(name).isPresent();
            registry.deleteThing(name, parseLong(r.query("expectedVersion")));
            if (existed) {
                events.accept("DeleteThing " + name);
            }
            return EMPTY;
        });
        route("ListThings", "GET", "/things", this::listThings);
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
                r -> page(registry.thingPrincipals(r.path().get("thingName")), r, "maxResults", "nextToken",
                        DEFAULT_PAGE_SIZE, "principals", "nextToken", TextNode::valueOf));
        route("ListPrincipalThings", "GET", "/principals/things",
                r -> page(registry.principalThings(r.headers().first("x-amzn-principal")), r, "maxResults",
                        "nextToken", DEFAULT_PAGE_SIZE, "things", "nextToken", TextNode::valueOf));
        route("DescribeEndpoint", "GET", "/endpoint", r -> {
            String type = r.query("endpointType");
            if (type != null && !ENDPOINT_TYPES.contains(type)) {
                // The message is unconfirmed.
                throw IotException.invalidRequest("Endpoint type " + type + " is not valid: use iot:Data,"
                        + " iot:Data-ATS, iot:CredentialProvider or iot:Jobs");
            }
            // The model has one endpoint: every type answers it (AWS answers a host of its own for each).
            return obj().put("endpointAddress", dataEndpoint);
        });
        route("ListTopicRules", "GET", "/rules", this::listTopicRules);
        route("GetTopicRule", "GET", "/rules/{ruleName}", r -> getTopicRule(r.path().get("ruleName")));
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
        return page(ordered(registry.caCertificates(), r), r, "pageSize", "marker", DOCUMENTED_CERTIFICATE_PAGE_SIZE,
                "certificates", "nextMarker", ca -> obj().put("certificateArn", registry.caCertificateArn(ca.id()))
                        .put("certificateId", ca.id()).put("status", ca.status())
                        .put("creationDate", ca.creationDate()));
    }

    private Object describeCaCertificate(String id) {
        Registry.CaCertificate ca = registry.caCertificate(id);
        X509Certificate x509 = CertificateIds.parsePem(ca.pem());
        ObjectNode description = obj().put("certificateArn", registry.caCertificateArn(ca.id()))
                .put("certificateId", ca.id()).put("status", ca.status()).put("certificatePem", ca.pem())
                .put("ownedBy", registry.account())
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
        ObjectNode description = obj().put("certificateArn", registry.certificateArn(certificate.id()))
                .put("certificateId", certificate.id()).put("caCertificateId", certificate.caCertificateId())
                .put("status", certificate.status())
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

    /** ListCertificates and ListCertificatesByCA: oldest first, newest first with isAscendingOrder=false. */
    private Object certificatePage(List<Registry.Certificate> certificates, Request r, int defaultSize) {
        return page(ordered(certificates, r), r, "pageSize", "marker", defaultSize, "certificates", "nextMarker",
                c -> obj().put("certificateArn", registry.certificateArn(c.id())).put("certificateId", c.id())
                        .put("status", c.status()).put("certificateMode", "DEFAULT")
                        .put("creationDate", c.creationDate()));
    }

    /** ListAttachedPolicies and ListPolicies ({@code ordered}: isAscendingOrder=false lists the newest first). */
    private Object policyPage(List<Registry.Policy> policies, Request r, boolean ordered) {
        return page(ordered ? ordered(policies, r) : policies, r, "pageSize", "marker", DEFAULT_PAGE_SIZE, "policies",
                "nextMarker", p -> obj().put("policyName", p.name()).put("policyArn", registry.policyArn(p.name())));
    }

    /** The items in creation order, reversed when the request has isAscendingOrder=false. */
    private static <T> List<T> ordered(List<T> items, Request r) {
        List<T> list = new ArrayList<>(items);
        if (r.query("isAscendingOrder") != null && !r.flag("isAscendingOrder")) {
            Collections.reverse(list);
        }
        return list;
    }

    private Object createThing(Request r) {
        Map<String, String> attributes = attributes(r);
        if (r.body().hasNonNull("thingTypeName") || r.body().hasNonNull("billingGroupName")) {
            throw IotException.invalidRequest("thing types and billing groups are not supported by the IoT model");
        }
        String name = r.path().get("thingName");
        boolean existed = registry.findThing(name).isPresent();
        Registry.Thing thing = registry.createThing(name, attributes == null ? Map.of() : attributes);
        if (!existed) {
            events.accept("CreateThing " + name);
        }
        return obj().put("thingName", thing.name()).put("thingArn", registry.thingArn(thing.name()))
                .put("thingId", thing.id());
    }

    /** UpdateThing: attributes (merged with attributePayload.merge), expectedVersion; thing types are not modelled. */
    private Object updateThing(Request r) {
        if (r.body().hasNonNull("thingTypeName")) {
            throw IotException.invalidRequest("thing types are not supported by the IoT model");
        }
        String name = r.path().get("thingName");
        JsonNode expected = r.body().get("expectedVersion");
        Registry.Thing thing = registry.updateThing(name, attributes(r),
                r.body().path("attributePayload").path("merge").asBoolean(false),
                expected == null || expected.isNull() ? null : expected.asLong());
        events.accept("UpdateThing " + name + " version " + thing.version() + " attributes " + thing.attributes());
        return EMPTY;
    }

    /** attributePayload.attributes, or null when the request has none. */
    private static Map<String, String> attributes(Request r) {
        JsonNode payload = r.body().path("attributePayload").path("attributes");
        if (!payload.isObject()) {
            return null;
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        payload.fields().forEachRemaining(e -> attributes.put(e.getKey(), e.getValue().asText()));
        return attributes;
    }

    /**
     * ListThings: every thing in creation order; attributeName and attributeValue keep the things whose attribute has
     * that value (a prefix of it with usePrefixAttributeValue; attributeName alone: the things that have the
     * attribute, unconfirmed); thingTypeName keeps none (the model has no thing types).
     */
    private Object listThings(Request r) {
        String name = r.query("attributeName");
        String value = r.query("attributeValue");
        boolean prefix = r.flag("usePrefixAttributeValue");
        List<Registry.Thing> things = r.query("thingTypeName") != null ? List.of() : registry.things().stream()
                .filter(t -> name == null || t.attributes().containsKey(name) && (value == null
                        || (prefix ? t.attributes().get(name).startsWith(value)
                        : t.attributes().get(name).equals(value))))
                .toList();
        return page(things, r, "maxResults", "nextToken", DEFAULT_PAGE_SIZE, "things", "nextToken", t -> {
            ObjectNode thing = obj().put("thingName", t.name()).put("thingArn", registry.thingArn(t.name()))
                    .put("version", t.version());
            thing.set("attributes", json.valueToTree(t.attributes()));
            return thing;
        });
    }

    /** ListTopicRules: topic keeps the rules whose FROM topic is that topic (unconfirmed); ruleDisabled filters. */
    private Object listTopicRules(Request r) {
        String topic = r.query("topic");
        String disabled = r.query("ruleDisabled");
        List<Registry.TopicRule> rules = registry.topicRules().stream()
                .filter(rule -> topic == null || topic.equals(rule.topicPattern()))
                .filter(rule -> disabled == null || rule.disabled() == Boolean.parseBoolean(disabled))
                .toList();
        return page(rules, r, "maxResults", "nextToken", DEFAULT_PAGE_SIZE, "rules", "nextToken", rule -> {
            ObjectNode item = obj().put("ruleArn", registry.topicRuleArn(rule.name())).put("ruleName", rule.name());
            if (rule.topicPattern() != null) {
                item.put("topicPattern", rule.topicPattern());
            }
            return item.put("createdAt", rule.createdAt()).put("ruleDisabled", rule.disabled());
        });
    }

    /**
     * GetTopicRule: the service model's GetTopicRuleResponse, {ruleArn, rule: {ruleName, sql, description, createdAt,
     * actions, errorAction, ruleDisabled, awsIotSqlVersion}}; awsIotSqlVersion defaults to 2015-10-08 (CloudFormation,
     * AWS::IoT::TopicRule TopicRulePayload: "the default is 2015-10-08"), description and errorAction are left out when
     * the rule has none.
     */
    private Object getTopicRule(String name) {
        Registry.TopicRule rule = registry.topicRule(name);
        JsonNode payload;
        try {
            payload = json.readTree(rule.payload());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ObjectNode body = obj().put("ruleName", rule.name()).put("sql", rule.sql());
        if (payload.hasNonNull("description")) {
            body.set("description", payload.get("description"));
        }
        body.put("createdAt", rule.createdAt());
        body.set("actions", payload.has("actions") ? payload.get("actions") : json.createArrayNode());
        if (payload.hasNonNull("errorAction")) {
            body.set("errorAction", payload.get("errorAction"));
        }
        body.put("ruleDisabled", rule.disabled())
                .put("awsIotSqlVersion", payload.path("awsIotSqlVersion").asText("2015-10-08"));
        ObjectNode out = obj().put("ruleArn", registry.topicRuleArn(rule.name()));
        out.set("rule", body);
        return out;
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
     * A page of {@code items}, {@code defaultSize} of them when the request gives no size (its range is the service
     * model's, checked before: {@link InputRules}); the marker is the index of the next item, as a decimal string.
     */
    private <T> ObjectNode page(List<T> items, Request r, String sizeParam, String markerParam, int defaultSize,
            String listField, String nextField, Function<T, JsonNode> render) {
        int size = parseInt(r.query(sizeParam), defaultSize, sizeParam);
        int start = parseInt(r.query(markerParam), 0, markerParam);
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

    private static Long parseLong(String value) {
        return value == null || value.isEmpty() ? null : Long.valueOf(value);
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

    private static String decode(String value) {
        // URLDecoder turns '+' into a space; in a path '+' is literal, and the SDK encodes a space as %20.
        return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
