package dev.iotonboard.lambda.provisioning.model;

/**
 * What the announcement function answers (and logs) for one announcement.
 *
 * @param thingName     the thing of the topic (as received)
 * @param announcerId   the certificate that published ({@code principal()})
 * @param certificateId the announced certificate
 * @param outcome       RECORDED (on the thing's attributes; also for a replay) or REFUSED
 * @param reason        for REFUSED: a stable code; otherwise null
 * @param detail        human-readable explanation
 */
public record AnnouncementResult(String thingName, String announcerId, String certificateId, Outcome outcome,
        Reason reason, String detail) {

    /** The result of one announcement. */
    public enum Outcome { RECORDED, REFUSED }

    /** Why an announcement was refused (permanent: not retried). */
    public enum Reason {
        MALFORMED_EVENT,
        INVALID_THING_NAME,
        /** The announced certificate id is not a certificate id, or is the announcer's own. */
        INVALID_CERTIFICATE_ID,
        ANNOUNCER_NOT_FOUND,
        ANNOUNCER_NOT_ACTIVE,
        UNKNOWN_CA,
        /** The announcer's subject CN is not the thing of the topic: a security event. */
        ANNOUNCER_NOT_THING_CN,
        /** The announcer is not attached to exactly the thing of the topic: a security event. */
        ANNOUNCER_NOT_ON_THING,
        /** IoT refused the announcement's attribute, e.g. the thing has three attributes already. */
        THING_REFUSED_THE_ANNOUNCEMENT
    }

    public static AnnouncementResult recorded(String thingName, String announcerId, String certificateId) {
        return new AnnouncementResult(thingName, announcerId, certificateId, Outcome.RECORDED, null,
                "announcement recorded on the thing: the announced certificate may take it over through JITR");
    }

    public static AnnouncementResult refused(String thingName, String announcerId, String certificateId,
            Reason reason, String detail) {
        return new AnnouncementResult(thingName, announcerId, certificateId, Outcome.REFUSED, reason, detail);
    }
}
