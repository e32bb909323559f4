package dev.iotonboard.lambda.reconciler;

import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.EmbeddedMetrics;
import dev.iotonboard.lambda.core.EmbeddedMetrics.Unit;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.registry.CertificateItem;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.reconciler.model.ExpiryReport;
import dev.iotonboard.lambda.reconciler.model.ExpiryReport.CaExpiry;
import dev.iotonboard.lambda.reconciler.model.ExpiryReport.ExpiringDevice;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.IntSupplier;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CACertificateDescription;
import software.amazon.awssdk.services.iot.model.Certificate;
import software.amazon.awssdk.services.iot.model.CertificateDescription;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.CertificateValidity;
import software.amazon.awssdk.services.iot.model.ListCertificatesByCaResponse;
import software.amazon.awssdk.services.iot.model.ResourceNotFoundException;

/**
 * Watches certificate and CA expiry, for each configured CA. It only reads.
 *
 * <ol>
 *   <li>DescribeCACertificate for every CA first (one call each): when the CA certificate expires, in whole days
 *       from now. A CA that is not registered is logged and reported ({@code caStatus} null), and its certificates
 *       are not listed.</li>
 *   <li>Then per CA: ListCertificatesByCA, oldest first, {@value #PAGE_SIZE} per page, every page; for each ACTIVE
 *       certificate (the listing's status: IoT is the authority) its end of validity: expired, expiring within
 *       {@code WARNING_DAYS}, or neither. Certificates in any other status cost no call and are not counted: they
 *       cannot connect.</li>
 * </ol>
 * A certificate's validity and subject never change (its id is the hash of its DER), so with the device registry
 * table the page's ACTIVE certificates are read from it, in BatchGetItem requests, and only a certificate without an
 * item, or whose item has no validity, costs a DescribeCertificate (IoT's validity, else the PEM's). Without the
 * table every ACTIVE certificate costs one, within the watch's own rate limit: a fleet of 100,000 then needs hours
 * of DescribeCertificate quota a run, and takes it from onboarding.
 * Before each page and each ACTIVE certificate the run checks the invocation's remaining time; below
 * {@link #TIME_MARGIN} it stops, and what was not examined is reported {@code complete: false} (oldest first: those
 * are the likeliest to expire first). Each certificate expiring soon or expired, and each CA expiring soon, is
 * logged at WARN. The figures go out as embedded-metric-format lines ({@link EmbeddedMetrics}, namespace
 * {@value EmbeddedMetrics#NAMESPACE}): one per CA (dimension {@value #CA_DIMENSION}) and one for all of them (no
 * dimension), so an alarm needs no CA id. An IoT error that outlasts the SDK retries propagates: the run fails, and no
 * metric is written (a missing data point, which an alarm can treat as breaching).
 */
public final class ExpiryWatchService {

    /** ListCertificatesByCA page size (the API's maximum). */
    public static final int PAGE_SIZE = 250;
    /** Time kept in reserve when deciding to start on another page or certificate (a throttled call retries). */
    public static final Duration TIME_MARGIN = Duration.ofSeconds(20);

    /** The dimension of the per-CA line. */
    public static final String CA_DIMENSION = "CaCertificateId";
    /** ACTIVE certificates examined (per CA). */
    public static final String ACTIVE_CERTIFICATES = "ActiveCertificates";
    /** ACTIVE certificates not expired yet that expire within WARNING_DAYS. */
    public static final String EXPIRING_SOON = "CertificatesExpiringSoon";
    /** ACTIVE certificates already expired. */
    public static final String EXPIRED = "CertificatesExpired";
    /** Whole days until the CA expires (per CA); on the fleet line, the smallest over the CAs. */
    public static final String CA_DAYS = "CaDaysUntilExpiry";
    /** 1 when the run did not examine everything (out of time, or a CA not registered); else 0. Fleet line only. */
    public static final String INCOMPLETE = "ExpiryScanIncomplete";

    private static final JsonLogger LOG = JsonLogger.get(ExpiryWatchService.class);
    private static final long SECONDS_PER_DAY = Duration.ofDays(1).toSeconds();
    private static final Comparator<ExpiringDevice> SOONEST = Comparator.comparing(ExpiringDevice::notAfter,
            Comparator.comparing(Instant::parse)).thenComparing(ExpiringDevice::certificateId);

    /** The DynamoDB actions the watch sends to the device registry. */
    public static final Set<String> REGISTRY_ACTIONS = Set.of("dynamodb:BatchGetItem");

    private final IotClient iot;
    private final ExpiryWatchConfig config;
    private final Clock clock;
    private final Optional<DeviceRegistry> registry;

    public ExpiryWatchService(IotClient iot, ExpiryWatchConfig config, Clock clock, Optional<DeviceRegistry> registry) {
        this.iot = iot;
        this.config = config;
        this.clock = clock;
        this.registry = registry;
    }

