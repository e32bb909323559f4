package dev.iotonboard.local.lambda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.gateway.Gateway;
import dev.iotonboard.local.iam.IamAuthorizer;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lambda's Invoke action on the control-plane port (protocol rest-json, {@code lambda/2015-03-31/service-2.json}):
 * {@code POST /2015-03-31/functions/{FunctionName}/invocations}, for the AWS CLI ({@code aws lambda invoke}) and SDKs.
 * <ul>
 * <li>{@code X-Amz-Invocation-Type: Event}: queued on the function's asynchronous queue (retries and on-failure
 * destination as for events from topic rules); 202, empty body.</li>
 * <li>{@code RequestResponse} (the default): runs it and answers 200 with the function's answer; a function error is
 * still 200, with {@code X-Amz-Function-Error: Unhandled} and the error document as body.</li>
 * <li>{@code DryRun}: 204 when the function exists.</li>
 * </ul>
 * FunctionName: the function's name, its logical id, or its (partial) ARN, optionally with a qualifier suffix; the
 * {@code Qualifier} query parameter (or suffix) may be {@code $LATEST} or the stack's alias {@code live}
 * (docs/contracts.md "Versions and aliases"). An unknown function or qualifier is 404 ResourceNotFoundException; a
 * payload that is not JSON 400 InvalidRequestContentException; a payload over 256 KiB (Event) or 6 MiB
 * (RequestResponse) 413 RequestTooLargeException; a RequestResponse call to a function whose reserved concurrency is
 * all in use 429 TooManyRequestsException, {@code "Reason":"ReservedFunctionConcurrentInvocationLimitExceeded"}
 * (the runner's {@link LambdaRunner.Throttled}). A call signed with a function's credentials must be allowed
 * {@code lambda:InvokeFunction} on the function's ARN (qualified when a qualifier is given) by the function's role,
 * else 403 AccessDeniedException, before the function is looked up (see {@link #iam}). Errors: header
 * {@code x-amzn-ErrorType}, body {@code {"Type":"User","message"|"Message":...}} as the model's error shapes.
 */
public final class LambdaApi implements Gateway.Handler {

    /** Asynchronous invocation: queues the event, returns its request id. {@code LambdaRunner::invokeAsync}. */
    @FunctionalInterface
    public interface AsyncInvoker {
        String invokeAsync(String logicalId, String payload, String source);
    }

    /** Synchronous invocation: runs the event, returns the answer. {@code LambdaRunner::invoke}. */
    @FunctionalInterface
    public interface SyncInvoker {
        LambdaRunner.Result invoke(String logicalId, String payload);
    }

    static final int MAX_ASYNC_PAYLOAD = 256 * 1024;
    static final int MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
    private static final Set<String> QUALIFIERS = Set.of("$LATEST", "live");
    private static final Pattern ROUTE = Pattern.compile("/2015-03-31/functions/([^/]+)/invocations");
    private static final Pattern ARN = Pattern.compile(
            "(?:arn:aws:lambda:([a-z0-9-]+):)?(\\d{12}):function:([^:]+)(?::([^:]+))?");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String region;
    private final String account;
    /** Function name and logical id, each to the logical id (the runner's key). */
    private final Map<String, String> functions = new LinkedHashMap<>();
    private final Map<String, String> names = new LinkedHashMap<>();
    private final AsyncInvoker async;
    private final SyncInvoker sync;
    private final EventLog log;
    private volatile IamAuthorizer iam;

    /** @param functions the stack's functions; only runnable ones can be invoked */
    public LambdaApi(String region, String account, Collection<StackTemplate.Function> functions, AsyncInvoker async,
            SyncInvoker sync, EventLog log) {
        this.region = region;
        this.account = account;
        for (StackTemplate.Function function : functions) {
            if (function.runnable()) {
                this.functions.put(function.logicalId(), function.logicalId());
                this.functions.put(function.name(), function.logicalId());
                names.put(function.logicalId(), function.name());
            }
        }
        this.async = async;
        this.sync = sync;
        this.log = log;
    }

    /**
     * Holds calls signed with a function's credentials to the function's role; without it (IAM off) no one is
     * restricted.
     */
    public void iam(IamAuthorizer iam) {
        this.iam = iam;
    }

    @Override
    public boolean handle(HttpExchange exchange) throws IOException {
        Matcher route = ROUTE.matcher(exchange.getRequestURI().getRawPath());
        if (!route.matches()) {
            return false;
        }
        byte[] payload = exchange.getRequestBody().readAllBytes();
        String requestId = UUID.randomUUID().toString();
        exchange.getResponseHeaders().set("x-amzn-RequestId", requestId);
        if (!exchange.getRequestMethod().equals("POST")) {
            sendError(exchange, 405, "MethodNotAllowedException", "message", "use POST for Invoke", null);
            return true;
        }
        String functionName = URLDecoder.decode(route.group(1), StandardCharsets.UTF_8);
        String qualifier = queryParameter(exchange, "Qualifier");
        String type = Optional.ofNullable(exchange.getRequestHeaders().getFirst("X-Amz-Invocation-Type"))
                .orElse("RequestResponse");
        try {
            Target target = target(functionName, qualifier);
            authorize(exchange.getRequestHeaders().getFirst("Authorization"), target);
            String logicalId = logicalId(target);
            String text = new String(payload, StandardCharsets.UTF_8);
            switch (type) {
                case "Event" -> {
                    check(payload.length, MAX_ASYNC_PAYLOAD);
                    String json = json(text);
                    String id = async.invokeAsync(logicalId, json, "lambda:Invoke");
                    log.event("lambda-api", "Invoke Event " + logicalId + " -> " + id);
                    send(exchange, 202, new byte[0]);
                }
                case "RequestResponse" -> {
                    check(payload.length, MAX_SYNC_PAYLOAD);
                    LambdaRunner.Result result;
                    try {
                        result = sync.invoke(logicalId, json(text));
                    } catch (LambdaRunner.Throttled e) {
                        throw new InvokeError(429, "TooManyRequestsException", "message", e.getMessage(),
                                LambdaRunner.Throttled.REASON);
                    }
                    log.event("lambda-api", "Invoke RequestResponse " + logicalId + (result.error() ? " ERROR" : ""));
                    exchange.getResponseHeaders().set("X-Amz-Executed-Version", "$LATEST");
                    exchange.getResponseHeaders().set("Content-Type", "application/json");
                    if (result.error()) {
                        exchange.getResponseHeaders().set("X-Amz-Function-Error", "Unhandled");
                    }
                    send(exchange, 200, result.body() == null ? new byte[0]
                            : result.body().getBytes(StandardCharsets.UTF_8));
                }
                case "DryRun" -> send(exchange, 204, new byte[0]);
                default -> throw new InvokeError(400, "InvalidParameterValueException", "message",
                        "1 validation error detected: Value '" + type + "' at 'invocationType' failed to satisfy"
                                + " constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]");
            }
        } catch (InvokeError e) {
            log.event("lambda-api", "Invoke " + functionName + " -> " + e.type + ": " + e.getMessage());
            sendError(exchange, e.status, e.type, e.messageMember, e.getMessage(), e.reason);
        }
        return true;
    }

    /** The function and qualifier a request names. */
    private record Target(String name, String qualifier) {
    }

    /** The function named by FunctionName (name, logical id or ARN) and the qualifier (parameter or suffix). */
    private Target target(String functionName, String qualifierParameter) {
        String name = functionName;
        String qualifier = qualifierParameter;
        Matcher arn = ARN.matcher(functionName);
        if (arn.matches()) {
            boolean here = (arn.group(1) == null || arn.group(1).equals(region)) && arn.group(2).equals(account);
            if (!here) {
                throw notFound(functionName, qualifier);
            }
            name = arn.group(3);
            if (arn.group(4) != null) {
                if (qualifier != null && !qualifier.equals(arn.group(4))) {
                    throw new InvokeError(400, "InvalidParameterValueException", "message", "The derived qualifier"
                            + " from the function name does not match the specified qualifier.");
                }
                qualifier = arn.group(4);
            }
        } else if (functionName.contains(":")) {
            int colon = functionName.indexOf(':');
            name = functionName.substring(0, colon);
            qualifier = functionName.substring(colon + 1);
        }
        return new Target(name, qualifier);
    }

    /**
     * IAM before the function is looked up: a function's credentials need {@code lambda:InvokeFunction} on the ARN
     * the request names, qualified when it names a qualifier (Lambda developer guide, "Fine-tuning the Resources and
     * Conditions sections of policies": an unqualified ARN in a policy does not cover a version or an alias).
     */
    private void authorize(String authorization, Target target) {
        IamAuthorizer authorizer = iam;
        if (authorizer == null) {
            return;
        }
        String physical = names.getOrDefault(functions.get(target.name()), target.name());
        String resource = "arn:aws:lambda:" + region + ":" + account + ":function:" + physical
                + (target.qualifier() == null ? "" : ":" + target.qualifier());
        authorizer.denial(IamAuthorizer.accessKeyId(authorization), "lambda:InvokeFunction", resource)
                .ifPresent(denial -> {
                    throw new InvokeError(403, "AccessDeniedException", "Message", denial);
                });
    }

    /** The runner's key of the function, or 404 for an unknown function or qualifier. */
    private String logicalId(Target target) {
        String logicalId = functions.get(target.name());
        if (logicalId == null || target.qualifier() != null && !QUALIFIERS.contains(target.qualifier())) {
            throw notFound(target.name(), target.qualifier());
        }
        return logicalId;
    }

    private InvokeError notFound(String name, String qualifier) {
        String physical = names.getOrDefault(functions.get(name), name);
        return new InvokeError(404, "ResourceNotFoundException", "Message", "Function not found: arn:aws:lambda:"
                + region + ":" + account + ":function:" + physical + (qualifier == null ? "" : ":" + qualifier));
    }

    private static void check(int size, int limit) {
        if (size > limit) {
            throw new InvokeError(413, "RequestTooLargeException", "message", size + " byte payload is too large for"
                    + " this invocation type (" + limit + " bytes)");
        }
    }

    /** The payload as the function receives it; an empty payload is an empty JSON object. */
    private static String json(String payload) {
        if (payload.isBlank()) {
            return "{}";
        }
        try {
            JSON.readTree(payload);
            return payload;
        } catch (JsonProcessingException e) {
            throw new InvokeError(400, "InvalidRequestContentException", "message",
                    "Could not parse request body into json: " + e.getOriginalMessage());
        }
    }

    private static String queryParameter(HttpExchange exchange, String name) {
        String query = exchange.getRequestURI().getRawQuery();
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static final class InvokeError extends RuntimeException {
        final int status;
        final String type;
        final String messageMember;
        /** The throttle's {@code Reason} member, or null. */
        final String reason;

        InvokeError(int status, String type, String messageMember, String message) {
            this(status, type, messageMember, message, null);
        }

        InvokeError(int status, String type, String messageMember, String message, String reason) {
            super(message);
            this.status = status;
            this.type = type;
            this.messageMember = messageMember;
            this.reason = reason;
        }
    }

    private static void sendError(HttpExchange exchange, int status, String type, String messageMember,
            String message, String reason) throws IOException {
        exchange.getResponseHeaders().set("x-amzn-ErrorType", type);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        ObjectNode body = JSON.createObjectNode().put("Type", "User").put(messageMember, message);
        if (reason != null) {
            body.put("Reason", reason);
        }
        send(exchange, status, JSON.writeValueAsBytes(body));
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        if (body.length == 0) {
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
