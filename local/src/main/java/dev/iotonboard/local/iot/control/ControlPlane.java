package dev.iotonboard.local.iot.control;

import com.sun.net.httpserver.HttpExchange;
import dev.iotonboard.iot.model.IamResources;
import dev.iotonboard.iot.model.IotApi;
import dev.iotonboard.iot.model.IotException;
import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.chaos.CrashTarget;
import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.gateway.Gateway;
import dev.iotonboard.local.iam.IamAuthorizer;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The IoT control plane, for the AWS CLI ({@code --endpoint-url}) and the SDK ({@code endpointOverride}): the IoT
 * model's REST-JSON binding ({@link IotApi}, module iot-model, the same one the handler tests' IoT double serves) with
 * the local tool's concerns in front. Request signatures are accepted without checking. Before an operation runs, IAM
 * authorizes a caller signing with a function's credentials ({@link IamAuthorizer}: {@code iot:<Operation>} on the
 * resource {@link IamResources} names; denied, 403 AccessDeniedException), then its request-rate quota
 * ({@link Quotas}: over it, 400 ThrottlingException "Rate exceeded") and the injected faults ({@link Faults}) are
 * checked; after a call by a {@link CrashTarget} took effect, a crash fault may kill the caller.
 *
 * <p>It is a {@link Gateway.Handler} that answers every path (404 ResourceNotFoundException "Not Found" for routes it does not
 * implement), so in the tool it is the gateway's fallback, tried after the other APIs of the control-plane port. Alone
 * on a port of its own (tests): {@link #ControlPlane(Registry, int, String, EventLog)}.
 */
public final class ControlPlane implements Gateway.Handler, AutoCloseable {

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

    private final IotApi api;
    private final EventLog log;
    private final Quotas quotas;
    private final Faults faults;
    private final Map<String, Counters> counters = new ConcurrentHashMap<>();
    private final Gateway own;
    private volatile CrashTarget crashTargets;
    private volatile IamAuthorizer iam;
    private volatile Consumer<ApiCall> apiCalls = call -> { };

    /**
     * The IoT routes for a shared gateway, as its fallback.
     *
     * @param dataEndpoint the host name DescribeEndpoint answers (devices connect to it on the data plane's port)
     */
    public ControlPlane(Registry registry, String dataEndpoint, EventLog log, Quotas quotas, Faults faults) {
        this.api = new IotApi(registry, dataEndpoint, line -> log.event("control", line));
        this.log = log;
        this.quotas = quotas;
        this.faults = faults;
        this.own = null;
    }

    /** Alone on a gateway of its own at {@code port} (0: any free port), without quotas or faults. */
    public ControlPlane(Registry registry, int port, String dataEndpoint, EventLog log) throws IOException {
        this.api = new IotApi(registry, dataEndpoint, line -> log.event("control", line));
        this.log = log;
        this.quotas = Quotas.off();
        this.faults = Faults.none();
        this.own = new Gateway(port, this);
    }

    /** The port of its own gateway (see {@link #ControlPlane(Registry, int, String, EventLog)}). */
    public int port() {
        if (own == null) {
            throw new IllegalStateException("served by a shared gateway: ask the gateway for its port");
        }
        return own.port();
    }

    /** What crash faults kill (the Lambda containers); calls of anyone else are not counted by them. */
    public void crashTargets(CrashTarget crashTargets) {
        this.crashTargets = crashTargets;
    }

    /** Who authorizes the calls signed with a function's credentials; without one (the default) IAM is not checked. */
    public void iam(IamAuthorizer iam) {
        this.iam = iam;
    }

    /**
     * Who hears of each control-plane call that named an operation, after its answer (or after it took effect, when
     * a crash fault killed its caller): CloudTrail's view of the call ({@link ApiCall}).
     */
    public void apiCalls(Consumer<ApiCall> listener) {
        this.apiCalls = listener;
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

    /** Closes its own gateway, if it has one. */
    @Override
    public void close() {
        if (own != null) {
            own.close();
        }
    }

    /** Answers every exchange: the IoT route it names, or 404 ResourceNotFoundException "Not Found". */
    @Override
    public boolean handle(HttpExchange exchange) throws IOException {
        com.sun.net.httpserver.Headers headers = exchange.getRequestHeaders();
        byte[] body = exchange.getRequestBody().readAllBytes();
        IotApi.Call call = api.resolve(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                exchange.getRequestURI().getRawQuery(), headers::getFirst, body);
        String requestId = UUID.randomUUID().toString();
        IotApi.Response response;
        try {
            response = call.operation() == null ? call.invoke() : call(call, headers.getFirst("Authorization"));
        } catch (CallerCrashed e) {
            heard(call, body, exchange, requestId, null);
            return true;
        } catch (IotException e) {
            response = IotApi.error(e);
        }
        heard(call, body, exchange, requestId, response);
        exchange.getResponseHeaders().set("x-amzn-RequestId", requestId);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (response.errorType() != null) {
            exchange.getResponseHeaders().set("x-amzn-ErrorType", response.errorType());
        }
        exchange.sendResponseHeaders(response.status(), response.body().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(response.body());
        }
        return true;
    }

    /**
     * IAM, then the quota, then the faults, then the call; then a crash fault when a container made a successful call.
     * Authorization comes first because AWS authorizes a request before it throttles it (an assumption: AWS documents
     * neither order).
     */
    private IotApi.Response call(IotApi.Call call, String authorization) {
        String operation = call.operation();
        Counters count = counters.computeIfAbsent(operation, k -> new Counters());
        count.calls.incrementAndGet();
        String caller = accessKeyId(authorization);
        IamAuthorizer authorizer = iam;
        if (authorizer != null) {
            Optional<String> denial = authorizer.denial(caller, "iot:" + operation, IamResources.resource(call,
                    api.registry().region(), api.registry().account()));
            if (denial.isPresent()) {
                log.event("control", "AccessDeniedException: " + denial.get());
                throw new IotException("AccessDeniedException", 403, denial.get());
            }
        }
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
        return IamAuthorizer.accessKeyId(authorization);
    }

    /** Tells the listener of a call that named an operation; {@code response} null: it took effect, unanswered. */
    private void heard(IotApi.Call call, byte[] body, HttpExchange exchange, String requestId,
            IotApi.Response response) {
        if (call.operation() == null) {
            return;
        }
        String errorCode = null;
        String errorMessage = null;
        if (response != null && response.errorType() != null) {
            errorCode = response.errorType();
            errorMessage = RequestParameters.message(response.body());
        }
        try {
            apiCalls.accept(new ApiCall(call.operation(), RequestParameters.of(call, body),
                    accessKeyId(exchange.getRequestHeaders().getFirst("Authorization")),
                    exchange.getRemoteAddress().getAddress().getHostAddress(),
                    exchange.getRequestHeaders().getFirst("User-Agent"), requestId, errorCode, errorMessage));
        } catch (RuntimeException e) {
            log.event("control", "the listener of " + call.operation() + " failed: " + e);
        }
    }
}
