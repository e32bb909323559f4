package dev.iotonboard.lambda.reconciler;

import dev.iotonboard.lambda.activation.ActivationConfig;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.ThingNameRule;
import java.time.Duration;
import java.util.List;

/**
 * Configuration of the reconciler, read once per container.
 *
 * @param caCertificateIds     {@code CA_CERTIFICATE_IDS} (comma-separated; or the single {@code CA_CERTIFICATE_ID}):
 *                             the CAs whose certificates are scanned, one after the other (required)
 * @param jitrPolicyName       {@code JITR_POLICY_NAME}: attached before a pending certificate is activated (required)
 * @param gracePeriod          {@code GRACE_PERIOD_SECONDS} (default 300, 0..86400): younger certificates are left to
 *                             the activation and provisioning functions
 * @param lookback             {@code LOOKBACK_HOURS} (default 168, 1..8784): older certificates are not scanned
 * @param maxRequestsPerSecond {@code MAX_REQUESTS_PER_SECOND} (default 2, 1..100): per IoT operation, retries
 *                             included
 * @param thingNames           {@code THING_NAME_PATTERN}: what a certificate's CN, its thing name, must look like
 * @param caStatusTtl          {@code CA_STATUS_CACHE_SECONDS}: as for the activation function
 */
public record ReconcilerConfig(List<String> caCertificateIds, String jitrPolicyName, Duration gracePeriod,
        Duration lookback, int maxRequestsPerSecond, ThingNameRule thingNames, Duration caStatusTtl) {

    public ReconcilerConfig {
        caCertificateIds = List.copyOf(caCertificateIds);
        if (caCertificateIds.isEmpty()) {
            throw new IllegalStateException("environment variable " + Env.CA_CERTIFICATE_IDS + " is not set");
        }
    }

    /** @throws IllegalStateException naming the variable that is missing or malformed */
    public static ReconcilerConfig from(Env env) {
        List<String> cas = env.caCertificateIds();
        if (cas.isEmpty()) {
            throw new IllegalStateException("environment variable " + Env.CA_CERTIFICATE_IDS + " is not set");
        }
        String jitrPolicy = env.required("JITR_POLICY_NAME");
        Duration grace = Duration.ofSeconds(env.integer("GRACE_PERIOD_SECONDS", 300, 0, 86_400));
        Duration lookback = Duration.ofHours(env.integer("LOOKBACK_HOURS", 168, 1, 8_784));
        if (grace.compareTo(lookback) >= 0) {
            throw new IllegalStateException("environment variable GRACE_PERIOD_SECONDS (" + grace.toSeconds()
                    + " s) must be shorter than LOOKBACK_HOURS (" + lookback.toHours() + " h): nothing would be "
                    + "reconciled");
        }
        int rate = env.integer("MAX_REQUESTS_PER_SECOND", 2, 1, 100);
        return new ReconcilerConfig(cas, jitrPolicy, grace, lookback, rate, ThingNameRule.from(env),
                ActivationConfig.caStatusTtl(env));
    }
}
