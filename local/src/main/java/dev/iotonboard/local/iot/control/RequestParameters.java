package dev.iotonboard.local.iot.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.iot.model.InputRules;
import dev.iotonboard.iot.model.IotApi;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A call's requestParameters as CloudTrail records them for AWS IoT: each top input member the request carries, under
 * its service-model name wherever the request put it (path, query, header or body): UpdateCertificate
 * {@code {"certificateId": ..., "newStatus": ...}}, DetachThingPrincipal {@code {"thingName": ..., "principal": ...}}
 * (the {@code x-amzn-principal} header). Booleans and numbers given in the path or query are recorded as JSON
 * booleans and numbers. Source: the AWS IoT Developer Guide's CloudTrail log entry example (AttachPrincipalPolicy,
 * {@code "requestParameters":{"principal":...,"policyName":...}}); the same rule for every other operation is an
 * assumption (**unconfirmed**).
 */
final class RequestParameters {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, List<InputRules.Member>> TOP = InputRules.standard().members().stream()
            .filter(m -> !m.path().contains(".") && !m.path().contains("[") && !m.path().contains("{"))
            .collect(Collectors.groupingBy(InputRules.Member::operation));

    private RequestParameters() {
    }

    static ObjectNode of(IotApi.Call call, byte[] body) {
        ObjectNode parameters = JsonNodeFactory.instance.objectNode();
        JsonNode json = parse(body);
        for (InputRules.Member member : TOP.getOrDefault(call.operation(), List.of())) {
            if (member.location().equals("body")) {
                JsonNode value = json.get(member.wireName());
                if (value != null && !value.isNull()) {
                    parameters.set(member.path(), value);
                }
                continue;
            }
            String value = call.member(member.location(), member.wireName());
            if (value != null) {
                parameters.set(member.path(), typed(member.type(), value));
            }
        }
        return parameters;
    }

    /** The {@code message} of an IoT error body, or null. */
    static String message(byte[] body) {
        JsonNode message = parse(body).get("message");
        return message == null ? null : message.asText();
    }

    private static JsonNode typed(String type, String value) {
        try {
            return switch (type) {
                case "boolean" -> JsonNodeFactory.instance.booleanNode(Boolean.parseBoolean(value));
                case "integer", "long" -> JsonNodeFactory.instance.numberNode(Long.parseLong(value));
                default -> JsonNodeFactory.instance.textNode(value);
            };
        } catch (NumberFormatException e) {
            return JsonNodeFactory.instance.textNode(value);
        }
    }

    private static JsonNode parse(byte[] body) {
        try {
            JsonNode json = body == null || body.length == 0 ? null : JSON.readTree(body);
            return json == null || !json.isObject() ? JsonNodeFactory.instance.objectNode() : json;
        } catch (IOException e) {
            return JsonNodeFactory.instance.objectNode();
        }
    }
}
