package dev.iotonboard.local.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.iotonboard.local.Threads;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The shared HTTP edge on the control-plane port (plain HTTP, loopback), where the AWS CLI and SDKs point
 * {@code --endpoint-url}: each API served there is a {@link Handler}. A request goes to the handlers in the order
 * they were added (in the tool: DynamoDB, the admin routes, SQS, Lambda Invoke), then to the fallback, which answers whatever
 * no handler took (in the tool: the IoT control plane, whose routes cover every other path).
 */
public final class Gateway implements AutoCloseable {

    /** One API on the shared port. */
    @FunctionalInterface
    public interface Handler {
        /** Answers the exchange and returns true, or leaves it untouched and returns false. */
        boolean handle(HttpExchange exchange) throws IOException;
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final List<Handler> handlers = new CopyOnWriteArrayList<>();
    private final Handler fallback;

    /** Listens on the loopback address ({@code port} 0: any free port); what no handler takes is a 404. */
    public Gateway(int port) throws IOException {
        this(port, Gateway::notFound);
    }

    /** Listens on the loopback address ({@code port} 0: any free port); {@code fallback} answers the rest. */
    public Gateway(int port, Handler fallback) throws IOException {
        this.fallback = fallback;
        server = HttpServers.loopback(port, 64);
        server.createContext("/", this::handle);
        executor = Executors.newFixedThreadPool(8, Threads.daemon("control-plane"));
        server.setExecutor(executor);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:<port>}: the endpoint URL of every API served here. */
    public String url() {
        return "http://127.0.0.1:" + port();
    }

    /** Adds a handler, tried after those added before it and before the fallback. */
    public void addHandler(Handler handler) {
        handlers.add(handler);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            for (Handler handler : handlers) {
                if (handler.handle(exchange)) {
                    return;
                }
            }
            fallback.handle(exchange);
        }
    }

    private static boolean notFound(HttpExchange exchange) throws IOException {
        byte[] body = ("{\"message\":\"no API here answers " + exchange.getRequestMethod() + " "
                + exchange.getRequestURI().getRawPath().replace("\"", "") + "\"}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(404, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
        return true;
    }
}
