package dev.iotonboard.local.lambda;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.chaos.CrashTarget;
import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.iam.CallerIdentities;
import dev.iotonboard.local.stack.StackTemplate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiPredicate;

/**
 * Runs the stack's Java functions as Lambda does: each function's asset jar in its own JVM (a {@link Container}),
 * started with the real runtime interface client ({@code com.amazonaws.services.lambda.runtime.api.client.AWSLambda
 * <handler>}) and pointed ({@code AWS_LAMBDA_RUNTIME_API}) at a {@link RuntimeApi} served for that container. A
 * container is kept warm and reused; a function never runs more containers than its reserved concurrency (or
 * {@code defaultConcurrency} when it has none): its {@link ContainerPool}. Asynchronous invocations
 * ({@link AsyncInvocations}) retry a failed attempt {@code MaximumRetryAttempts} times (2 unless the event invoke
 * config says otherwise) and then write the event to the on-failure record file
 * ({@code <stateDir>/lambda-failures/<function>.jsonl}), standing in for the on-failure destination or DLQ.
 *
 * <p>Asynchronous invocations follow Lambda's model: one FIFO queue per function, drained by at most as many workers
 * as the function may run containers; a failed attempt goes back to the queue after its retry delay (the timer holds
 * it, no worker waits). Drop faults discard an event before it is queued. Each container signs its IoT calls with its
 * own access key id ({@code LOCAL<container name>}, the container named {@code <function logical id>-<n>}), so the
 * control plane can tell which container called: the runner is the {@link CrashTarget} of crash faults, and tells IAM
 * whose credentials a key is ({@link CallerIdentities}).
 */
public final class LambdaRunner implements AutoCloseable, CrashTarget, CallerIdentities {

    /** Per function: attempts run, attempts that failed, events dropped, containers crashed, events queued now,
     * asynchronous events not finished (queued, running or waiting for a retry). */
    public record FunctionStats(long invocations, long errors, long drops, long crashes, int queued,
            int pendingAsync) {
    }

    /** What an invocation returned: the response body, or the error document the runtime posted. */
    public record Result(boolean error, String body) {
        private static final ObjectMapper JSON = new ObjectMapper();

        /** A failure of the runtime itself, as Lambda reports it: {@code {"errorMessage","errorType"}}. */
        public static Result failed(String errorType, String message) {
            return new Result(true, JSON.createObjectNode().put("errorMessage", message).put("errorType", errorType)
                    .toString());
        }
    }

    /** Told what the functions do: each line a container writes to its log, and each attempt's result. */
    public interface Observer {
        Observer NONE = new Observer() {
        };

        default void output(StackTemplate.Function function, String line) {
        }

        default void attempt(StackTemplate.Function function, Result result) {
        }

        /** A synchronous call Lambda refused: the function's reserved concurrency was all in use. */
        default void throttled(StackTemplate.Function function) {
        }
    }

    /**
     * Lambda refused a synchronous call because the function's reserved concurrency was all in use: Invoke answers
     * 429 TooManyRequestsException with Reason {@link #REASON} (Lambda API reference, Invoke, Errors).
     */
    public static final class Throttled extends RuntimeException {
        public static final String REASON = "ReservedFunctionConcurrentInvocationLimitExceeded";

        /** Lambda's message for it. */
        public static final String MESSAGE = "Rate Exceeded.";

        public Throttled() {
            super(MESSAGE);
        }
    }

    /** Environment and limits every container shares. */
    public record Settings(String region, String account, String iotEndpointUrl, List<Path> runtimeClasspath,
            int defaultConcurrency, Duration initTimeout, List<Duration> asyncRetryDelays, Path failureDir) {

        /** The function's unqualified ARN in this region and account. */
        public String functionArn(StackTemplate.Function function) {
            return "arn:aws:lambda:" + region + ":" + account + ":function:" + function.name();
        }
    }

