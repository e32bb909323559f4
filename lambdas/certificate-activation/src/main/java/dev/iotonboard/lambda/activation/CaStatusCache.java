package dev.iotonboard.lambda.activation;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.registry.CaItem;
import dev.iotonboard.lambda.core.registry.IotObservations;
import dev.iotonboard.lambda.core.registry.Step;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CACertificateDescription;
import software.amazon.awssdk.services.iot.model.CACertificateStatus;
import software.amazon.awssdk.services.iot.model.ResourceNotFoundException;

/**
 * Whether a CA may have certificates activated: IoT says it is ACTIVE (DescribeCACertificate). An operator who sets a
 * CA INACTIVE (after a compromise, or at the end of a rotation) stops activations within the cache's TTL, even of
 * certificates IoT registered before. The answer is remembered per container for {@code ttl} (zero: asked every time),
 * because a fleet onboarding at once would otherwise spend a DescribeCACertificate on every device.
 */
public final class CaStatusCache {

    /**
     * What IoT said about a CA.
     *
     * @param problem  empty when the CA is ACTIVE, else why it is not
     * @param observed the CA's registry item as observed; empty when IoT has no such CA
     */
    public record Check(Optional<String> problem, Optional<CaItem> observed) {
    }

    private record Entry(Check check, Instant expiresAt) {
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
        return check(caCertificateId).problem();
    }

    /** The CA's status, as last observed within the TTL; an IoT error other than not-found propagates. */
    public Check check(String caCertificateId) {
        Instant now = clock.instant();
        synchronized (entries) {
            Entry entry = entries.get(caCertificateId);
            if (entry != null && now.isBefore(entry.expiresAt())) {
                return entry.check();
            }
        }
        Check check = lookUp(caCertificateId, now);
        if (!ttl.isZero()) {
            synchronized (entries) {
                entries.put(caCertificateId, new Entry(check, now.plus(ttl)));
            }
        }
        return check;
    }

    private Check lookUp(String caCertificateId, Instant now) {
        CACertificateDescription described;
        try {
            described = iot.describeCACertificate(r -> r.certificateId(caCertificateId)).certificateDescription();
        } catch (ResourceNotFoundException e) {
            return new Check(Optional.of("IoT has no CA " + caCertificateId), Optional.empty());
        }
        CACertificateStatus status = described.status();
        Optional<CaItem> observed = CertificateIds.isCertificateId(described.certificateId())
                ? Optional.of(IotObservations.ca(described, Step.ACTIVATED, now)) : Optional.empty();
        return new Check(status == CACertificateStatus.ACTIVE ? Optional.empty()
                : Optional.of("the CA " + caCertificateId + " is " + status + ", not ACTIVE"), observed);
    }
}
