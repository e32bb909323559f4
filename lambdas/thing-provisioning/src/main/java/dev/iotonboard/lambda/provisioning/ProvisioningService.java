package dev.iotonboard.lambda.provisioning;

import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.IotLookups;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.RecentlyDone;
import dev.iotonboard.lambda.core.ThingNameRule;
import dev.iotonboard.lambda.core.registry.CertificateItem;
import dev.iotonboard.lambda.core.registry.CertificateUpdate;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.IotObservations;
import dev.iotonboard.lambda.core.registry.Step;
import dev.iotonboard.lambda.provisioning.model.ProvisioningRequest;
import dev.iotonboard.lambda.provisioning.model.ProvisioningResult;
import dev.iotonboard.lambda.provisioning.model.ProvisioningResult.Reason;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateDescription;
import software.amazon.awssdk.services.iot.model.CertificateStateException;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.DescribeThingResponse;
import software.amazon.awssdk.services.iot.model.InvalidRequestException;
import software.amazon.awssdk.services.iot.model.ResourceAlreadyExistsException;
import software.amazon.awssdk.services.iot.model.ResourceNotFoundException;
import software.amazon.awssdk.services.iot.model.ThingPrincipalType;

/**
 * Gives an ACTIVE certificate its thing and swaps its JITR policy for the app policy.
 *
 * <ol>
 *   <li>Request checks, no IoT call: the certificate id (from {@code principal()}) is a certificate id; the thing
 *       name is a valid thing name ({@code THING_NAME_PATTERN}, by default a canonical lowercase UUID).</li>
 *   <li>DescribeCertificate: the certificate is ACTIVE and issued by the configured CA.</li>
 *   <li>The identity rule: the requested thing name must be the subject CN of the certificate's PEM (what the CA
 *       attested). A request for any other name is a security event: it is logged with both names, the JITR policy
 *       is detached and then the certificate set INACTIVE (in that order, so a retry after a crash between the two
 *       still finds it ACTIVE and completes both), and the result says {@code certificateDeactivated}.</li>
 *   <li>Anti-hijack, before any write: ListPrincipalThings (the certificate is on no other thing), then
 *       DescribeThing and, only when the thing exists, ListThingPrincipals (it has no other principal). A thing that
 *       does not exist has no principals, so a new device costs one DescribeThing (350 TPS quota) instead of a
 *       ListThingPrincipals (10 TPS). CreateThing succeeds for an existing thing, so it cannot detect ownership:
 *       these reads do.</li>
 *   <li>CreateThing for a thing DescribeThing did not find (ResourceAlreadyExists: created meanwhile, read again
 *       and reconciled; an existing thing is only reconciled, see Placement) then AttachThingPrincipal with
 *       EXCLUSIVE_THING (idempotent), then ListThingPrincipals again: if another certificate raced onto the thing,
 *       this certificate is detached and the request rejected (both racers lose; neither gets the app policy).</li>
 *   <li>AttachPolicy (app policy) then DetachPolicy (JITR policy) last, so the device always has a policy.</li>
 * </ol>
 *
 * <p><b>Placement</b> ({@link Placement}, docs/contracts.md). The thing's attributes are read from the certificate's
 * PEM before any write; a missing field or a value outside IoT's attribute value pattern rejects the request
 * ({@code CERTIFICATE_FIELD_NOT_ATTRIBUTE}) with nothing written. A new thing is created with the type and the
 * attributes; an existing one (a crash, a replay, a renewal, an operator's edit) is reconciled with one UpdateThing
 * (merge, so other attributes, the renewal announcement among them, stay) when its type or one of the configured
 * attributes differs; IoT refusing that (a deprecated type, too many attributes) rejects the request
 * ({@code PLACEMENT_REFUSED}) before any other write. After the exclusive attachment, AddThingToThingGroup for each
 * configured group (idempotent), before the policy swap: a device with its app policy is always placed.
 *
 * <p><b>Renewal.</b> A thing that has another principal is refused, unless its renewal announcement
 * ({@link RenewalAttributes}, recorded by {@link RenewalAnnouncementService} when the thing's current certificate
 * announced this one, or by an operator's override) names this certificate: then this certificate takes the thing
 * over and the others are retired ({@link #renew}). A renewal by override is logged at WARN with {@code audit: true}.
 * Every write treats "already done" as success: a retry after a failure at any step converges, and a replay after
 * completion changes nothing. IoT errors not handled here propagate so Lambda retries the event.
 *
 * <p><b>Duplicates.</b> The service remembers, per container, the (certificate, thing) pairs it provisioned
 * ({@link RecentlyDone}, at most {@value RecentlyDone#DEFAULT_CAPACITY}, least recently used evicted) and answers a
 * repeated request for one of them PROVISIONED without any IoT call. The memory only ever skips work and never
 * causes a write, so it cannot attach anything to anyone; a pair is remembered only after every step succeeded. A
 * request for another thing, or from another certificate, is never answered from memory. Should an operator undo a
 * provisioning (detach the thing), a repeated request reaching the same warm container is answered without redoing
 * it; another container, or this one after eviction or a cold start, provisions again.
 */
