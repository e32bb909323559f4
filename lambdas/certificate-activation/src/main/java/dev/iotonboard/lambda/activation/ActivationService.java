package dev.iotonboard.lambda.activation;

import dev.iotonboard.lambda.activation.model.ActivationResult;
import dev.iotonboard.lambda.activation.model.ActivationResult.Reason;
import dev.iotonboard.lambda.activation.model.RegisteredEvent;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.IotLookups;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.RecentlyDone;
import dev.iotonboard.lambda.core.registry.AllowEntry;
import dev.iotonboard.lambda.core.registry.CertificateUpdate;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.IotObservations;
import dev.iotonboard.lambda.core.registry.Step;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateDescription;
import software.amazon.awssdk.services.iot.model.CertificateStateException;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.ResourceNotFoundException;

/**
 * Activates a certificate that JITR registered.
 *
 * <ol>
 *   <li>Event checks, no IoT call: both ids present and shaped like certificate ids; the CA is the configured one.</li>
 *   <li>DescribeCertificate. Only PENDING_ACTIVATION proceeds. ACTIVE with a policy attached is a duplicate
 *       delivery (success, no write). REVOKED, INACTIVE and every other status are left alone.</li>
 *   <li>The certificate's profile is checked ({@link CertificateProfile}: end-entity, usages, signature, key,
 *       validity, subject CN a valid thing name).</li>
 *   <li>The issuing CA is ACTIVE ({@link CaStatusCache}, DescribeCACertificate remembered for a short time): a
 *       certificate of a CA an operator set INACTIVE stays PENDING_ACTIVATION.</li>
 *   <li>AttachPolicy (JITR policy) first, then UpdateCertificate ACTIVE: a certificate is never ACTIVE without a
 *       policy. Both calls are idempotent, so a retry after a failure between them converges.</li>
 * </ol>
 * Permanent problems return a REJECTED result; IoT errors other than the ones handled here propagate, so the
 * invocation fails and Lambda retries the event.
 *
 * <p><b>Device registry</b> (when given one; docs/contracts.md): the CA item as read, written before AttachPolicy;
 * after UpdateCertificate ACTIVE (and for ALREADY_ACTIVE) the certificate item: CA, subject CN, status ACTIVE, PEM,
 * validity, step ACTIVATED; for a rejection of a certificate IoT has from the event's CA, the status observed, step
 * REJECTED and the reason. Each write follows the IoT call it records, so a crash between them leaves IoT ahead of
 * the table, and Lambda's retry (ALREADY_ACTIVE, or the whole path again) writes the item; provisioning also
 * writes it when it finds none. A DynamoDB error fails the invocation like an IoT error.
 *
 * <p><b>Duplicates.</b> IoT publishes the registered event again every time a device presents a certificate that is
 * still PENDING_ACTIVATION, so a fleet retrying at once sends many duplicates, and each would cost
 * DescribeCertificate + ListAttachedPolicies against 10 TPS quotas. The service therefore remembers, per container,
 * the certificates it activated or found ACTIVE with a policy ({@link RecentlyDone}, at most
 * {@value RecentlyDone#DEFAULT_CAPACITY}, least recently used evicted) and answers a repeated event for one of them
 * ALREADY_ACTIVE without any IoT call. This is safe: the memory only ever skips work and never causes a write, and a
 * certificate never goes back to PENDING_ACTIVATION (UpdateCertificate cannot set it), so there is nothing left to
 * activate. Only a certificate deleted (decommissioned) and presented again is registered anew: that registration
 * has its own {@code certificateRegistrationTimestamp}, which is part of what is remembered, so it is activated. If an operator revoked or deactivated the certificate since, the answer ALREADY_ACTIVE is stale but
 * harmless: nothing is written, and the certificate stays as the operator left it.
 *
 * <p>A duplicate that reaches another container (or one whose memory was lost) is absorbed by the registry: one
 * GetItem of the certificate's item, and when it says ACTIVE (step not REJECTED), the event's CA, and {@code updatedAt}
 * at or after the event's {@code certificateRegistrationTimestamp}, the answer is ALREADY_ACTIVE without any IoT
 * call. Someone observed this registration ACTIVE, and it cannot have gone back to PENDING_ACTIVATION; a deleted and
 * registered again certificate carries a newer registration time than any observation of the old one, so it takes
 * the full path (docs/contracts.md, "Duplicate registered events").
 */
