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
 * @param registryDrift         where the device registry table disagreed with IoT about the certificates examined,
 *                              and what was repaired (all zero without a table)
 */
public record ReconcilerSummary(List<String> caCertificateIds, int scanned, int activated, int rejected,
        List<String> activeWithoutThing, List<String> thingNotCertificateCn, List<String> jitrPolicyLeft,
        boolean complete, RegistryDrift registryDrift) {

    /** The most certificate ids each list carries. */
    public static final int MAX_REPORTED = 100;

    /**
     * The table compared with IoT, for each certificate past the grace period the run examined.
     *
     * @param checked  certificates compared (0: no table configured)
     * @param missing  IoT has the certificate, the table no item
     * @param status   the item's status differs from IoT's
     * @param binding  an ACTIVE certificate's item names another thing (or none) than IoT has it attached to
     * @param repaired items rewritten from IoT (step RECONCILED); a drifted item that newer state reached meanwhile is
     *                 left as it is
     * @param drifted  the certificates that drifted (at most {@value ReconcilerSummary#MAX_REPORTED})
     * @param cas      CA items rewritten because they were missing or named another status than IoT's
     */
    public record RegistryDrift(int checked, int missing, int status, int binding, int repaired,
            List<String> drifted, int cas) {
        public static final RegistryDrift NONE = new RegistryDrift(0, 0, 0, 0, 0, List.of(), 0);

        public RegistryDrift {
            drifted = List.copyOf(drifted);
        }
    }
}
