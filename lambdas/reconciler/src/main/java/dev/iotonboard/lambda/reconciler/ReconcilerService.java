package dev.iotonboard.lambda.reconciler;

import dev.iotonboard.lambda.activation.ActivationService;
import dev.iotonboard.lambda.activation.model.ActivationResult;
import dev.iotonboard.lambda.activation.model.RegisteredEvent;
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
 *   <li>ListCertificatesByCA for the configured CA, newest first, {@value #PAGE_SIZE} per page; paging stops at the
 *       first certificate registered before the lookback window.</li>
 *   <li>PENDING_ACTIVATION past the grace period (its registered event was lost, or every delivery failed): completed
 *       by the activation function's own {@link ActivationService}, which reads the certificate again, never
 *       activates a REVOKED or INACTIVE one, checks it, and attaches the JITR policy before activating; every step
 *       is idempotent, so a run that crashes half-way converges on the next.</li>
 *   <li>ACTIVE past the grace period: ListPrincipalThings; without a thing it is logged (WARN, certificateId and
 *       creation date) and reported. The reconciler cannot complete it: the thing name exists only on the device
 *       and in the provisioning function's failure record (the device's own retry or the redrive script does).
 *       Certificates found with a thing are remembered by the container and not asked about again.</li>
 *   <li>Anything else (REVOKED, INACTIVE, younger than the grace period) costs no call.</li>
 * </ul>
 * Before each page and each certificate the run checks the invocation's remaining time; below
 * {@link #TIME_MARGIN} it stops with {@code complete: false}. An IoT error that outlasts the SDK retries
 * propagates: the invocation fails, and the next scheduled run starts again from the newest certificate.
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
    private final RecentlyDone<String> withThing = new RecentlyDone<>(RecentlyDone.DEFAULT_CAPACITY);

    public ReconcilerService(IotClient iot, ReconcilerConfig config, ActivationService activation, Clock clock) {
        this.iot = iot;
        this.config = config;
        this.activation = activation;
        this.clock = clock;
    }

    /** One run. {@code remainingMillis}: the invocation's remaining time (Lambda context). */
    public ReconcilerSummary reconcile(IntSupplier remainingMillis) {
        Run run = new Run(clock.instant(), remainingMillis);
        String marker = null;
        do {
            if (run.outOfTime()) {
                return run.summary(false);
            }
            String pageMarker = marker;
            ListCertificatesByCaResponse page = iot.listCertificatesByCA(r -> r.caCertificateId(config.caCertificateId())
                    .ascendingOrder(false).pageSize(PAGE_SIZE).marker(pageMarker));
            for (Certificate certificate : page.certificates()) {
                if (certificate.creationDate() != null && certificate.creationDate().isBefore(run.lookbackStart)) {
                    return run.summary(true);
                }
                if (run.outOfTime()) {
                    return run.summary(false);
                }
                run.scanned++;
                reconcile(certificate, run);
            }
            marker = page.nextMarker();
        } while (marker != null && !marker.isEmpty());
        return run.summary(true);
    }

    private void reconcile(Certificate certificate, Run run) {
        if (certificate.creationDate() == null || !certificate.creationDate().isBefore(run.graceEnd)) {
            return;
        }
        if (certificate.status() == CertificateStatus.PENDING_ACTIVATION) {
            completePending(certificate, run);
        } else if (certificate.status() == CertificateStatus.ACTIVE) {
            checkThing(certificate, run);
        }
    }

    private void completePending(Certificate certificate, Run run) {
        LOG.info("PENDING_ACTIVATION past the grace period: completing its activation",
                "certificateId", certificate.certificateId(), "creationDate", certificate.creationDate().toString());
        ActivationResult result = activation.activate(new RegisteredEvent(certificate.certificateId(),
                config.caCertificateId(), null, CertificateStatus.PENDING_ACTIVATION.toString(), null, null));
        switch (result.outcome()) {
            case ACTIVATED -> run.activated++;
            case REJECTED -> run.rejected++;
            case ALREADY_ACTIVE -> {
            }
        }
    }

    private void checkThing(Certificate certificate, Run run) {
        String certificateId = certificate.certificateId();
        if (withThing.contains(certificateId)) {
            return;
        }
        if (IotLookups.thingsOf(iot, certificate.certificateArn()).isEmpty()) {
            LOG.warn("ACTIVE certificate without a thing: the device's retry or the redrive script must complete "
                    + "its provisioning", "certificateId", certificateId,
                    "creationDate", certificate.creationDate().toString(), "reason", "ACTIVE_WITHOUT_THING");
            run.activeWithoutThing++;
            if (run.reported.size() < ReconcilerSummary.MAX_REPORTED) {
                run.reported.add(certificateId);
            }
        } else {
            withThing.remember(certificateId);
        }
    }

    /** The state of one run. */
    private final class Run {
        final Instant graceEnd;
        final Instant lookbackStart;
        final IntSupplier remainingMillis;
        final List<String> reported = new ArrayList<>();
        int scanned;
        int activated;
        int rejected;
        int activeWithoutThing;

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
            ReconcilerSummary summary = new ReconcilerSummary(config.caCertificateId(), scanned, activated, rejected,
                    List.copyOf(reported), complete);
            LOG.info("reconciler run finished", "caCertificateId", config.caCertificateId(), "scanned", scanned,
                    "activated", activated, "rejected", rejected, "activeWithoutThing", activeWithoutThing,
                    "complete", complete);
            return summary;
        }
    }
}
