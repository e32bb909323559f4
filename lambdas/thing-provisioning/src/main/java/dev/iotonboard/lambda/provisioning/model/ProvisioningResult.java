package dev.iotonboard.lambda.provisioning.model;

/**
 * What the function answers (and logs) for one request.
 *
 * @param thingName     the requested thing name (as received)
 * @param certificateId the certificate from {@code principal()}
 * @param outcome       PROVISIONED (also for a replay: every step is idempotent) or REJECTED
 * @param reason        for REJECTED: a stable code; otherwise null
 * @param detail        human-readable explanation
 * @param certificateDeactivated true when the request asked for a thing the certificate may not hold (a security
 *                      event): the certificate was set INACTIVE and lost its JITR policy
 */
public record ProvisioningResult(String thingName, String certificateId, Outcome outcome, Reason reason,
        String detail, boolean certificateDeactivated) {

    /** The result of one request. */
    public enum Outcome { PROVISIONED, REJECTED }

    /** Why a request was rejected (permanent: not retried). */
    public enum Reason {
        MALFORMED_EVENT,
        INVALID_THING_NAME,
        CERTIFICATE_NOT_FOUND,
        CERTIFICATE_NOT_ACTIVE,
        UNKNOWN_CA,
        /** The certificate's subject names no valid thing (it was activated outside the activation function). */
        CERTIFICATE_NAMES_NO_THING,
        /** The request asked for a thing other than the certificate's CN: a security event. */
        THING_NAME_NOT_CERTIFICATE_CN,
        CERTIFICATE_ON_ANOTHER_THING,
        THING_OWNED_BY_ANOTHER_CERTIFICATE,
        /** A renewal announcement names the certificate, but it is older than the renewal window. */
        RENEWAL_ANNOUNCEMENT_EXPIRED,
        /** The certificate that announced this one is no longer attached to the thing. */
        RENEWAL_ANNOUNCER_NOT_ON_THING,
        /** A configured thing attribute's certificate field is missing, ambiguous or not a valid attribute value. */
        CERTIFICATE_FIELD_NOT_ATTRIBUTE,
        /** IoT refused the thing's type or attributes (a deprecated type, too many attributes): nothing written. */
        PLACEMENT_REFUSED
    }

    public static ProvisioningResult provisioned(String thingName, String certificateId) {
        return new ProvisioningResult(thingName, certificateId, Outcome.PROVISIONED, null,
                "thing exists, certificate attached, app policy attached, JITR policy detached", false);
    }

    /** The certificate took the thing over from {@code retired} (set INACTIVE unless REVOKED, detached). */
    public static ProvisioningResult renewed(String thingName, String certificateId,
            java.util.List<String> retired) {
        return new ProvisioningResult(thingName, certificateId, Outcome.PROVISIONED, null,
                "renewed: certificate attached to the thing with the app policy, JITR policy detached; retired "
                        + retired + " (INACTIVE unless REVOKED, policies detached, detached from the thing)", false);
    }

    /** A repeated request this container had already completed: answered without any IoT call. */
    public static ProvisioningResult duplicate(String thingName, String certificateId) {
        return new ProvisioningResult(thingName, certificateId, Outcome.PROVISIONED, null,
                "duplicate seen by this container: already provisioned (no IoT call)", false);
    }

    /** A request published before the registry recorded this binding: answered without any IoT call. */
    public static ProvisioningResult provisionedSince(String thingName, String certificateId) {
        return new ProvisioningResult(thingName, certificateId, Outcome.PROVISIONED, null,
                "duplicate: the registry recorded this binding after the request was published (no IoT call)", false);
    }

    public static ProvisioningResult rejected(String thingName, String certificateId, Reason reason, String detail) {
        return new ProvisioningResult(thingName, certificateId, Outcome.REJECTED, reason, detail, false);
    }

    /** A refusal that deactivated the certificate: it asked for a thing it may not hold. */
    public static ProvisioningResult deactivated(String thingName, String certificateId, Reason reason,
            String detail) {
        return new ProvisioningResult(thingName, certificateId, Outcome.REJECTED, reason, detail, true);
    }
}
