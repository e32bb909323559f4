package dev.iotonboard.local.sqs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The two wire protocols of the SQS service model, for {@link SqsApi}: request parameters read from a JSON body or a
 * query form by their JSON member names, and results and errors written as JSON ({@code application/x-amz-json-1.0},
 * {@code __type}, {@code x-amzn-query-error}) or as the query protocol's XML.
 */
final class SqsWire {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Flattened lists and maps in query answers: JSON member to the XML element of each entry. */
    private static final Map<String, String> XML_ENTRY = Map.of("Messages", "Message", "Attributes", "Attribute",
            "QueueUrls", "QueueUrl");

    private SqsWire() {
    }

    /** The parameters of a JSON-protocol request body. */
    static Params jsonParams(String body) {
        return new JsonParams(parseJson(body));
    }

    /** The parameters of a query-protocol form (the body, or a GET query string). */
    static QueryParams queryParams(String form) {
        return new QueryParams(form(form));
    }

    /** A 200 answer with the action's result, in the request's protocol. */
    static void sendResult(HttpExchange exchange, boolean json, String action, Map<String, Object> result,
            String requestId) throws IOException {
        if (json) {
            sendJson(exchange, 200, requestId, JSON.valueToTree(result), null);
        } else {
            sendXml(exchange, 200, requestId, resultXml(action, result, requestId));
        }
    }

    /** An error answer in the request's protocol: the model's shape (JSON) or its query error code (XML). */
    static void sendError(HttpExchange exchange, boolean json, SqsException e, String requestId) throws IOException {
        if (json) {
            String type = e.shape().contains("#") ? e.shape() : "com.amazonaws.sqs#" + e.shape();
            ObjectNode error = JSON.createObjectNode().put("__type", type)
                    .put("message", e.getMessage());
            sendJson(exchange, e.status(), requestId, error, e.code() + ";Sender");
        } else {
            sendXml(exchange, e.status(), requestId, "<ErrorResponse xmlns=\"" + SqsApi.NAMESPACE + "\"><Error>"
                    + "<Type>Sender</Type><Code>" + escape(e.code()) + "</Code><Message>" + escape(e.getMessage())
                    + "</Message><Detail/></Error><RequestId>" + requestId + "</RequestId></ErrorResponse>");
        }
    }

    /** Request parameters by the JSON member name; {@code queryName} is the entry name of a flattened query list. */
    interface Params {
        String string(String member);

        Integer integer(String member);

        List<String> list(String member, String queryName);

        boolean has(String member);
    }

    record JsonParams(JsonNode body) implements Params {
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

    record QueryParams(Map<String, String> form) implements Params {
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
                .append(SqsApi.NAMESPACE).append("\">");
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
