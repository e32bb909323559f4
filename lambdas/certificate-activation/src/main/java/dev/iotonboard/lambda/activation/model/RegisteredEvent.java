package dev.iotonboard.lambda.activation.model;

/**
 * The event IoT publishes to {@code $aws/events/certificates/registered/<caCertificateId>} when JITR registers a
 * certificate as PENDING_ACTIVATION. Only {@code certificateId} and {@code caCertificateId} are used; the state is
 * always read again from IoT (DescribeCertificate), never trusted from the event.
 */
public record RegisteredEvent(
        String certificateId,
        String caCertificateId,
        String timestamp,
        String certificateStatus,
        String awsAccountId,
        String certificateRegistrationTimestamp) {
}
