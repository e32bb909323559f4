package dev.iotonboard.lambda.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.testing.Dynalite;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.RegistryTable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;

class DynamoDbClientsTest {
    private static final String CERT = "a".repeat(64);

    private HttpServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void endpointOverride_prefersTheDynamoDbVariable_thenTheGeneralOne() {
        assertEquals(Optional.of(URI.create("http://127.0.0.1:4567")), DynamoDbClients.endpointOverride(Env.of(Map.of(
                "AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:4567", "AWS_ENDPOINT_URL_IOT", "http://127.0.0.1:1",
                "AWS_ENDPOINT_URL", "http://127.0.0.1:9999"))));
        assertEquals(Optional.of(URI.create("http://127.0.0.1:9999")),
                DynamoDbClients.endpointOverride(Env.of(Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:9999"))));
        assertEquals(Optional.empty(), DynamoDbClients.endpointOverride(Env.of(Map.of())));
        IllegalStateException bad = assertThrows(IllegalStateException.class, () -> DynamoDbClients.endpointOverride(
                Env.of(Map.of("AWS_ENDPOINT_URL_DYNAMODB", "localhost:4567"))));
        assertTrue(bad.getMessage().contains("AWS_ENDPOINT_URL_DYNAMODB"), bad.getMessage());
    }

    @Test
    void fromEnvironment_andForApiRequests_reachTheOverriddenEndpoint() {
        try (Dynalite dynamo = Dynalite.start(); RegistryTable table = RegistryTable.on(dynamo)) {
            Env env = Env.of(Map.of("AWS_REGION", IotDouble.REGION,
                    "AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint().toString(),
                    "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret"));
            try (DynamoDbClient events = DynamoDbClients.fromEnvironment(env);
                    DynamoDbClient api = DynamoDbClients.forApiRequests(env, List.of())) {
                new DeviceRegistry(events, table.name()).write(CertificateUpdate.of(CERT, Step.ACTIVATED,
                        Instant.ofEpochMilli(1)).status("ACTIVE").build());
                assertEquals("ACTIVE", new DeviceRegistry(api, table.name()).certificate(CERT).orElseThrow().status());
            }
        }
    }

    @Test
    void ifRegistryNamed_buildsAClientOnlyWhenTheTableIsNamed() {
        Env env = Env.of(Map.of("AWS_REGION", IotDouble.REGION, "AWS_ACCESS_KEY_ID", "AKIDTEST",
                "AWS_SECRET_ACCESS_KEY", "secret"));
        assertNull(DynamoDbClients.ifRegistryNamed(env));
        Env named = Env.of(Map.of("AWS_REGION", IotDouble.REGION, "AWS_ACCESS_KEY_ID", "AKIDTEST",
                "AWS_SECRET_ACCESS_KEY", "secret", DeviceRegistry.TABLE_VARIABLE, "registry"));
        try (DynamoDbClient client = DynamoDbClients.ifRegistryNamed(named)) {
            assertNotNull(client);
        }
    }

    @Test
    void throttling_thatOutlastsEveryAttempt_surfacesAsProvisionedThroughputExceeded() throws IOException {
        AtomicInteger requests = answer(400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                + "ProvisionedThroughputExceededException\",\"message\":\"The level of configured provisioned "
                + "throughput for the table was exceeded.\"}", Duration.ZERO);
        try (DynamoDbClient client = RegistryTable.client(endpoint(), IotDouble.fastRetries())) {
            DeviceRegistry registry = new DeviceRegistry(client, "registry");
            assertThrows(ProvisionedThroughputExceededException.class, () -> registry.certificate(CERT));
        }
        assertEquals(8, requests.get(), "every attempt of the event handlers' strategy");
    }

    @Test
    void throttling_thatClears_isRetriedToSuccess() throws IOException {
        AtomicInteger requests = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            boolean throttled = requests.incrementAndGet() < 3;
            byte[] body = (throttled ? "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ThrottlingException\"}"
                    : "{}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.0");
            exchange.sendResponseHeaders(throttled ? 400 : 200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try (DynamoDbClient client = RegistryTable.client(endpoint(), IotDouble.fastRetries())) {
            assertEquals(Optional.empty(), new DeviceRegistry(client, "registry").certificate(CERT));
        }
        assertEquals(3, requests.get());
    }

    @Test
    void apiClient_givesUpOnAHangingEndpointWithinItsBudget() throws IOException {
        answer(200, "{}", Duration.ofSeconds(20));
        Env env = Env.of(Map.of("AWS_REGION", IotDouble.REGION, "AWS_ENDPOINT_URL_DYNAMODB", endpoint().toString(),
                "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret"));
        long start = System.nanoTime();
        try (DynamoDbClient api = DynamoDbClients.forApiRequests(env, List.of())) {
            assertThrows(ApiCallTimeoutException.class,
                    () -> new DeviceRegistry(api, "registry").certificate(CERT));
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(DynamoDbClients.API_CALL_TIMEOUT.plusSeconds(1)) < 0, took.toString());
    }

    @Test
    void apiAuthorizationBudget_isTheCallTimeoutPerRead_andEndsWellBeforeTheAuthorizersTimeout() {
        assertEquals(DynamoDbClients.API_CALL_TIMEOUT.multipliedBy(2), DynamoDbClients.apiAuthorizationBudget());
        assertTrue(DynamoDbClients.apiAuthorizationBudget().compareTo(Duration.ofSeconds(10)) < 0);
        assertTrue(DynamoDbClients.API_CALL_ATTEMPT_TIMEOUT.compareTo(DynamoDbClients.API_CALL_TIMEOUT) < 0);
        assertEquals(3, IotClients.retryStrategy(DynamoDbClients.API_MAX_ATTEMPTS, DynamoDbClients.API_MAX_BACKOFF)
                .maxAttempts());
    }

    private AtomicInteger answer(int status, String body, Duration delay) throws IOException {
        AtomicInteger requests = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            requests.incrementAndGet();
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.0");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        return requests;
    }

    private URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }
}
