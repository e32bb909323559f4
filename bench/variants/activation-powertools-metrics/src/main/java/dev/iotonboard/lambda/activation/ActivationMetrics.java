package dev.iotonboard.lambda.activation;

import dev.iotonboard.lambda.activation.model.ActivationResult;
import dev.iotonboard.lambda.core.EmbeddedMetrics;
import dev.iotonboard.lambda.core.EmbeddedMetrics.Record;
import java.util.List;
import software.amazon.lambda.powertools.metrics.Metrics;
import software.amazon.lambda.powertools.metrics.MetricsFactory;
import software.amazon.lambda.powertools.metrics.model.DimensionSet;
import software.amazon.lambda.powertools.metrics.model.MetricUnit;

/**
 * Benchmark variant of the function's {@code ActivationMetrics}: the same metrics, written by Powertools metrics
 * (functional API, no AspectJ) when the handler asks for the lines; it hands the handler no line of its own.
 */
public final class ActivationMetrics {

    public static final String REGISTERED_EVENTS = "RegisteredEvents";
    public static final String ACTIVATED = "CertificatesActivated";
    public static final String ALREADY_ACTIVE = "CertificatesAlreadyActive";
    public static final String REJECTED = "CertificatesRejected";

    private static final Metrics METRICS = MetricsFactory.getMetricsInstance();

    static {
        METRICS.setNamespace(EmbeddedMetrics.NAMESPACE);
        METRICS.clearDefaultDimensions();
    }

    private ActivationMetrics() {
    }

    /** Writes the lines of {@code result} through Powertools; returns none for the handler to write. */
    public static List<Record> of(ActivationResult result) {
        switch (result.outcome()) {
            case ACTIVATED -> count(ACTIVATED);
            case ALREADY_ACTIVE -> count(ALREADY_ACTIVE);
            case REJECTED -> {
                METRICS.addMetric(REGISTERED_EVENTS, 1, MetricUnit.COUNT);
                METRICS.flush();
                METRICS.addDimension(DimensionSet.of(EmbeddedMetrics.REASON, result.reason().name()));
                METRICS.addMetric(REJECTED, 1, MetricUnit.COUNT);
                METRICS.flush();
            }
        }
        return List.of();
    }

    private static void count(String metric) {
        METRICS.addMetric(metric, 1, MetricUnit.COUNT);
        METRICS.addMetric(REGISTERED_EVENTS, 1, MetricUnit.COUNT);
        METRICS.flush();
    }
}
