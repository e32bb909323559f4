package dev.iotonboard.local.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The REST API of the stack, read from the template: {@code AWS::ApiGateway::Resource} (path tree),
 * {@code AWS::ApiGateway::Method} (Lambda proxy integrations), {@code AWS::ApiGateway::Authorizer} (REQUEST
 * authorizers; integrations and authorizers may invoke a function's alias or version, which runs that function), the
 * stage name, and the mutual TLS truststore PEM taken from the {@code Custom::AWS} S3 PutObject that uploads it (the
 * one the domain's {@code TruststoreVersion} points at).
 */
public record ApiDefinition(String apiId, String stage, List<Route> routes, String truststorePem,
        String truststoreResource) {

    /**
     * One method: {@code path} like {@code /sample} or {@code /things/{id}}; {@code function} and
     * {@code authorizerFunction} (null without one) are logical ids, {@code functionArn} and {@code authorizerArn} the
     * ARNs the integration and the authorizer ({@code authorizerId}) name, qualified or not.
     */
    public record Route(String method, String path, String resourceId, String function, String authorizerFunction,
            String authorizationType, String functionArn, String authorizerId, String authorizerArn) {
    }

    /** A matched route with its path parameters. */
    public record Match(Route route, Map<String, String> pathParameters) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The function ARN in an integration or authorizer URI, possibly qualified by an alias or version. */
    private static final Pattern FUNCTION_IN_URI = Pattern.compile(
            ":lambda:path/2015-03-31/functions/(arn:[^:/]+:lambda:[^:/]+:[^:/]+:function:[^/:]+(?::[^/]+)?)/invocations$");

    /** Reads the API; empty when the stack has no REST API. Errors name the resource. */
    public static Optional<ApiDefinition> from(StackTemplate stack) {
        List<String> apis = stack.resourcesOfType("AWS::ApiGateway::RestApi");
        if (apis.isEmpty()) {
            return Optional.empty();
        }
        if (apis.size() > 1) {
            throw new IllegalArgumentException("the local API stand-in serves one AWS::ApiGateway::RestApi, found "
                    + apis);
        }
        String apiId = apis.get(0);
        Map<String, String[]> resources = new HashMap<>(); // id -> {parentId, pathPart}
        for (String id : stack.resourcesOfType("AWS::ApiGateway::Resource")) {
            JsonNode p = stack.resolvedProperties(id);
            resources.put(id, new String[] {p.path("ParentId").asText(), p.path("PathPart").asText()});
        }
        Map<String, String> authorizers = new HashMap<>(); // id -> function logical id
        Map<String, String> authorizerArns = new HashMap<>(); // id -> the ARN its URI names
        for (String id : stack.resourcesOfType("AWS::ApiGateway::Authorizer")) {
            JsonNode p = stack.resolvedProperties(id);
            String type = p.path("Type").asText();
            if (!type.equals("REQUEST")) {
                throw new IllegalArgumentException(id + " (AWS::ApiGateway::Authorizer): type " + type
                        + " is not supported by the local API stand-in (REQUEST only)");
            }
            authorizers.put(id, functionOf(stack, p.path("AuthorizerUri").asText(), id));
            authorizerArns.put(id, arnOf(p.path("AuthorizerUri").asText()));
        }
        List<Route> routes = new ArrayList<>();
        for (String id : stack.resourcesOfType("AWS::ApiGateway::Method")) {
            JsonNode p = stack.resolvedProperties(id);
            String method = p.path("HttpMethod").asText().toUpperCase(java.util.Locale.ROOT);
            String resourceId = p.path("ResourceId").asText();
            String path = path(resourceId, resources, id);
            JsonNode integration = p.path("Integration");
            String integrationType = integration.path("Type").asText();
            if (method.equals("OPTIONS") && !integrationType.equals("AWS_PROXY")) {
                continue; // CORS mock integrations are not served
            }
            if (!integrationType.equals("AWS_PROXY")) {
                throw new IllegalArgumentException(id + " (AWS::ApiGateway::Method): integration type "
                        + integrationType + " is not supported by the local API stand-in (AWS_PROXY only)");
            }
            String function = functionOf(stack, integration.path("Uri").asText(), id);
            String authorizationType = p.path("AuthorizationType").asText("NONE");
            String authorizer = null;
            String authorizerId = null;
            if (authorizationType.equals("CUSTOM")) {
                authorizerId = p.path("AuthorizerId").asText();
                authorizer = authorizers.get(authorizerId);
                if (authorizer == null) {
                    throw new IllegalArgumentException(id + " (AWS::ApiGateway::Method): unknown authorizer "
                            + authorizerId);
                }
            } else if (!authorizationType.equals("NONE")) {
                throw new IllegalArgumentException(id + " (AWS::ApiGateway::Method): authorization type "
                        + authorizationType + " is not supported by the local API stand-in (CUSTOM or NONE)");
            }
            routes.add(new Route(method, path, resourceId, function, authorizer, authorizationType,
                    arnOf(integration.path("Uri").asText()), authorizerId, authorizerArns.get(authorizerId)));
        }
        String stage = stack.resourcesOfType("AWS::ApiGateway::Stage").stream()
                .map(s -> stack.resolvedProperties(s).path("StageName").asText()).filter(s -> !s.isEmpty())
                .findFirst().orElse("prod");
        String[] truststore = truststore(stack);
        return Optional.of(new ApiDefinition(apiId, stage, List.copyOf(routes), truststore[1], truststore[0]));
    }

    private static String path(String resourceId, Map<String, String[]> resources, String context) {
        StringBuilder path = new StringBuilder();
        String current = resourceId;
        for (int depth = 0; depth < 64; depth++) {
            String[] resource = resources.get(current);
            if (resource == null) {
                if (current.endsWith(".RootResourceId")) {
                    return path.length() == 0 ? "/" : path.toString();
                }
                throw new IllegalArgumentException(context + " (AWS::ApiGateway::Method): unknown resource " + current);
            }
            path.insert(0, "/" + resource[1]);
            current = resource[0];
        }
        throw new IllegalArgumentException(context + ": resource tree too deep or cyclic");
    }

    /** The function ARN an integration or authorizer URI names, or null when it names none. */
    private static String arnOf(String uri) {
        Matcher m = FUNCTION_IN_URI.matcher(uri);
        return m.find() ? m.group(1) : null;
    }

    private static String functionOf(StackTemplate stack, String uri, String context) {
        String arn = arnOf(uri);
        if (arn == null) {
            throw new IllegalArgumentException(context + ": integration URI is not a Lambda function: " + uri);
        }
        return stack.functionByArn(arn).map(StackTemplate.Function::logicalId)
                .orElseThrow(() -> new IllegalArgumentException(context + ": no function, alias or version "
                        + arn + " in the stack (integration URI " + uri + ")"));
    }

    /** {logical id, PEM} of the truststore upload. */
    private static String[] truststore(StackTemplate stack) {
        List<String> candidates = new ArrayList<>();
        for (String domain : stack.resourcesOfType("AWS::ApiGateway::DomainName")) {
            String version = stack.resolvedProperties(domain).path("MutualTlsAuthentication")
                    .path("TruststoreVersion").asText();
            Matcher m = Pattern.compile("^local:Custom::AWS:([^.]+)\\.").matcher(version);
            if (m.find()) {
                candidates.add(m.group(1));
            }
        }
        if (candidates.isEmpty()) {
            candidates.addAll(stack.resourcesOfType("Custom::AWS"));
        }
        List<String> tried = new ArrayList<>();
        for (String id : candidates) {
            tried.add(id);
            JsonNode p = stack.resolvedProperties(id);
            for (String phase : List.of("Create", "Update")) {
                JsonNode call = p.path(phase);
                try {
                    JsonNode parsed = call.isTextual() ? JSON.readTree(call.asText()) : call;
                    if (parsed.path("service").asText().equals("S3")
                            && parsed.path("action").asText().equals("PutObject")) {
                        String body = parsed.path("parameters").path("Body").asText();
                        if (body.contains("-----BEGIN CERTIFICATE-----")) {
                            return new String[] {id, body};
                        }
                    }
                } catch (IOException e) {
                    // not JSON: not the upload
                }
            }
        }
        throw new IllegalArgumentException("the API truststore cannot be found: no Custom::AWS S3 PutObject with a PEM"
                + " Body" + (tried.isEmpty() ? " in the template" : " in " + tried)
                + " (the mutual TLS truststore upload the domain's TruststoreVersion points at)");
    }

    /** The route for a method and path, or empty (API Gateway: 403 Missing Authentication Token). */
    public Optional<Match> match(String method, String path) {
        String[] requested = split(path);
        for (Route route : routes) {
            if (!route.method().equals(method) && !route.method().equals("ANY")) {
                continue;
            }
            String[] pattern = split(route.path());
            if (pattern.length != requested.length) {
                continue;
            }
            Map<String, String> parameters = new LinkedHashMap<>();
            boolean ok = true;
            for (int i = 0; i < pattern.length && ok; i++) {
                if (pattern[i].startsWith("{") && pattern[i].endsWith("}")) {
                    parameters.put(pattern[i].substring(1, pattern[i].length() - 1), requested[i]);
                } else {
                    ok = pattern[i].equals(requested[i]);
                }
            }
            if (ok) {
                return Optional.of(new Match(route, parameters));
            }
        }
        return Optional.empty();
    }

    private static String[] split(String path) {
        String trimmed = path.replaceAll("^/+|/+$", "");
        return trimmed.isEmpty() ? new String[0] : trimmed.split("/+");
    }
}
