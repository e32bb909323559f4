package dev.iotonboard.local.cloudwatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MetricStoreTest {
    private static final Instant T0 = Instant.parse("2026-11-30T12:00:00Z");
    private final AtomicReference<Instant> now = new AtomicReference<>(T0);
    private final MetricStore store = new MetricStore(now::get);

    private static Datum point(String name, Map<String, String> dimensions, Instant at, double value, String unit) {
        return Datum.of("IotOnboarding", name, dimensions, at, value, unit, "test");
    }

    private static List<Double> values(List<Datum> data) {
        return data.stream().map(d -> d.values().get(0)).toList();
    }

    @Test
    void aQuery_returnsOnlyItsMetricsExactDimensionSet_unit_andTimeRange() {
        store.put(point("Rejected", Map.of("Reason", "CA_NOT_ALLOWED"), T0, 1, "Count"));
        store.put(point("Rejected", Map.of(), T0, 2, "Count"));
        store.put(point("Rejected", Map.of(), T0.plusSeconds(59), 3, "Count"));
        store.put(point("Rejected", Map.of(), T0.plusSeconds(60), 4, "Count"));
        store.put(point("Rejected", Map.of(), T0.minusMillis(1), 5, "Count"));
        store.put(point("Rejected", Map.of(), T0.plusSeconds(1), 6, "Milliseconds"));
        store.put(point("Other", Map.of(), T0, 7, "Count"));

        assertEquals(List.of(2.0, 6.0, 3.0), values(store.of("IotOnboarding", "Rejected", Map.of(), null, T0,
                T0.plusSeconds(60))), "[from, to), in timestamp order, any unit");
        assertEquals(List.of(2.0, 3.0), values(store.of("IotOnboarding", "Rejected", new TreeMap<>(), "Count", T0,
                T0.plusSeconds(60))));
        assertEquals(List.of(1.0), values(store.of("IotOnboarding", "Rejected", Map.of("Reason", "CA_NOT_ALLOWED"),
                null, T0.minusSeconds(60), T0.plusSeconds(60))));
        assertEquals(List.of(), store.of("AWS/Lambda", "Rejected", Map.of(), null, T0, T0.plusSeconds(60)));
        assertEquals(List.of(), store.of("IotOnboarding", "Rejected", Map.of(), null, T0, T0), "an empty range");
    }

    @Test
    void dataPointsOfTheSameTimestamp_keepTheirArrivalOrder_andAllIsOldestFirst() {
        store.put(point("A", Map.of(), T0.plusSeconds(5), 1, "Count"));
        store.put(point("B", Map.of(), T0, 2, "Count"));
        store.put(point("A", Map.of(), T0, 3, "Count"));
        store.put(point("A", Map.of(), T0, 4, "Count"));

        assertEquals(List.of(3.0, 4.0, 1.0), values(store.of("IotOnboarding", "A", Map.of(), null, T0,
                T0.plusSeconds(10))));
        assertEquals(List.of(2.0, 3.0, 4.0, 1.0), values(store.all()));
    }

    @Test
    void dataPointsOlderThanTheRetention_areDropped_fromEveryMetric() {
        store.put(point("Written", Map.of(), T0, 1, "Count"));
        store.put(point("Idle", Map.of(), T0, 2, "Count"));
        now.set(T0.plus(MetricStore.RETENTION).plusSeconds(1));
        store.put(point("Written", Map.of(), now.get(), 3, "Count"));

        assertEquals(List.of(3.0), values(store.all()), "the metric no longer written expires too");
        assertEquals(List.of(), store.of("IotOnboarding", "Idle", Map.of(), null, T0, now.get()));
        assertEquals(List.of(3.0), values(store.of("IotOnboarding", "Written", Map.of(), null, T0,
                now.get().plus(Duration.ofSeconds(1)))));
    }
}
