package dev.iotonboard.lambda.core.registry;

/** The step that wrote a certificate or CA item (attribute {@code step}; docs/contracts.md, device registry). */
public enum Step {
    /** Activation set the certificate ACTIVE (or found it so). */
    ACTIVATED,
    /** Activation refused the certificate and set the status it records. */
    REJECTED,
    /** Provisioning attached the certificate to its thing. */
    PROVISIONED,
    /** Provisioning refused the request (the item's {@code reason} says why). */
    REFUSED,
    /** A renewal: the new certificate took the thing. */
    RENEWED,
    /** A renewal: the old certificate, detached and set INACTIVE. */
    RETIRED,
    /** An operator moved the certificate to another thing. */
    REBOUND,
    /** An operator decommissioned the device. */
    DECOMMISSIONED,
    /** An operator revoked the certificate. */
    REVOKED,
    /** The CloudTrail sync re-read IoT after a change made outside the project. */
    SYNCED,
    /** The reconciler repaired drift. */
    RECONCILED
}
