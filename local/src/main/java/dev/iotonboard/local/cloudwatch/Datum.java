package dev.iotonboard.local.cloudwatch;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One metric data point as CloudWatch stores it: a metric (namespace, name, the exact dimension set) at a timestamp,
 * with one or more values (an EMF array is several samples) and a unit; {@code source} says where the stand-in saw it
 * (a function's log group, {@code lambda}, {@code sqs}, {@code apigateway}, {@code iot}).
 */
public record Datum(String namespace, String name, SortedMap<String, String> dimensions, Instant timestamp,
        List<Double> values, String unit, String source) {

    public Datum {
        dimensions = Collections.unmodifiableSortedMap(new TreeMap<>(dimensions));
        values = List.copyOf(values);
        unit = unit == null ? "None" : unit;
    }

    /** A single-value data point. */
    public static Datum of(String namespace, String name, Map<String, String> dimensions, Instant timestamp,
            double value, String unit, String source) {
        return new Datum(namespace, name, new TreeMap<>(dimensions), timestamp, List.of(value), unit, source);
    }
}
