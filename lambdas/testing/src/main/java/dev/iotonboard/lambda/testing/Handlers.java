package dev.iotonboard.lambda.testing;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Invokes a stream handler the way the Lambda runtime does: event bytes in, answer bytes out. */
public final class Handlers {

    private Handlers() {
    }

    /** The handler's answer to {@code event}, parsed as JSON. */
    public static JsonNode invoke(RequestStreamHandler handler, String event) {
        return invoke(handler, event, new TestContext());
    }

    /** The handler's answer to {@code event} under {@code context}, parsed as JSON. */
    public static JsonNode invoke(RequestStreamHandler handler, String event, Context context) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            handler.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, context);
            return Json.MAPPER.readTree(out.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
