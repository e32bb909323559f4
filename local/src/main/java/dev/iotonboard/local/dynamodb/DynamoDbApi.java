package dev.iotonboard.local.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.sun.net.httpserver.HttpExchange;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.gateway.Gateway;
import dev.iotonboard.local.iam.IamAuthorizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * DynamoDB's JSON protocol on the control-plane port ({@code POST /}, {@code X-Amz-Target: DynamoDB_20120810.<Op>}),
 * where the functions' SDK clients ({@code AWS_ENDPOINT_URL_DYNAMODB}) and the AWS CLI ({@code --endpoint-url}) send it.
 * A request signed with a function's credentials is first held to the function role's IAM policies
 * ({@link DynamoDbAuthorization} says on what); denied, it never reaches the engine and is answered as DynamoDB
 * answers: HTTP 400, {@code {"__type":"com.amazon.coral.service#AccessDeniedException","Message":"User: ... is not
 * authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:...:table/... because no identity-based
 * policy allows the dynamodb:PutItem action"}} (the shape DynamoDB returned in sebdah/dynamic-dynamodb#321; the
 * message as IAM words it, e.g. aws-samples/aws-serverless-workshop-innovator-island#97). Everything else is proxied
 * to dynalite and its answer (status, body, {@code x-amzn-RequestId}, {@code x-amz-crc32}) returned unchanged.
 * Without an engine (the stack has no table) a DynamoDB request is answered 400 ResourceNotFoundException.
 */
public final class DynamoDbApi implements Gateway.Handler {

    /** The X-Amz-Target prefix of DynamoDB's API version 2012-08-10. */
    public static final String TARGET_PREFIX = "DynamoDB_20120810.";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FORWARDED = List.of("Content-Type", "X-Amz-Target", "X-Amz-Date",
            "Authorization", "X-Amz-Security-Token");
    private static final List<String> RETURNED = List.of("Content-Type", "x-amzn-RequestId", "x-amz-crc32");

    private final URI engine;
    private final DynamoDbAuthorization authorization;
    private final EventLog log;
    private volatile IamAuthorizer iam;
    private volatile Faults faults = Faults.none();

    /** @param engine dynalite's endpoint, or null when the stack has no table (and no dynalite runs) */
    public DynamoDbApi(URI engine, String region, String account, EventLog log) {
        this.engine = engine;
        this.authorization = new DynamoDbAuthorization(region, account);
        this.log = log;
    }

    /** The injected failures of DynamoDB calls ({@code DynamoDB.GetItem:every=1:throttle}); none by default. */
    public void faults(Faults faults) {
        this.faults = faults;
    }

    /** Who authorizes the requests signed with a function's credentials; without one IAM is not checked. */
    public void iam(IamAuthorizer iam) {
        this.iam = iam;
    }

    @Override
    public boolean handle(HttpExchange exchange) throws IOException {
        String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
        if (!exchange.getRequestMethod().equals("POST") || target == null || !target.startsWith(TARGET_PREFIX)) {
            return false;
        }
        String operation = target.substring(TARGET_PREFIX.length());
        byte[] body = exchange.getRequestBody().readAllBytes();
        if (engine == null) {
            answerError(exchange, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message",
                    "Requested resource not found: the stack has no AWS::DynamoDB::Table, so the local IoT Core runs"
                            + " no DynamoDB");
            return true;
        }
        Optional<String> denial = denial(exchange.getRequestHeaders().getFirst("Authorization"), operation, body);
        if (denial.isPresent()) {
            log.event("dynamodb", "AccessDeniedException: " + denial.get());
            answerError(exchange, "com.amazon.coral.service#AccessDeniedException", "Message", denial.get());
            return true;
        }
        Optional<Faults.Kind> failure = faults.failureKind(Faults.DYNAMODB + operation);
        if (failure.isPresent()) {
            log.event("dynamodb", operation + " failed by an injected fault (" + failure.get() + ")");
            if (failure.get() == Faults.Kind.THROTTLE) {
                answerError(exchange, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                        "message", "The level of configured provisioned throughput for the table was exceeded."
                                + " (injected)");
            } else {
                answerError(exchange, "com.amazonaws.dynamodb.v20120810#InternalServerError", "message",
                        "Internal server error (injected)");
            }
            return true;
        }
        proxy(exchange, body);
        return true;
    }

    private Optional<String> denial(String authorizationHeader, String operation, byte[] body) {
        IamAuthorizer authorizer = iam;
        String accessKeyId = IamAuthorizer.accessKeyId(authorizationHeader);
        if (authorizer == null || accessKeyId == null) {
            return Optional.empty();
        }
        JsonNode json;
        try {
            json = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (IOException e) {
            json = null;
        }
        if (json == null || !json.isObject()) {
            return Optional.empty(); // dynalite answers the SerializationException
        }
        for (DynamoDbAuthorization.Check check : authorization.checks(operation, json)) {
            Optional<String> denial = authorizer.denial(accessKeyId, check.action(), check.resource());
            if (denial.isPresent()) {
                return denial;
            }
        }
        return Optional.empty();
    }

    /**
     * Sends the request to dynalite and returns its answer unchanged. A blocking {@link HttpURLConnection} on the
     * gateway's thread, kept alive between requests: the function waiting for this answer is on the API's critical
     * path, and {@code java.net.http.HttpClient} hands each exchange between its selector and executor threads.
     */
    private void proxy(HttpExchange exchange, byte[] body) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) engine.toURL().openConnection();
        byte[] out;
        int status;
        try {
            connection.setConnectTimeout(5_000);
            connection.setReadTimeout(60_000);
            connection.setRequestMethod("POST");
            connection.setDoOutput(true);
            connection.setFixedLengthStreamingMode(body.length);
            for (String header : FORWARDED) {
                String value = exchange.getRequestHeaders().getFirst(header);
                if (value != null) {
                    connection.setRequestProperty(header, value);
                }
            }
            try (OutputStream request = connection.getOutputStream()) {
                request.write(body);
            }
            status = connection.getResponseCode();
            try (InputStream answer = status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
                out = answer == null ? new byte[0] : answer.readAllBytes();
            }
        } catch (IOException e) {
            connection.disconnect();
            log.event("dynamodb", "dynalite did not answer: " + e);
            answerError(exchange, "com.amazonaws.dynamodb.v20120810#InternalServerError", "message",
                    "the local DynamoDB engine (dynalite) did not answer: " + e.getMessage());
            return;
        }
        for (String header : RETURNED) {
            String value = connection.getHeaderField(header);
            if (value != null) {
                exchange.getResponseHeaders().set(header, value);
            }
        }
        exchange.sendResponseHeaders(status, out.length == 0 ? -1 : out.length);
        try (OutputStream stream = exchange.getResponseBody()) {
            stream.write(out);
        }
    }

    /** DynamoDB's error shape: HTTP 400 (500 for InternalServerError), {@code {"__type": ..., <messageKey>: ...}}. */
    private static void answerError(HttpExchange exchange, String type, String messageKey, String message)
            throws IOException {
        byte[] out = JSON.writeValueAsBytes(JsonNodeFactory.instance.objectNode().put("__type", type)
                .put(messageKey, message));
        exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.0");
        exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
        exchange.sendResponseHeaders(type.endsWith("#InternalServerError") ? 500 : 400, out.length);
        try (OutputStream stream = exchange.getResponseBody()) {
            stream.write(out);
        }
    }
}
