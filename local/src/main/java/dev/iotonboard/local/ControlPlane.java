package dev.iotonboard.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.iotonboard.iot.model.IotApi;
import dev.iotonboard.iot.model.IotException;
import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.chaos.CrashTarget;
import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.chaos.Quotas;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The IoT control plane over plain HTTP on loopback, for the AWS CLI ({@code --endpoint-url}) and the SDK
 * ({@code endpointOverride}): the IoT model's REST-JSON binding ({@link IotApi}, module iot-model, the same one the
 * handler tests' IoT double serves) with the local tool's concerns in front. Request signatures are accepted without
 * checking. Before an operation runs, its request-rate quota ({@link Quotas}: over it, 400 ThrottlingException "Rate
 * exceeded") and the injected faults ({@link Faults}) are checked.
 */
public final class ControlPlane implements AutoCloseable {


    /**
     * Another API served on this port (the local admin routes, further AWS stand-ins), tried before the IoT routes.
     */
    @FunctionalInterface
    public interface Handler {
        /** Answers the exchange and returns true, or leaves it untouched and returns false. */
        boolean handle(HttpExchange exchange) throws IOException;
    }

    /** Per operation: calls routed to it, calls refused by the quota, faults injected (failures and crashes). */
    public record OperationStats(long calls, long throttled, long faults) {
    }

    private static final class Counters {
        final AtomicLong calls = new AtomicLong();
        final AtomicLong throttled = new AtomicLong();
        final AtomicLong faults = new AtomicLong();
    }

    /** Thrown after a crash fault killed the caller: the exchange is closed without an answer. */
    private static final class CallerCrashed extends RuntimeException {
        CallerCrashed() {
            super(null, null, false, false);
        }
    }

    private static final Pattern ACCESS_KEY = Pattern.compile("Credential=([^/,\\s]+)/");

    private final IotApi api;
    private final EventLog log;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Quotas quotas;
    private final Faults faults;
    private final List<Handler> handlers = new CopyOnWriteArrayList<>();
    private final Map<String, Counters> counters = new ConcurrentHashMap<>();
    private volatile CrashTarget crashTargets;

    /** Without quotas or faults. */
    public ControlPlane(Registry registry, int port, String dataEndpoint, EventLog log) throws IOException {
        this(registry, port, dataEndpoint, log, Quotas.off(), Faults.none());
    }

    /**
     * @param dataEndpoint the host name DescribeEndpoint answers (devices connect to it on the data plane's port)
     */
    public ControlPlane(Registry registry, int port, String dataEndpoint, EventLog log, Quotas quotas, Faults faults)
            throws IOException {
        this.api = new IotApi(registry, dataEndpoint, line -> log.event("control", line));
        this.log = log;
        this.quotas = quotas;
        this.faults = faults;
        server = HttpServers.loopback(port, 64);
        server.createContext("/", this::handle);
        executor = Executors.newFixedThreadPool(8, daemon("control-plane"));
        server.setExecutor(executor);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Adds a handler tried (in the order added) before the IoT routes. */
    public void addHandler(Handler handler) {
        handlers.add(handler);
    }

    /** What crash faults kill (the Lambda containers); calls of anyone else are not counted by them. */
    public void crashTargets(CrashTarget crashTargets) {
        this.crashTargets = crashTargets;
    }

    public Quotas quotas() {
        return quotas;
    }

    public Faults faults() {
        return faults;
    }

    /** Counters of every operation called so far, by name. */
    public Map<String, OperationStats> stats() {
        Map<String, OperationStats> stats = new TreeMap<>();
        counters.forEach((operation, c) -> stats.put(operation, new OperationStats(c.calls.get(), c.throttled.get(),
                c.faults.get())));
        return stats;
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
            com.sun.net.httpserver.Headers headers = exchange.getRequestHeaders();
            IotApi.Call call = api.resolve(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    exchange.getRequestURI().getRawQuery(), headers::getFirst,
                    exchange.getRequestBody().readAllBytes());
            IotApi.Response response;
            try {
                response = call.operation() == null ? call.invoke() : call(call, headers.getFirst("Authorization"));
            } catch (CallerCrashed e) {
                return;
            } catch (IotException e) {
                response = IotApi.error(e);
            }
            exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            if (response.errorType() != null) {
                exchange.getResponseHeaders().set("x-amzn-ErrorType", response.errorType());
            }
            exchange.sendResponseHeaders(response.status(), response.body().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(response.body());
            }
        }
    }

    /** Quota check, then fault check, then the call; then a crash fault when a container made a successful call. */
    private IotApi.Response call(IotApi.Call call, String authorization) {
        String operation = call.operation();
        Counters count = counters.computeIfAbsent(operation, k -> new Counters());
        count.calls.incrementAndGet();
        if (!quotas.tryAcquire(operation)) {
            count.throttled.incrementAndGet();
            throw new IotException("ThrottlingException", 400, "Rate exceeded");
        }
        Optional<IotException> failure = faults.failure(operation);
        if (failure.isPresent()) {
            count.faults.incrementAndGet();
            log.event("control", "fault: " + operation + " answered " + failure.get().errorType());
            throw failure.get();
        }
        IotApi.Response response = call.invoke();
        CrashTarget known = crashTargets;
        String caller = accessKeyId(authorization);
        if (response.status() == 200 && known != null && caller != null && known.isTarget(caller)
                && faults.crashAfter(operation)) {
            count.faults.incrementAndGet();
            log.event("control", "fault: " + operation + " took effect; crashing its caller " + caller
                    + " before it gets the answer");
            known.crash(caller);
            throw new CallerCrashed();
        }
        return response;
    }

    /** The access key id of a SigV4 {@code Authorization} header, or null. */
    static String accessKeyId(String authorization) {
        if (authorization == null) {
            return null;
        }
        Matcher matcher = ACCESS_KEY.matcher(authorization);
        return matcher.find() ? matcher.group(1) : null;
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
