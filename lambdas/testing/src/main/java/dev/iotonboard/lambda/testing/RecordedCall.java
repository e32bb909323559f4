package dev.iotonboard.lambda.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Json;
import java.io.IOException;
import java.util.Locale;
import java.util.Map;

/** One request as {@link IotDouble} received it, with the HTTP status it answered ({@link IotDouble#calls()}). */
public record RecordedCall(String operation, String method, String path, Map<String, String> query,
        Map<String, String> headers, String body, int status) {

    /** The value of a request header (lower-case name). */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** A field of the JSON body, or null. */
    public String bodyField(String name) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode node = Json.MAPPER.readTree(body).get(name);
            return node == null ? null : node.asText();
        } catch (IOException e) {
            return null;
        }
    }
}
