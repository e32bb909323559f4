package dev.iotonboard.lambda.reconciler;

import dev.iotonboard.lambda.activation.ActivationService;
import dev.iotonboard.lambda.activation.model.ActivationResult;
import dev.iotonboard.lambda.activation.model.RegisteredEvent;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.IotLookups;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.RecentlyDone;
import dev.iotonboard.lambda.core.registry.CaItem;
import dev.iotonboard.lambda.core.registry.CertificateItem;
import dev.iotonboard.lambda.core.registry.CertificateUpdate;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.Step;
import dev.iotonboard.lambda.reconciler.model.ReconcilerSummary;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntSupplier;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.Certificate;
import software.amazon.awssdk.services.iot.model.CACertificateDescription;
import software.amazon.awssdk.services.iot.model.CertificateDescription;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.ListCertificatesByCaResponse;

/**
 * Finds the devices onboarding left behind, newest first, within the lookback window.
 *
 * <ul>
 *   <li>ListCertificatesByCA for each configured CA in turn (the list order), newest first, {@value #PAGE_SIZE} per
 *       page; paging of a CA stops at its first certificate registered before the lookback window.</li>
 *   <li>PENDING_ACTIVATION past the grace period (its registered event was lost, or every delivery failed): completed
 *       by the activation function's own {@link ActivationService}, which reads the certificate again, never
 *       activates a REVOKED or INACTIVE one, checks it, and attaches the JITR policy before activating; every step
 *       is idempotent, so a run that crashes half-way converges on the next.</li>
 *   <li>ACTIVE past the grace period: ListPrincipalThings; without a thing it is logged (WARN, certificateId and
 *       creation date) and reported. The reconciler cannot complete it: the device's own retry or the redrive
 *       script does. With a thing, DescribeCertificate and ListAttachedPolicies check what provisioning left:
 *       a thing other than the certificate's subject CN (or several things) breaks the identity rule and is
 *       reported as a security finding; a JITR policy still attached (a DetachPolicy that failed for good) is
 *       reported too. The reconciler only reports these; it writes nothing. Certificates found in order are
 *       remembered by the container and not asked about again.</li>
 *   <li>Anything else (REVOKED, INACTIVE, younger than the grace period) costs no IoT call.</li>
 *   <li>With the device registry table: every certificate past the grace period that is not PENDING_ACTIVATION is
 *       compared with its item (one GetItem): the status from the listing, and for an ACTIVE certificate whose
 *       things were read the binding. A missing item, another status or another binding is drift: logged (WARN,
 *       reason REGISTRY_DRIFT), counted, and repaired by rewriting the item from what IoT said (step RECONCILED,
 *       observed at the time of the page's listing, so newer state written meanwhile is kept); an ACTIVE
 *       certificate whose PEM was read also gets its CN, validity and PEM, so the API authorizer can decide on a
 *       re-created item. This is the backstop of the CloudTrail sync, for the certificates each run examines: those
 *       registered within the lookback window. Each configured CA's item is compared with DescribeCACertificate
 *       first (one call per CA and run) and rewritten when missing or of another status.</li>
 * </ul>
 * Before each page and each certificate the run checks the invocation's remaining time; below
 * {@link #TIME_MARGIN} it stops with {@code complete: false}. An IoT error that outlasts the SDK retries
 * propagates: the invocation fails, and the next scheduled run starts again from the newest certificate. A run that
 * ends, complete or not, writes its {@link ReconcilerMetrics} line.
 */
public final class ReconcilerService {

    /** ListCertificatesByCA page size (the API's maximum). */
    public static final int PAGE_SIZE = 250;
    /**
     * Time kept in reserve when deciding to start on another certificate: one certificate takes up to four IoT
     * calls, and a throttled call may retry for several seconds.
     */
    public static final Duration TIME_MARGIN = Duration.ofSeconds(20);

    private static final JsonLogger LOG = JsonLogger.get(ReconcilerService.class);

