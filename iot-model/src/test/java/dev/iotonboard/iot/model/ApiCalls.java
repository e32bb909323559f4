package dev.iotonboard.iot.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** Requests to an {@link IotApi} over a fresh registry, without a transport, on a clock standing still or the test's. */
final class ApiCalls {
    static final String REGION = "eu-west-1";
    static final String ACCOUNT = "123456789012";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An answer with its body parsed. */
    record Answer(int status, String errorType, JsonNode body) {
        String message() {
            return body.path("message").asText(null);
        }
    }

    /** The registry's time, standing still (propagating detachments are tested in lambda-testing, on the double). */
    static final Instant NOW = Instant.parse("2026-11-01T00:00:00Z");

    final Registry registry;
    final IotApi api;

    /** On a clock standing still at {@link #NOW}. */
    ApiCalls() {
        this(Clock.fixed(NOW, ZoneOffset.UTC));
    }

    ApiCalls(Clock clock) {
        registry = new Registry(REGION, ACCOUNT, null, clock);
        api = new IotApi(registry, "iot.test", line -> { });
    }

    /** {@code pathAndQuery} as the client sends it (encoded); {@code principal} the x-amzn-principal header or null. */
    Answer send(String method, String pathAndQuery, String principal, String body) {
        int q = pathAndQuery.indexOf('?');
        IotApi.Call call = api.resolve(method, q < 0 ? pathAndQuery : pathAndQuery.substring(0, q),
                q < 0 ? null : pathAndQuery.substring(q + 1),
                name -> name.equalsIgnoreCase("x-amzn-principal") ? principal : null,
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8));
        IotApi.Response response = call.invoke();
        try {
            return new Answer(response.status(), response.errorType(), JSON.readTree(response.body()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Answer send(String method, String pathAndQuery) {
        return send(method, pathAndQuery, null, null);
    }

    String arn(String service, String resource) {
        return "arn:aws:" + service + ":" + REGION + ":" + ACCOUNT + ":" + resource;
    }
}
