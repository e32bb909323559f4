package dev.iotonboard.lambda.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.testing.Fixtures;
import dev.iotonboard.lambda.testing.Handlers;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SampleHandlerTest {

    private final SampleHandler handler = new SampleHandler();

    private static JsonNode body(JsonNode answer) throws Exception {
        return Json.MAPPER.readTree(answer.get("body").asText());
    }

    @Test
    void sample_answersGoodWithTheThingNameFromTheAuthorizerContext() throws Exception {
        String thing = "3f2b8c1e-7d4a-4e9b-9c2f-1a2b3c4d5e6f";

        JsonNode answer = Handlers.invoke(handler, Fixtures.event("sample.json", Map.of("thingName", thing)));

        assertEquals(200, answer.get("statusCode").asInt());
        assertEquals("application/json", answer.get("headers").get("Content-Type").asText());
        assertEquals(false, answer.get("isBase64Encoded").asBoolean());
        assertEquals(Json.MAPPER.readTree("{\"message\":\"Good.\",\"thingName\":\"" + thing + "\"}"), body(answer));
    }

    @Test
    void sample_isForbiddenWithoutAuthorizerContext() throws Exception {
        JsonNode answer = Handlers.invoke(handler, Fixtures.event("sample-no-authorizer.json", Map.of()));

        assertEquals(403, answer.get("statusCode").asInt());
        assertEquals("Forbidden", body(answer).get("message").asText());
    }

    @Test
    void sample_answersBadRequestToAnEventThatIsNotJson() throws Exception {
        JsonNode answer = Handlers.invoke(handler, Fixtures.event("not-json.txt", Map.of()));

        assertEquals(400, answer.get("statusCode").asInt());
    }

    @Test
    void prime_makesNoAwsCall_andLeavesTheHandlerWorking() throws Exception {
        assertEquals(0, handler.prime());

        JsonNode answer = Handlers.invoke(handler, Fixtures.event("sample.json", Map.of("thingName", "t")));

        assertEquals("t", body(answer).get("thingName").asText());
    }
}