    private final IotClient iot;
    private final ReconcilerConfig config;
    private final ActivationService activation;
    private final Clock clock;
    private final Optional<DeviceRegistry> registry;
    /** ACTIVE certificates found bound to their CN's thing, without the JITR policy: not asked about again. */
    private final RecentlyDone<String> provisioned = new RecentlyDone<>(RecentlyDone.DEFAULT_CAPACITY);

    public ReconcilerService(IotClient iot, ReconcilerConfig config, ActivationService activation, Clock clock) {
        this(iot, config, activation, clock, Optional.empty());
    }

    /** With {@code registry}: the table is compared with IoT and repaired on every run. */
    public ReconcilerService(IotClient iot, ReconcilerConfig config, ActivationService activation, Clock clock,
            Optional<DeviceRegistry> registry) {
        this.iot = iot;
        this.config = config;
        this.activation = activation;
        this.clock = clock;
        this.registry = registry;
    }

    /** One run. {@code remainingMillis}: the invocation's remaining time (Lambda context). */
    public ReconcilerSummary reconcile(IntSupplier remainingMillis) {
        Run run = new Run(clock.instant(), remainingMillis);
        registry.ifPresent(table -> config.caCertificateIds().forEach(ca -> compareCa(table, ca, run)));
        for (String caCertificateId : config.caCertificateIds()) {
            if (!scan(caCertificateId, run)) {
                return run.summary(false);
            }
        }
        return run.summary(true);
    }

    /** One CA's certificates within the lookback; false when the run stopped for time. */
    private boolean scan(String caCertificateId, Run run) {
        String marker = null;
        do {
            if (run.outOfTime()) {
                return false;
            }
            String pageMarker = marker;
            Instant listed = clock.instant();
            ListCertificatesByCaResponse page = iot.listCertificatesByCA(r -> r.caCertificateId(caCertificateId)
                    .ascendingOrder(false).pageSize(PAGE_SIZE).marker(pageMarker));
            for (Certificate certificate : page.certificates()) {
                if (certificate.creationDate() != null && certificate.creationDate().isBefore(run.lookbackStart)) {
                    return true;
                }
                if (run.outOfTime()) {
                    return false;
                }
                run.scanned++;
                reconcile(caCertificateId, certificate, listed, run);
            }
            marker = page.nextMarker();
        } while (marker != null && !marker.isEmpty());
        return true;
    }

    private void reconcile(String caCertificateId, Certificate certificate, Instant listed, Run run) {
        if (certificate.creationDate() == null || !certificate.creationDate().isBefore(run.graceEnd)) {
            return;
        }
        if (certificate.status() == CertificateStatus.PENDING_ACTIVATION) {
            completePending(caCertificateId, certificate, run);
            return;
        }
        Observed observed = certificate.status() == CertificateStatus.ACTIVE ? checkThing(certificate, run) : null;
        registry.ifPresent(table -> compare(table, caCertificateId, certificate, observed, listed, run));
    }

    /**
     * The CA's item against DescribeCACertificate (one call per CA and run): the API authorizer allows only
     * certificates of a CA whose item is ACTIVE, so a missing item or another status is rewritten (step RECONCILED).
     */
    private void compareCa(DeviceRegistry table, String caCertificateId, Run run) {
        Instant observed = clock.instant();
        CACertificateDescription ca = iot.describeCACertificate(r -> r.certificateId(caCertificateId))
                .certificateDescription();
        Optional<CaItem> item = table.ca(caCertificateId);
        if (item.isPresent() && item.get().status().equals(ca.statusAsString())) {
            return;
        }
        run.drift.cas++;
        LOG.warn("device registry drift: rewriting the CA item from IoT", "caCertificateId", caCertificateId,
                "reason", "REGISTRY_DRIFT", "tableStatus", item.map(CaItem::status).orElse(null),
                "iotStatus", ca.statusAsString());
        table.write(new CaItem(caCertificateId, ca.statusAsString(),
                ca.validity() == null ? null : ca.validity().notAfter(), observed, Step.RECONCILED));
    }

    /** What a run read of an ACTIVE certificate: its things, and its description when it was asked for. */
    private record Observed(List<String> things, CertificateDescription description, String attestedThing) {
    }

