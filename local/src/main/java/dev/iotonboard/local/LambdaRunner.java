package dev.iotonboard.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.iotonboard.local.chaos.CrashTarget;
import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.gateway.HttpServers;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Runs the stack's Java functions as Lambda does: each function's asset jar in its own JVM (a container), started with
 * the real runtime interface client ({@code com.amazonaws.services.lambda.runtime.api.client.AWSLambda <handler>})
 * and pointed ({@code AWS_LAMBDA_RUNTIME_API}) at a Runtime API this class serves for that container. A container
 * is kept warm and reused; a function never runs more containers than its reserved concurrency (or
 * {@code defaultConcurrency} when it has none). Asynchronous invocations retry a failed attempt
 * {@code MaximumRetryAttempts} times (2 unless the event invoke config says otherwise) and then write the event to
 * the on-failure record file ({@code <stateDir>/lambda-failures/<function>.jsonl}), standing in for the on-failure
 * destination or DLQ.
 *
 * <p>Asynchronous invocations follow Lambda's model: one FIFO queue per function, drained by at most as many workers
 * as the function may run containers; a failed attempt goes back to the queue after its retry delay (the timer holds
 * it, no worker waits). Drop faults discard an event before it is queued. Each container signs its IoT calls with its
 * own access key id ({@code LOCAL<container name>}), so the control plane can tell which container called
 * ({@link CrashTarget}, for crash faults).
 */
public final class LambdaRunner implements AutoCloseable, CrashTarget {


    /** Per function: attempts run, attempts that failed, events dropped, containers crashed, events queued now,
     * asynchronous events not finished (queued, running or waiting for a retry). */
    public record FunctionStats(long invocations, long errors, long drops, long crashes, int queued,
            int pendingAsync) {
    }

    /** What an invocation returned: the response body, or the error document the runtime posted. */
    public record Result(boolean error, String body) {
    }

