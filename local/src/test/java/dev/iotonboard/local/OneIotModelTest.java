package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.TestPki;
import dev.iotonboard.local.iot.control.ControlPlane;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The handler tests' IoT double and the local IoT Core's control plane answer the same requests identically: the
 * same status, the same {@code x-amzn-ErrorType} and the same JSON body (but for the values each registry makes up:
 * thing ids and timestamps). Both serve iot-model's IotApi; this test keeps it so.
 */
class OneIotModelTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Values each registry makes up on its own. */
    private static final Set<String> MADE_UP = Set.of("thingId", "resourceId", "creationDate", "lastModifiedDate");

    private static final TestPki PKI = TestPki.newCa("one-model-ca");
    private static final TestPki.Issued DEVICE = PKI.issueDevice();
    private static final TestPki.Issued OTHER = PKI.issueDevice();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static IotDouble iotDouble;
    private static ControlPlane controlPlane;

    /** One request, sent to both. */
    private record Request(String method, String path, String principal, String body) {
    }

    /** What came back. */
    private record Answer(int status, String errorType, JsonNode body) {
    }

    @BeforeAll
    static void start() throws IOException {
        iotDouble = IotDouble.start();
        seed(iotDouble.registry());
        Registry local = new Registry(IotDouble.REGION, IotDouble.ACCOUNT, null);
        seed(local);
        controlPlane = new ControlPlane(local, 0, "localhost",
                new EventLog(new PrintStream(new ByteArrayOutputStream())));
    }

    @AfterAll
    static void stop() {
        iotDouble.close();
        controlPlane.close();
    }

    /** The same state in both: the CA, two device certificates (one ACTIVE, one pending), two policies. */
    private static void seed(Registry registry) {
        Instant registered = Instant.parse("2026-11-01T00:00:00Z");
        registry.seed().caCertificate(PKI.caCertificate(), "ACTIVE");
        registry.seed().certificate(DEVICE.pem(), PKI.caId(), "ACTIVE", registered);
        registry.seed().certificate(OTHER.pem(), PKI.caId(), "PENDING_ACTIVATION", registered.plusSeconds(1));
        registry.policies().put("jitr", "{\"Statement\":[]}");
        registry.policies().put("app", "{\"Statement\":[]}");
    }

    @Test
    void theDoubleAndTheStandInAnswerEveryRequestIdentically() throws Exception {
        String arn = "arn:aws:iot:" + IotDouble.REGION + ":" + IotDouble.ACCOUNT + ":cert/" + DEVICE.id();
        String unknownArn = arn.replace(DEVICE.id(), "c".repeat(64));
        String thing = "3f2b8c1e-7d4a-4e9b-9c2f-1a2b3c4d5e6f";
        List<Request> requests = List.of(
                new Request("GET", "/certificates/" + DEVICE.id(), null, null),
                new Request("GET", "/certificates/not-an-id", null, null),
                new Request("GET", "/certificates/" + "d".repeat(64), null, null),
                new Request("PUT", "/certificates/" + OTHER.id() + "?newStatus=PENDING_TRANSFER", null, null),
                new Request("PUT", "/certificates/" + OTHER.id() + "?newStatus=ACTIVE", null, null),
                new Request("GET", "/cacertificate/" + PKI.caId(), null, null),
                new Request("GET", "/certificates-by-ca/" + PKI.caId() + "?isAscendingOrder=false&pageSize=1", null,
                        null),
                new Request("GET", "/certificates-by-ca/" + PKI.caId() + "?pageSize=300", null, null),
                new Request("PUT", "/target-policies/app", null, "{\"target\":\"" + unknownArn + "\"}"),
                new Request("PUT", "/target-policies/nope", null, "{\"target\":\"" + arn + "\"}"),
                new Request("PUT", "/target-policies/app", null, "{\"target\":\"" + arn + "\"}"),
                new Request("POST", "/attached-policies/" + URLEncoder.encode(arn, StandardCharsets.UTF_8), null, null),
                new Request("POST", "/target-policies/jitr", null, "{\"target\":\"" + arn + "\"}"),
                new Request("GET", "/things/" + thing, null, null),
                new Request("POST", "/things/" + thing, null, "{}"),
                new Request("POST", "/things/" + thing, null, "{}"),
                new Request("POST", "/things/" + thing, null, "{\"attributePayload\":{\"attributes\":{\"a\":\"b\"}}}"),
                new Request("POST", "/things/bad%2Fname", null, "{}"),
                new Request("PUT", "/things/" + thing + "/principals?thingPrincipalType=EXCLUSIVE_THING", arn, null),
                new Request("GET", "/things/" + thing + "/principals", null, null),
                new Request("GET", "/principals/things", arn, null),
                new Request("GET", "/principals/things", unknownArn, null),
                new Request("PUT", "/things/other-thing/principals", arn, null),
                new Request("DELETE", "/things/" + thing + "/principals", arn, null),
                new Request("GET", "/things/" + thing, null, null),
                new Request("GET", "/things", null, null),
                new Request("PATCH", "/certificates/" + DEVICE.id(), null, null),
                new Request("PUT", "/target-policies/app", null, "not json"));

        List<String> differences = new ArrayList<>();
        for (Request request : requests) {
            Answer fromDouble = send(iotDouble.endpoint().toString(), request);
            Answer fromStandIn = send("http://127.0.0.1:" + controlPlane.port(), request);
            if (!fromDouble.equals(fromStandIn)) {
                differences.add(request + "\n  double:   " + fromDouble + "\n  stand-in: " + fromStandIn);
            }
        }
        assertEquals(List.of(), differences);
    }

    private static Answer send(String endpoint, Request request) throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(endpoint + request.path()))
                .method(request.method(), request.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(request.body()));
        if (request.principal() != null) {
            builder.header("x-amzn-principal", request.principal());
        }
        HttpResponse<String> response = HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        return new Answer(response.statusCode(), response.headers().firstValue("x-amzn-ErrorType").orElse(null),
                withoutMadeUpValues(body));
    }

    private static JsonNode withoutMadeUpValues(JsonNode node) {
        if (node instanceof ObjectNode object) {
            MADE_UP.forEach(object::remove);
            object.forEach(OneIotModelTest::withoutMadeUpValues);
        } else if (node.isArray()) {
            node.forEach(OneIotModelTest::withoutMadeUpValues);
        }
        return node;
    }
}
