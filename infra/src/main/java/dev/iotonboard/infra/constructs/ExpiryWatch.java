package dev.iotonboard.infra.constructs;

import dev.iotonboard.infra.OnboardingConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.Duration;
import software.constructs.Construct;

/**
 * The expiry watch: a scheduled function (the reconciler jar's second handler) that reads when each configured CA and
 * each of its ACTIVE device certificates expire, and writes CloudWatch embedded-metric-format lines (namespace
 * {@value #METRICS_NAMESPACE}) for alarms, and its findings to its log. It lists the certificates of named CAs, so it
 * exists only when the stack is given a CA id.
 *
 * <p>One run at a time (reserved concurrency 1), within the shared IoT quotas (its own per-operation rate limit); a
 * failed run is not retried: the next scheduled run scans again.
 */
public final class ExpiryWatch extends ScheduledFunction {
    public static final String HANDLER = "dev.iotonboard.lambda.reconciler.ExpiryWatchHandler::handleRequest";
    /**
     * The CloudWatch namespace of the metrics it writes: lambda-core's EmbeddedMetrics.NAMESPACE, which the CDK app
     * cannot depend on at synthesis (local's MetricsNamespaceAgreementTest compares the two).
     */
    public static final String METRICS_NAMESPACE = "IotOnboarding";
    /**
     * Exactly the IoT calls ExpiryWatchHandler declares, by IAM resource type; local's FunctionGrantsTest checks them
     * against the declaration.
     */
    public static final List<String> CA_ACTIONS = List.of("iot:DescribeCACertificate");
    public static final List<String> CERTIFICATE_ACTIONS = List.of("iot:DescribeCertificate");
    /** IAM has no resource type for it: granted on "*" (the CA id is a request parameter, not a resource). */
    public static final List<String> UNTYPED_ACTIONS = List.of("iot:ListCertificatesByCA");
    /** Lambda's longest timeout; a run stops itself 20 s before it (lambdas/README.md). */
    public static final int TIMEOUT_MINUTES = 15;

    public ExpiryWatch(Construct scope, String id, Props props) {
        super(scope, id, function(props), Duration.hours(props.intervalHours()),
                "Runs the expiry watch every " + props.intervalHours() + " hour(s)",
                props.caCertificateIds(), new IotActions(CA_ACTIONS, CERTIFICATE_ACTIONS, UNTYPED_ACTIONS));
    }

    /** The table action of {@link #readValidityFrom}: the items of a page of certificates. */
    public static final List<String> TABLE_ACTIONS = List.of("dynamodb:BatchGetItem");

    /**
     * Makes every run read the validity of ACTIVE certificates from the device registry table instead of one
     * DescribeCertificate each: the table's name in DEVICE_REGISTRY_TABLE, and exactly {@link #TABLE_ACTIONS} on it.
     */
    public void readValidityFrom(DeviceRegistry registry) {
        getFunction().getFunction().addEnvironment(DeviceRegistry.TABLE_VARIABLE,
                registry.getTable().getTableName());
        registry.grant(getFunction().getRole(), TABLE_ACTIONS);
    }

    private static JavaFunction.Props.Builder function(Props props) {
        return JavaFunction.Props.builder()
                .jar(props.jar())
                .handler(HANDLER)
                .description("Expiry watch: CA and device certificate expiry, as CloudWatch metrics")
                .environment(Map.of(
                        "CA_CERTIFICATE_IDS", String.join(",", props.caCertificateIds()),
                        "WARNING_DAYS", Integer.toString(props.warningDays()),
                        "MAX_REQUESTS_PER_SECOND", Integer.toString(props.maxRequestsPerSecond()),
                        "THING_NAME_PATTERN", props.thingNamePattern()))
                .timeout(Duration.minutes(TIMEOUT_MINUTES));
    }

    /**
     * @param jar                  the reconciler jar (it holds the expiry watch's handler)
     * @param caCertificateIds     the CAs watched (at least one, no repeats)
     * @param intervalHours        the schedule, 1 to 168
     * @param warningDays          WARNING_DAYS of the handler
     * @param maxRequestsPerSecond MAX_REQUESTS_PER_SECOND of the handler, per IoT operation
     * @param thingNamePattern     THING_NAME_PATTERN: what a certificate's CN, its thing name, must look like
     */
    public record Props(Path jar, List<String> caCertificateIds, int intervalHours, int warningDays,
                        int maxRequestsPerSecond, String thingNamePattern) {
        public Props {
            Objects.requireNonNull(jar, "jar");
            Objects.requireNonNull(thingNamePattern, "thingNamePattern");
            caCertificateIds = List.copyOf(Objects.requireNonNull(caCertificateIds, "caCertificateIds"));
            if (caCertificateIds.isEmpty()) {
                throw new IllegalArgumentException("the expiry watch needs at least one CA certificate id");
            }
            if (caCertificateIds.stream().distinct().count() != caCertificateIds.size()) {
                throw new IllegalArgumentException("a CA certificate id is given twice: " + caCertificateIds);
            }
            caCertificateIds.stream().filter(ca -> !OnboardingConfig.CA_ID.matcher(ca).matches()).findFirst().ifPresent(ca -> {
                throw new IllegalArgumentException("not a CA certificate id (64 lowercase hex characters): " + ca);
            });
            if (intervalHours < 1 || intervalHours > 168) {
                throw new IllegalArgumentException("intervalHours must be 1 to 168: " + intervalHours);
            }
            if (warningDays < 1 || warningDays > 3650) {
                throw new IllegalArgumentException("warningDays must be 1 to 3650: " + warningDays);
            }
            if (maxRequestsPerSecond < 1 || maxRequestsPerSecond > 100) {
                throw new IllegalArgumentException("maxRequestsPerSecond must be 1 to 100: " + maxRequestsPerSecond);
            }
        }

        public static Builder builder() {
            return new Builder();
        }

        public static final class Builder {
            private Path jar;
            private List<String> caCertificateIds;
            private int intervalHours = OnboardingConfig.ExpiryWatch.DEFAULTS.intervalHours();
            private int warningDays = OnboardingConfig.ExpiryWatch.DEFAULTS.warningDays();
            private int maxRequestsPerSecond = OnboardingConfig.ExpiryWatch.DEFAULTS.maxRequestsPerSecond();
            private String thingNamePattern = OnboardingConfig.DEFAULT_THING_NAME_PATTERN;

            public Builder jar(Path jar) {
                this.jar = jar;
                return this;
            }

            public Builder caCertificateIds(List<String> ids) {
                this.caCertificateIds = ids;
                return this;
            }

            public Builder intervalHours(int hours) {
                this.intervalHours = hours;
                return this;
            }

            public Builder warningDays(int days) {
                this.warningDays = days;
                return this;
            }

            public Builder maxRequestsPerSecond(int rate) {
                this.maxRequestsPerSecond = rate;
                return this;
            }

            public Builder thingNamePattern(String pattern) {
                this.thingNamePattern = pattern;
                return this;
            }

            public Props build() {
                return new Props(jar, caCertificateIds, intervalHours, warningDays, maxRequestsPerSecond,
                        thingNamePattern);
            }
        }
    }
}