public final class ActivationService {

    private static final JsonLogger LOG = JsonLogger.get(ActivationService.class);
    /** The DynamoDB actions {@link #activate} sends to the device registry (infra grants exactly these). */
    public static final Set<String> REGISTRY_ACTIONS = Set.of("dynamodb:GetItem", "dynamodb:UpdateItem");

    private final IotClient iot;
    private final Optional<DeviceRegistry> registry;
    private final Clock clock;
    private final ActivationConfig config;
    private final CertificateProfile profile;
    private final CaStatusCache caStatus;
    private final RecentlyDone<Done> done;

    /** A registration of a certificate (of a CA) this container activated or found ACTIVE with a policy. */
    private record Done(String certificateId, String caCertificateId, String registeredAt) {
    }

    /** Activation that records what it did in {@code registry}. */
    public ActivationService(IotClient iot, DeviceRegistry registry, ActivationConfig config, Clock clock) {
        this(iot, Optional.of(registry), config, clock, RecentlyDone.DEFAULT_CAPACITY);
    }

    /**
     * Activation without the registry (the reconciler's path for lost events): provisioning writes the certificate
     * item when it finds none.
     */
    public ActivationService(IotClient iot, ActivationConfig config, Clock clock) {
        this(iot, Optional.empty(), config, clock, RecentlyDone.DEFAULT_CAPACITY);
    }

    /**
     * The IoT operations {@link #activate} calls, one sample request each about the priming certificate of
     * {@link IotPrimer}: the declaration the activation and reconciler handlers prime and are granted from
     * ({@link dev.iotonboard.lambda.core.IotHandler#iotRequests}).
     */
    public static List<Consumer<IotClient>> iotRequests(String jitrPolicyName) {
        return List.of(
                c -> c.describeCertificate(r -> r.certificateId(IotPrimer.CERTIFICATE_ID)),
                c -> c.describeCACertificate(r -> r.certificateId(IotPrimer.CERTIFICATE_ID)),
                c -> c.listAttachedPolicies(r -> r.target(IotPrimer.CERTIFICATE_ARN)),
                c -> c.attachPolicy(r -> r.policyName(jitrPolicyName).target(IotPrimer.CERTIFICATE_ARN)),
                c -> c.updateCertificate(r -> r.certificateId(IotPrimer.CERTIFICATE_ID)
                        .newStatus(CertificateStatus.ACTIVE)));
    }

    /** @param memory how many activated certificates the container remembers to answer duplicates without a call */
    public ActivationService(IotClient iot, Optional<DeviceRegistry> registry, ActivationConfig config, Clock clock,
            int memory) {
        this.iot = iot;
        this.registry = registry;
        this.clock = clock;
        this.config = config;
        this.profile = new CertificateProfile(clock, config.thingNames());
        this.caStatus = new CaStatusCache(iot, config.caStatusTtl(), clock);
        this.done = new RecentlyDone<>(memory);
    }

    /**
     * Lambda's longest function timeout: no invocation can hold an activation claim longer, so none is taken for
     * longer.
     */
    public static final Duration MAX_CLAIM = Duration.ofMinutes(15);

    /**
     * {@link #activate(RegisteredEvent, Duration, String)} for a caller with no deadline or invocation id of its own:
     * claims last {@link #MAX_CLAIM}.
     */
    public ActivationResult activate(RegisteredEvent event) {
        return activate(event, MAX_CLAIM, null);
    }

