package dev.iotonboard.lambda.provisioning.model;

/**
 * The output of the rule
 * {@code SELECT certificateId, topic(2) AS thingName, principal() AS announcerId FROM 'things/+/renewal'}: the
 * certificate the device announces as its next one (from the payload: it is only a claim, proven later by that
 * certificate's own TLS connection), the thing of the topic, and the certificate the device published with (from
 * the connection: the identity). Any other field is ignored.
 */
public record RenewalAnnouncement(String certificateId, String thingName, String announcerId) {
}
