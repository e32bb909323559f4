package dev.iotonboard.lambda.api.model;

/**
 * An authorization decision for one client certificate.
 *
 * @param allowed       true only for an ACTIVE certificate attached to exactly one thing
 * @param certificateId the IoT certificate id of the client certificate (null when there was none)
 * @param thingName     the thing, when allowed
 * @param reason        why (a stable code: ALLOWED, NO_CLIENT_CERTIFICATE, UNPARSABLE_CERTIFICATE, EXPIRED,
 *                      NOT_YET_VALID, CERTIFICATE_NAMES_NO_THING, UNKNOWN_CERTIFICATE, NOT_ACTIVE, PENDING_ACTIVATION,
 *                      UNKNOWN_CA, NO_THING, SEVERAL_THINGS, THING_NOT_CERTIFICATE_CN)
 * @param transientDenial true for a denial onboarding is about to lift (the certificate is still being activated,
 *                      or has no thing yet): cached only briefly
 */
public record Decision(boolean allowed, String certificateId, String thingName, String reason,
        boolean transientDenial) {

    public static Decision allow(String certificateId, String thingName) {
        return new Decision(true, certificateId, thingName, "ALLOWED", false);
    }

    public static Decision deny(String certificateId, String reason) {
        return new Decision(false, certificateId, null, reason, false);
    }

    /** True when the certificate is bound to a thing its CA did not attest: someone broke the identity rule. */
    public boolean securityEvent() {
        return "THING_NOT_CERTIFICATE_CN".equals(reason);
    }

    /** A denial onboarding is about to lift: a device calling the API just before its thing exists. */
    public static Decision denyForNow(String certificateId, String reason) {
        return new Decision(false, certificateId, null, reason, true);
    }
}
