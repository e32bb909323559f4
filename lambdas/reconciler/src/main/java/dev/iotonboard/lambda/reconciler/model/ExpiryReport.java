package dev.iotonboard.lambda.reconciler.model;

import java.util.List;

/**
 * What one expiry scan answers and logs (lambdas/README.md, "expiry watch"). The same figures go to CloudWatch as
 * embedded-metric-format lines.
 *
 * @param warningDays     a certificate or CA that expires within this many days is "expiring soon"
 * @param complete        false when a scan stopped early to stay inside the invocation's time (the counts of the CAs
 *                        not complete are then lower bounds), or a CA is not registered
 * @param cas             per configured CA, in the configured order
 * @param soonestExpiring the ACTIVE certificates that expire first (expired ones included), soonest first, at most
 *                        {@value #MAX_DEVICES}
 */
public record ExpiryReport(int warningDays, boolean complete, List<CaExpiry> cas,
        List<ExpiringDevice> soonestExpiring) {

    /** The most devices {@link #soonestExpiring} lists. */
    public static final int MAX_DEVICES = 20;

    /**
     * One CA.
     *
     * @param caCertificateId     the CA
     * @param caStatus            its status (ACTIVE, INACTIVE); null when it is not registered
     * @param caNotAfter          when the CA certificate expires (ISO-8601); null when not registered
     * @param caDaysLeft          whole days until then (negative once expired); null when not registered
     * @param activeCertificates  ACTIVE certificates of the CA examined
     * @param expiringSoon        of those, not expired yet but expiring within {@code warningDays}
     * @param expired             of those, already expired (and still ACTIVE)
     * @param complete            false when the scan of its certificates stopped early or the CA is not registered
     */
    public record CaExpiry(String caCertificateId, String caStatus, String caNotAfter, Long caDaysLeft,
            int activeCertificates, int expiringSoon, int expired, boolean complete) {
    }

    /**
     * One device certificate.
     *
     * @param thingName       the certificate's subject CN when it is a valid thing name (the identity rule); else null
     * @param certificateId   the certificate
     * @param caCertificateId its CA
     * @param notAfter        when it expires (ISO-8601)
     * @param daysLeft        whole days until then (negative once expired)
     */
    public record ExpiringDevice(String thingName, String certificateId, String caCertificateId, String notAfter,
            long daysLeft) {
    }
}
