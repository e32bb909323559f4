package dev.iotonboard.lambda.api;

import dev.iotonboard.lambda.api.model.Decision;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Authorization decisions per certificate id, for a bounded time and a bounded number of certificates (least
 * recently used evicted first). Absorbs a device's bursts of calls; the price is that a revoked or deactivated
 * certificate keeps API access for at most the TTL after the registry records it. A TTL of zero disables the cache.
 * A transient denial (no thing yet, still pending activation) is kept at most {@link #TRANSIENT_TTL}, so a device that
 * calls the API just before onboarding finishes is not refused for the whole TTL.
 */
public final class DecisionCache {

    /** The longest a transient denial is cached. */
    public static final Duration TRANSIENT_TTL = Duration.ofSeconds(5);

    private record Entry(Decision decision, Instant expiresAt) {
    }

    private final Duration ttl;
    private final Clock clock;
    private final Map<String, Entry> entries;

    public DecisionCache(Duration ttl, int maxEntries, Clock clock) {
        this.ttl = ttl;
        this.clock = clock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > maxEntries;
            }
        };
    }

    public synchronized Optional<Decision> get(String certificateId) {
        Entry entry = entries.get(certificateId);
        if (entry == null) {
            return Optional.empty();
        }
        if (!clock.instant().isBefore(entry.expiresAt())) {
            entries.remove(certificateId);
            return Optional.empty();
        }
        return Optional.of(entry.decision());
    }

    public synchronized void put(String certificateId, Decision decision) {
        if (ttl.isZero()) {
            return;
        }
        Duration keep = decision.transientDenial() && TRANSIENT_TTL.compareTo(ttl) < 0 ? TRANSIENT_TTL : ttl;
        entries.put(certificateId, new Entry(decision, clock.instant().plus(keep)));
    }

    public synchronized int size() {
        return entries.size();
    }
}
