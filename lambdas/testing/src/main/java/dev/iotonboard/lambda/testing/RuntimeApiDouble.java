package dev.iotonboard.lambda.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * A double of the Lambda Runtime API (the HTTP interface between a runtime and Lambda), serving one event, so tests
 * can run a function jar under the real runtime interface client ({@code com.amazonaws.services.lambda.runtime.api
 * .client.AWSLambda}) as Lambda and the local tool do. Routes: {@code GET /2018-06-01/runtime/invocation/next},
 * {@code POST …/invocation/<id>/response}, {@code POST …/invocation/<id>/error}, {@code POST …/init/error}.
 */
public final class RuntimeApiDouble implements AutoCloseable {

    /** What the runtime reported: the answer, or an error (invocation or init). */
    public record Result(boolean error, String body) {
    }

    public static final String REQUEST_ID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

    private final HttpServer server;
    private final String event;
    private final CompletableFuture<Result> result = new CompletableFuture<>();
    private final CountDownLatch served = new CountDownLatch(1);

    private RuntimeApiDouble(String event) throws IOException {
        this.event = event;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread thread = new Thread(r, "runtime-api-double");
            thread.setDaemon(true);
            return thread;
        }));
        server.start();
    }

    /** Starts a double that hands out {@code event} once. */
    public static RuntimeApiDouble serving(String event) {
        try {
            return new RuntimeApiDouble(event);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code host:port}, the value of {@code AWS_LAMBDA_RUNTIME_API}. */
    public String address() {
        return server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    /** Completes when the runtime posts the answer or an error. */
    public CompletableFuture<Result> result() {
        return result;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (exchange.getRequestMethod().equals("GET") && path.endsWith("/runtime/invocation/next")) {
                if (served.getCount() == 0) {
                    // A second "next": the runtime waits for work, as on Lambda; the test ends the process.
                    try {
                        result.join();
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return;
                }
                served.countDown();
                byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Lambda-Runtime-Aws-Request-Id", REQUEST_ID);
                exchange.getResponseHeaders().set("Lambda-Runtime-Deadline-Ms",
                        Long.toString(System.currentTimeMillis() + 30_000));
                exchange.getResponseHeaders().set("Lambda-Runtime-Invoked-Function-Arn",
                        "arn:aws:lambda:" + IotDouble.REGION + ":" + IotDouble.ACCOUNT + ":function:test");
                exchange.getResponseHeaders().set("Lambda-Runtime-Trace-Id",
                        "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1");
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
                return;
            }
            if (exchange.getRequestMethod().equals("POST") && path.endsWith("/response")) {
                result.complete(new Result(false, body));
            } else if (exchange.getRequestMethod().equals("POST") && path.endsWith("/error")) {
                result.complete(new Result(true, body));
            }
            exchange.sendResponseHeaders(202, -1);
        }
    }
}
