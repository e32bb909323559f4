package dev.iotonboard.lambda.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.api.model.Decision;
import dev.iotonboard.lambda.testing.MutableClock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DecisionCacheTest {

    private final MutableClock clock = new MutableClock();

    @Test
    void cache_evictsLeastRecentlyUsedBeyondItsSize() {
        DecisionCache cache = new DecisionCache(Duration.ofMinutes(1), 2, clock);
        cache.put("a", Decision.allow("a", "thing-a"));
        cache.put("b", Decision.allow("b", "thing-b"));
        cache.get("a");
        cache.put("c", Decision.allow("c", "thing-c"));

        assertEquals(2, cache.size());
        assertTrue(cache.get("a").isPresent());
        assertEquals(Optional.empty(), cache.get("b"));
        assertTrue(cache.get("c").isPresent());
    }

    @Test
    void cache_forgetsEntriesAtTheirTtl() {
        DecisionCache cache = new DecisionCache(Duration.ofSeconds(10), 10, clock);
        cache.put("a", Decision.deny("a", "NOT_ACTIVE"));
        clock.advance(Duration.ofSeconds(9));
        assertEquals("NOT_ACTIVE", cache.get("a").orElseThrow().reason());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(Optional.empty(), cache.get("a"));
        assertEquals(0, cache.size());
    }
}
