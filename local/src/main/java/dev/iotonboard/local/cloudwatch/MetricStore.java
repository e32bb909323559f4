package dev.iotonboard.local.cloudwatch;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The recorded metric data points, kept per metric in timestamp order, and the EMF lines refused. Bounded: data points
 * older than {@link #RETENTION} and refusals beyond the last {@link #MAX_REFUSED} are dropped (CloudWatch keeps data
 * much longer; the stand-in runs for minutes). A query reads one metric's data points in one time range, so an alarm's
 * evaluation costs what its periods hold, not what the whole store holds.
 */
public final class MetricStore {
    /** How long a data point is kept. */
    public static final Duration RETENTION = Duration.ofHours(6);
    static final int MAX_REFUSED = 100;
    /** How often every metric, written to or not, drops its expired data points. */
    private static final Duration EXPIRE_ALL_EVERY = Duration.ofMinutes(1);

    /** An EMF line CloudWatch would extract no metric from: where it came from, why, and the line (abbreviated). */
    public record Refused(Instant at, String source, String reason, String line) {
    }

    /** A metric as CloudWatch identifies it: namespace, name and the exact dimension set. */
    private record Metric(String namespace, String name, Map<String, String> dimensions) {
    }

    /** A data point and its place in the order of arrival. */
    private record Recorded(long sequence, Datum datum) {
    }

    /** Each metric's data points by timestamp; those of the same timestamp in arrival order. */
    private final Map<Metric, NavigableMap<Instant, List<Recorded>>> series = new HashMap<>();
    private long recorded;
    private final Deque<Refused> refused = new ArrayDeque<>();
    private final Supplier<Instant> clock;
    private Instant expiredAllAt = Instant.MIN;

    public MetricStore() {
        this(Instant::now);
    }

    public MetricStore(Supplier<Instant> clock) {
        this.clock = clock;
    }

    public synchronized void put(Datum datum) {
        Instant now = clock.get();
        if (!now.isBefore(expiredAllAt.plus(EXPIRE_ALL_EVERY))) {
            expireAll();
            expiredAllAt = now;
        }
        Metric metric = new Metric(datum.namespace(), datum.name(), datum.dimensions());
        series.computeIfAbsent(metric, m -> new TreeMap<>())
                .computeIfAbsent(datum.timestamp(), t -> new ArrayList<>(1)).add(new Recorded(recorded++, datum));
        expire(metric);
    }

    public synchronized void refuse(Refused line) {
        refused.addLast(line);
        while (refused.size() > MAX_REFUSED) {
            refused.removeFirst();
        }
    }

    /** Every data point kept, oldest first; those of the same timestamp in the order they arrived. */
    public synchronized List<Datum> all() {
        expireAll();
        List<Recorded> all = new ArrayList<>();
        series.values().forEach(points -> points.values().forEach(all::addAll));
        all.sort(Comparator.comparing((Recorded r) -> r.datum().timestamp()).thenComparingLong(Recorded::sequence));
        return all.stream().map(Recorded::datum).toList();
    }

    /** The refused EMF lines kept, oldest first. */
    public synchronized List<Refused> refused() {
        return new ArrayList<>(refused);
    }

    /**
     * The data points of one metric (namespace, name, exactly {@code dimensions}) with a timestamp in
     * [{@code from}, {@code to}); {@code unit} null matches any unit, else only data points of that unit (as an
     * alarm's {@code Unit} filters).
     */
    public synchronized List<Datum> of(String namespace, String name, Map<String, String> dimensions, String unit,
            Instant from, Instant to) {
        Metric metric = new Metric(namespace, name, dimensions);
        NavigableMap<Instant, List<Recorded>> points = series.get(metric);
        List<Datum> found = new ArrayList<>();
        if (points == null || !from.isBefore(to)) {
            return found;
        }
        expire(metric);
        for (List<Recorded> same : points.subMap(from, true, to, false).values()) {
            for (Recorded point : same) {
                if (unit == null || unit.equals(point.datum().unit())) {
                    found.add(point.datum());
                }
            }
        }
        return found;
    }

    private void expireAll() {
        List.copyOf(series.keySet()).forEach(this::expire);
    }

    private void expire(Metric metric) {
        NavigableMap<Instant, List<Recorded>> points = series.get(metric);
        points.headMap(clock.get().minus(RETENTION)).clear();
        if (points.isEmpty()) {
            series.remove(metric);
        }
    }
}
