package dev.iotonboard.local.lambda;

import dev.iotonboard.local.stack.StackTemplate;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The containers of one function: a warm one is reused (most recently used first), a new one is started while fewer
 * than the function's reserved concurrency (or the default concurrency) run, and beyond that an invocation waits for
 * one to be free. Counts the attempts, their errors and the containers crashed by faults.
 */
final class ContainerPool {
    private final StackTemplate.Function function;
    private final ContainerHost host;
    private final int limit;
    private final Deque<Container> idle = new ArrayDeque<>();
    private final List<Container> all = new ArrayList<>();
    private int sequence;
    final AtomicLong invocations = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong crashes = new AtomicLong();

    ContainerPool(StackTemplate.Function function, ContainerHost host) {
        this.function = function;
        this.host = host;
        this.limit = function.reservedConcurrency() != null && function.reservedConcurrency() > 0
                ? function.reservedConcurrency() : host.settings.defaultConcurrency();
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

    /** Runs one attempt of an event in a free container, waiting for one when all are busy. */
    LambdaRunner.Result invoke(String payload, String requestId) {
        Container container;
        try {
            container = acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return LambdaRunner.Result.failed("Interrupted", "the local IoT Core is stopping");
        } catch (IOException e) {
            return LambdaRunner.Result.failed("Runtime.StartFailed", "cannot start a container: " + e);
        }
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
        release(container);
        return result;
    }

    private synchronized Container acquire() throws InterruptedException, IOException {
        while (true) {
            if (host.closed()) {
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
        if (container.alive() && !host.closed()) {
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
