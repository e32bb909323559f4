package dev.iotonboard.bench;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter above a floor, the algorithm of scripts/device/jitr.sh: retry k (0 = the first)
 * waits a uniformly random time between {@code initial / 2} and {@code min(cap, initial * 2^k)}. The first retry
 * waits between half and all of {@code initial}; later ones spread over [initial / 2, ceiling] ("full jitter", AWS
 * Architecture Blog, "Exponential Backoff And Jitter"), so a fleet that powers on at once does not retry in waves.
 * The floor keeps every retry off the heels of the last attempt: with JITR, each retry while the certificate is
 * PENDING_ACTIVATION republishes the registered event (a duplicate for the activation function).
 */
public record Backoff(Duration initial, Duration cap) {

    public Backoff {
        if (initial.isNegative() || initial.isZero() || cap.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= cap, got " + initial + ", " + cap);
        }
    }

    /** The shortest wait of any retry: half the initial delay. */
    public long floorMillis() {
        return initial.toMillis() / 2;
    }

    /** The longest wait of retry {@code attempt} (0 = the first retry): min(cap, initial * 2^attempt). */
    public long ceilingMillis(int attempt) {
        long ceiling = initial.toMillis() << Math.min(attempt, 20);
        return Math.min(cap.toMillis(), ceiling);
    }

    /** The wait before retry {@code attempt}, uniformly random between the floor and its ceiling. */
    public long delayMillis(int attempt) {
        long floor = floorMillis();
        return floor + ThreadLocalRandom.current().nextLong(ceilingMillis(attempt) - floor + 1);
    }
}