public final class ProvisioningService {

    private static final JsonLogger LOG = JsonLogger.get(ProvisioningService.class);
    /** The DynamoDB actions {@link #provision} sends to the device registry (infra grants exactly these). */
    public static final Set<String> REGISTRY_ACTIONS = Set.of("dynamodb:GetItem", "dynamodb:UpdateItem");

    private final IotClient iot;
    private final Optional<DeviceRegistry> registry;
    private final ProvisioningConfig config;
    private final RecentlyDone<Done> done;
    private final Clock clock;

    /** A certificate this container attached to a thing, with the app policy swapped in. */
    private record Done(String certificateId, String thingName) {
    }

    /**
     * @param registry the device registry: read instead of DescribeCertificate, written with each outcome; empty:
     *                 IoT only
     * @param memory   how many provisioned pairs the container remembers to answer duplicates without a call
     * @param clock    what "now" is for the age of a renewal announcement and the registry's updatedAt
     */
    public ProvisioningService(IotClient iot, Optional<DeviceRegistry> registry, ProvisioningConfig config, int memory,
            Clock clock) {
        this.iot = iot;
        this.registry = registry;
        this.clock = clock;
        this.config = config;
        this.done = new RecentlyDone<>(memory);
    }

    public ProvisioningResult provision(ProvisioningRequest request) {
        String certificateId = request.certificateId();
        String thingName = request.thingName();
        if (!CertificateIds.isCertificateId(certificateId)) {
            return reject(request, Reason.MALFORMED_EVENT,
                    "certificateId (from the rule's principal()) is missing or not a certificate id");
        }
        Optional<String> nameProblem = config.thingNames().problem(thingName);
        if (nameProblem.isPresent()) {
            return reject(request, Reason.INVALID_THING_NAME, "thingName " + nameProblem.get());
        }
        Done key = new Done(certificateId, thingName);
        if (done.contains(key)) {
            LOG.info("duplicate request seen by this container: thing already provisioned; no IoT call",
                    "thingName", thingName, "certificateId", certificateId, "duplicate", true);
            return ProvisioningResult.duplicate(thingName, certificateId);
        }

        Optional<CertificateItem> item = registry.flatMap(r -> r.latestCertificate(certificateId));
        if (item.isPresent() && boundSince(item.get(), request)) {
            LOG.info("duplicate request: the registry recorded this binding after the request was published; "
                    + "no IoT call", "thingName", thingName, "certificateId", certificateId, "duplicate", true,
                    "step", item.get().step().name());
            done.remember(key);
            return ProvisioningResult.provisionedSince(thingName, certificateId);
        }
        Optional<Known> found = certificate(certificateId, item);
        if (found.isEmpty()) {
            return reject(request, Reason.CERTIFICATE_NOT_FOUND, "IoT has no such certificate");
        }
        Known certificate = found.get();
        if (!CertificateStatus.ACTIVE.toString().equals(certificate.status())) {
            return refuse(certificate, reject(request, Reason.CERTIFICATE_NOT_ACTIVE,
                    "certificate status is " + certificate.status() + ", not ACTIVE"));
        }
        if (!config.caCertificateIds().isEmpty()
                && !config.caCertificateIds().contains(certificate.caCertificateId())) {
            return reject(request, Reason.UNKNOWN_CA,
                    "certificate issued by CA " + certificate.caCertificateId() + ", not one of the configured CAs");
        }
        String arn = certificate.arn();
        String attested;
        X509Certificate parsed;
        try {
            parsed = CertificateIds.parsePem(certificate.pem());
            attested = config.thingNames().thingOf(parsed);
        } catch (IllegalArgumentException e) {
            return refuse(certificate, reject(request, Reason.CERTIFICATE_NAMES_NO_THING, e.getMessage()));
        }
        if (!attested.equals(thingName)) {
            return deactivate(request, attested, certificate);
        }
        Map<String, String> expected;
        try {
            expected = config.placement().attributesOf(parsed);
        } catch (IllegalArgumentException e) {
            return refuse(certificate, reject(request, Reason.CERTIFICATE_FIELD_NOT_ATTRIBUTE, e.getMessage()));
        }

        List<String> otherThings = IotLookups.thingsOf(iot, arn).stream()
                .filter(thing -> !thing.equals(thingName)).toList();
        if (!otherThings.isEmpty()) {
            return refuse(certificate, securityReject(request, Reason.CERTIFICATE_ON_ANOTHER_THING,
                    "the certificate is already attached to thing(s) " + otherThings));
        }
        Optional<DescribeThingResponse> existing = describeThing(thingName);
        List<String> otherPrincipals = existing.isPresent() ? otherPrincipals(thingName, certificateId) : List.of();
        Optional<RenewalAttributes> renewal = existing.map(DescribeThingResponse::attributes)
                .flatMap(RenewalAttributes::of)
                .filter(announced -> announced.certificateId().equals(certificateId));
        if (!otherPrincipals.isEmpty()) {
            if (renewal.isEmpty()) {
                return refuse(certificate, securityReject(request, Reason.THING_OWNED_BY_ANOTHER_CERTIFICATE,
                        "the thing already has " + otherPrincipals.size() + " other principal(s) and no renewal "
                                + "announcement names this certificate"));
            }
            return renew(request, certificate, renewal.get(), otherPrincipals, existing.get(), expected);
        }

        Optional<String> refused = placeThing(thingName, existing, expected);
        if (refused.isPresent()) {
            return refuse(certificate, reject(request, Reason.PLACEMENT_REFUSED, refused.get()));
        }
        try {
            iot.attachThingPrincipal(r -> r.thingName(thingName).principal(arn)
                    .thingPrincipalType(ThingPrincipalType.EXCLUSIVE_THING));
        } catch (InvalidRequestException e) {
            return refuse(certificate, securityReject(request, Reason.CERTIFICATE_ON_ANOTHER_THING,
                    "IoT refused the exclusive attachment: " + e.awsErrorDetails().errorMessage()));
        }
        List<String> racers = otherPrincipals(thingName, certificateId);
        if (!racers.isEmpty()) {
            iot.detachThingPrincipal(r -> r.thingName(thingName).principal(arn));
            record(certificate, Step.REFUSED, update -> update.unbound()
                    .reason(Reason.THING_OWNED_BY_ANOTHER_CERTIFICATE.name()));
            return securityReject(request, Reason.THING_OWNED_BY_ANOTHER_CERTIFICATE,
                    "another certificate was attached to the thing concurrently; this one was detached again");
        }
        LOG.info("certificate attached to thing", "thingName", thingName, "certificateId", certificateId);
        addToGroups(thingName);

        iot.attachPolicy(r -> r.policyName(config.appPolicyName()).target(arn));
        detachJitrPolicy(arn, certificateId);
        if (renewal.isPresent()) {
            clearAnnouncement(thingName);
            if (renewal.get().byOperator()) {
                LOG.warn("audit: thing bound by an operator's override, without proof of an old key", "audit", true,
                        "thingName", thingName, "certificateId", certificateId,
                        "announcedAt", renewal.get().announcedAt().toString());
            }
        }
        record(certificate, Step.PROVISIONED, update -> update.boundThing(thingName));
        done.remember(key);
        LOG.info("thing provisioned", "thingName", thingName, "certificateId", certificateId,
                "appPolicy", config.appPolicyName(), "detachedPolicy", config.jitrPolicyName());
        return ProvisioningResult.provisioned(thingName, certificateId);
    }

