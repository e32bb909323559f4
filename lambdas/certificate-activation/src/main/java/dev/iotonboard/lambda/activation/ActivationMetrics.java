package dev.iotonboard.lambda.activation;

import dev.iotonboard.lambda.activation.model.ActivationResult;
import dev.iotonboard.lambda.core.EmbeddedMetrics;
import dev.iotonboard.lambda.core.EmbeddedMetrics.Record;
import dev.iotonboard.lambda.core.EmbeddedMetrics.Unit;
import java.util.List;

/**
 * The embedded-metric-format lines of one registered event (lambdas/README.md, "Metrics"): {@value #REGISTERED_EVENTS}
 * for every event answered (duplicates and malformed events included), and its outcome: {@value #ACTIVATED},
 * {@value #ALREADY_ACTIVE}, {@value #IN_PROGRESS}, or {@value #REJECTED} in total and per {@code Reason}.
 */
public final class ActivationMetrics {

    public static final String REGISTERED_EVENTS = "RegisteredEvents";
    public static final String ACTIVATED = "CertificatesActivated";
    public static final String ALREADY_ACTIVE = "CertificatesAlreadyActive";
    public static final String IN_PROGRESS = "ActivationsInProgress";
    public static final String REJECTED = "CertificatesRejected";

    private ActivationMetrics() {
    }

    /** The lines of {@code result}. */
    public static List<Record> of(ActivationResult result) {
        return switch (result.outcome()) {
            case ACTIVATED -> List.of(EmbeddedMetrics.count(ACTIVATED).metric(REGISTERED_EVENTS, 1, Unit.COUNT));
            case ALREADY_ACTIVE -> List.of(EmbeddedMetrics.count(ALREADY_ACTIVE)
                    .metric(REGISTERED_EVENTS, 1, Unit.COUNT));
            case IN_PROGRESS -> List.of(EmbeddedMetrics.count(IN_PROGRESS).metric(REGISTERED_EVENTS, 1, Unit.COUNT));
            case REJECTED -> List.of(EmbeddedMetrics.count(REGISTERED_EVENTS),
                    EmbeddedMetrics.countByReason(REJECTED, result.reason().name()));
        };
    }
}
