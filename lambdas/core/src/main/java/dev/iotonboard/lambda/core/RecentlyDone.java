package dev.iotonboard.lambda.core;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded in-container memory of work this container has finished (certificate ids, (certificate, thing) pairs),
 * least recently used evicted first. A handler consults it only to skip work it has already done, so a duplicate
 * delivery costs no IoT call; it never decides a write. Lost on a cold start, and not shared between containers:
 * another container simply does the (idempotent) work again.
 *
 * @param <K> the key of one finished piece of work
 */
public final class RecentlyDone<K> {

    /** Entries a handler keeps by default: ids are ~100 bytes, so ~1-2 MB at most. */
    public static final int DEFAULT_CAPACITY = 10_000;

    private final Map<K, Boolean> entries;

    public RecentlyDone(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    /** True when {@code key} was {@linkplain #remember remembered} and not evicted since (refreshes its age). */
    public synchronized boolean contains(K key) {
        return entries.get(key) != null;
    }

    public synchronized void remember(K key) {
        entries.put(key, Boolean.TRUE);
    }

    public synchronized int size() {
        return entries.size();
    }
}
