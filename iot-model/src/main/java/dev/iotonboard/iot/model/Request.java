package dev.iotonboard.iot.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/** One request to {@link IotApi}: path parameters (decoded), query parameters, headers, JSON body. */
record Request(String method, String rawPath, Map<String, String> path, Map<String, String> query,
        IotApi.Headers headers, JsonNode body) {

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

    /**
     * A top input member's value as it came, by the service model's location ({@code uri}, {@code querystring},
     * {@code header} or {@code body}) and wire name: a text node for a path, query or header value, the body's member.
     */
    JsonNode input(String location, String wireName) {
        return switch (location) {
            case "uri" -> InputRules.text(path.get(wireName));
            case "querystring" -> InputRules.text(query(wireName));
            case "header" -> InputRules.text(headers.first(wireName));
            default -> body.get(wireName);
        };
    }
}
