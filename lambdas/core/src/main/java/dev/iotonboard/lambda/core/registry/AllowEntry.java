package dev.iotonboard.lambda.core.registry;

import java.time.Instant;
import java.util.Objects;

/**
 * A manufacturing allow-list entry ({@code pk = allow#<thingName>}, only with {@code allowList=true}), as written
 * and as read.
 *
 * @param thingName the CN a certificate must carry
 * @param fingerprint the SHA-256 of the certificate DER in lowercase hex (= its IoT certificate id); null for any
 * @param usedBy the certificate id that consumed the entry; null while unused
 * @param updatedAt when the writer observed the state it wrote
 */
public record AllowEntry(String thingName, String fingerprint, String usedBy, Instant updatedAt) {
    public AllowEntry {
        Objects.requireNonNull(thingName, "thingName");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (fingerprint != null) {
            DeviceRegistry.requireCertificateId(fingerprint, "fingerprint");
        }
        if (usedBy != null) {
            DeviceRegistry.requireCertificateId(usedBy, "usedBy");
        }
    }
}