    /**
     * @param remaining    how long the calling invocation can still run: an activation claim lasts no longer (at most
     *                     {@link #MAX_CLAIM}), so a claim whose holder died lapses
     * @param invocationId the Lambda request id, which Lambda's retries of an asynchronous invocation keep: a retry
     *                     takes over the claim its crashed or timed-out attempt left; null: a random one
     */
    public ActivationResult activate(RegisteredEvent event, Duration remaining, String invocationId) {
        String certificateId = event.certificateId();
        if (!CertificateIds.isCertificateId(certificateId)) {
            return reject(certificateId, Reason.MALFORMED_EVENT,
                    "certificateId is missing or not 64 lowercase hex characters");
        }
        if (!CertificateIds.isCertificateId(event.caCertificateId())) {
            return reject(certificateId, Reason.MALFORMED_EVENT,
                    "caCertificateId is missing or not 64 lowercase hex characters");
        }
        if (!config.caCertificateIds().isEmpty() && !config.caCertificateIds().contains(event.caCertificateId())) {
            return reject(certificateId, Reason.UNKNOWN_CA,
                    "the event's CA " + event.caCertificateId() + " is not one of the configured CAs");
        }
        Done key = new Done(certificateId, event.caCertificateId(), event.certificateRegistrationTimestamp());
        if (done.contains(key)) {
            LOG.info("duplicate event seen by this container: certificate already activated or found ACTIVE; "
                    + "no IoT call", "certificateId", certificateId, "duplicate", true);
            return ActivationResult.alreadyActive(certificateId,
                    "duplicate seen by this container: already ACTIVE with a policy (no IoT call)");
        }
        if (registryShowsActiveSince(event, false)) {
            return duplicateSeenByTheRegistry(key);
        }
        if (registry.isEmpty()) {
            return activateClaimed(event, key);
        }
        Instant now = clock.instant();
        Duration lease = remaining.compareTo(MAX_CLAIM) > 0 ? MAX_CLAIM : remaining;
        String token = invocationId == null || invocationId.isBlank() ? UUID.randomUUID().toString() : invocationId;
        if (!registry.get().claimActivation(certificateId, event.caCertificateId(),
                registrationTime(event.certificateRegistrationTimestamp()), now, now.plus(lease), token)) {
            if (registryShowsActiveSince(event, true)) {
                return duplicateSeenByTheRegistry(key);
            }
            LOG.info("duplicate event: another invocation is activating this registration; no IoT call",
                    "certificateId", certificateId, "duplicate", true);
            return ActivationResult.inProgress(certificateId,
                    "duplicate: another invocation holds this registration's activation claim (no IoT call)");
        }
        try {
            return activateClaimed(event, key);
        } finally {
            release(certificateId, token);
        }
    }

    private ActivationResult duplicateSeenByTheRegistry(Done key) {
        done.remember(key);
        LOG.info("duplicate event: the registry saw the certificate ACTIVE at or after this registration; "
                + "no IoT call", "certificateId", key.certificateId(), "duplicate", true);
        return ActivationResult.alreadyActive(key.certificateId(),
                "duplicate: the registry saw it ACTIVE at or after this registration (no IoT call)");
    }

    /** Releases the claim; when DynamoDB fails, the claim lapses at its expiry instead (it only delays duplicates). */
    private void release(String certificateId, String claim) {
        try {
            registry.orElseThrow().releaseActivation(certificateId, claim);
        } catch (SdkException e) {
            LOG.warn("activation claim not released; it lapses at its expiry", "certificateId", certificateId,
                    "detail", e.getMessage());
        }
    }

