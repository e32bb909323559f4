package dev.iotonboard.lambda.api.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.iotonboard.lambda.core.Json;
import java.util.Map;

/** The answer of a REST API Lambda proxy integration. */
public record ProxyResponse(int statusCode, Map<String, String> headers, String body,
        @JsonProperty("isBase64Encoded") boolean isBase64Encoded) {

    /** A JSON answer. */
    public static ProxyResponse json(int statusCode, Object body) {
        return new ProxyResponse(statusCode, Map.of("Content-Type", "application/json"), Json.toJson(body), false);
    }
}