    /**
     * The certificate asked for a thing its CA did not attest: detach the JITR policy (it cannot ask again), then set
     * the certificate INACTIVE. Both are idempotent; a certificate an operator revoked meanwhile stays REVOKED.
     */
    private ProvisioningResult deactivate(ProvisioningRequest request, String attested, Known certificate) {
        String certificateId = request.certificateId();
        String arn = certificate.arn();
        LOG.warn("SECURITY: certificate asked for a thing other than its subject CN; deactivating it",
                "security", true, "certificateId", certificateId, "requestedThingName", request.thingName(),
                "certificateCn", attested, "reason", Reason.THING_NAME_NOT_CERTIFICATE_CN.name());
        try {
            iot.detachPolicy(r -> r.policyName(config.jitrPolicyName()).target(arn));
        } catch (ResourceNotFoundException e) {
            LOG.info("JITR policy already gone", "certificateId", certificateId);
        }
        boolean inactive = true;
        try {
            iot.updateCertificate(r -> r.certificateId(certificateId).newStatus(CertificateStatus.INACTIVE));
        } catch (CertificateStateException e) {
            inactive = false;
            LOG.warn("IoT refused INACTIVE (the certificate changed state meanwhile); left as it is",
                    "certificateId", certificateId, "detail", e.awsErrorDetails().errorMessage());
        }
        boolean setInactive = inactive;
        record(certificate, Step.REFUSED, update -> {
            update.reason(Reason.THING_NAME_NOT_CERTIFICATE_CN.name());
            if (setInactive) {
                update.status(CertificateStatus.INACTIVE.toString());
            }
        });
        return ProvisioningResult.deactivated(request.thingName(), certificateId,
                Reason.THING_NAME_NOT_CERTIFICATE_CN, "the certificate's subject CN is " + attested + ", not the "
                        + "requested thing; JITR policy detached and certificate set INACTIVE");
    }