    /** Environment and limits every container shares. */
    public record Settings(String region, String account, String iotEndpointUrl, List<Path> runtimeClasspath,
            int defaultConcurrency, Duration initTimeout, List<Duration> asyncRetryDelays, Path failureDir) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Settings settings;
    private final EventLog log;
    private final Map<String, Pool> pools = new LinkedHashMap<>();
    private final ExecutorService asyncExecutor = Executors.newCachedThreadPool(Threads.daemon("lambda-async"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Threads.daemon("lambda-timer"));
    private final AtomicInteger pendingAsync = new AtomicInteger();
    private final Map<String, Container> containersByKey = new ConcurrentHashMap<>();
    private final Faults faults;
    /** The runtime interface client's native library, extracted once for every container (null: not found). */
    private final Path nativeLibrary;
    private volatile boolean closed;
    private volatile java.util.function.BiPredicate<String, String> destinations = (arn, body) -> false;

    public LambdaRunner(Map<String, StackTemplate.Function> functions, Settings settings, EventLog log) {
        this(functions, settings, log, Faults.none());
    }

    /** @param faults drop faults are applied to {@link #invokeAsync} */
    public LambdaRunner(Map<String, StackTemplate.Function> functions, Settings settings, EventLog log,
            Faults faults) {
        this.settings = settings;
        this.log = log;
        this.faults = faults;
        this.nativeLibrary = extractNativeLibrary(settings.runtimeClasspath());
        functions.values().stream().filter(StackTemplate.Function::runnable)
                .forEach(f -> pools.put(f.logicalId(), new Pool(f)));
    }

    /**
     * The runtime interface client's jars: those in {@code dir} when it exists, else the ones on this JVM's class
     * path (tests).
     */
    public static List<Path> runtimeClasspath(Path dir) {
        if (dir != null && Files.isDirectory(dir)) {
            try (Stream<Path> jars = Files.list(dir)) {
                List<Path> list = jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
                if (!list.isEmpty()) {
                    return list;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        List<Path> found = new ArrayList<>();
        for (String name : List.of("com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
                "com.amazonaws.services.lambda.runtime.serialization.PojoSerializer",
                "com.amazonaws.services.lambda.runtime.Context")) {
            try {
                Path location = Path.of(Class.forName(name).getProtectionDomain().getCodeSource().getLocation().toURI());
                if (!found.contains(location)) {
                    found.add(location);
                }
            } catch (ClassNotFoundException | URISyntaxException | NullPointerException e) {
                throw new IllegalStateException("the Lambda runtime interface client is missing: no jars in " + dir
                        + " and " + name + " is not on the class path (build local/ with mvn package)", e);
            }
        }
        return found;
    }

    /**
     * Copies the runtime interface client's JNI library out of its jar once. Left to itself, every container copies
     * it to the same {@code /tmp/.libaws-lambda-jni.so} at start, and a JVM loading that file while another one
     * rewrites it dies of SIGBUS: containers starting together crashed. Each container gets this copy through the
     * client's {@code NativeClient.JNI} system property instead. Null when the platform's library is not found (the
     * client then does its own copy).
     */
    private Path extractNativeLibrary(List<Path> classpath) {
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64" -> "aarch_64";
            default -> null;
        };
        if (arch == null || !System.getProperty("os.name").equals("Linux")) {
            return null;
        }
        String resource = "jni/libaws-lambda-jni.linux-" + arch + ".so";
        java.net.URL[] urls = classpath.stream().map(p -> {
            try {
                return p.toUri().toURL();
            } catch (java.net.MalformedURLException e) {
                throw new IllegalStateException(e);
            }
        }).toArray(java.net.URL[]::new);
        try (java.net.URLClassLoader loader = new java.net.URLClassLoader(urls, null);
                java.io.InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            Path dir = Files.createTempDirectory("local-iot-core-jni");
            Path library = dir.resolve("libaws-lambda-jni.so");
            Files.copy(in, library);
            library.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return library;
        } catch (IOException e) {
            log.event("lambda", "cannot extract " + resource + " (each container copies it itself): " + e);
            return null;
        }
    }

    public boolean has(String function) {
        return pools.containsKey(function);
    }

    /** Invokes synchronously (RequestResponse): waits for the result. */
    public Result invoke(String function, String payload) {
        Pool pool = pool(function);
        return pool.invoke(payload, UUID.randomUUID().toString());
    }

    /**
     * Invokes asynchronously (Event): queues the event and returns at once; retries and on-failure records as
     * Lambda does. A drop fault discards the event here (never run, no retry, no record).
     */
    public String invokeAsync(String function, String payload, String source) {
        Pool pool = pool(function);
        String requestId = UUID.randomUUID().toString();
        if (faults.drop(function)) {
            pool.drops.incrementAndGet();
            log.event("lambda", function + " async " + requestId + " dropped (fault)");
            return requestId;
        }
        pendingAsync.incrementAndGet();
        pool.pendingAsync.incrementAndGet();
        pool.enqueue(new AsyncEvent(payload, requestId, source, 1));
        return requestId;
    }

    /** Number of asynchronous events not finished yet: queued, running or waiting for a retry. */
    public int pendingAsync() {
        return pendingAsync.get();
    }

    /** Counters of every runnable function, by logical id. */
    public Map<String, FunctionStats> stats() {
        Map<String, FunctionStats> stats = new LinkedHashMap<>();
        pools.forEach((id, pool) -> stats.put(id, pool.stats()));
        return stats;
    }

    @Override
    public boolean isTarget(String accessKeyId) {
        return containersByKey.containsKey(accessKeyId);
    }

    @Override
    public void crash(String accessKeyId) {
        Container container = containersByKey.get(accessKeyId);
        if (container != null) {
            log.event("lambda", "container " + container.name + " crashed (fault)");
            container.pool.crashes.incrementAndGet();
            container.crash();
        }
    }

    /** One asynchronous event and the attempt it is at (1 = first). */
    private record AsyncEvent(String payload, String requestId, String source, int attempt) {
    }

    /** One attempt of an event by a worker; a failure is re-queued after its delay or recorded. */
    private void attempt(Pool pool, AsyncEvent event) {
        Result result = pool.invoke(event.payload(), event.requestId());
        int attempts = 1 + pool.function.maximumRetryAttempts();
        if (!result.error() || closed) {
            finished(pool);
        } else if (event.attempt() < attempts) {
            Duration delay = settings.asyncRetryDelays().get(Math.min(event.attempt() - 1,
                    settings.asyncRetryDelays().size() - 1));
            log.event("lambda", pool.function.logicalId() + " async " + event.requestId() + " attempt "
                    + event.attempt() + " failed; retry in " + delay.toMillis() + " ms");
            AsyncEvent retry = new AsyncEvent(event.payload(), event.requestId(), event.source(),
                    event.attempt() + 1);
            try {
                timer.schedule(() -> pool.enqueue(retry), delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                finished(pool);
            }
        } else {
            try {
                recordFailure(pool.function, event.payload(), event.requestId(), result, attempts, event.source());
            } finally {
                finished(pool);
            }
        }
    }

    private void finished(Pool pool) {
        pool.pendingAsync.decrementAndGet();
        pendingAsync.decrementAndGet();
    }

    private void recordFailure(StackTemplate.Function function, String payload, String requestId, Result result,
            int attempts, String source) {
        writeFailureRecord(function, failureRecord(function, payload, requestId, result, attempts, source));
    }

    private ObjectNode failureRecord(StackTemplate.Function function, String payload, String requestId,
            Result result, int attempts, String source) {
        ObjectNode record = JSON.createObjectNode();
        record.put("version", "1.0").put("timestamp", Instant.now().toString());
        ObjectNode context = record.putObject("requestContext");
        context.put("requestId", requestId).put("functionArn", functionArn(function) + ":$LATEST")
                .put("condition", "RetriesExhausted").put("approximateInvokeCount", attempts);
        record.putObject("responseContext").put("statusCode", 200).put("executedVersion", "$LATEST")
                .put("functionError", "Unhandled");
        record.put("source", source);
        record.put("destination", function.onFailureDestination());
        try {
            record.set("requestPayload", JSON.readTree(payload));
        } catch (IOException e) {
            record.put("requestPayload", payload);
        }
        try {
            record.set("responsePayload", JSON.readTree(result.body()));
        } catch (IOException e) {
            record.put("responsePayload", result.body());
        }
        return record;
    }

    /** Where on-failure records go besides the file: (destination ARN, record) -> sent. */
    public void onFailureDestinations(java.util.function.BiPredicate<String, String> destinations) {
        this.destinations = destinations;
    }

    /**
     * The on-failure destination: the function's destination queue when it has one the tool serves, and a line in
     * {@code <failureDir>/<function>.jsonl}.
     */
    private void writeFailureRecord(StackTemplate.Function function, ObjectNode record) {
        String requestId = record.path("requestContext").path("requestId").asText();
        int attempts = record.path("requestContext").path("approximateInvokeCount").asInt();
        if (function.onFailureDestination() != null
                && destinations.test(function.onFailureDestination(), record.toString())) {
            log.event("lambda", function.logicalId() + " async " + requestId + ": on-failure record sent to "
                    + function.onFailureDestination());
        }
        if (settings.failureDir() != null) {
            try {
                Files.createDirectories(settings.failureDir());
                synchronized (this) {
                    Files.writeString(settings.failureDir().resolve(function.logicalId() + ".jsonl"), record + "\n",
                            StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                }
            } catch (IOException e) {
                log.event("lambda", "cannot write the on-failure record: " + e);
            }
        }
        log.event("lambda", function.logicalId() + " async " + requestId + " failed " + attempts
                + " time(s); on-failure record written (destination " + function.onFailureDestination() + ")");
    }

    private String functionArn(StackTemplate.Function function) {
        return "arn:aws:lambda:" + settings.region() + ":" + settings.account() + ":function:" + function.name();
    }

    private Pool pool(String function) {
        Pool pool = pools.get(function);
        if (pool == null) {
            throw new IllegalArgumentException("no runnable function " + function);
        }
        return pool;
    }

    @Override
    public void close() {
        closed = true;
        asyncExecutor.shutdownNow();
        timer.shutdownNow();
        pools.values().forEach(Pool::close);
    }

    /** The containers of one function. */
    private final class Pool {
        private final StackTemplate.Function function;
        private final int limit;
        private final Deque<Container> idle = new ArrayDeque<>();
        private final List<Container> all = new ArrayList<>();
        private int sequence;
        private final Deque<AsyncEvent> asyncQueue = new ArrayDeque<>();
        private int asyncWorkers;
        final AtomicLong invocations = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final AtomicLong drops = new AtomicLong();
        final AtomicLong crashes = new AtomicLong();
        final AtomicInteger pendingAsync = new AtomicInteger();

        Pool(StackTemplate.Function function) {
            this.function = function;
            this.limit = function.reservedConcurrency() != null && function.reservedConcurrency() > 0
                    ? function.reservedConcurrency() : settings.defaultConcurrency();
        }

        /** Queues an event and starts a worker when fewer than {@code limit} are draining the queue. */
        void enqueue(AsyncEvent event) {
            synchronized (asyncQueue) {
                if (closed) {
                    return;
                }
                asyncQueue.addLast(event);
                if (asyncWorkers >= limit) {
                    return;
                }
                asyncWorkers++;
            }
            try {
                asyncExecutor.execute(this::drain);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                synchronized (asyncQueue) {
                    asyncWorkers--;
                }
            }
        }

        /** A worker: takes events in order until the queue is empty. */
        private void drain() {
            while (true) {
                AsyncEvent event;
                synchronized (asyncQueue) {
                    event = closed ? null : asyncQueue.pollFirst();
                    if (event == null) {
                        asyncWorkers--;
                        return;
                    }
                }
                attempt(this, event);
            }
        }

        FunctionStats stats() {
            int queued;
            synchronized (asyncQueue) {
                queued = asyncQueue.size();
            }
            return new FunctionStats(invocations.get(), errors.get(), drops.get(), crashes.get(), queued,
                    pendingAsync.get());
        }

        Result invoke(String payload, String requestId) {
            Container container;
            try {
                container = acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(true, error("Interrupted", "the local IoT Core is stopping"));
            } catch (IOException e) {
                return new Result(true, error("Runtime.StartFailed", "cannot start a container: " + e));
            }
            long start = System.nanoTime();
            invocations.incrementAndGet();
            Result result = container.invoke(payload, requestId);
            if (result.error()) {
                errors.incrementAndGet();
            }
            log.event("lambda", function.logicalId() + " " + requestId + " " + (result.error() ? "ERROR" : "OK")
                    + " in " + (System.nanoTime() - start) / 1_000_000 + " ms (container " + container.name
                    + ")" + (result.error() ? ": " + abbreviate(result.body()) : ""));
            release(container);
            return result;
        }

        private synchronized Container acquire() throws InterruptedException, IOException {
            while (true) {
                if (closed) {
                    throw new InterruptedException("closed");
                }
                Container container = idle.pollFirst();
                if (container != null) {
                    if (container.alive()) {
                        return container;
                    }
                    all.remove(container);
                    continue;
                }
                all.removeIf(c -> !c.alive());
                if (all.size() < limit) {
                    Container started = new Container(this, function.logicalId() + "-" + (++sequence));
                    all.add(started);
                    return started;
                }
                wait(1000);
            }
        }

        private synchronized void release(Container container) {
            if (container.alive() && !closed) {
                idle.addFirst(container);
            } else {
                all.remove(container);
                container.close();
            }
            notifyAll();
        }

        synchronized void close() {
            all.forEach(Container::close);
            all.clear();
            idle.clear();
            notifyAll();
        }
    }

    /** One pending invocation handed to the runtime. */
    private record Invocation(String requestId, String payload, CompletableFuture<Result> result,
            CompletableFuture<Void> pickedUp) {
    }

    /** A warm container: a JVM running the runtime interface client against its own Runtime API endpoint. */
    private final class Container {
        private final Pool pool;
        private final StackTemplate.Function function;
        private final String name;
        private final String accessKeyId;
        private final HttpServer api;
        private final Process process;
        private final LinkedBlockingQueue<Invocation> queue = new LinkedBlockingQueue<>();
        private volatile Invocation current;
        private volatile boolean dead;
        private final CompletableFuture<String> initError = new CompletableFuture<>();

        Container(Pool pool, String name) throws IOException {
            this.pool = pool;
            this.function = pool.function;
            this.name = name;
            this.accessKeyId = "LOCAL" + name;
            api = HttpServers.loopback(0, 16);
            api.createContext("/2018-06-01/runtime/", this::handle);
            api.setExecutor(Executors.newCachedThreadPool(Threads.daemon("runtime-api-" + name)));
            api.start();
            String address = api.getAddress().getHostString() + ":" + api.getAddress().getPort();
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-XX:+UseSerialGC");
            command.add("-Xmx" + Math.max(64, function.memoryMb() * 85 / 100) + "m");
            if (nativeLibrary != null) {
                command.add("-Dcom.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI="
                        + nativeLibrary);
            }
            command.add("-cp");
            StringBuilder classpath = new StringBuilder(function.jar().toString());
            settings.runtimeClasspath().forEach(p -> classpath.append(File.pathSeparator).append(p));
            command.add(classpath.toString());
            command.add("com.amazonaws.services.lambda.runtime.api.client.AWSLambda");
            command.add(function.handler());
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            Map<String, String> env = builder.environment();
            String path = env.get("PATH");
            env.clear();
            if (path != null) {
                env.put("PATH", path);
            }
            env.put("LANG", "en_US.UTF-8");
            env.put("TZ", ":UTC");
            env.putAll(function.environment());
            env.put("AWS_REGION", settings.region());
            env.put("AWS_DEFAULT_REGION", settings.region());
            env.put("AWS_ACCESS_KEY_ID", accessKeyId);
            env.put("AWS_SECRET_ACCESS_KEY", "local-iot-core-secret");
            env.put("AWS_SESSION_TOKEN", "local-iot-core-session");
            env.put("AWS_ENDPOINT_URL_IOT", settings.iotEndpointUrl());
            env.put("AWS_LAMBDA_RUNTIME_API", address);
            env.put("_HANDLER", function.handler());
            env.put("AWS_EXECUTION_ENV", "AWS_Lambda_" + function.runtime());
            env.put("AWS_LAMBDA_FUNCTION_NAME", function.name());
            env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
            env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(function.memoryMb()));
            env.put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + function.name());
            env.put("AWS_LAMBDA_LOG_STREAM_NAME", name);
            env.put("LAMBDA_TASK_ROOT", function.jar().getParent().toString());
            try {
                process = builder.start();
            } catch (IOException e) {
                api.stop(0);
                throw e;
            }
            containersByKey.put(accessKeyId, this);
            log.event("lambda", "container " + name + " started (pid " + process.pid() + ", handler "
                    + function.handler() + ")");
            Thread reader = new Thread(this::pumpOutput, "lambda-log-" + name);
            reader.setDaemon(true);
            reader.start();
            process.onExit().thenRun(() -> {
                dead = true;
                containersByKey.remove(accessKeyId, this);
                Invocation running = current;
                String reason = initError.getNow(null);
                if (running != null) {
                    running.result().complete(new Result(true, error("Runtime.ExitError",
                            "the runtime exited with " + process.exitValue()
                                    + (reason != null ? " after an init error: " + reason : ""))));
                    running.pickedUp().complete(null);
                }
                if (!closed) {
                    log.event("lambda", "container " + name + " exited with " + process.exitValue());
                }
            });
        }

        boolean alive() {
            return !dead && process.isAlive();
        }

        Result invoke(String payload, String requestId) {
            Invocation invocation = new Invocation(requestId, payload, new CompletableFuture<>(),
                    new CompletableFuture<>());
            current = invocation;
            if (!alive()) {
                current = null;
                return new Result(true, error("Runtime.ExitError", "the container had exited"));
            }
            queue.add(invocation);
            try {
                try {
                    invocation.pickedUp().get(settings.initTimeout().toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    kill();
                    return new Result(true, error("Runtime.InitTimeout", "the runtime did not ask for the event"
                            + " within " + settings.initTimeout().toSeconds() + " s"));
                }
                try {
                    return invocation.result().get(function.timeoutSeconds(), TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    kill();
                    return new Result(true, error("Sandbox.Timedout", "Task timed out after "
                            + function.timeoutSeconds() + " seconds"));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(true, error("Interrupted", "the local IoT Core is stopping"));
            } catch (java.util.concurrent.ExecutionException e) {
                return new Result(true, error("Runtime.Unknown", String.valueOf(e.getCause())));
            } finally {
                current = null;
                queue.remove(invocation);
            }
        }

        private void handle(HttpExchange exchange) throws IOException {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                if (exchange.getRequestMethod().equals("GET") && path.endsWith("/invocation/next")) {
                    Invocation invocation = null;
                    while (invocation == null && !dead && !closed) {
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
                    headers.set("Lambda-Runtime-Invoked-Function-Arn", functionArn(function));
                    headers.set("Lambda-Runtime-Trace-Id", "Root=1-" + Long.toHexString(System.currentTimeMillis() / 1000)
                            + "-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24) + ";Sampled=0");
                    headers.set("Content-Type", "application/json");
                    invocation.pickedUp().complete(null);
                    exchange.sendResponseHeaders(200, bytes.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(bytes);
                    }
                    return;
                }
                Invocation running = current;
                if (exchange.getRequestMethod().equals("POST") && path.endsWith("/init/error")) {
                    initError.complete(body);
                    log.event("lambda", "container " + name + " init error: " + abbreviate(body));
                } else if (exchange.getRequestMethod().equals("POST") && running != null
                        && path.endsWith("/invocation/" + running.requestId() + "/response")) {
                    running.result().complete(new Result(false, body));
                } else if (exchange.getRequestMethod().equals("POST") && running != null
                        && path.endsWith("/invocation/" + running.requestId() + "/error")) {
                    running.result().complete(new Result(true, body));
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

        private void pumpOutput() {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    log.event("fn " + name, line);
                }
            } catch (IOException e) {
                // the process ended
            }
        }

        private void kill() {
            dead = true;
            process.destroyForcibly();
        }

        /** Kills the JVM and waits (bounded) until it is gone and the running invocation has failed. */
        void crash() {
            kill();
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
                log.event("lambda", "container " + name + " did not exit after a crash fault: " + e);
            }
        }

        void close() {
            dead = true;
            process.destroy();
            try {
                if (!process.waitFor(3, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            api.stop(0);
            ((ExecutorService) api.getExecutor()).shutdownNow();
        }
    }

    private static String error(String type, String message) {
        ObjectNode node = JSON.createObjectNode().put("errorMessage", message).put("errorType", type);
        return node.toString();
    }

    private static String abbreviate(String text) {
        String oneLine = text == null ? "" : text.replaceAll("\\s+", " ");
        return oneLine.length() > 300 ? oneLine.substring(0, 300) + "..." : oneLine;
    }
}
