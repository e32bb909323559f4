package dev.iotonboard.iot.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** What the operations of {@link IotApi} share to build their answers: JSON objects, pages, order, numbers. */
final class RestJson {

    static final ObjectMapper JSON = new ObjectMapper();
    /** The answer of an operation whose output has no members: {@code {}}. */
    static final Object EMPTY = new Object();
    /**
     * The page size when a request gives none, where AWS documents none (the service model's greatest page size).
     * ListCertificates and ListCACertificates document 25 (API reference: "The results are paginated with a default
     * page size of 25").
     */
    static final int DEFAULT_PAGE_SIZE = 250;
    static final int DOCUMENTED_CERTIFICATE_PAGE_SIZE = 25;

    private RestJson() {
    }

    static ObjectNode obj() {
        return JSON.createObjectNode();
    }

    /**
     * A page of {@code items}, {@code defaultSize} of them when the request gives no size (its range is the service
     * model's, checked before: {@link InputRules}); the marker is the index of the next item, as a decimal string.
     */
    static <T> ObjectNode page(List<T> items, Request r, String sizeParam, String markerParam, int defaultSize,
            String listField, String nextField, Function<T, JsonNode> render) {
        int size = parseInt(r.query(sizeParam), defaultSize, sizeParam);
        int start = parseInt(r.query(markerParam), 0, markerParam);
        if (start < 0) {
            throw IotException.invalidRequest(markerParam + " is not a marker this API gave: " + start);
        }
        ArrayNode list = JSON.createArrayNode();
        int end = Math.min(items.size(), start + size);
        for (int i = start; i < end; i++) {
            list.add(render.apply(items.get(i)));
        }
        ObjectNode out = obj();
        out.set(listField, list);
        if (end < items.size()) {
            out.put(nextField, Integer.toString(end));
        }
        return out;
    }

    /** The items in creation order, reversed when the request has isAscendingOrder=false. */
    static <T> List<T> ordered(List<T> items, Request r) {
        List<T> list = new ArrayList<>(items);
        if (r.query("isAscendingOrder") != null && !r.flag("isAscendingOrder")) {
            Collections.reverse(list);
        }
        return list;
    }

    /** A JSON object of strings as a map (in its order), or null when {@code node} is not an object. */
    static Map<String, String> stringMap(JsonNode node) {
        if (node == null || !node.isObject()) {
            return null;
        }
        Map<String, String> map = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }

    /** A body member's text, or null when absent or JSON null. */
    static String text(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? null : node.asText();
    }

    /**
     * InvalidRequestException for a member the model does not keep ({@code what}: its name), when the request gives
     * it: the model refuses what it would otherwise drop.
     */
    static void refuse(JsonNode member, String what) {
        if (member != null && !member.isNull() && !member.isMissingNode() && !(member.isContainerNode()
                && member.isEmpty())) {
            throw IotException.invalidRequest(what + " is not supported by the IoT model");
        }
    }

    static Long parseLong(String value) {
        return value == null || value.isEmpty() ? null : Long.valueOf(value);
    }

    private static int parseInt(String value, int fallback, String name) {
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw IotException.invalidRequest(name + " is not a number: " + value);
        }
    }
}