    /**
     * DescribeThing: the thing (type, attributes), empty when it does not exist (then it has no principals either, so
     * ListThingPrincipals is not needed).
     */
    private Optional<DescribeThingResponse> describeThing(String thingName) {
        try {
            return Optional.of(iot.describeThing(r -> r.thingName(thingName)));
        } catch (ResourceNotFoundException e) {
            return Optional.empty();
        }
    }

    /**
     * The thing with its configured type and attributes: CreateThing for a new one (a conflict means it was created
     * meanwhile: it is read again and reconciled), one UpdateThing (merge) for an existing one whose type or
     * attributes differ, nothing for one already placed. IoT's refusal is the reason, returned.
     */
    private Optional<String> placeThing(String thingName, Optional<DescribeThingResponse> existing,
            Map<String, String> expected) {
        Optional<String> type = config.placement().thingTypeName();
        try {
            if (existing.isEmpty()) {
                try {
                    iot.createThing(r -> r.thingName(thingName).thingTypeName(type.orElse(null))
                            .attributePayload(p -> p.attributes(expected)));
                    return Optional.empty();
                } catch (ResourceAlreadyExistsException e) {
                    LOG.info("thing already exists", "thingName", thingName);
                    existing = describeThing(thingName);
                    if (existing.isEmpty()) {
                        throw e;
                    }
                }
            }
            DescribeThingResponse thing = existing.get();
            Optional<String> otherType = type.filter(name -> !name.equals(thing.thingTypeName()));
            Map<String, String> differing = new LinkedHashMap<>();
            expected.forEach((name, value) -> {
                if (!value.equals(thing.attributes().get(name))) {
                    differing.put(name, value);
                }
            });
            if (otherType.isEmpty() && differing.isEmpty()) {
                return Optional.empty();
            }
            iot.updateThing(r -> r.thingName(thingName).thingTypeName(otherType.orElse(null))
                    .attributePayload(p -> p.attributes(differing).merge(true)));
            LOG.info("existing thing reconciled to its placement", "thingName", thingName,
                    "fromThingType", String.valueOf(thing.thingTypeName()), "thingType", type.orElse(""),
                    "attributes", differing.keySet().toString());
            return Optional.empty();
        } catch (InvalidRequestException | ResourceNotFoundException e) {
            return Optional.of("IoT refused to give thing " + thingName + " its type " + type.orElse("(none)")
                    + " and attributes " + expected.keySet() + ": " + e.awsErrorDetails().errorMessage());
        }
    }

