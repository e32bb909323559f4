package dev.iotonboard.local.sqs;

import com.sun.net.httpserver.HttpExchange;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.gateway.Gateway;
import dev.iotonboard.local.iam.IamAuthorizer;
import dev.iotonboard.local.sqs.SqsWire.Params;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQS API over HTTP on the control-plane port, for the AWS CLI and SDKs ({@code --endpoint-url}): GetQueueUrl,
 * ListQueues, SendMessage, ReceiveMessage, DeleteMessage, ChangeMessageVisibility, GetQueueAttributes, PurgeQueue, in
 * both wire protocols of the SQS service model ({@code sqs/2012-11-05/service-2.json}):
 * <ul>
 * <li>JSON (protocol {@code json}, newer botocore/CLI v1 and the SDK for Java 2.x): {@code POST /},
 * {@code X-Amz-Target: AmazonSQS.<Action>}, {@code application/x-amz-json-1.0}; errors are
 * {@code {"__type":"com.amazonaws.sqs#<Shape>","message":...}} with {@code x-amzn-query-error: <code>;Sender}
 * (the model is {@code awsQueryCompatible}).</li>
 * <li>Query (protocol {@code query}, e.g. AWS CLI v2.9): form-encoded {@code Action=<Action>&...} (or a GET query
 * string), XML answers in the {@code http://queue.amazonaws.com/doc/2012-11-05/} namespace; errors are
 * {@code <ErrorResponse><Error><Type>Sender</Type><Code>...}.</li>
 * </ul>
 * Queue URLs are {@code <endpoint>/<account>/<queue name>}. Signatures are not checked. A call signed with a
 * function's credentials must be allowed {@code sqs:<action>} on the queue's ARN ({@code *} for ListQueues) by the
 * function's role, else 403 AccessDenied (see {@link #iam}). The actions run on
 * {@link SqsQueues}; reading and writing each protocol is {@link SqsWire}'s.
 */
public final class SqsApi implements Gateway.Handler {
    static final String NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/";
    private static final String TARGET_PREFIX = "AmazonSQS.";

    private final SqsQueues queues;
    private final String endpoint;
    private final EventLog log;
    private volatile IamAuthorizer iam;

    /** @param endpoint the control plane's URL, e.g. {@code http://127.0.0.1:4566}: the base of the queue URLs */
    public SqsApi(SqsQueues queues, String endpoint, EventLog log) {
        this.queues = queues;
        this.endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        this.log = log;
    }

    /** The URL of a queue, as GetQueueUrl answers it. */
    public String queueUrl(String name) {
        return endpoint + "/" + queues.account() + "/" + name;
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
        String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
        String contentType = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type"));
        String rawQuery = exchange.getRequestURI().getRawQuery();
        boolean json = target != null && target.startsWith(TARGET_PREFIX);
        boolean query = !json && (contentType.startsWith("application/x-www-form-urlencoded")
                || exchange.getRequestMethod().equals("GET") && rawQuery != null && rawQuery.contains("Action="));
        if (!json && !query) {
            return false;
        }
        String requestId = UUID.randomUUID().toString();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String action = json ? target.substring(TARGET_PREFIX.length()) : null;
        try {
            Params params;
            if (json) {
                params = SqsWire.jsonParams(body);
            } else {
                SqsWire.QueryParams form = SqsWire.queryParams(exchange.getRequestMethod().equals("GET") ? rawQuery
                        : body);
                action = form.string("Action");
                if (action == null) {
                    throw new SqsException("MissingAction", "MissingAction", 400, "The request must contain the"
                            + " parameter Action.");
                }
                params = form;
            }
            authorize(exchange.getRequestHeaders().getFirst("Authorization"), action, params,
                    exchange.getRequestURI().getPath());
            Map<String, Object> result = call(action, params, exchange.getRequestURI().getPath());
            SqsWire.sendResult(exchange, json, action, result, requestId);
        } catch (SqsException e) {
            log.event("sqs", (action == null ? "?" : action) + " -> " + e.code() + ": " + e.getMessage());
            SqsWire.sendError(exchange, json, e, requestId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.close();
        }
        return true;
    }

    private Map<String, Object> call(String action, Params params, String path) throws InterruptedException {
        Map<String, Object> result = new LinkedHashMap<>();
        switch (action) {
            case "GetQueueUrl" -> {
                String name = required(params, "QueueName");
                String owner = params.string("QueueOwnerAWSAccountId");
                if (!queues.exists(name) || owner != null && !owner.equals(queues.account())) {
                    throw SqsException.queueDoesNotExist();
                }
                result.put("QueueUrl", queueUrl(name));
            }
            case "ListQueues" -> {
                String prefix = params.string("QueueNamePrefix");
                List<String> urls = queues.names().stream().filter(n -> prefix == null || n.startsWith(prefix))
                        .map(this::queueUrl).toList();
                if (!urls.isEmpty()) {
                    result.put("QueueUrls", urls);
                }
            }
            case "SendMessage" -> {
                String name = queueName(params, path);
                for (String unsupported : List.of("MessageAttributes", "MessageSystemAttributes", "MessageGroupId",
                        "MessageDeduplicationId")) {
                    if (params.has(unsupported)) {
                        throw SqsException.unsupported(unsupported + " is not supported by the local SQS stand-in"
                                + " (standard queues without message attributes only)");
                    }
                }
                String body = required(params, "MessageBody");
                Integer delay = params.integer("DelaySeconds");
                String id = queues.send(name, body, delay == null ? 0 : delay);
                result.put("MD5OfMessageBody", SqsQueues.md5(body));
                result.put("MessageId", id);
                log.event("sqs", "SendMessage " + name + " " + id);
            }
            case "ReceiveMessage" -> {
                String name = queueName(params, path);
                Integer max = params.integer("MaxNumberOfMessages");
                Integer wait = params.integer("WaitTimeSeconds");
                List<String> attributes = new ArrayList<>(params.list("AttributeNames", "AttributeName"));
                attributes.addAll(params.list("MessageSystemAttributeNames", "MessageSystemAttributeName"));
                List<Map<String, Object>> messages = new ArrayList<>();
                for (SqsQueues.Received m : queues.receive(name, max == null ? 1 : max,
                        params.integer("VisibilityTimeout"), wait == null ? 0 : wait, attributes)) {
                    Map<String, Object> message = new LinkedHashMap<>();
                    message.put("MessageId", m.messageId());
                    message.put("ReceiptHandle", m.receiptHandle());
                    message.put("MD5OfBody", m.md5OfBody());
                    message.put("Body", m.body());
                    if (!m.attributes().isEmpty()) {
                        message.put("Attributes", m.attributes());
                    }
                    messages.add(message);
                }
                if (!messages.isEmpty()) {
                    result.put("Messages", messages);
                    log.event("sqs", "ReceiveMessage " + name + ": " + messages.size() + " message(s)");
                }
            }
            case "DeleteMessage" -> {
                String name = queueName(params, path);
                queues.delete(name, required(params, "ReceiptHandle"));
                log.event("sqs", "DeleteMessage " + name);
            }
            case "ChangeMessageVisibility" -> {
                String name = queueName(params, path);
                Integer timeout = params.integer("VisibilityTimeout");
                if (timeout == null) {
                    throw SqsException.missingParameter("VisibilityTimeout");
                }
                queues.changeVisibility(name, required(params, "ReceiptHandle"), timeout);
                log.event("sqs", "ChangeMessageVisibility " + name + " " + timeout + " s");
            }
            case "GetQueueAttributes" -> {
                String name = queueName(params, path);
                Map<String, String> attributes = queues.attributes(name, params.list("AttributeNames",
                        "AttributeName"));
                if (!attributes.isEmpty()) {
                    result.put("Attributes", attributes);
                }
            }
            case "PurgeQueue" -> {
                String name = queueName(params, path);
                queues.purge(name);
                log.event("sqs", "PurgeQueue " + name);
            }
            default -> throw new SqsException("UnknownOperationException", "InvalidAction", 400, "The action "
                    + action + " is not valid for this endpoint (the local SQS stand-in serves GetQueueUrl, ListQueues,"
                    + " SendMessage, ReceiveMessage, DeleteMessage, ChangeMessageVisibility, GetQueueAttributes,"
                    + " PurgeQueue).");
        }
        return result;
    }

    /**
     * IAM before the queue is looked up: a function's credentials need {@code sqs:<action>} (lower case, as SQS words
     * its denials: "not authorized to perform: sqs:sendmessage on resource: arn:aws:sqs:...") on the queue the request
     * names, {@code *} for ListQueues. A request naming no queue of this account is left to the action's own error.
     */
    private void authorize(String authorization, String action, Params params, String requestPath) {
        IamAuthorizer authorizer = iam;
        if (authorizer == null) {
            return;
        }
        Optional<String> resource = switch (action) {
            case "ListQueues" -> Optional.of("*");
            case "GetQueueUrl" -> Optional.ofNullable(params.string("QueueName")).map(queues::arnFor);
            default -> namedQueue(params, requestPath).map(queues::arnFor);
        };
        resource.flatMap(arn -> authorizer.denial(IamAuthorizer.accessKeyId(authorization), "sqs:"
                + action.toLowerCase(Locale.ROOT), arn)).ifPresent(denial -> {
                    throw SqsException.accessDenied(denial);
                });
    }

    /** The queue named by the QueueUrl parameter (else by the request path, where some clients send it). */
    private String queueName(Params params, String requestPath) {
        if (params.string("QueueUrl") == null && requestPath.length() <= 1) {
            throw SqsException.missingParameter("QueueUrl");
        }
        return namedQueue(params, requestPath).filter(queues::exists).orElseThrow(SqsException::queueDoesNotExist);
    }

    /** The name of the queue of this account a request's QueueUrl (or path) names, whether it exists or not. */
    private Optional<String> namedQueue(Params params, String requestPath) {
        String url = params.string("QueueUrl");
        String path;
        if (url != null) {
            try {
                path = new URI(url).getPath();
            } catch (URISyntaxException e) {
                return Optional.empty();
            }
        } else {
            path = requestPath;
        }
        String[] segments = path == null ? new String[0] : path.split("/");
        if (segments.length != 3 || !segments[1].equals(queues.account())) {
            return Optional.empty();
        }
        return Optional.of(segments[2]);
    }

    private static String required(Params params, String member) {
        String value = params.string(member);
        if (value == null) {
            throw SqsException.missingParameter(member);
        }
        return value;
    }
}
