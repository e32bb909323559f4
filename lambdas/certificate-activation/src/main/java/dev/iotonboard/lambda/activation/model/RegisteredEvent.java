package dev.iotonboard.lambda.activation.model;

/**
 * The event IoT publishes to {@code $aws/events/certificates/registered/<caCertificateId>} when JITR registers a
 * certificate as PENDING_ACTIVATION. Only {@code certificateId}, {@code caCertificateId} and (for the duplicate
 * check) {@code certificateRegistrationTimestamp} are used; the state is never trusted from the event.
 */
public record RegisteredEvent(
        String certificateId,
        String caCertificateId,
        String timestamp,
        String certificateStatus,
        String awsAccountId,
        String certificateRegistrationTimestamp) {
}
