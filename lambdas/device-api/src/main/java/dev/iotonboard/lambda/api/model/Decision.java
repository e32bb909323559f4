package dev.iotonboard.lambda.api.model;

/**
 * An authorization decision for one client certificate.
 *
 * @param allowed       true only for an ACTIVE certificate attached to exactly one thing
 * @param certificateId the IoT certificate id of the client certificate (null when there was none)
 * @param thingName     the thing, when allowed
 * @param reason        why (a stable code: ALLOWED, NO_CLIENT_CERTIFICATE, UNPARSABLE_CERTIFICATE, EXPIRED,
 *                      NOT_YET_VALID, UNKNOWN_CERTIFICATE, NOT_ACTIVE, UNKNOWN_CA, NO_THING, SEVERAL_THINGS)
 */
public record Decision(boolean allowed, String certificateId, String thingName, String reason) {

    public static Decision allow(String certificateId, String thingName) {
        return new Decision(true, certificateId, thingName, "ALLOWED");
    }

    public static Decision deny(String certificateId, String reason) {
        return new Decision(false, certificateId, null, reason);
    }
}
