package dev.iotonboard.local.cloudwatch;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The recorded metric data points, oldest first, and the EMF lines refused. Bounded: data points older than
 * {@link #RETENTION} and refusals beyond the last {@link #MAX_REFUSED} are dropped (CloudWatch keeps data much longer;
 * the stand-in runs for minutes).
 */
public final class MetricStore {
    /** How long a data point is kept. */
    public static final Duration RETENTION = Duration.ofHours(6);
    static final int MAX_REFUSED = 100;

    /** An EMF line CloudWatch would extract no metric from: where it came from, why, and the line (abbreviated). */
    public record Refused(Instant at, String source, String reason, String line) {
    }

    private final Deque<Datum> data = new ArrayDeque<>();
    private final Deque<Refused> refused = new ArrayDeque<>();
    private final Supplier<Instant> clock;

    public MetricStore() {
        this(Instant::now);
    }

    public MetricStore(Supplier<Instant> clock) {
        this.clock = clock;
    }

    public synchronized void put(Datum datum) {
        data.addLast(datum);
        Instant oldest = clock.get().minus(RETENTION);
        while (!data.isEmpty() && data.peekFirst().timestamp().isBefore(oldest)) {
            data.removeFirst();
        }
    }

    public synchronized void refuse(Refused line) {
        refused.addLast(line);
        while (refused.size() > MAX_REFUSED) {
            refused.removeFirst();
        }
    }

    /** Every data point kept, oldest first. */
    public synchronized List<Datum> all() {
        return new ArrayList<>(data);
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
        List<Datum> found = new ArrayList<>();
        for (Datum datum : data) {
            if (datum.isOf(namespace, name, dimensions) && (unit == null || unit.equals(datum.unit()))
                    && !datum.timestamp().isBefore(from) && datum.timestamp().isBefore(to)) {
                found.add(datum);
            }
        }
        return found;
    }
}
