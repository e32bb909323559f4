package dev.iotonboard.local.lambda;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.Threads;
import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;

/**
 * Asynchronous invocations as Lambda runs them: one FIFO queue per function, drained by at most as many workers as
 * the function may run containers; a failed attempt goes back to the queue after its retry delay (the timer holds it,
 * no worker waits), {@code MaximumRetryAttempts} times (2 unless the event invoke config says otherwise); then the
 * on-failure record (fields as Lambda's destination record) goes to the function's destination queue when the tool
 * serves it, and to {@code <failureDir>/<function>.jsonl}. Drop faults discard an event before it is queued.
 */
final class AsyncInvocations {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One asynchronous event and the attempt it is at (1 = first). */
    private record AsyncEvent(String payload, String requestId, String source, int attempt) {
    }

    /** The asynchronous queue of one function and its counters. */
    private final class FunctionQueue {
        final ContainerPool pool;
        final Deque<AsyncEvent> events = new ArrayDeque<>();
        int workers;
        final AtomicLong drops = new AtomicLong();
        final AtomicInteger pending = new AtomicInteger();

        FunctionQueue(ContainerPool pool) {
            this.pool = pool;
        }

        /** Queues an event and starts a worker when fewer than the pool's limit are draining the queue. */
        void enqueue(AsyncEvent event) {
            synchronized (events) {
                if (host.closed()) {
                    return;
                }
                events.addLast(event);
                if (workers >= pool.limit()) {
                    return;
                }
                workers++;
            }
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException stopping) {
                synchronized (events) {
                    workers--;
                }
            }
        }

        /** A worker: takes events in order until the queue is empty. */
        private void drain() {
            while (true) {
                AsyncEvent event;
                synchronized (events) {
                    event = host.closed() ? null : events.pollFirst();
                    if (event == null) {
                        workers--;
                        return;
                    }
                }
                attempt(this, event);
            }
        }

        int queued() {
            synchronized (events) {
                return events.size();
            }
        }
    }

    private final ContainerHost host;
    private final Faults faults;
    private final Map<String, FunctionQueue> queues = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(Threads.daemon("lambda-async"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Threads.daemon("lambda-timer"));
    private final AtomicInteger pending = new AtomicInteger();
    private volatile BiPredicate<String, String> destinations = (arn, body) -> false;

    AsyncInvocations(ContainerHost host, Faults faults) {
        this.host = host;
        this.faults = faults;
    }

    /** Queues an event for the pool's function (or drops it, under a drop fault); its request id. */
    String invoke(ContainerPool pool, String payload, String source) {
        FunctionQueue queue = queue(pool);
        String function = pool.function().logicalId();
        String requestId = UUID.randomUUID().toString();
        if (faults.drop(function)) {
            queue.drops.incrementAndGet();
            host.log.event("lambda", function + " async " + requestId + " dropped (fault)");
            return requestId;
        }
        pending.incrementAndGet();
        queue.pending.incrementAndGet();
        queue.enqueue(new AsyncEvent(payload, requestId, source, 1));
        return requestId;
    }

    /** Events not finished yet, all functions: queued, running or waiting for a retry. */
    int pending() {
        return pending.get();
    }

    /** The pool's function's counters, its pool's included. */
    LambdaRunner.FunctionStats stats(ContainerPool pool) {
        FunctionQueue queue = queue(pool);
        return new LambdaRunner.FunctionStats(pool.invocations.get(), pool.errors.get(), queue.drops.get(),
                pool.crashes.get(), queue.queued(), queue.pending.get());
    }

    /** Where on-failure records go besides the file: (destination ARN, record) -> sent. */
    void onFailureDestinations(BiPredicate<String, String> destinations) {
        this.destinations = destinations;
    }

    void close() {
        executor.shutdownNow();
        timer.shutdownNow();
    }

    private FunctionQueue queue(ContainerPool pool) {
        return queues.computeIfAbsent(pool.function().logicalId(), id -> new FunctionQueue(pool));
    }

    /** One attempt of an event by a worker; a failure is re-queued after its delay or recorded. */
    private void attempt(FunctionQueue queue, AsyncEvent event) {
        ContainerPool pool = queue.pool;
        LambdaRunner.Result result = pool.invoke(event.payload(), event.requestId());
        int attempts = 1 + pool.function().maximumRetryAttempts();
        LambdaRunner.Settings settings = host.settings;
        if (!result.error() || host.closed()) {
            finished(queue);
        } else if (event.attempt() < attempts) {
            Duration delay = settings.asyncRetryDelays().get(Math.min(event.attempt() - 1,
                    settings.asyncRetryDelays().size() - 1));
            host.log.event("lambda", pool.function().logicalId() + " async " + event.requestId() + " attempt "
                    + event.attempt() + " failed; retry in " + delay.toMillis() + " ms");
            AsyncEvent retry = new AsyncEvent(event.payload(), event.requestId(), event.source(),
                    event.attempt() + 1);
            try {
                timer.schedule(() -> queue.enqueue(retry), delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                finished(queue);
            }
        } else {
            try {
                writeFailureRecord(pool.function(), failureRecord(pool.function(), event, result, attempts));
            } finally {
                finished(queue);
            }
        }
    }

    private void finished(FunctionQueue queue) {
        queue.pending.decrementAndGet();
        pending.decrementAndGet();
    }

    private ObjectNode failureRecord(StackTemplate.Function function, AsyncEvent event, LambdaRunner.Result result,
            int attempts) {
        ObjectNode record = JSON.createObjectNode();
        record.put("version", "1.0").put("timestamp", Instant.now().toString());
        ObjectNode context = record.putObject("requestContext");
        context.put("requestId", event.requestId()).put("functionArn", host.settings.functionArn(function) + ":$LATEST")
                .put("condition", "RetriesExhausted").put("approximateInvokeCount", attempts);
        record.putObject("responseContext").put("statusCode", 200).put("executedVersion", "$LATEST")
                .put("functionError", "Unhandled");
        record.put("source", event.source());
        record.put("destination", function.onFailureDestination());
        try {
            record.set("requestPayload", JSON.readTree(event.payload()));
        } catch (IOException e) {
            record.put("requestPayload", event.payload());
        }
        try {
            record.set("responsePayload", JSON.readTree(result.body()));
        } catch (IOException e) {
            record.put("responsePayload", result.body());
        }
        return record;
    }

    /**
     * The on-failure destination: the function's destination queue when it has one the tool serves, and a line in
     * {@code <failureDir>/<function>.jsonl}.
     */
    private void writeFailureRecord(StackTemplate.Function function, ObjectNode record) {
        EventLog log = host.log;
        String requestId = record.path("requestContext").path("requestId").asText();
        int attempts = record.path("requestContext").path("approximateInvokeCount").asInt();
        if (function.onFailureDestination() != null
                && destinations.test(function.onFailureDestination(), record.toString())) {
            log.event("lambda", function.logicalId() + " async " + requestId + ": on-failure record sent to "
                    + function.onFailureDestination());
        }
        if (host.settings.failureDir() != null) {
            try {
                Files.createDirectories(host.settings.failureDir());
                synchronized (this) {
                    Files.writeString(host.settings.failureDir().resolve(function.logicalId() + ".jsonl"),
                            record + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                }
            } catch (IOException e) {
                log.event("lambda", "cannot write the on-failure record: " + e);
            }
        }
        log.event("lambda", function.logicalId() + " async " + requestId + " failed " + attempts
                + " time(s); on-failure record written (destination " + function.onFailureDestination() + ")");
    }
}
