package dev.iotonboard.lambda.api;

import dev.iotonboard.lambda.api.model.Decision;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.registry.CaItem;
import dev.iotonboard.lambda.core.registry.CertificateItem;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether a client certificate may call the API. API Gateway mutual TLS has already checked the chain and
 * the validity dates, but not revocation: the device registry (DynamoDB, IoT's registry as the project's functions
 * and its CloudTrail sync last observed it) is what this reads, with no IoT call at all. Allowed only when the
 * certificate's item ({@code cert#<id>}, one GetItem) says ACTIVE, names the certificate's subject CN as its thing
 * and is bound to that thing, comes from one of the stack's CAs (any CA when none is configured) whose item
 * ({@code ca#<id>}, remembered per container for the cache TTL) is ACTIVE, and now is within the item's validity.
 * The PEM's validity dates and the CN's form are checked locally first (no read, not cached). Decisions, allow and
 * deny, are cached per certificate id ({@link DecisionCache}), transient denials only briefly; registry failures
 * are not decided (they propagate) and so are never cached.
 */
public final class AuthorizerService {

    /** The DynamoDB actions {@link #decide} sends to the device registry (infra grants exactly these). */
    public static final Set<String> REGISTRY_ACTIONS = Set.of("dynamodb:GetItem");

    private final DeviceRegistry registry;
    private final AuthorizerConfig config;
    private final DecisionCache cache;
    private final Clock clock;
    private final Map<String, CachedCa> cas = new HashMap<>();

    private record CachedCa(Optional<CaItem> item, Instant expiresAt) {
    }

    public AuthorizerService(DeviceRegistry registry, AuthorizerConfig config, DecisionCache cache, Clock clock) {
        this.registry = registry;
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
        Decision decision = lookUp(certificateId, attested, now);
        cache.put(certificateId, decision);
        return new Outcome(decision, false);
    }

    private Decision lookUp(String certificateId, String attested, Instant now) {
        Optional<CertificateItem> found = registry.certificate(certificateId);
        if (found.isEmpty()) {
            return Decision.denyForNow(certificateId, "NOT_REGISTERED");
        }
        CertificateItem item = found.get();
        if ("PENDING_ACTIVATION".equals(item.status())) {
            return Decision.denyForNow(certificateId, "PENDING_ACTIVATION");
        }
        if (!"ACTIVE".equals(item.status())) {
            return Decision.deny(certificateId, "NOT_ACTIVE");
        }
        if (item.caCertificateId() == null || (!config.caCertificateIds().isEmpty()
                && !config.caCertificateIds().contains(item.caCertificateId()))) {
            return Decision.deny(certificateId, "UNKNOWN_CA");
        }
        Optional<CaItem> ca = ca(item.caCertificateId(), now);
        if (ca.isEmpty() || !"ACTIVE".equals(ca.get().status())) {
            return Decision.deny(certificateId, "CA_NOT_ACTIVE");
        }
        if (item.notBefore() != null && item.notAfter() != null && !item.isValidAt(now)) {
            return Decision.deny(certificateId, now.isBefore(item.notBefore()) ? "NOT_YET_VALID" : "EXPIRED");
        }
        if (item.thingName() != null && !item.thingName().equals(attested)) {
            return Decision.deny(certificateId, "THING_NOT_CERTIFICATE_CN");
        }
        if (item.boundThing() == null) {
            return Decision.denyForNow(certificateId, "NO_THING");
        }
        if (!item.boundThing().equals(attested)) {
            return Decision.deny(certificateId, "THING_NOT_CERTIFICATE_CN");
        }
        return Decision.allow(certificateId, attested);
    }

    /** The CA's item, remembered for the decision cache's TTL (a CA changes status rarely; thousands share one). */
    private Optional<CaItem> ca(String caCertificateId, Instant now) {
        synchronized (cas) {
            CachedCa cached = cas.get(caCertificateId);
            if (cached != null && now.isBefore(cached.expiresAt())) {
                return cached.item();
            }
        }
        Optional<CaItem> item = registry.ca(caCertificateId);
        if (!config.cacheTtl().isZero()) {
            synchronized (cas) {
                cas.put(caCertificateId, new CachedCa(item, now.plus(config.cacheTtl())));
            }
        }
        return item;
    }
}
