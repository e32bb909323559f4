package dev.iotonboard.lambda.core.registry;

import java.time.Instant;
import java.util.Objects;

/**
 * A CA item ({@code pk = ca#<caCertificateId>}), as written and as read.
 *
 * @param caCertificateId the CA's IoT certificate id
 * @param status the IoT CA status observed (ACTIVE, INACTIVE, ...)
 * @param notAfter end of the CA certificate's validity; null when the writer did not observe it
 * @param updatedAt when the writer observed the status
 * @param step the step that wrote it
 */
public record CaItem(String caCertificateId, String status, Instant notAfter, Instant updatedAt, Step step) {
    public CaItem {
        DeviceRegistry.requireCertificateId(caCertificateId, "caCertificateId");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(step, "step");
    }
}
