package dev.iotonboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The difference of two {@code /_local/stats} snapshots: counters (calls, throttled, faults, invocations, errors,
 * drops, crashes) are subtracted; gauges (queued, pendingAsync) keep the later value. So the report counts only the
 * measured devices, not the warm-up or the CA registration.
 */
final class StatsDelta {
    private static final Set<String> GAUGES = Set.of("queued", "pendingAsync", "quotasEnabled");

    private StatsDelta() {
    }

    static JsonNode between(JsonNode before, JsonNode after) {
        return subtract(before == null ? JsonNodeFactory.instance.objectNode() : before, after);
    }

    /** The sum of two differences: counters added, gauges the later one's (for a pass measured in batches). */
    static JsonNode plus(JsonNode earlier, JsonNode later) {
        if (!later.isObject()) {
            return later;
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        earlier.fields().forEachRemaining(field -> out.set(field.getKey(), field.getValue()));
        for (Iterator<Map.Entry<String, JsonNode>> it = later.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode value = field.getValue();
            JsonNode old = earlier.path(field.getKey());
            if (value.isObject()) {
                out.set(field.getKey(), plus(old.isObject() ? old : JsonNodeFactory.instance.objectNode(), value));
            } else if (value.isIntegralNumber() && !GAUGES.contains(field.getKey())) {
                out.put(field.getKey(), value.asLong() + old.asLong(0));
            } else {
                out.set(field.getKey(), value);
            }
        }
        return out;
    }

    private static JsonNode subtract(JsonNode before, JsonNode after) {
        if (!after.isObject()) {
            return after;
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = after.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode value = field.getValue();
            JsonNode old = before.path(field.getKey());
            if (value.isObject()) {
                out.set(field.getKey(), subtract(old.isObject() ? old : JsonNodeFactory.instance.objectNode(), value));
            } else if (value.isIntegralNumber() && !GAUGES.contains(field.getKey())) {
                out.put(field.getKey(), value.asLong() - old.asLong(0));
            } else {
                out.set(field.getKey(), value);
            }
        }
        return out;
    }
}