    /** The activation itself, by the one invocation that holds the registration's claim (or with no registry). */
    private ActivationResult activateClaimed(RegisteredEvent event, Done key) {
        String certificateId = event.certificateId();
        CertificateDescription certificate;
        try {
            certificate = iot.describeCertificate(r -> r.certificateId(certificateId)).certificateDescription();
        } catch (ResourceNotFoundException e) {
            return reject(certificateId, Reason.CERTIFICATE_NOT_FOUND, "IoT has no such certificate");
        }
        if (!event.caCertificateId().equals(certificate.caCertificateId())) {
            return reject(certificateId, Reason.UNKNOWN_CA, "IoT says the certificate was issued by CA "
                    + certificate.caCertificateId() + ", not by the event's CA");
        }

        CertificateStatus status = certificate.status();
        if (status == CertificateStatus.ACTIVE) {
            ActivationResult result = alreadyActive(certificate);
            if (result.outcome() == ActivationResult.Outcome.ALREADY_ACTIVE) {
                done.remember(key);
            }
            return result;
        }
        if (status != CertificateStatus.PENDING_ACTIVATION) {
            return reject(certificate, Reason.NOT_PENDING_ACTIVATION,
                    "status is " + certificate.statusAsString() + "; only PENDING_ACTIVATION is ever activated");
        }
        Optional<String> problem = profile.problem(certificateId, certificate.certificatePem());
        if (problem.isPresent()) {
            return reject(certificate, Reason.INVALID_CERTIFICATE, problem.get());
        }
        CaStatusCache.Check ca = caStatus.check(certificate.caCertificateId());
        registry.ifPresent(r -> ca.observed().ifPresent(r::write));
        if (ca.problem().isPresent()) {
            return reject(certificate, Reason.CA_NOT_ACTIVE, ca.problem().get()
                    + "; the certificate stays PENDING_ACTIVATION");
        }
        if (config.allowList()) {
            Optional<ActivationResult> refused = useAllowEntry(certificate);
            if (refused.isPresent()) {
                return refused.get();
            }
        }

        String arn = certificate.certificateArn();
        iot.attachPolicy(r -> r.policyName(config.jitrPolicyName()).target(arn));
        LOG.info("JITR policy attached", "certificateId", certificateId, "policyName", config.jitrPolicyName());
        try {
            iot.updateCertificate(r -> r.certificateId(certificateId).newStatus(CertificateStatus.ACTIVE));
        } catch (CertificateStateException e) {
            registry.ifPresent(r -> r.write(CertificateUpdate.of(certificateId, Step.REJECTED, clock.instant())
                    .reason(Reason.STATE_CHANGED.name()).build()));
            return reject(certificateId, Reason.STATE_CHANGED,
                    "IoT refused the activation (the certificate changed state meanwhile): " + e.getMessage());
        }
        record(IotObservations.certificate(certificate, Step.ACTIVATED, clock.instant())
                .status(CertificateStatus.ACTIVE.toString()));
        done.remember(key);
        LOG.info("certificate activated", "certificateId", certificateId, "caCertificateId",
                certificate.caCertificateId());
        return ActivationResult.activated(certificateId);
    }

    /**
     * allowList: the CN's entry must exist, name this certificate's fingerprint if it names one, and be unused or
     * used by this certificate; it is then used (a conditional write, before any IoT write, so two certificates with
     * the same CN never both pass). A refused certificate stays PENDING_ACTIVATION: listing its CN later lets the
     * device's next attempt through.
     */
    private Optional<ActivationResult> useAllowEntry(CertificateDescription certificate) {
        String certificateId = certificate.certificateId();
        DeviceRegistry table = registry.orElseThrow(() -> new IllegalStateException(
                "ALLOW_LIST=true needs the device registry table (DEVICE_REGISTRY_TABLE)"));
        String thing = config.thingNames().thingOf(CertificateIds.parsePem(certificate.certificatePem()));
        Optional<AllowEntry> entry = table.allowEntry(thing);
        if (entry.isEmpty()) {
            return Optional.of(reject(certificate, Reason.NOT_ALLOWED, "the CN " + thing
                    + " is not on the allow-list; the certificate stays PENDING_ACTIVATION"));
        }
        if (entry.get().fingerprint() != null && !entry.get().fingerprint().equals(certificateId)) {
            return Optional.of(reject(certificate, Reason.NOT_ALLOWED, "the CN " + thing
                    + " is listed for another certificate (fingerprint " + entry.get().fingerprint() + ")"));
        }
        if (!table.useAllowEntry(thing, certificateId, clock.instant())) {
            return Optional.of(reject(certificate, Reason.ALLOW_ENTRY_USED, "the allow-list entry of " + thing
                    + " was used by another certificate already"));
        }
        LOG.info("allow-list entry used", "certificateId", certificateId, "thingName", thing);
        return Optional.empty();
    }

