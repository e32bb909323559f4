package dev.iotonboard.lambda.provisioning;

import dev.iotonboard.lambda.core.EmbeddedMetrics;
import dev.iotonboard.lambda.core.EmbeddedMetrics.Record;
import dev.iotonboard.lambda.provisioning.model.AnnouncementResult;
import dev.iotonboard.lambda.provisioning.model.ProvisioningResult;
import java.util.List;

/**
 * The embedded-metric-format lines of one provisioning request and of one renewal announcement (lambdas/README.md,
 * "Metrics"): {@value #PROVISIONED} (replays included) or {@value #REFUSED} in total and per {@code Reason};
 * {@value #ANNOUNCED} (replays included) or {@value #ANNOUNCEMENT_REFUSED} in total and per {@code Reason}.
 */
public final class ProvisioningMetrics {

    public static final String PROVISIONED = "DevicesProvisioned";
    public static final String REFUSED = "ProvisioningRefused";
    public static final String ANNOUNCED = "RenewalsAnnounced";
    public static final String ANNOUNCEMENT_REFUSED = "RenewalAnnouncementsRefused";

    private ProvisioningMetrics() {
    }

    /** The line of a provisioning request's {@code result}. */
    public static List<Record> of(ProvisioningResult result) {
        return List.of(switch (result.outcome()) {
            case PROVISIONED -> EmbeddedMetrics.count(PROVISIONED);
            case REJECTED -> EmbeddedMetrics.countByReason(REFUSED, result.reason().name());
        });
    }

    /** The line of a renewal announcement's {@code result}. */
    public static List<Record> of(AnnouncementResult result) {
        return List.of(switch (result.outcome()) {
            case RECORDED -> EmbeddedMetrics.count(ANNOUNCED);
            case REFUSED -> EmbeddedMetrics.countByReason(ANNOUNCEMENT_REFUSED, result.reason().name());
        });
    }
}
