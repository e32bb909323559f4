package dev.iotonboard.lambda.testing;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;

/**
 * Runs one handler once in a fresh JVM, like a Lambda cold start: {@code java -cp <function jar>:<core test-jar>
 * dev.iotonboard.lambda.testing.HandlerMain <handler class>} with the event on standard input. The handler is
 * built with its public no-arg constructor (configuration from the environment). The answer goes to standard
 * output, and the last standard-error line is {@code init_ms=<JVM start to handler built> total_ms=<JVM start to
 * answer>}.
 */
public final class HandlerMain {

    private HandlerMain() {
    }

    public static void main(String[] args) throws Exception {
        byte[] event = System.in.readAllBytes();
        RequestStreamHandler handler = (RequestStreamHandler) Class.forName(args[0]).getConstructor().newInstance();
        long init = ManagementFactory.getRuntimeMXBean().getUptime();
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        handler.handleRequest(new java.io.ByteArrayInputStream(event), answer, new TestContext());
        long total = ManagementFactory.getRuntimeMXBean().getUptime();
        System.out.write(answer.toByteArray());
        System.out.flush();
        System.err.println("init_ms=" + init + " total_ms=" + total);
    }
}
