package dev.iotonboard.local.iot.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.iot.model.IotApi;
import dev.iotonboard.iot.model.Registry;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * CloudTrail's requestParameters of the IoT calls the registry's sync rule listens to, and of a body member: each
 * input member under its service-model name, wherever the request carried it, booleans from the query as booleans.
 */
class RequestParametersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ID = "a".repeat(64);
    private static final String ARN = "arn:aws:iot:us-east-1:000000000000:cert/" + ID;

    private final IotApi api = new IotApi(new Registry("us-east-1", "000000000000", null), "localhost", line -> { });

    private JsonNode parameters(String method, String path, String query, Map<String, String> headers, String body)
            throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        IotApi.Call call = api.resolve(method, path, query, name -> headers.entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).findFirst().orElse(null),
                bytes);
        return RequestParameters.of(call, bytes);
    }

    @Test
    void theSyncRulesOperations_andABodyMember() throws Exception {
        assertEquals(JSON.readTree("{\"certificateId\":\"" + ID + "\",\"newStatus\":\"REVOKED\"}"),
                parameters("PUT", "/certificates/" + ID, "newStatus=REVOKED", Map.of(), ""));
        assertEquals(JSON.readTree("{\"certificateId\":\"" + ID + "\",\"forceDelete\":true}"),
                parameters("DELETE", "/certificates/" + ID, "forceDelete=true", Map.of(), ""));
        assertEquals(JSON.readTree("{\"thingName\":\"t1\",\"principal\":\"" + ARN + "\"}"),
                parameters("DELETE", "/things/t1/principals", null, Map.of("x-amzn-principal", ARN), ""));
        assertEquals(JSON.readTree("{\"certificateId\":\"" + ID + "\",\"newStatus\":\"INACTIVE\","
                + "\"newAutoRegistrationStatus\":\"DISABLE\"}"), parameters("PUT", "/cacertificate/" + ID,
                        "newStatus=INACTIVE&newAutoRegistrationStatus=DISABLE", Map.of(), ""));
        assertEquals(JSON.readTree("{\"policyName\":\"p\",\"target\":\"" + ARN + "\"}"),
                parameters("PUT", "/target-policies/p", null, Map.of(), "{\"target\":\"" + ARN + "\"}"));
    }

    @Test
    void anErrorsMessage_isItsBodysMessage() {
        assertEquals("Rate exceeded", RequestParameters.message("{\"message\":\"Rate exceeded\"}"
                .getBytes(StandardCharsets.UTF_8)));
        assertEquals(null, RequestParameters.message(new byte[0]));
    }
}
