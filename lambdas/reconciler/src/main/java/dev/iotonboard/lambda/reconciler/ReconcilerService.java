package dev.iotonboard.lambda.reconciler;

import dev.iotonboard.lambda.activation.ActivationService;
import dev.iotonboard.lambda.activation.model.ActivationResult;
import dev.iotonboard.lambda.activation.model.RegisteredEvent;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.IotLookups;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.RecentlyDone;
import dev.iotonboard.lambda.reconciler.model.ReconcilerSummary;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.Certificate;
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
 *   <li>Anything else (REVOKED, INACTIVE, younger than the grace period) costs no call.</li>
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
    /** ACTIVE certificates found bound to their CN's thing, without the JITR policy: not asked about again. */
    private final RecentlyDone<String> provisioned = new RecentlyDone<>(RecentlyDone.DEFAULT_CAPACITY);

    public ReconcilerService(IotClient iot, ReconcilerConfig config, ActivationService activation, Clock clock) {
        this.iot = iot;
        this.config = config;
        this.activation = activation;
        this.clock = clock;
    }

    /** One run. {@code remainingMillis}: the invocation's remaining time (Lambda context). */
    public ReconcilerSummary reconcile(IntSupplier remainingMillis) {
        Run run = new Run(clock.instant(), remainingMillis);
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
                reconcile(caCertificateId, certificate, run);
            }
            marker = page.nextMarker();
        } while (marker != null && !marker.isEmpty());
        return true;
    }

    private void reconcile(String caCertificateId, Certificate certificate, Run run) {
        if (certificate.creationDate() == null || !certificate.creationDate().isBefore(run.graceEnd)) {
            return;
        }
        if (certificate.status() == CertificateStatus.PENDING_ACTIVATION) {
            completePending(caCertificateId, certificate, run);
        } else if (certificate.status() == CertificateStatus.ACTIVE) {
            checkThing(certificate, run);
        }
    }

    private void completePending(String caCertificateId, Certificate certificate, Run run) {
        LOG.info("PENDING_ACTIVATION past the grace period: completing its activation",
                "certificateId", certificate.certificateId(), "creationDate", certificate.creationDate().toString());
        ActivationResult result = activation.activate(new RegisteredEvent(certificate.certificateId(),
                caCertificateId, null, CertificateStatus.PENDING_ACTIVATION.toString(), null,
                Long.toString(certificate.creationDate().toEpochMilli())));
        switch (result.outcome()) {
            case ACTIVATED -> run.activated++;
            case REJECTED -> run.rejected++;
            case ALREADY_ACTIVE -> {
            }
        }
    }

    private void checkThing(Certificate certificate, Run run) {
        String certificateId = certificate.certificateId();
        if (provisioned.contains(certificateId)) {
            return;
        }
        List<String> things = IotLookups.thingsOf(iot, certificate.certificateArn());
        if (things.isEmpty()) {
            LOG.warn("ACTIVE certificate without a thing: the device's retry or the redrive script must complete "
                    + "its provisioning", "certificateId", certificateId,
                    "creationDate", certificate.creationDate().toString(), "reason", "ACTIVE_WITHOUT_THING");
            run.activeWithoutThing.add(certificateId);
            return;
        }
        boolean inOrder = thingIsCertificateCn(certificateId, things, run);
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
    }

    private boolean thingIsCertificateCn(String certificateId, List<String> things, Run run) {
        String pem = iot.describeCertificate(r -> r.certificateId(certificateId)).certificateDescription()
                .certificatePem();
        String attested;
        try {
            attested = config.thingNames().thingOf(CertificateIds.parsePem(pem));
        } catch (IllegalArgumentException e) {
            attested = null;
        }
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

    /** The state of one run. */
    private final class Run {
        final Instant graceEnd;
        final Instant lookbackStart;
        final IntSupplier remainingMillis;
        final Findings activeWithoutThing = new Findings();
        final Findings thingNotCertificateCn = new Findings();
        final Findings jitrPolicyLeft = new Findings();
        int scanned;
        int activated;
        int rejected;

        Run(Instant now, IntSupplier remainingMillis) {
            this.graceEnd = now.minus(config.gracePeriod());
            this.lookbackStart = now.minus(config.lookback());
            this.remainingMillis = remainingMillis;
        }

        boolean outOfTime() {
            int remaining = remainingMillis.getAsInt();
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
                    complete);
            LOG.info("reconciler run finished", "caCertificateIds", config.caCertificateIds(), "scanned", scanned,
                    "activated", activated, "rejected", rejected, "activeWithoutThing", activeWithoutThing.count,
                    "thingNotCertificateCn", thingNotCertificateCn.count, "jitrPolicyLeft", jitrPolicyLeft.count,
                    "complete", complete);
            ReconcilerMetrics.of(activated, activeWithoutThing.count, thingNotCertificateCn.count,
                    jitrPolicyLeft.count, complete).emit(clock.instant());
            return summary;
        }
    }
}