    /** One scan. {@code remainingMillis}: the invocation's remaining time (Lambda context). */
    public ExpiryReport scan(IntSupplier remainingMillis) {
        Run run = new Run(clock.instant(), remainingMillis);
        List<CaScan> cas = new ArrayList<>();
        for (String caCertificateId : config.caCertificateIds()) {
            CaScan ca = new CaScan(caCertificateId);
            cas.add(ca);
            if (!run.outOfTime()) {
                describe(ca, run);
            }
        }
        for (CaScan ca : cas) {
            if (ca.registered && !run.stopped) {
                ca.complete = scanCertificates(ca, run);
            }
        }
        return finish(cas, run);
    }

    private void describe(CaScan ca, Run run) {
        CACertificateDescription description;
        try {
            description = iot.describeCACertificate(r -> r.certificateId(ca.id)).certificateDescription();
        } catch (ResourceNotFoundException e) {
            LOG.warn("configured CA is not registered in IoT: nothing to watch for it", "caCertificateId", ca.id,
                    "reason", "CA_NOT_REGISTERED");
            return;
        }
        ca.registered = true;
        ca.status = description.statusAsString();
        ca.notAfter = notAfter(description.validity(), description.certificatePem());
        if (ca.notAfter != null) {
            ca.daysLeft = daysUntil(ca.notAfter, run.now);
            if (!ca.notAfter.isAfter(run.warningEnd)) {
                LOG.warn(ca.daysLeft < 0 ? "CA certificate has expired: rotate the CA"
                        : "CA certificate expires soon: rotate the CA", "caCertificateId", ca.id,
                        "notAfter", ca.notAfter.toString(), "daysLeft", ca.daysLeft,
                        "reason", ca.notAfter.isAfter(run.now) ? "CA_EXPIRING_SOON" : "CA_EXPIRED");
            }
        }
    }

    /** True when every certificate of the CA was examined. */
    private boolean scanCertificates(CaScan ca, Run run) {
        String marker = null;
        do {
            if (run.outOfTime()) {
                return false;
            }
            String pageMarker = marker;
            ListCertificatesByCaResponse page = iot.listCertificatesByCA(r -> r.caCertificateId(ca.id)
                    .ascendingOrder(true).pageSize(PAGE_SIZE).marker(pageMarker));
            List<String> active = page.certificates().stream()
                    .filter(certificate -> certificate.status() == CertificateStatus.ACTIVE)
                    .map(Certificate::certificateId).toList();
            Map<String, CertificateItem> items = registry.map(r -> r.certificates(active)).orElse(Map.of());
            for (String certificateId : active) {
                if (run.outOfTime()) {
                    return false;
                }
                Optional<CertificateItem> item = Optional.ofNullable(items.get(certificateId))
                        .filter(i -> i.notAfter() != null);
                if (item.isPresent()) {
                    count(certificateId, item.get().notAfter(), thingName(item.get()), ca, run);
                } else {
                    examine(certificateId, ca, run);
                }
            }
            marker = page.nextMarker();
        } while (marker != null && !marker.isEmpty());
        return true;
    }

    private void examine(String certificateId, CaScan ca, Run run) {
        run.described++;
        CertificateDescription description;
        try {
            description = iot.describeCertificate(r -> r.certificateId(certificateId)).certificateDescription();
        } catch (ResourceNotFoundException e) {
            return; // deleted since the listing
        }
        if (description.status() != CertificateStatus.ACTIVE) {
            return; // deactivated or revoked since the listing
        }
        Instant notAfter = notAfter(description.validity(), description.certificatePem());
        if (notAfter == null) {
            LOG.warn("certificate has no validity and no readable PEM: its expiry is unknown",
                    "certificateId", certificateId, "caCertificateId", ca.id, "reason", "EXPIRY_UNKNOWN");
            return;
        }
        count(certificateId, notAfter, thingName(description.certificatePem()), ca, run);
    }

    /** An ACTIVE certificate whose validity ends at {@code notAfter}: counted, logged when it is due, kept. */
    private void count(String certificateId, Instant notAfter, String thingName, CaScan ca, Run run) {
        ca.active++;
        long daysLeft = daysUntil(notAfter, run.now);
        ExpiringDevice device = new ExpiringDevice(thingName, certificateId, ca.id, notAfter.toString(), daysLeft);
        if (!notAfter.isAfter(run.now)) {
            ca.expired++;
            LOG.warn("ACTIVE certificate has expired: the device can no longer connect; renew it", "certificateId",
                    certificateId, "thingName", device.thingName(), "caCertificateId", ca.id,
                    "notAfter", device.notAfter(), "daysLeft", daysLeft, "reason", "CERTIFICATE_EXPIRED");
        } else if (!notAfter.isAfter(run.warningEnd)) {
            ca.expiringSoon++;
            LOG.warn("ACTIVE certificate expires soon: renew it", "certificateId", certificateId,
                    "thingName", device.thingName(), "caCertificateId", ca.id, "notAfter", device.notAfter(),
                    "daysLeft", daysLeft, "reason", "CERTIFICATE_EXPIRING_SOON");
        }
        run.keep(device);
    }

