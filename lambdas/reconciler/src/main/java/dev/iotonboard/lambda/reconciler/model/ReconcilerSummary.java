package dev.iotonboard.lambda.reconciler.model;

import java.util.List;

/**
 * What one run answers and logs (docs/contracts.md, "Reconciler input/output"). Each list carries at most
 * {@value #MAX_REPORTED} certificate ids; every finding is also logged.
 *
 * @param caCertificateIds      the CAs whose certificates were scanned, in order
 * @param scanned               certificates examined (registered within the lookback)
 * @param activated             pending certificates past the grace period that this run activated
 * @param rejected              pending certificates past the grace period that were left as they are (e.g. an
 *                              invalid certificate, one revoked meanwhile, or one of a CA set INACTIVE)
 * @param activeWithoutThing    ACTIVE certificates past the grace period with no thing
 * @param thingNotCertificateCn ACTIVE certificates attached to a thing other than their subject CN (or to several):
 *                              the identity rule is broken, a security finding
 * @param jitrPolicyLeft        ACTIVE certificates with their thing that still hold the JITR policy (a failed
 *                              DetachPolicy at provisioning): they may still publish to the JITR topics
 * @param complete              false when the run stopped early to stay inside its time; the next run starts again
 */
public record ReconcilerSummary(List<String> caCertificateIds, int scanned, int activated, int rejected,
        List<String> activeWithoutThing, List<String> thingNotCertificateCn, List<String> jitrPolicyLeft,
        boolean complete) {

    /** The most certificate ids each list carries. */
    public static final int MAX_REPORTED = 100;
}