    /** AddThingToThingGroup for each configured group; adding a thing already in a group succeeds. */
    private void addToGroups(String thingName) {
        for (String group : config.placement().groupNames()) {
            iot.addThingToThingGroup(r -> r.thingGroupName(group).thingName(thingName));
        }
        if (!config.placement().groupNames().isEmpty()) {
            LOG.info("thing in its groups", "thingName", thingName, "groups", config.placement().groupNames());
        }
    }

    /**
     * The renewal path: the thing has other principals, and its announcement names this certificate. Accepted when
     * the announcement is within the window and, unless it is an operator's override, its announcer is still one
     * of the thing's principals. Then, each step idempotent and in an order a retry converges
     * from: the thing reconciled to this certificate's attributes (serial and notAfter follow it); this certificate
     * attached (EXCLUSIVE_THING), added to the groups, the app policy on, the JITR policy off; every other
     * principal retired (a certificate set INACTIVE unless REVOKED, its policies detached, then detached from the thing,
     * last, so a retry still finds it among the principals); the announcement cleared, last of all.
     */
    private ProvisioningResult renew(ProvisioningRequest request, Known certificate, RenewalAttributes renewal,
            List<String> otherPrincipals, DescribeThingResponse thing, Map<String, String> expected) {
        String thingName = request.thingName();
        String certificateId = request.certificateId();
        String arn = certificate.arn();
        Duration age = Duration.between(renewal.announcedAt(), clock.instant());
        if (age.compareTo(config.renewalWindow()) > 0) {
            return refuse(certificate, securityReject(request, Reason.RENEWAL_ANNOUNCEMENT_EXPIRED,
                    "the renewal announcement of " + renewal.announcedAt() + " is older than the renewal window of "
                    + config.renewalWindow().toHours() + " h"));
        }
        if (!renewal.byOperator() && otherPrincipals.stream().noneMatch(
                principal -> CertificateIds.fromArn(principal).map(renewal.announcedBy()::equals).orElse(false))) {
            return refuse(certificate, securityReject(request, Reason.RENEWAL_ANNOUNCER_NOT_ON_THING,
                    "the certificate " + renewal.announcedBy()
                    + " that announced this one is no longer attached to the thing"));
        }
        Optional<String> refused = placeThing(thingName, Optional.of(thing), expected);
        if (refused.isPresent()) {
            return refuse(certificate, reject(request, Reason.PLACEMENT_REFUSED, refused.get()));
        }

        try {
            iot.attachThingPrincipal(r -> r.thingName(thingName).principal(arn)
                    .thingPrincipalType(ThingPrincipalType.EXCLUSIVE_THING));
        } catch (InvalidRequestException e) {
            return refuse(certificate, securityReject(request, Reason.CERTIFICATE_ON_ANOTHER_THING,
                    "IoT refused the exclusive attachment: " + e.awsErrorDetails().errorMessage()));
        }
        addToGroups(thingName);
        iot.attachPolicy(r -> r.policyName(config.appPolicyName()).target(arn));
        detachJitrPolicy(arn, certificateId);
        LOG.info("renewal: certificate attached to thing with the app policy", "thingName", thingName,
                "certificateId", certificateId, "announcedBy", renewal.announcedBy());
        record(certificate, Step.RENEWED, update -> update.boundThing(thingName));
        for (String principal : otherPrincipals) {
            retire(thingName, principal);
        }
        clearAnnouncement(thingName);
        List<String> retired = otherPrincipals.stream()
                .map(principal -> CertificateIds.fromArn(principal).orElse(principal)).toList();
        done.remember(new Done(certificateId, thingName));
        LOG.info("thing renewed: moved to the announced certificate", "thingName", thingName,
                "certificateId", certificateId, "retired", retired, "announcedBy", renewal.announcedBy(),
                "announcedAt", renewal.announcedAt().toString());
        if (renewal.byOperator()) {
            LOG.warn("audit: thing re-bound by an operator's override, without proof of the old key", "audit", true,
                    "thingName", thingName, "certificateId", certificateId, "retired", retired,
                    "announcedAt", renewal.announcedAt().toString());
        }
        return ProvisioningResult.renewed(thingName, certificateId, retired);
    }