    /** The item against IoT's view of one certificate; drift is counted and repaired. */
    private void compare(DeviceRegistry table, String caCertificateId, Certificate certificate, Observed observed,
            Instant listed, Run run) {
        String id = certificate.certificateId();
        String status = certificate.statusAsString();
        run.drift.checked++;
        Optional<CertificateItem> item = table.certificate(id);
        String iotBound = observed == null || observed.things().isEmpty() ? null : observed.things().get(0);
        boolean missing = item.isEmpty();
        boolean statusDrift = !missing && !status.equals(item.get().status());
        boolean bindingDrift = !missing && observed != null && !Objects.equals(iotBound, item.get().boundThing());
        if (!missing && !statusDrift && !bindingDrift) {
            return;
        }
        if (missing) {
            run.drift.missing++;
        }
        if (statusDrift) {
            run.drift.status++;
        }
        if (bindingDrift) {
            run.drift.binding++;
        }
        run.drift.drifted.add(id);
        LOG.warn("device registry drift: rewriting the item from IoT", "certificateId", id,
                "reason", "REGISTRY_DRIFT", "itemMissing", missing,
                "tableStatus", item.map(CertificateItem::status).orElse(null), "iotStatus", status,
                "tableBoundThing", item.map(CertificateItem::boundThing).orElse(null),
                "iotThings", observed == null ? null : observed.things());
        CertificateUpdate.Builder update = CertificateUpdate.of(id, Step.RECONCILED, listed).status(status)
                .caCertificateId(caCertificateId);
        if (observed != null) {
            if (iotBound == null) {
                update.unbound();
            } else {
                update.boundThing(iotBound);
            }
            CertificateDescription description = observed.description();
            if (description != null) {
                if (description.certificatePem() != null) {
                    update.certificatePem(description.certificatePem());
                }
                if (description.validity() != null && description.validity().notBefore() != null
                        && description.validity().notAfter() != null) {
                    update.validity(description.validity().notBefore(), description.validity().notAfter());
                }
                if (observed.attestedThing() != null) {
                    update.thingName(observed.attestedThing());
                }
            }
        }
        if (table.write(update.build())) {
            run.drift.repaired++;
        }
    }

    private void completePending(String caCertificateId, Certificate certificate, Run run) {
        LOG.info("PENDING_ACTIVATION past the grace period: completing its activation",
                "certificateId", certificate.certificateId(), "creationDate", certificate.creationDate().toString());
        ActivationResult result = activation.activate(new RegisteredEvent(certificate.certificateId(),
                caCertificateId, null, CertificateStatus.PENDING_ACTIVATION.toString(), null,
                Long.toString(certificate.creationDate().toEpochMilli())), run.remaining(), null);
        switch (result.outcome()) {
            case ACTIVATED -> run.activated++;
            case REJECTED -> run.rejected++;
            case ALREADY_ACTIVE, IN_PROGRESS -> {
            }
        }
    }

    /** The ACTIVE certificate's things (and description); null when it was found in order before (not asked). */
    private Observed checkThing(Certificate certificate, Run run) {
        String certificateId = certificate.certificateId();
        if (provisioned.contains(certificateId)) {
            return null;
        }
        List<String> things = IotLookups.thingsOf(iot, certificate.certificateArn());
        if (things.isEmpty()) {
            LOG.warn("ACTIVE certificate without a thing: the device's retry or the redrive script must complete "
                    + "its provisioning", "certificateId", certificateId,
                    "creationDate", certificate.creationDate().toString(), "reason", "ACTIVE_WITHOUT_THING");
            run.activeWithoutThing.add(certificateId);
            return new Observed(things, null, null);
        }
        CertificateDescription description = iot.describeCertificate(r -> r.certificateId(certificateId))
                .certificateDescription();
        String attested = attestedThing(description.certificatePem());
        boolean inOrder = thingIsCertificateCn(certificateId, things, attested, run);
        if (IotLookups.policiesOf(iot, certificate.certificateArn()).contains(config.jitrPolicyName())) {
            LOG.warn("provisioned certificate still holds the JITR policy (a DetachPolicy failed): detach it",
                    "certificateId", certificateId, "thingName", things.get(0), "policyName", config.jitrPolicyName(),
                    "reason", "JITR_POLICY_LEFT");
            run.jitrPolicyLeft.add(certificateId);
            inOrder = false;
        }
        if (inOrder) {
            provisioned.remember(certificateId);
        }
        return new Observed(things, description, attested);
    }

