package dev.iotonboard.lambda.core.registry;

import java.time.Instant;
import java.util.Optional;

/**
 * A certificate item as read ({@code pk = cert#<certificateId>}). Every writer sets only what it observed, so an
 * attribute no writer has set yet is null here (e.g. {@code certificatePem} on an item first written by the sync).
 *
 * @param certificateId the 64-hex IoT certificate id
 * @param caCertificateId the issuing CA's id, as IoT reports it
 * @param thingName the subject CN: the thing this certificate may hold
 * @param status the IoT status last observed, or {@link DeviceRegistry#DELETED}
 * @param boundThing the thing IoT has the certificate attached to; null when not attached
 * @param certificatePem the PEM IoT returned to activation
 * @param certificateArn the certificate's ARN as IoT reported it
 * @param notBefore start of validity
 * @param notAfter end of validity
 * @param updatedAt when the last writer observed the state it wrote
 * @param step the step that wrote the item last
 * @param reason the refusal or rejection reason of that step; null when it had none
 */
public record CertificateItem(String certificateId, String caCertificateId, String thingName, String status,
        String boundThing, String certificatePem, String certificateArn, Instant notBefore, Instant notAfter, Instant updatedAt, Step step,
        String reason) {

    /** The thing IoT has the certificate attached to, when attached. */
    public Optional<String> bound() {
        return Optional.ofNullable(boundThing);
    }

    /** True when {@code at} is within [notBefore, notAfter]; false when either is unknown. */
    public boolean isValidAt(Instant at) {
        return notBefore != null && notAfter != null && !at.isBefore(notBefore) && !at.isAfter(notAfter);
    }
}
