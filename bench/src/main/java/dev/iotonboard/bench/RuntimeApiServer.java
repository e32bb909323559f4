package dev.iotonboard.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;

/**
 * A Lambda Runtime API endpoint serving one event and recording, on {@link System#nanoTime()}, when the runtime first
 * asked for an event (its init is done) and when it posted the answer. Later {@code /next} calls are left waiting,
 * as Lambda freezes an idle runtime.
 */
final class RuntimeApiServer implements AutoCloseable {

    /** The answer (or error) and the two instants. */
    record Outcome(boolean error, String body, long firstNextNanos, long answeredNanos) {
    }

    private static final String PREFIX = "/2018-06-01/runtime/";
    private final HttpServer server;
    private final String event;
    private final String requestId = UUID.randomUUID().toString();
    private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
    private volatile long firstNext;
    private volatile boolean served;

    RuntimeApiServer(String event) throws IOException {
        this.event = event;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread thread = new Thread(r, "runtime-api");
            thread.setDaemon(true);
            return thread;
        }));
        server.start();
    }

    String address() {
        return server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    CompletableFuture<Outcome> outcome() {
        return outcome;
    }

    private void handle(HttpExchange exchange) throws IOException {
        long now = System.nanoTime();
        String path = exchange.getRequestURI().getPath();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        if (path.equals(PREFIX + "invocation/next")) {
            if (served) {
                return;
            }
            served = true;
            firstNext = now;
            exchange.getResponseHeaders().set("Lambda-Runtime-Aws-Request-Id", requestId);
            exchange.getResponseHeaders().set("Lambda-Runtime-Deadline-Ms",
                    Long.toString(System.currentTimeMillis() + 60_000));
            exchange.getResponseHeaders().set("Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:000000000000:function:bench");
            exchange.getResponseHeaders().set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000");
            send(exchange, 200, event);
        } else if (path.equals(PREFIX + "invocation/" + requestId + "/response")) {
            send(exchange, 202, "{\"status\":\"OK\"}");
            outcome.complete(new Outcome(false, body, firstNext, now));
        } else if (path.equals(PREFIX + "invocation/" + requestId + "/error") || path.equals(PREFIX + "init/error")) {
            send(exchange, 202, "{\"status\":\"OK\"}");
            outcome.complete(new Outcome(true, body, firstNext, now));
        } else {
            send(exchange, 404, "{\"errorMessage\":\"no route " + path + "\"}");
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