    /** The thing name the certificate's subject CN attests; null when it names none. */
    private String attestedThing(String pem) {
        try {
            return config.thingNames().thingOf(CertificateIds.parsePem(pem));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private boolean thingIsCertificateCn(String certificateId, List<String> things, String attested, Run run) {
        if (things.size() == 1 && things.get(0).equals(attested)) {
            return true;
        }
        LOG.warn("SECURITY: certificate attached to a thing other than its subject CN", "security", true,
                "certificateId", certificateId, "things", things, "certificateCn", attested,
                "reason", "THING_NOT_CERTIFICATE_CN");
        run.thingNotCertificateCn.add(certificateId);
        return false;
    }

    /** Certificates of one kind of finding: all counted, the first {@value ReconcilerSummary#MAX_REPORTED} kept. */
    private static final class Findings {
        private final List<String> ids = new ArrayList<>();
        int count;

        void add(String certificateId) {
            count++;
            if (ids.size() < ReconcilerSummary.MAX_REPORTED) {
                ids.add(certificateId);
            }
        }

        List<String> reported() {
            return List.copyOf(ids);
        }
    }

    /** The registry comparison of one run. */
    private static final class Drift {
        final Findings drifted = new Findings();
        int checked;
        int missing;
        int status;
        int binding;
        int repaired;
        int cas;

        ReconcilerSummary.RegistryDrift summary() {
            return new ReconcilerSummary.RegistryDrift(checked, missing, status, binding, repaired,
                    drifted.reported(), cas);
        }
    }

    /** The state of one run. */
    private final class Run {
        final Instant graceEnd;
        final Instant lookbackStart;
        final IntSupplier remainingMillis;
        final Findings activeWithoutThing = new Findings();
        final Findings thingNotCertificateCn = new Findings();
        final Findings jitrPolicyLeft = new Findings();
        final Drift drift = new Drift();
        int scanned;
        int activated;
        int rejected;
        int lastRemaining = Integer.MAX_VALUE;

        Run(Instant now, IntSupplier remainingMillis) {
            this.graceEnd = now.minus(config.gracePeriod());
            this.lookbackStart = now.minus(config.lookback());
            this.remainingMillis = remainingMillis;
        }

        /** The invocation's remaining time at the last check ({@link #outOfTime}, made before each certificate). */
        Duration remaining() {
            return Duration.ofMillis(lastRemaining);
        }

        boolean outOfTime() {
            int remaining = remainingMillis.getAsInt();
            lastRemaining = remaining;
            if (remaining >= TIME_MARGIN.toMillis()) {
                return false;
            }
            LOG.warn("stopping early to stay inside the invocation's time; the next run starts again",
                    "remainingMillis", remaining, "scanned", scanned);
            return true;
        }

        ReconcilerSummary summary(boolean complete) {
            ReconcilerSummary summary = new ReconcilerSummary(config.caCertificateIds(), scanned, activated, rejected,
                    activeWithoutThing.reported(), thingNotCertificateCn.reported(), jitrPolicyLeft.reported(),
                    complete, drift.summary());
            LOG.info("reconciler run finished", "caCertificateIds", config.caCertificateIds(), "scanned", scanned,
                    "activated", activated, "rejected", rejected, "activeWithoutThing", activeWithoutThing.count,
                    "thingNotCertificateCn", thingNotCertificateCn.count, "jitrPolicyLeft", jitrPolicyLeft.count,
                    "registryChecked", drift.checked, "registryDrift", drift.drifted.count,
                    "registryRepaired", drift.repaired, "complete", complete);
            ReconcilerMetrics.of(activated, activeWithoutThing.count, thingNotCertificateCn.count,
                    jitrPolicyLeft.count, drift.drifted.count, complete).emit(clock.instant());
            return summary;
        }
    }
}
