package dev.iotonboard.local.aws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.gateway.Gateway;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * Queue URLs are {@code <endpoint>/<account>/<queue name>}. Signatures are not checked.
 */
public final class SqsApi implements Gateway.Handler {
    static final String NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/";
    private static final String TARGET_PREFIX = "AmazonSQS.";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Flattened lists and maps in query answers: JSON member to the XML element of each entry. */
    private static final Map<String, String> XML_ENTRY = Map.of("Messages", "Message", "Attributes", "Attribute",
            "QueueUrls", "QueueUrl");

    private final SqsQueues queues;
    private final String endpoint;
    private final EventLog log;

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
                params = new JsonParams(parseJson(body));
            } else {
                QueryParams form = new QueryParams(form(exchange.getRequestMethod().equals("GET") ? rawQuery : body));
                action = form.string("Action");
                if (action == null) {
                    throw new SqsException("MissingAction", "MissingAction", 400, "The request must contain the"
                            + " parameter Action.");
                }
                params = form;
            }
            Map<String, Object> result = call(action, params, exchange.getRequestURI().getPath());
            if (json) {
                sendJson(exchange, 200, requestId, JSON.valueToTree(result), null);
            } else {
                sendXml(exchange, 200, requestId, resultXml(action, result, requestId));
            }
        } catch (SqsException e) {
            log.event("sqs", (action == null ? "?" : action) + " -> " + e.code() + ": " + e.getMessage());
            if (json) {
                ObjectNode error = JSON.createObjectNode().put("__type", "com.amazonaws.sqs#" + e.shape())
                        .put("message", e.getMessage());
                sendJson(exchange, e.status(), requestId, error, e.code() + ";Sender");
            } else {
                sendXml(exchange, e.status(), requestId, "<ErrorResponse xmlns=\"" + NAMESPACE + "\"><Error>"
                        + "<Type>Sender</Type><Code>" + escape(e.code()) + "</Code><Message>" + escape(e.getMessage())
                        + "</Message><Detail/></Error><RequestId>" + requestId + "</RequestId></ErrorResponse>");
            }
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

    /** The queue named by the QueueUrl parameter (else by the request path, where some clients send it). */
    private String queueName(Params params, String requestPath) {
        String url = params.string("QueueUrl");
        String path;
        if (url != null) {
            try {
                path = new URI(url).getPath();
            } catch (URISyntaxException e) {
                throw SqsException.queueDoesNotExist();
            }
        } else if (requestPath.length() > 1) {
            path = requestPath;
        } else {
            throw SqsException.missingParameter("QueueUrl");
        }
        String[] segments = path == null ? new String[0] : path.split("/");
        if (segments.length != 3 || !segments[1].equals(queues.account()) || !queues.exists(segments[2])) {
            throw SqsException.queueDoesNotExist();
        }
        return segments[2];
    }

    private static String required(Params params, String member) {
        String value = params.string(member);
        if (value == null) {
            throw SqsException.missingParameter(member);
        }
        return value;
    }

    /** Request parameters by the JSON member name; {@code queryName} is the entry name of a flattened query list. */
    private interface Params {
        String string(String member);

        Integer integer(String member);

        List<String> list(String member, String queryName);

        boolean has(String member);
    }

    private record JsonParams(JsonNode body) implements Params {
        @Override
        public String string(String member) {
            JsonNode node = body.get(member);
            return node == null || node.isNull() ? null : node.asText();
        }

        @Override
        public Integer integer(String member) {
            JsonNode node = body.get(member);
            if (node == null || node.isNull()) {
                return null;
            }
            if (!node.canConvertToInt() || !node.isIntegralNumber()) {
                throw SqsException.invalidParameter("Value " + node + " for parameter " + member
                        + " is invalid. Reason: must be an integer.");
            }
            return node.asInt();
        }

        @Override
        public List<String> list(String member, String queryName) {
            List<String> values = new ArrayList<>();
            body.path(member).forEach(v -> values.add(v.asText()));
            return values;
        }

        @Override
        public boolean has(String member) {
            return body.has(member);
        }
    }

    private record QueryParams(Map<String, String> form) implements Params {
        @Override
        public String string(String member) {
            return form.get(member);
        }

        @Override
        public Integer integer(String member) {
            String value = form.get(member);
            if (value == null) {
                return null;
            }
            try {
                return Integer.valueOf(value);
            } catch (NumberFormatException e) {
                throw SqsException.invalidParameter("Value " + value + " for parameter " + member
                        + " is invalid. Reason: must be an integer.");
            }
        }

        @Override
        public List<String> list(String member, String queryName) {
            Map<Integer, String> entries = new TreeMap<>();
            form.forEach((key, value) -> {
                if (key.startsWith(queryName + ".") && key.substring(queryName.length() + 1).matches("[1-9][0-9]*")) {
                    entries.put(Integer.valueOf(key.substring(queryName.length() + 1)), value);
                }
            });
            return List.copyOf(entries.values());
        }

        @Override
        public boolean has(String member) {
            String entry = switch (member) {
                case "MessageAttributes" -> "MessageAttribute.";
                case "MessageSystemAttributes" -> "MessageSystemAttribute.";
                default -> member;
            };
            return form.keySet().stream().anyMatch(k -> k.equals(entry) || k.startsWith(entry));
        }
    }

    private static JsonNode parseJson(String body) {
        if (body.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject()) {
                throw new SqsException("SerializationException", "MalformedQueryString", 400,
                        "the request body is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new SqsException("SerializationException", "MalformedQueryString", 400,
                    "the request body is not JSON: " + e.getOriginalMessage());
        }
    }

    private static Map<String, String> form(String text) {
        Map<String, String> values = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) {
            return values;
        }
        for (String pair : text.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            values.put(key, value);
        }
        return values;
    }

    private static String resultXml(String action, Map<String, Object> result, String requestId) {
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?><").append(action).append("Response xmlns=\"")
                .append(NAMESPACE).append("\">");
        if (!action.equals("DeleteMessage") && !action.equals("PurgeQueue")
                && !action.equals("ChangeMessageVisibility")) {
            xml.append('<').append(action).append("Result>");
            appendMembers(xml, result);
            xml.append("</").append(action).append("Result>");
        }
        xml.append("<ResponseMetadata><RequestId>").append(requestId).append("</RequestId></ResponseMetadata></")
                .append(action).append("Response>");
        return xml.toString();
    }

    @SuppressWarnings("unchecked")
    private static void appendMembers(StringBuilder xml, Map<String, ?> members) {
        members.forEach((name, value) -> {
            String entry = XML_ENTRY.getOrDefault(name, name);
            if (value instanceof List<?> list) {
                for (Object item : list) {
                    xml.append('<').append(entry).append('>');
                    if (item instanceof Map<?, ?> structure) {
                        appendMembers(xml, (Map<String, ?>) structure);
                    } else {
                        xml.append(escape(String.valueOf(item)));
                    }
                    xml.append("</").append(entry).append('>');
                }
            } else if (value instanceof Map<?, ?> map) {
                map.forEach((k, v) -> xml.append('<').append(entry).append("><Name>").append(escape(k.toString()))
                        .append("</Name><Value>").append(escape(v.toString())).append("</Value></").append(entry)
                        .append('>'));
            } else {
                xml.append('<').append(name).append('>').append(escape(String.valueOf(value))).append("</")
                        .append(name).append('>');
            }
        });
    }

    /** XML text: the markup characters, and CR, which an XML parser would otherwise turn into LF. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\r' -> out.append("&#xD;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static void sendJson(HttpExchange exchange, int status, String requestId, JsonNode body,
            String queryError) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.0");
        if (queryError != null) {
            exchange.getResponseHeaders().set("x-amzn-query-error", queryError);
        }
        send(exchange, status, requestId, JSON.writeValueAsBytes(body));
    }

    private static void sendXml(HttpExchange exchange, int status, String requestId, String xml) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/xml");
        send(exchange, status, requestId, xml.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, String requestId, byte[] bytes) throws IOException {
        exchange.getResponseHeaders().set("x-amzn-RequestId", requestId);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
