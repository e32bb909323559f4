package dev.iotonboard.lambda.core;

import com.amazonaws.services.lambda.runtime.Context;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Structured logging as JSON lines on standard output, one object per line, with the key names Powertools for AWS
 * Lambda uses ({@code timestamp}, {@code level}, {@code message}, {@code service}, {@code function_request_id},
 * {@code cold_start}, {@code xray_trace_id}) so CloudWatch Logs Insights queries work the same. lambdas/README.md
 * explains why this instead of Powertools logging (jar size and cold start, measured).
 *
 * <p>Fields are passed as key/value pairs: {@code LOG.info("certificate activated", "certificateId", id)}. Never
 * log whole events or certificates: log ids and reasons.
 *
 * <p>Level: {@code AWS_LAMBDA_LOG_LEVEL} (set by Lambda's advanced logging controls), else {@code INFO}.
 */
public final class JsonLogger {

    /** Log levels, lowest first. */
    public enum Level { DEBUG, INFO, WARN, ERROR }

    private static final String SERVICE = System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_NAME", "local");
    private static volatile Level threshold = parseLevel(System.getenv("AWS_LAMBDA_LOG_LEVEL"));
    private static volatile Consumer<String> sink = System.out::println;
    private static volatile String requestId;
    private static volatile boolean coldStart = true;
    private static volatile boolean firstInvocationSeen;

    private final String logger;

    private JsonLogger(String logger) {
        this.logger = logger;
    }

    /** The logger named after {@code type}. */
    public static JsonLogger get(Class<?> type) {
        return new JsonLogger(type.getSimpleName());
    }

    /**
     * Marks the start of an invocation: later lines carry its request id, and {@code cold_start} is true only for
     * the first invocation of the container.
     */
    public static void startInvocation(Context context) {
        if (firstInvocationSeen) {
            coldStart = false;
        }
        firstInvocationSeen = true;
        requestId = context == null ? null : context.getAwsRequestId();
    }

    /** Redirects the output (tests); {@code null} restores standard output. */
    public static void redirect(Consumer<String> newSink) {
        sink = newSink == null ? System.out::println : newSink;
    }

    /**
     * Writes a line that is already one JSON object (an {@link EmbeddedMetrics} record) to the log output, whatever the
     * level: the same output as the log lines, so tests that collect the log collect it too.
     */
    public static void writeLine(String json) {
        sink.accept(json);
    }

    /** Sets the lowest level written. */
    public static void level(Level level) {
        threshold = level;
    }

    public void debug(String message, Object... fields) {
        log(Level.DEBUG, message, null, fields);
    }

    public void info(String message, Object... fields) {
        log(Level.INFO, message, null, fields);
    }

    public void warn(String message, Object... fields) {
        log(Level.WARN, message, null, fields);
    }

    public void error(String message, Throwable error, Object... fields) {
        log(Level.ERROR, message, error, fields);
    }

    private void log(Level level, String message, Throwable error, Object... fields) {
        if (level.ordinal() < threshold.ordinal()) {
            return;
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("timestamp", Instant.now().toString());
        line.put("level", level.name());
        line.put("message", message);
        line.put("logger", logger);
        line.put("service", SERVICE);
        line.put("cold_start", coldStart);
        if (requestId != null) {
            line.put("function_request_id", requestId);
        }
        String trace = System.getProperty("com.amazonaws.xray.traceHeader");
        if (trace != null) {
            line.put("xray_trace_id", trace);
        }
        for (int i = 0; i + 1 < fields.length; i += 2) {
            line.put(String.valueOf(fields[i]), fields[i + 1]);
        }
        if (error != null) {
            line.put("error", Map.of(
                    "name", error.getClass().getName(),
                    "message", String.valueOf(error.getMessage()),
                    "stack", stackTrace(error)));
        }
        sink.accept(Json.toJson(line));
    }

    private static String stackTrace(Throwable error) {
        StringWriter out = new StringWriter();
        error.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    private static Level parseLevel(String raw) {
        if (raw == null || raw.isBlank()) {
            return Level.INFO;
        }
        String name = raw.trim().toUpperCase(Locale.ROOT);
        return switch (name) {
            case "TRACE", "DEBUG" -> Level.DEBUG;
            case "WARN", "WARNING" -> Level.WARN;
            case "ERROR", "FATAL" -> Level.ERROR;
            default -> Level.INFO;
        };
    }
}
