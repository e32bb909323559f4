package dev.iotonboard.local.lambda;

import dev.iotonboard.local.stack.StackTemplate;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The containers of one function: a warm one is reused (most recently used first), a new one is started while fewer
 * than the function's reserved concurrency (or the default concurrency) run, and beyond that an invocation waits for
 * one to be free, first come first served: each free container wakes the one invocation that has waited longest (a
 * fair semaphore of {@code limit} permits), not every waiting thread. A synchronous call to a function with reserved
 * concurrency does not wait: it is throttled, as Lambda throttles it. Counts the attempts, their errors and the
 * containers crashed by faults.
 */
final class ContainerPool {
    private final StackTemplate.Function function;
    private final ContainerHost host;
    private final int limit;
    private final boolean reserved;
    /** One permit per container the function may run; held from acquire to release. */
    private final Semaphore permits;
    private boolean waitersReleased;
    private final Deque<Container> idle = new ArrayDeque<>();
    private final List<Container> all = new ArrayList<>();
    private int sequence;
    final AtomicLong invocations = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong crashes = new AtomicLong();

    ContainerPool(StackTemplate.Function function, ContainerHost host) {
        this.function = function;
        this.host = host;
        this.reserved = function.reservedConcurrency() != null && function.reservedConcurrency() > 0;
        this.limit = reserved ? function.reservedConcurrency() : host.settings.defaultConcurrency();
        this.permits = new Semaphore(limit, true);
    }

    StackTemplate.Function function() {
        return function;
    }

    ContainerHost host() {
        return host;
    }

    /** How many containers the function may run at once. */
    int limit() {
        return limit;
    }

    /** Invocations waiting for a container to be free. */
    int waiting() {
        return permits.getQueueLength();
    }

    /** Runs one attempt of an asynchronous event in a free container, waiting for one when all are busy. */
    LambdaRunner.Result invoke(String payload, String requestId) {
        return run(payload, requestId, true);
    }

    /**
     * Runs a synchronous call. When the function's reserved concurrency is all in use, Lambda refuses the call (429
     * TooManyRequestsException, ReservedFunctionConcurrentInvocationLimitExceeded) and so does this, with
     * {@link LambdaRunner.Throttled}. Without reserved concurrency the call waits for a container, standing for Lambda
     * scaling out.
     */
    LambdaRunner.Result invokeSync(String payload, String requestId) {
        return run(payload, requestId, !reserved);
    }

    private LambdaRunner.Result run(String payload, String requestId, boolean waitForContainer) {
        Container container;
        try {
            container = acquire(waitForContainer, requestId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return LambdaRunner.Result.failed("Interrupted", "the local IoT Core is stopping");
        } catch (IOException e) {
            return LambdaRunner.Result.failed("Runtime.StartFailed", "cannot start a container: " + e);
        }
        try {
            long start = System.nanoTime();
            invocations.incrementAndGet();
            LambdaRunner.Result result = container.invoke(payload, requestId);
            if (result.error()) {
                errors.incrementAndGet();
            }
            if (!host.closed()) {
                host.observer.attempt(function, result);
            }
            host.log.event("lambda", function.logicalId() + " " + requestId + " " + (result.error() ? "ERROR" : "OK")
                    + " in " + (System.nanoTime() - start) / 1_000_000 + " ms (container " + container.name()
                    + ")" + (result.error() ? ": " + Container.abbreviate(result.body()) : ""));
            return result;
        } finally {
            release(container);
        }
    }

    /**
     * Waits its turn for a permit (an untimed wait: a timed one that expired would rejoin the queue at its end), or
     * when it may not wait takes a free one or is throttled; then takes the most recently used idle container or
     * starts one.
     */
    private Container acquire(boolean waitForContainer, String requestId) throws InterruptedException, IOException {
        if (host.closed()) {
            throw new InterruptedException("closed");
        }
        if (waitForContainer) {
            permits.acquire();
        } else if (!permits.tryAcquire()) {
            if (!host.closed()) {
                host.observer.throttled(function);
            }
            host.log.event("lambda", function.logicalId() + " " + requestId + " THROTTLED: all " + limit
                    + " container(s) of its reserved concurrency are busy");
            throw new LambdaRunner.Throttled();
        }
        try {
            return take();
        } catch (InterruptedException | IOException | RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    /** With a permit held, a container is free or may be started: the others hold at most {@code limit - 1}. */
    private synchronized Container take() throws InterruptedException, IOException {
        if (host.closed()) {
            throw new InterruptedException("closed");
        }
        for (Container container = idle.pollFirst(); container != null; container = idle.pollFirst()) {
            if (container.alive()) {
                return container;
            }
            all.remove(container);
        }
        all.removeIf(c -> !c.alive());
        Container started = new Container(this, function.logicalId() + "-" + (++sequence));
        all.add(started);
        return started;
    }

    private void release(Container container) {
        synchronized (this) {
            if (container.alive() && !host.closed()) {
                idle.addFirst(container);
            } else {
                all.remove(container);
                container.close();
            }
        }
        permits.release();
    }

    /** Stops every container; invocations still waiting for one are let through to find the pool closed. */
    void close() {
        synchronized (this) {
            all.forEach(Container::close);
            all.clear();
            idle.clear();
            if (waitersReleased) {
                return;
            }
            waitersReleased = true;
        }
        permits.release(Integer.MAX_VALUE / 2);
    }
}
