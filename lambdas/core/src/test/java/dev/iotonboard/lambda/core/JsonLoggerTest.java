package dev.iotonboard.lambda.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JsonLoggerTest {

    private final List<String> lines = new ArrayList<>();

    @AfterEach
    void restore() {
        JsonLogger.redirect(null);
        JsonLogger.level(JsonLogger.Level.INFO);
    }

    @Test
    void info_writesOneJsonObjectPerLineWithFields() throws Exception {
        JsonLogger.redirect(lines::add);
        JsonLogger.get(JsonLoggerTest.class).info("certificate activated", "certificateId", "abc", "attempt", 2);
        assertEquals(1, lines.size());
        assertFalse(lines.get(0).contains("\n"));
        JsonNode line = Json.MAPPER.readTree(lines.get(0));
        assertEquals("INFO", line.get("level").asText());
        assertEquals("certificate activated", line.get("message").asText());
        assertEquals("abc", line.get("certificateId").asText());
        assertEquals(2, line.get("attempt").asInt());
        assertEquals("JsonLoggerTest", line.get("logger").asText());
        assertTrue(line.has("timestamp"));
    }

    @Test
    void error_includesTheExceptionOnOneLine() throws Exception {
        JsonLogger.redirect(lines::add);
        JsonLogger.get(JsonLoggerTest.class).error("boom", new IllegalStateException("bad\nthing"));
        JsonNode line = Json.MAPPER.readTree(lines.get(0));
        assertEquals("java.lang.IllegalStateException", line.get("error").get("name").asText());
        assertEquals("bad\nthing", line.get("error").get("message").asText());
        assertEquals(1, lines.size());
    }

    @Test
    void level_dropsLinesBelowTheThreshold() {
        JsonLogger.redirect(lines::add);
        JsonLogger.level(JsonLogger.Level.WARN);
        JsonLogger log = JsonLogger.get(JsonLoggerTest.class);
        log.info("dropped");
        log.warn("kept");
        assertEquals(1, lines.size());
        assertTrue(lines.get(0).contains("\"kept\""));
    }
}