    /**
     * Retires a principal the thing moves away from: a certificate is set INACTIVE (IoT refuses that for a REVOKED
     * one, which stays REVOKED; an INACTIVE one stays INACTIVE) and loses every policy; then the principal is
     * detached from the thing, last, so a retry after a crash still finds it among the thing's principals.
     */
    private void retire(String thingName, String principal) {
        Optional<String> id = CertificateIds.fromArn(principal);
        boolean inactive = false;
        if (id.isPresent()) {
            try {
                iot.updateCertificate(r -> r.certificateId(id.get()).newStatus(CertificateStatus.INACTIVE));
                inactive = true;
            } catch (CertificateStateException e) {
                LOG.info("old certificate left as it is (REVOKED, or in a state IoT does not let become INACTIVE)",
                        "certificateId", id.get(), "detail", e.awsErrorDetails().errorMessage());
            }
            for (String policy : IotLookups.policiesOf(iot, principal)) {
                try {
                    iot.detachPolicy(r -> r.policyName(policy).target(principal));
                } catch (ResourceNotFoundException e) {
                    LOG.info("policy already detached", "certificateId", id.get(), "policy", policy);
                }
            }
        }
        try {
            iot.detachThingPrincipal(r -> r.thingName(thingName).principal(principal));
        } catch (ResourceNotFoundException e) {
            LOG.info("principal already detached", "thingName", thingName);
        }
        if (id.isPresent() && CertificateIds.isCertificateId(id.get()) && registry.isPresent()) {
            CertificateUpdate.Builder retired = CertificateUpdate.of(id.get(), Step.RETIRED, clock.instant()).unbound();
            if (inactive) {
                retired.status(CertificateStatus.INACTIVE.toString());
            }
            write(retired.build());
        }
        LOG.info("renewal: old principal retired (INACTIVE unless REVOKED, no policies, detached)",
                "thingName", thingName, "principal", id.orElse(principal));
    }

    /** UpdateThing with merge: an empty value removes its attribute. */
    /**
     * What provisioning knows of a certificate before any write: from its registry item when the item is complete
     * and says ACTIVE (no IoT call), else from DescribeCertificate ({@code described}), whose answer the next
     * registry write records.
     */
    private record Known(String certificateId, String status, String caCertificateId, String pem, String arn,
            Optional<CertificateDescription> described) {
    }

    /**
     * True when the item shows this request already served: the last step bound this certificate, ACTIVE, to the
     * requested thing (PROVISIONED or RENEWED, written after every IoT write of that step), at or after the rules
     * engine received the request. Such a request was published before provisioning detached the JITR policy: a
     * resend, or one redelivered. A request received after the binding (an operator attached the JITR policy again)
     * and an event without {@code requestedAt} take the whole path.
     */
    private static boolean boundSince(CertificateItem item, ProvisioningRequest request) {
        return request.requestedAt() != null && item.updatedAt() != null
                && (item.step() == Step.PROVISIONED || item.step() == Step.RENEWED)
                && CertificateStatus.ACTIVE.toString().equals(item.status())
                && request.thingName().equals(item.boundThing()) && request.thingName().equals(item.thingName())
                && !item.updatedAt().isBefore(Instant.ofEpochMilli(request.requestedAt()));
    }

