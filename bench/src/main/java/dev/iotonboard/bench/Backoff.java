package dev.iotonboard.bench;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with "equal jitter" (half the step fixed, half random): attempt k waits
 * {@code min(cap, initial * 2^k) * (0.5 + random/2)}. Equal rather than full jitter, so a device never retries at
 * once: with JITR every early retry of a PENDING_ACTIVATION certificate republishes the registered event.
 */
public record Backoff(Duration initial, Duration cap) {

    public Backoff {
        if (initial.isNegative() || initial.isZero() || cap.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= cap, got " + initial + ", " + cap);
        }
    }

    /** The step before jitter for attempt {@code attempt} (0 = the first retry). */
    public long stepMillis(int attempt) {
        long step = initial.toMillis() << Math.min(attempt, 20);
        return Math.min(cap.toMillis(), step);
    }

    /** The wait before retry {@code attempt}, jittered. */
    public long delayMillis(int attempt) {
        long step = stepMillis(attempt);
        return step / 2 + ThreadLocalRandom.current().nextLong(step / 2 + 1);
    }
}
