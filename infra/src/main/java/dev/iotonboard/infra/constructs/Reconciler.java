package dev.iotonboard.infra.constructs;

import dev.iotonboard.infra.OnboardingConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.Duration;
import software.constructs.Construct;

/**
 * The reconciler: a scheduled function that completes what the event-driven JITR path missed (a lost or failed
 * registered event leaves a certificate PENDING_ACTIVATION) and reports ACTIVE certificates without a thing. It scans
 * the certificates of each listed CA in turn, so it exists only when the stack is given {@code caCertificateIds}.
 *
 * <p>One run at a time (reserved concurrency 1) within the shared IoT quotas (its own per-operation rate limit). A failed
 * or throttled run is not retried, by EventBridge or by Lambda: the next scheduled run starts again from the newest
 * certificate, so a retry would only spend quota twice.
 */
public final class Reconciler extends ScheduledFunction {
    public static final String HANDLER = "dev.iotonboard.lambda.reconciler.ReconcilerHandler::handleRequest";
    /**
     * Exactly the IoT calls ReconcilerHandler declares (ReconcilerService and the activation path it reuses), by IAM
     * resource type; local's FunctionGrantsTest checks them against the declaration.
     */
    public static final List<String> CA_ACTIONS = List.of("iot:DescribeCACertificate");
    public static final List<String> CERTIFICATE_ACTIONS = List.of("iot:DescribeCertificate", "iot:UpdateCertificate",
            "iot:AttachPolicy", "iot:ListPrincipalThings");
    /** IAM has no resource type for these: granted on "*" (the CA id is a request parameter, not a resource). */
    public static final List<String> UNTYPED_ACTIONS = List.of("iot:ListCertificatesByCA", "iot:ListAttachedPolicies");
    /** A run stops itself 20 s before its timeout (lambdas/README.md); it never outlasts the interval. */
    public static final int MAX_TIMEOUT_MINUTES = 5;

    public Reconciler(Construct scope, String id, Props props) {
        super(scope, id, function(props), Duration.minutes(props.intervalMinutes()),
                "Runs the JITR reconciler every " + props.intervalMinutes() + " minute(s)",
                props.caCertificateIds(), new IotActions(CA_ACTIONS, CERTIFICATE_ACTIONS, UNTYPED_ACTIONS));
    }

    /** The table actions of {@link #compareWith}: read an item, rewrite a drifted one. */
    public static final List<String> TABLE_ACTIONS = List.of("dynamodb:GetItem", "dynamodb:UpdateItem");

    /**
     * Makes every run compare the device registry table with IoT and repair drift: the table's name in
     * DEVICE_REGISTRY_TABLE, and exactly {@link #TABLE_ACTIONS} on it.
     */
    public void compareWith(DeviceRegistry registry) {
        getFunction().getFunction().addEnvironment(DeviceRegistry.TABLE_VARIABLE,
                registry.getTable().getTableName());
        registry.grant(getFunction().getRole(), TABLE_ACTIONS);
    }

    private static JavaFunction.Props.Builder function(Props props) {
        return JavaFunction.Props.builder()
                .jar(props.jar())
                .handler(HANDLER)
                .description("JITR reconciler: completes certificates of the CA the registered-event path missed")
                .environment(Map.of(
                        "CA_CERTIFICATE_IDS", String.join(",", props.caCertificateIds()),
                        "JITR_POLICY_NAME", props.jitrPolicyName(),
                        "GRACE_PERIOD_SECONDS", Integer.toString(props.graceSeconds()),
                        "LOOKBACK_HOURS", Integer.toString(props.lookbackHours()),
                        "MAX_REQUESTS_PER_SECOND", Integer.toString(props.maxRequestsPerSecond()),
                        "THING_NAME_PATTERN", props.thingNamePattern(),
                        "CA_STATUS_CACHE_SECONDS", Integer.toString(props.caStatusCacheSeconds())))
                .timeout(Duration.minutes(Math.min(props.intervalMinutes(), MAX_TIMEOUT_MINUTES)));
    }

    /**
     * @param caCertificateIds     the CAs whose certificates are reconciled, one scan each (at least one)
     * @param jitrPolicyName       the IoT policy an activated certificate gets
     * @param intervalMinutes      the schedule, 1 to 1440
     * @param graceSeconds         GRACE_PERIOD_SECONDS of the handler
     * @param lookbackHours        LOOKBACK_HOURS of the handler
     * @param maxRequestsPerSecond MAX_REQUESTS_PER_SECOND of the handler, per IoT operation
     * @param thingNamePattern     THING_NAME_PATTERN: what a certificate's CN, its thing name, must look like
     * @param caStatusCacheSeconds CA_STATUS_CACHE_SECONDS of the activation path it runs
     */
    public record Props(Path jar, List<String> caCertificateIds, String jitrPolicyName, int intervalMinutes, int graceSeconds,
                        int lookbackHours, int maxRequestsPerSecond, String thingNamePattern,
                        int caStatusCacheSeconds) {
        public Props {
            Objects.requireNonNull(jar, "jar");
            caCertificateIds = List.copyOf(Objects.requireNonNull(caCertificateIds, "caCertificateIds"));
            Objects.requireNonNull(jitrPolicyName, "jitrPolicyName");
            Objects.requireNonNull(thingNamePattern, "thingNamePattern");
            if (caCertificateIds.isEmpty()) {
                throw new IllegalArgumentException("the reconciler needs at least one CA certificate id");
            }
            if (intervalMinutes < 1 || intervalMinutes > 1440) {
                throw new IllegalArgumentException("intervalMinutes must be 1 to 1440: " + intervalMinutes);
            }
        }

        public static Builder builder() {
            return new Builder();
        }

        public static final class Builder {
            private Path jar;
            private List<String> caCertificateIds = List.of();
            private String jitrPolicyName;
            private int intervalMinutes = 5;
            private int graceSeconds = 300;
            private int lookbackHours = 168;
            private int maxRequestsPerSecond = 2;
            private String thingNamePattern = OnboardingConfig.DEFAULT_THING_NAME_PATTERN;
            private int caStatusCacheSeconds = OnboardingConfig.DEFAULT_CA_STATUS_CACHE_SECONDS;

            public Builder jar(Path jar) {
                this.jar = jar;
                return this;
            }

            public Builder caCertificateIds(List<String> ids) {
                this.caCertificateIds = ids;
                return this;
            }

            public Builder jitrPolicyName(String name) {
                this.jitrPolicyName = name;
                return this;
            }

            public Builder intervalMinutes(int minutes) {
                this.intervalMinutes = minutes;
                return this;
            }

            public Builder graceSeconds(int seconds) {
                this.graceSeconds = seconds;
                return this;
            }

            public Builder lookbackHours(int hours) {
                this.lookbackHours = hours;
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

            public Builder caStatusCacheSeconds(int seconds) {
                this.caStatusCacheSeconds = seconds;
                return this;
            }

            public Props build() {
                return new Props(jar, caCertificateIds, jitrPolicyName, intervalMinutes, graceSeconds, lookbackHours,
                        maxRequestsPerSecond, thingNamePattern, caStatusCacheSeconds);
            }
        }
    }
}
