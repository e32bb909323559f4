package dev.iotonboard.lambda.activation.model;

/**
 * What the function answers (and logs) for one event. Lambda drops the answer of an asynchronous invocation; it is
 * there for tests, manual invocations and the local tool.
 *
 * @param certificateId the certificate the event named (null when the event had none)
 * @param outcome       ACTIVATED, ALREADY_ACTIVE, IN_PROGRESS (a duplicate that arrived while another invocation
 *                      activates the same registration) or REJECTED
 * @param reason        for REJECTED: a stable code (see {@link Reason}); otherwise null
 * @param detail        human-readable explanation
 */
public record ActivationResult(String certificateId, Outcome outcome, Reason reason, String detail) {

    /** The result of one event. */
    public enum Outcome { ACTIVATED, ALREADY_ACTIVE, IN_PROGRESS, REJECTED }

    /** Why an event was rejected (permanent: the event is not retried). */
    public enum Reason {
        MALFORMED_EVENT,
        UNKNOWN_CA,
        CERTIFICATE_NOT_FOUND,
        NOT_PENDING_ACTIVATION,
        ACTIVE_WITHOUT_POLICY,
        INVALID_CERTIFICATE,
        CA_NOT_ACTIVE,
        STATE_CHANGED,
        /** allowList=true: the certificate's CN is not on the allow-list, or listed with another fingerprint. */
        NOT_ALLOWED,
        /** allowList=true: the CN's entry was used by another certificate already. */
        ALLOW_ENTRY_USED
    }

    public static ActivationResult activated(String certificateId) {
        return new ActivationResult(certificateId, Outcome.ACTIVATED, null, "JITR policy attached, then activated");
    }

    public static ActivationResult alreadyActive(String certificateId, String detail) {
        return new ActivationResult(certificateId, Outcome.ALREADY_ACTIVE, null, detail);
    }

    public static ActivationResult inProgress(String certificateId, String detail) {
        return new ActivationResult(certificateId, Outcome.IN_PROGRESS, null, detail);
    }

    public static ActivationResult rejected(String certificateId, Reason reason, String detail) {
        return new ActivationResult(certificateId, Outcome.REJECTED, reason, detail);
    }
}
