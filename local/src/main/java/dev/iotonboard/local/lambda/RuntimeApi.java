package dev.iotonboard.local.lambda;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.Threads;
import dev.iotonboard.local.gateway.HttpServers;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The Lambda Runtime API one container's runtime interface client polls ({@code AWS_LAMBDA_RUNTIME_API}): {@code GET
 * /2018-06-01/runtime/invocation/next} hands out the next invocation with its request id, deadline, function ARN and
 * trace id headers; {@code POST .../invocation/<id>/response} and {@code .../error} complete it; {@code POST
 * .../init/error} records why the runtime could not start.
 */
final class RuntimeApi {

    /** One pending invocation handed to the runtime. */
    record Invocation(String requestId, String payload, CompletableFuture<LambdaRunner.Result> result,
            CompletableFuture<Void> pickedUp) {
    }

    private final String container;
    private final StackTemplate.Function function;
    private final String functionArn;
    private final EventLog log;
    private final BooleanSupplier gone;
    private final HttpServer server;
    private final LinkedBlockingQueue<Invocation> queue = new LinkedBlockingQueue<>();
    private final CompletableFuture<String> initError = new CompletableFuture<>();
    private volatile Invocation current;

    /** @param gone true once the container is dead or the runner is stopping: no invocation is handed out then */
    RuntimeApi(String container, StackTemplate.Function function, String functionArn, EventLog log,
            BooleanSupplier gone) throws IOException {
        this.container = container;
        this.function = function;
        this.functionArn = functionArn;
        this.log = log;
        this.gone = gone;
        server = HttpServers.loopback(0, 16);
        server.createContext("/2018-06-01/runtime/", this::handle);
        server.setExecutor(Executors.newCachedThreadPool(Threads.daemon("runtime-api-" + container)));
        server.start();
    }

    /** {@code host:port}, the value of {@code AWS_LAMBDA_RUNTIME_API}. */
    String address() {
        return server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    /** The invocation being run now (null: none). */
    Invocation current() {
        return current;
    }

    void setCurrent(Invocation invocation) {
        current = invocation;
    }

    /** Offers the current invocation to the runtime's next poll. */
    void queue(Invocation invocation) {
        queue.add(invocation);
    }

    /** The invocation is over: it is no longer current nor offered. */
    void finished(Invocation invocation) {
        current = null;
        queue.remove(invocation);
    }

    /** What the runtime posted to {@code init/error}, or null. */
    String initError() {
        return initError.getNow(null);
    }

    void stop() {
        server.stop(0);
        ((ExecutorService) server.getExecutor()).shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (exchange.getRequestMethod().equals("GET") && path.endsWith("/invocation/next")) {
                next(exchange);
                return;
            }
            Invocation running = current;
            if (exchange.getRequestMethod().equals("POST") && path.endsWith("/init/error")) {
                initError.complete(body);
                log.event("lambda", "container " + container + " init error: " + Container.abbreviate(body));
            } else if (exchange.getRequestMethod().equals("POST") && running != null
                    && path.endsWith("/invocation/" + running.requestId() + "/response")) {
                running.result().complete(new LambdaRunner.Result(false, body));
            } else if (exchange.getRequestMethod().equals("POST") && running != null
                    && path.endsWith("/invocation/" + running.requestId() + "/error")) {
                running.result().complete(new LambdaRunner.Result(true, body));
            } else {
                byte[] bytes = "{\"errorMessage\":\"unknown request id or route\",\"errorType\":\"InvalidRequestID\"}"
                        .getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(400, bytes.length);
                exchange.getResponseBody().write(bytes);
                return;
            }
            byte[] ok = "{\"status\":\"OK\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(202, ok.length);
            exchange.getResponseBody().write(ok);
        }
    }

    /** Long poll: waits for the next invocation while the container lives, then hands it out. */
    private void next(HttpExchange exchange) throws IOException {
        Invocation invocation = null;
        while (invocation == null && !gone.getAsBoolean()) {
            try {
                invocation = queue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
        }
        if (invocation == null) {
            return;
        }
        byte[] bytes = invocation.payload().getBytes(StandardCharsets.UTF_8);
        var headers = exchange.getResponseHeaders();
        headers.set("Lambda-Runtime-Aws-Request-Id", invocation.requestId());
        headers.set("Lambda-Runtime-Deadline-Ms",
                Long.toString(System.currentTimeMillis() + function.timeoutSeconds() * 1000L));
        headers.set("Lambda-Runtime-Invoked-Function-Arn", functionArn);
        headers.set("Lambda-Runtime-Trace-Id", "Root=1-" + Long.toHexString(System.currentTimeMillis() / 1000)
                + "-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24) + ";Sampled=0");
        headers.set("Content-Type", "application/json");
        invocation.pickedUp().complete(null);
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
