package dev.iotonboard.lambda.core;

import com.amazonaws.services.lambda.runtime.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.lambda.powertools.logging.PowertoolsLogging;
import software.amazon.lambda.powertools.logging.argument.StructuredArguments;

/**
 * Benchmark variant of lambda-core's {@code JsonLogger}, same API: each line goes to SLF4J, bound to log4j2 with
 * Powertools' JSON layout (log4j2.xml); fields are Powertools structured arguments; {@link #startInvocation} is
 * Powertools' functional {@code initializeLogging(context)}. EMF lines ({@link #writeLine}) go to standard output,
 * as Powertools metrics writes them.
 */
public final class JsonLogger {

    /** Log levels, lowest first. */
    public enum Level { DEBUG, INFO, WARN, ERROR }

    private static volatile Consumer<String> sink = System.out::println;

    private final Logger logger;

    private JsonLogger(Class<?> type) {
        this.logger = LoggerFactory.getLogger(type);
    }

    public static JsonLogger get(Class<?> type) {
        return new JsonLogger(type);
    }

    public static void startInvocation(Context context) {
        if (context != null) {
            PowertoolsLogging.initializeLogging(context);
        }
    }

    /** Redirects the EMF lines (tests); {@code null} restores standard output. */
    public static void redirect(Consumer<String> newSink) {
        sink = newSink == null ? System.out::println : newSink;
    }

    public static void writeLine(String json) {
        sink.accept(json);
    }

    /** Levels come from log4j2.xml here. */
    public static void level(Level level) {
    }

    public void debug(String message, Object... fields) {
        logger.debug(message, arguments(fields, null));
    }

    public void info(String message, Object... fields) {
        logger.info(message, arguments(fields, null));
    }

    public void warn(String message, Object... fields) {
        logger.warn(message, arguments(fields, null));
    }

    public void error(String message, Throwable error, Object... fields) {
        logger.error(message, arguments(fields, error));
    }

    private static Object[] arguments(Object[] fields, Throwable error) {
        List<Object> arguments = new ArrayList<>();
        for (int i = 0; i + 1 < fields.length; i += 2) {
            arguments.add(StructuredArguments.entry(String.valueOf(fields[i]), fields[i + 1]));
        }
        if (error != null) {
            arguments.add(error);
        }
        return arguments.toArray();
    }
}