    private final ContainerHost host;
    private final Map<String, ContainerPool> pools = new LinkedHashMap<>();
    private final AsyncInvocations async;

    public LambdaRunner(Map<String, StackTemplate.Function> functions, Settings settings, EventLog log) {
        this(functions, settings, log, Faults.none());
    }

    /** @param faults drop faults are applied to {@link #invokeAsync} */
    public LambdaRunner(Map<String, StackTemplate.Function> functions, Settings settings, EventLog log,
            Faults faults) {
        this.host = new ContainerHost(settings, log);
        this.async = new AsyncInvocations(host, faults);
        functions.values().stream().filter(StackTemplate.Function::runnable)
                .forEach(f -> pools.put(f.logicalId(), new ContainerPool(f, host)));
    }

    /**
     * The runtime interface client's jars: those in {@code dir} when it exists, else the ones on this JVM's class
     * path (tests).
     */
    public static List<Path> runtimeClasspath(Path dir) {
        return RuntimeClient.classpath(dir);
    }

    public boolean has(String function) {
        return pools.containsKey(function);
    }

    /**
     * Invokes synchronously (RequestResponse): waits for the result.
     *
     * @throws Throttled when the function has reserved concurrency and all of it is in use
     */
    public Result invoke(String function, String payload) {
        return pool(function).invokeSync(payload, UUID.randomUUID().toString());
    }

    /**
     * Invokes asynchronously (Event): queues the event and returns at once; retries and on-failure records as
     * Lambda does. A drop fault discards the event here (never run, no retry, no record).
     */
    public String invokeAsync(String function, String payload, String source) {
        return async.invoke(pool(function), payload, source);
    }

    /** Number of asynchronous events not finished yet: queued, running or waiting for a retry. */
    public int pendingAsync() {
        return async.pending();
    }

    /** Counters of every runnable function, by logical id. */
    public Map<String, FunctionStats> stats() {
        Map<String, FunctionStats> stats = new LinkedHashMap<>();
        pools.forEach((id, pool) -> stats.put(id, async.stats(pool)));
        return stats;
    }

    /** Tells {@code observer} every function's log lines and attempts (the CloudWatch room). */
    public void observe(Observer observer) {
        host.observer = observer;
    }

    /** Where on-failure records go besides the file: (destination ARN, record) -> sent. */
    public void onFailureDestinations(BiPredicate<String, String> destinations) {
        async.onFailureDestinations(destinations);
    }

    @Override
    public boolean isTarget(String accessKeyId) {
        return host.byAccessKeyId.containsKey(accessKeyId);
    }

    @Override
    public void crash(String accessKeyId) {
        Container container = host.byAccessKeyId.get(accessKeyId);
        if (container != null) {
            host.log.event("lambda", "container " + container.name() + " crashed (fault)");
            container.pool().crashes.incrementAndGet();
            container.crash();
        }
    }

    /**
     * The function whose containers sign with {@code accessKeyId} ({@code LOCAL<function logical id>-<n>}), the
     * container running or not: as a role session's credentials, they outlive the container that used them.
     */
    @Override
    public Optional<String> function(String accessKeyId) {
        for (String function : pools.keySet()) {
            String prefix = Container.accessKeyId(function + "-");
            if (accessKeyId.startsWith(prefix) && accessKeyId.length() > prefix.length()
                    && accessKeyId.substring(prefix.length()).chars().allMatch(Character::isDigit)) {
                return Optional.of(function);
            }
        }
        return Optional.empty();
    }

    /** Invocations of {@code function} waiting for one of its containers to be free. */
    int waiting(String function) {
        return pool(function).waiting();
    }

    private ContainerPool pool(String function) {
        ContainerPool pool = pools.get(function);
        if (pool == null) {
            throw new IllegalArgumentException("no runnable function " + function);
        }
        return pool;
    }

    @Override
    public void close() {
        host.close();
        async.close();
        pools.values().forEach(ContainerPool::close);
    }
}
