package dev.iotonboard.lambda.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RecentlyDoneTest {

    @Test
    void remembersUpToCapacity_evictingTheLeastRecentlyUsed() {
        RecentlyDone<String> done = new RecentlyDone<>(2);
        done.remember("a");
        done.remember("b");
        assertTrue(done.contains("a"));

        done.remember("c");

        assertTrue(done.contains("a"), "a was used after b, so b is evicted");
        assertFalse(done.contains("b"));
        assertTrue(done.contains("c"));
        assertEquals(2, done.size());
    }

    @Test
    void forgetsNothingThatWasNeverRemembered() {
        RecentlyDone<String> done = new RecentlyDone<>(RecentlyDone.DEFAULT_CAPACITY);
        assertFalse(done.contains("a"));
        assertEquals(0, done.size());
    }

    @Test
    void rejectsCapacityBelowOne() {
        assertThrows(IllegalArgumentException.class, () -> new RecentlyDone<String>(0));
    }
}
