package dev.iotonboard.lambda.core;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/** The one Jackson mapper of a container, and small helpers around it. */
public final class Json {

    /**
     * Unknown properties are ignored (events gain fields over time); nulls are left out of answers. Jackson's
     * default scalar coercion stays on (IoT timestamps may arrive as numbers or strings); the services validate the
     * shape of every field they use.
     */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    private Json() {
    }

    /** Reads all of {@code input}; the bytes are returned so a malformed event can still be described. */
    public static byte[] readAll(InputStream input) {
        try {
            return input.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the event", e);
        }
    }

    /**
     * Parses {@code bytes} as a {@code type}.
     *
     * @throws MalformedEventException when the bytes are not JSON or do not fit the type
     */
    public static <T> T parse(byte[] bytes, Class<T> type) {
        if (bytes.length == 0) {
            throw new MalformedEventException("the event is empty");
        }
        try {
            T value = MAPPER.readValue(bytes, type);
            if (value == null) {
                throw new MalformedEventException("the event is JSON null");
            }
            return value;
        } catch (IOException e) {
            throw new MalformedEventException("the event is not a JSON " + type.getSimpleName() + ": "
                    + firstLine(e.getMessage()));
        }
    }

    /** Writes {@code value} as JSON to {@code output}. */
    public static void write(OutputStream output, Object value) {
        try {
            MAPPER.writeValue(output, value);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the answer", e);
        }
    }

    /** {@code value} as a JSON string. */
    public static String toJson(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialize " + value.getClass().getName(), e);
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