    /** The certificate, from its registry item or IoT; empty when IoT has no such certificate. */
    private Optional<Known> certificate(String certificateId, Optional<CertificateItem> item) {
        if (item.isPresent() && usable(item.get())) {
            CertificateItem i = item.get();
            return Optional.of(new Known(certificateId, i.status(), i.caCertificateId(), i.certificatePem(), i.certificateArn(),
                    Optional.empty()));
        }
        if (registry.isPresent()) {
            LOG.info("no complete ACTIVE registry item: reading IoT", "certificateId", certificateId,
                    "registryItem", item.isPresent());
        }
        CertificateDescription described;
        try {
            described = iot.describeCertificate(r -> r.certificateId(certificateId)).certificateDescription();
        } catch (ResourceNotFoundException e) {
            return Optional.empty();
        }
        return Optional.of(new Known(certificateId, described.statusAsString(), described.caCertificateId(),
                described.certificatePem(), described.certificateArn(), Optional.of(described)));
    }

    /**
     * An item provisioning can act on without IoT: ACTIVE (any other status is confirmed with IoT, the authority,
     * since the device's own publish says it was ACTIVE when it connected) and every field the checks read.
     */
    private static boolean usable(CertificateItem item) {
        return CertificateStatus.ACTIVE.toString().equals(item.status()) && item.caCertificateId() != null
                && item.certificatePem() != null && item.certificateArn() != null;
    }

    /**
     * Records a step: what this invocation observed. A certificate read from IoT is recorded whole (status, CA, PEM,
     * validity); one read from the registry only with what {@code observed} adds, never a status it did not see.
     */
    private void record(Known certificate, Step step, Consumer<CertificateUpdate.Builder> observed) {
        if (registry.isEmpty()) {
            return;
        }
        CertificateUpdate.Builder update = certificate.described()
                .map(d -> IotObservations.certificate(d, step, clock.instant()))
                .orElseGet(() -> CertificateUpdate.of(certificate.certificateId(), step, clock.instant()));
        observed.accept(update);
        write(update.build());
    }

    /** A refusal of a known certificate: step REFUSED with the result's reason. */
    private ProvisioningResult refuse(Known certificate, ProvisioningResult result) {
        if (result.reason() != null) {
            record(certificate, Step.REFUSED, update -> update.reason(result.reason().name()));
        }
        return result;
    }

    private void write(CertificateUpdate update) {
        if (!registry.orElseThrow().write(update)) {
            LOG.info("registry already holds a later observation; left as it is", "certificateId",
                    update.certificateId(), "step", update.step().name());
        }
    }

    private void clearAnnouncement(String thingName) {
        iot.updateThing(r -> r.thingName(thingName)
                .attributePayload(p -> p.attributes(RenewalAttributes.cleared()).merge(true)));
        LOG.info("renewal announcement cleared", "thingName", thingName);
    }

    private void detachJitrPolicy(String arn, String certificateId) {
        try {
            iot.detachPolicy(r -> r.policyName(config.jitrPolicyName()).target(arn));
        } catch (ResourceNotFoundException e) {
            LOG.info("JITR policy already gone", "certificateId", certificateId);
        }
    }

    private List<String> otherPrincipals(String thingName, String certificateId) {
        return IotLookups.principalsOf(iot, thingName).stream()
                .filter(principal -> !CertificateIds.fromArn(principal).map(certificateId::equals).orElse(false))
                .toList();
    }

    private static ProvisioningResult reject(ProvisioningRequest request, Reason reason, String detail) {
        LOG.warn("thing not provisioned", "thingName", ThingNameRule.forLog(request.thingName()),
                "certificateId", ThingNameRule.forLog(request.certificateId()), "reason", reason.name(),
                "detail", detail);
        return ProvisioningResult.rejected(ThingNameRule.forLog(request.thingName()),
                ThingNameRule.forLog(request.certificateId()), reason, detail);
    }

    private static ProvisioningResult securityReject(ProvisioningRequest request, Reason reason, String detail) {
        LOG.warn("SECURITY: thing not provisioned, possible hijack attempt", "security", true,
                "thingName", request.thingName(), "certificateId", request.certificateId(), "reason", reason.name(),
                "detail", detail);
        return ProvisioningResult.rejected(request.thingName(), request.certificateId(), reason, detail);
    }
}