    private ExpiryReport finish(List<CaScan> cas, Run run) {
        Instant at = clock.instant();
        List<CaExpiry> figures = new ArrayList<>();
        int expiringSoon = 0;
        int expired = 0;
        Long minCaDays = null;
        boolean complete = true;
        for (CaScan ca : cas) {
            figures.add(new CaExpiry(ca.id, ca.status, ca.notAfter == null ? null : ca.notAfter.toString(),
                    ca.daysLeft, ca.active, ca.expiringSoon, ca.expired, ca.complete));
            expiringSoon += ca.expiringSoon;
            expired += ca.expired;
            complete &= ca.complete;
            if (ca.daysLeft != null) {
                minCaDays = minCaDays == null ? ca.daysLeft : Math.min(minCaDays, ca.daysLeft);
            }
            if (ca.registered) {
                EmbeddedMetrics.Record line = EmbeddedMetrics.record().dimension(CA_DIMENSION, ca.id)
                        .metric(ACTIVE_CERTIFICATES, ca.active, Unit.COUNT)
                        .metric(EXPIRING_SOON, ca.expiringSoon, Unit.COUNT)
                        .metric(EXPIRED, ca.expired, Unit.COUNT);
                if (ca.daysLeft != null) {
                    line.metric(CA_DAYS, ca.daysLeft, Unit.NONE);
                }
                line.emit(at);
            }
        }
        EmbeddedMetrics.Record fleet = EmbeddedMetrics.record()
                .metric(EXPIRING_SOON, expiringSoon, Unit.COUNT)
                .metric(EXPIRED, expired, Unit.COUNT)
                .metric(INCOMPLETE, complete ? 0 : 1, Unit.COUNT);
        if (minCaDays != null) {
            fleet.metric(CA_DAYS, minCaDays, Unit.NONE);
        }
        fleet.emit(at);

        ExpiryReport report = new ExpiryReport(config.warningDays(), complete, figures, run.soonest());
        LOG.info("expiry scan finished", "warningDays", config.warningDays(), "certificatesExpiringSoon",
                expiringSoon, "certificatesExpired", expired, "complete", complete,
                "certificatesDescribed", run.described, "report", report);
        return report;
    }

    private static Instant notAfter(CertificateValidity validity, String pem) {
        if (validity != null && validity.notAfter() != null) {
            return validity.notAfter();
        }
        if (pem == null || pem.isBlank()) {
            return null;
        }
        try {
            return CertificateIds.parsePem(pem).getNotAfter().toInstant();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The item's subject CN, when it is a valid thing name (as {@link #thingName(String)} for a PEM). */
    private String thingName(CertificateItem item) {
        String cn = item.thingName();
        return cn != null && config.thingNames().problem(cn).isEmpty() ? cn : null;
    }

    private String thingName(String pem) {
        if (pem == null || pem.isBlank()) {
            return null;
        }
        try {
            return config.thingNames().thingOf(CertificateIds.parsePem(pem));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Whole days from {@code now} to {@code notAfter}, rounded down (so -1 for a certificate expired an hour ago). */
    static long daysUntil(Instant notAfter, Instant now) {
        return Math.floorDiv(Duration.between(now, notAfter).toSeconds(), SECONDS_PER_DAY);
    }

    /** One CA's figures within a run. */
    private static final class CaScan {
        final String id;
        boolean registered;
        String status;
        Instant notAfter;
        Long daysLeft;
        int active;
        int expiringSoon;
        int expired;
        boolean complete;

        CaScan(String id) {
            this.id = id;
        }
    }

    /** The state of one run. */
    private final class Run {
        final Instant now;
        final Instant warningEnd;
        final IntSupplier remainingMillis;
        /** The soonest-expiring devices so far: a max-heap on notAfter holding at most MAX_DEVICES. */
        final PriorityQueue<ExpiringDevice> soonest = new PriorityQueue<>(SOONEST.reversed());
        boolean stopped;
        /** ACTIVE certificates whose validity was read from IoT (no registry, or no usable item). */
        int described;

        Run(Instant now, IntSupplier remainingMillis) {
            this.now = now;
            this.warningEnd = now.plus(Duration.ofDays(config.warningDays()));
            this.remainingMillis = remainingMillis;
        }

        void keep(ExpiringDevice device) {
            soonest.add(device);
            if (soonest.size() > ExpiryReport.MAX_DEVICES) {
                soonest.poll();
            }
        }

        List<ExpiringDevice> soonest() {
            List<ExpiringDevice> sorted = new ArrayList<>(soonest);
            sorted.sort(SOONEST);
            return sorted;
        }

        boolean outOfTime() {
            if (stopped) {
                return true;
            }
            int remaining = remainingMillis.getAsInt();
            if (remaining >= TIME_MARGIN.toMillis()) {
                return false;
            }
            LOG.warn("stopping early to stay inside the invocation's time; the next run starts again",
                    "remainingMillis", remaining);
            stopped = true;
            return true;
        }
    }
}
