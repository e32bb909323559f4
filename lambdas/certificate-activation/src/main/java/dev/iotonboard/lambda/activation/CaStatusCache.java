package dev.iotonboard.lambda.activation;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CACertificateStatus;
import software.amazon.awssdk.services.iot.model.ResourceNotFoundException;

/**
 * Whether a CA may have certificates activated: IoT says it is ACTIVE (DescribeCACertificate). An operator who sets a
 * CA INACTIVE (after a compromise, or at the end of a rotation) stops activations within the cache's TTL, even of
 * certificates IoT registered before. The answer is remembered per container for {@code ttl} (zero: asked every time),
 * because a fleet onboarding at once would otherwise spend a DescribeCACertificate on every device.
 */
public final class CaStatusCache {

    private record Entry(Optional<String> problem, Instant expiresAt) {
    }

    private final IotClient iot;
    private final Duration ttl;
    private final Clock clock;
    private final Map<String, Entry> entries = new HashMap<>();

    public CaStatusCache(IotClient iot, Duration ttl, Clock clock) {
        this.iot = iot;
        this.ttl = ttl;
        this.clock = clock;
    }

    /** Empty when the CA is ACTIVE, else why it is not; an IoT error other than not-found propagates. */
    public Optional<String> problem(String caCertificateId) {
        Instant now = clock.instant();
        synchronized (entries) {
            Entry entry = entries.get(caCertificateId);
            if (entry != null && now.isBefore(entry.expiresAt())) {
                return entry.problem();
            }
        }
        Optional<String> problem = lookUp(caCertificateId);
        if (!ttl.isZero()) {
            synchronized (entries) {
                entries.put(caCertificateId, new Entry(problem, now.plus(ttl)));
            }
        }
        return problem;
    }

    private Optional<String> lookUp(String caCertificateId) {
        CACertificateStatus status;
        try {
            status = iot.describeCACertificate(r -> r.certificateId(caCertificateId)).certificateDescription().status();
        } catch (ResourceNotFoundException e) {
            return Optional.of("IoT has no CA " + caCertificateId);
        }
        return status == CACertificateStatus.ACTIVE ? Optional.empty()
                : Optional.of("the CA " + caCertificateId + " is " + status + ", not ACTIVE");
    }
}
