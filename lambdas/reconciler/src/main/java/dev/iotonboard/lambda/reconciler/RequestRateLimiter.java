package dev.iotonboard.lambda.reconciler;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * A client-side request-rate limit per IoT operation, installed on the SDK client as an interceptor. The SDK calls
 * {@link #beforeTransmission} before every HTTP attempt, retries included, so every request that counts against an
 * IoT quota passes through it. Requests of one operation are spaced {@code 1 / requestsPerSecond} apart (no
 * bursts); different operations do not wait for each other, matching IoT's per-operation quotas. The reconciler
 * thereby takes a known share of each quota and leaves the rest to the onboarding functions.
 */
public final class RequestRateLimiter implements ExecutionInterceptor {

    /** Waits; replaceable in tests so no test sleeps. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    private final int requestsPerSecond;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    private final Map<String, Long> nextSlot = new HashMap<>();

    public RequestRateLimiter(int requestsPerSecond) {
        this(requestsPerSecond, System::nanoTime,
                nanos -> Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000)));
    }

    RequestRateLimiter(int requestsPerSecond, LongSupplier nanoTime, Sleeper sleeper) {
        if (requestsPerSecond < 1) {
            throw new IllegalArgumentException("requestsPerSecond must be at least 1: " + requestsPerSecond);
        }
        this.requestsPerSecond = requestsPerSecond;
        this.intervalNanos = Duration.ofSeconds(1).toNanos() / requestsPerSecond;
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
    }

    /** Requests per second allowed per operation. */
    public int requestsPerSecond() {
        return requestsPerSecond;
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        acquire(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
    }

    /** Waits until {@code operation} may send its next request. */
    void acquire(String operation) {
        long wait;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            long slot = Math.max(now, nextSlot.getOrDefault(operation, now));
            nextSlot.put(operation, slot + intervalNanos);
            wait = slot - now;
        }
        if (wait <= 0) {
            return;
        }
        try {
            sleeper.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw SdkClientException.create("interrupted while waiting for the request-rate limit", e);
        }
    }
}
