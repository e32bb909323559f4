package dev.iotonboard.lambda.reconciler;

import dev.iotonboard.lambda.core.EmbeddedMetrics;
import dev.iotonboard.lambda.core.EmbeddedMetrics.Record;
import dev.iotonboard.lambda.core.EmbeddedMetrics.Unit;

/**
 * The embedded-metric-format line of one reconciler run (lambdas/README.md, "Metrics"), every metric written on every
 * run, zero included, so an alarm sees a figure each run: {@value #PENDING_REPAIRED} (pending certificates the run
 * activated), {@value #ACTIVE_WITHOUT_THING}, {@value #DRIFT} (every finding out of line with the contract, repaired
 * or not: those two plus certificates on a thing other than their CN, or still holding the JITR policy; a pending
 * certificate the activation rules rejected again is in line with them and not counted; device registry items
 * missing or out of line with IoT are drift too), {@value #REGISTRY_DRIFT} (those items alone), and
 * {@value #SCAN_INCOMPLETE} (1 when the run stopped early for time).
 */
public final class ReconcilerMetrics {

    public static final String PENDING_REPAIRED = "ReconcilerPendingRepaired";
    public static final String ACTIVE_WITHOUT_THING = "ReconcilerActiveWithoutThing";
    public static final String DRIFT = "ReconcilerDrift";
    public static final String REGISTRY_DRIFT = "ReconcilerRegistryDrift";
    public static final String SCAN_INCOMPLETE = "ReconcilerScanIncomplete";

    private ReconcilerMetrics() {
    }

    /** The line of a run with these counts of findings. */
    public static Record of(int pendingRepaired, int activeWithoutThing, int thingNotCertificateCn,
            int jitrPolicyLeft, int registryDrift, boolean complete) {
        return EmbeddedMetrics.record()
                .metric(PENDING_REPAIRED, pendingRepaired, Unit.COUNT)
                .metric(ACTIVE_WITHOUT_THING, activeWithoutThing, Unit.COUNT)
                .metric(DRIFT, pendingRepaired + activeWithoutThing + thingNotCertificateCn + jitrPolicyLeft
                        + registryDrift, Unit.COUNT)
                .metric(REGISTRY_DRIFT, registryDrift, Unit.COUNT)
                .metric(SCAN_INCOMPLETE, complete ? 0 : 1, Unit.COUNT);
    }
}
