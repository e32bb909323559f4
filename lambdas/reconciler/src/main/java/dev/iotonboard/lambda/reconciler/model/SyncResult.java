package dev.iotonboard.lambda.reconciler.model;

/**
 * The registry sync's answer (also logged).
 *
 * @param eventName  the CloudTrail event's API action; null when the event had none
 * @param outcome    SYNCED (the item was rewritten), NEWER_STATE_KEPT (the item holds state observed later, left as
 *                   it is), IGNORED (a failed call, or not about a certificate or CA), REJECTED (malformed event)
 * @param kind       CERTIFICATE or CA; null when nothing was read
 * @param id         the certificate or CA id; null when nothing was read
 * @param status     the status IoT reported (DELETED when it no longer has it); null when nothing was read
 * @param boundThing the thing IoT has the certificate attached to; null when none or for a CA
 * @param detail     why, for IGNORED and REJECTED
 */
public record SyncResult(String eventName, String outcome, String kind, String id, String status, String boundThing,
        String detail) {

    public static SyncResult ignored(String eventName, String detail) {
        return new SyncResult(eventName, "IGNORED", null, null, null, null, detail);
    }

    public static SyncResult rejected(String detail) {
        return new SyncResult(null, "REJECTED", null, null, null, null, detail);
    }
}
