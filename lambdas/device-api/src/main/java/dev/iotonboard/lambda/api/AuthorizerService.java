package dev.iotonboard.lambda.api;

import dev.iotonboard.lambda.api.model.Decision;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.IotLookups;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateDescription;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.ResourceNotFoundException;

/**
 * Decides whether a client certificate may call the API. API Gateway mutual TLS has already checked the chain and
 * the validity dates, but not revocation: IoT's certificate status is the source of truth. Allowed only when
 * DescribeCertificate says ACTIVE (and issued by the configured CA), ListPrincipalThings returns exactly one thing,
 * and that thing is the certificate's subject CN (the identity rule: a certificate holds only the thing its CA
 * attested). The validity dates and the CN's form are checked locally first (no IoT call, not cached). Decisions,
 * allow and deny, are cached per certificate id ({@link DecisionCache}), transient denials only briefly; IoT failures
 * are not decided (they propagate) and so are never cached.
 */
public final class AuthorizerService {

    private final IotClient iot;
    private final AuthorizerConfig config;
    private final DecisionCache cache;
    private final Clock clock;

    public AuthorizerService(IotClient iot, AuthorizerConfig config, DecisionCache cache, Clock clock) {
        this.iot = iot;
        this.config = config;
        this.cache = cache;
        this.clock = clock;
    }

    /** The decision for a client certificate PEM, and whether it came from the cache. */
    public record Outcome(Decision decision, boolean cacheHit) {
    }

    public Outcome decide(String clientCertPem) {
        if (clientCertPem == null || clientCertPem.isBlank()) {
            return new Outcome(Decision.deny(null, "NO_CLIENT_CERTIFICATE"), false);
        }
        X509Certificate certificate;
        try {
            certificate = CertificateIds.parsePem(clientCertPem);
        } catch (IllegalArgumentException e) {
            return new Outcome(Decision.deny(null, "UNPARSABLE_CERTIFICATE"), false);
        }
        String certificateId = CertificateIds.fromCertificate(certificate);
        Instant now = clock.instant();
        if (now.isAfter(certificate.getNotAfter().toInstant())) {
            return new Outcome(Decision.deny(certificateId, "EXPIRED"), false);
        }
        if (now.isBefore(certificate.getNotBefore().toInstant())) {
            return new Outcome(Decision.deny(certificateId, "NOT_YET_VALID"), false);
        }
        String attested;
        try {
            attested = config.thingNames().thingOf(certificate);
        } catch (IllegalArgumentException e) {
            return new Outcome(Decision.deny(certificateId, "CERTIFICATE_NAMES_NO_THING"), false);
        }
        Optional<Decision> cached = cache.get(certificateId);
        if (cached.isPresent()) {
            return new Outcome(cached.get(), true);
        }
        Decision decision = lookUp(certificateId, attested);
        cache.put(certificateId, decision);
        return new Outcome(decision, false);
    }

    private Decision lookUp(String certificateId, String attested) {
        CertificateDescription certificate;
        try {
            certificate = iot.describeCertificate(r -> r.certificateId(certificateId)).certificateDescription();
        } catch (ResourceNotFoundException e) {
            return Decision.deny(certificateId, "UNKNOWN_CERTIFICATE");
        }
        if (certificate.status() == CertificateStatus.PENDING_ACTIVATION) {
            return Decision.denyForNow(certificateId, "PENDING_ACTIVATION");
        }
        if (certificate.status() != CertificateStatus.ACTIVE) {
            return Decision.deny(certificateId, "NOT_ACTIVE");
        }
        if (!config.caCertificateIds().isEmpty()
                && !config.caCertificateIds().contains(certificate.caCertificateId())) {
            return Decision.deny(certificateId, "UNKNOWN_CA");
        }
        List<String> things = IotLookups.thingsOf(iot, certificate.certificateArn());
        if (things.isEmpty()) {
            return Decision.denyForNow(certificateId, "NO_THING");
        }
        if (things.size() > 1) {
            return Decision.deny(certificateId, "SEVERAL_THINGS");
        }
        if (!things.get(0).equals(attested)) {
            return Decision.deny(certificateId, "THING_NOT_CERTIFICATE_CN");
        }
        return Decision.allow(certificateId, attested);
    }
}
