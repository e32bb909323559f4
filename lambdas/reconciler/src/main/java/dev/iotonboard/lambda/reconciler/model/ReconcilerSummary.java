package dev.iotonboard.lambda.reconciler.model;

import java.util.List;

/**
 * What one run answers and logs (docs/contracts.md, "Reconciler input/output").
 *
 * @param caCertificateId    the CA whose certificates were scanned
 * @param scanned            certificates examined (registered within the lookback)
 * @param activated          pending certificates past the grace period that this run activated
 * @param rejected           pending certificates past the grace period that were left as they are (e.g. an invalid
 *                           certificate, or one revoked meanwhile)
 * @param activeWithoutThing ACTIVE certificates past the grace period with no thing, at most
 *                           {@value #MAX_REPORTED} (each one is also logged)
 * @param complete           false when the run stopped early to stay inside its time; the next run starts again
 */
public record ReconcilerSummary(String caCertificateId, int scanned, int activated, int rejected,
        List<String> activeWithoutThing, boolean complete) {

    /** The most certificate ids {@link #activeWithoutThing} carries. */
    public static final int MAX_REPORTED = 100;
}
