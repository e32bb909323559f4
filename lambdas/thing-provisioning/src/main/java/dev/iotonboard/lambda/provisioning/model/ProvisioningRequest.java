package dev.iotonboard.lambda.provisioning.model;

/**
 * The output of the rule
 * {@code SELECT thingName, principal() AS certificateId, timestamp() AS requestedAt FROM 'jitr/request'}: the thing
 * name the device asked for, the id of the certificate it connected with, and when the rules engine received the
 * message (epoch milliseconds; null in an event of a rule without it). The rule selects exactly these fields, so a
 * {@code certificateId} or {@code requestedAt} inside the device's payload never reaches the function: the rule's
 * functions win. Any other field is ignored.
 */
public record ProvisioningRequest(String thingName, String certificateId, Long requestedAt) {

    public ProvisioningRequest(String thingName, String certificateId) {
        this(thingName, certificateId, null);
    }
}