    /**
     * True when the registry's item proves the event a duplicate: ACTIVE (not a rejection), of the event's CA, and
     * observed so at or after the event's registration time. Any older item, a missing one or an event without a
     * usable registration time proves nothing, and the event takes the full path. The read is eventually
     * consistent: every version it can return was a true observation, so a stale one can only fail to prove.
     */
    private boolean registryShowsActiveSince(RegisteredEvent event, boolean consistent) {
        if (registry.isEmpty()) {
            return false;
        }
        Optional<Instant> registeredAt = registrationTime(event.certificateRegistrationTimestamp());
        if (registeredAt.isEmpty()) {
            return false;
        }
        return (consistent ? registry.get().latestCertificate(event.certificateId())
                : registry.get().certificate(event.certificateId()))
                .filter(item -> CertificateStatus.ACTIVE.toString().equals(item.status()))
                .filter(item -> item.step() != Step.REJECTED)
                .filter(item -> event.caCertificateId().equals(item.caCertificateId()))
                .filter(item -> item.updatedAt() != null && !item.updatedAt().isBefore(registeredAt.get()))
                .isPresent();
    }

    /**
     * The event's {@code certificateRegistrationTimestamp}: epoch milliseconds as a decimal string. Anything else,
     * and a value before 2001-09-09 (10^12 ms; a count of seconds would look like that), is no usable time.
     */
    static Optional<Instant> registrationTime(String timestamp) {
        if (timestamp == null || !timestamp.matches("[0-9]{13,18}")) {
            return Optional.empty();
        }
        return Optional.of(Instant.ofEpochMilli(Long.parseLong(timestamp)));
    }

    private ActivationResult alreadyActive(CertificateDescription certificate) {
        String certificateId = certificate.certificateId();
        List<String> policies = IotLookups.policiesOf(iot, certificate.certificateArn());
        if (policies.isEmpty()) {
            record(IotObservations.certificate(certificate, Step.REJECTED, clock.instant())
                    .reason(Reason.ACTIVE_WITHOUT_POLICY.name()));
            LOG.warn("certificate is ACTIVE without any policy; left unchanged", "certificateId", certificateId,
                    "reason", Reason.ACTIVE_WITHOUT_POLICY.name());
            return ActivationResult.rejected(certificateId, Reason.ACTIVE_WITHOUT_POLICY,
                    "ACTIVE without any policy: activated outside this function; left unchanged");
        }
        record(IotObservations.certificate(certificate, Step.ACTIVATED, clock.instant()));
        LOG.info("certificate already ACTIVE with a policy: duplicate delivery", "certificateId", certificateId,
                "policies", policies);
        return ActivationResult.alreadyActive(certificateId, "already ACTIVE with policies " + policies);
    }

    /** A rejection of a certificate IoT described: the status observed, step REJECTED and the reason recorded. */
    private ActivationResult reject(CertificateDescription certificate, Reason reason, String detail) {
        record(IotObservations.certificate(certificate, Step.REJECTED, clock.instant()).reason(reason.name()));
        return reject(certificate.certificateId(), reason, detail);
    }

    private void record(CertificateUpdate.Builder update) {
        registry.ifPresent(r -> {
            if (!r.write(update.build())) {
                LOG.info("registry already holds a later observation; left as it is", "certificateId",
                        update.build().certificateId());
            }
        });
    }

    private static ActivationResult reject(String certificateId, Reason reason, String detail) {
        LOG.warn("certificate not activated", "certificateId", certificateId, "reason", reason.name(),
                "detail", detail);
        return ActivationResult.rejected(certificateId, reason, detail);
    }
}
