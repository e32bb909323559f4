package dev.iotonboard.lambda.reconciler.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Json;
import java.io.IOException;

/**
 * What the reconciler reads of its input, only to log it: any input starts a run (an EventBridge scheduled event,
 * {@code {}}, or not JSON at all).
 *
 * @param bytes the input's length
 * @param id    the scheduled event's {@code id}; null when absent or the input is not a JSON object
 * @param time  the scheduled event's {@code time}; likewise
 */
public record ScheduledEvent(int bytes, String id, String time) {

    /** Reads {@code input}; never fails. */
    public static ScheduledEvent of(byte[] input) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(input);
        } catch (IOException e) {
            node = null;
        }
        return new ScheduledEvent(input.length, field(node, "id"), field(node, "time"));
    }

    private static String field(JsonNode node, String name) {
        JsonNode value = node == null ? null : node.get(name);
        return value == null || !value.isValueNode() ? null : value.asText();
    }
}
