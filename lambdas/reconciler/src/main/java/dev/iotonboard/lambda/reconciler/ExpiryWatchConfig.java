package dev.iotonboard.lambda.reconciler;

import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.ThingNameRule;
import java.util.List;

/**
 * Configuration of the expiry watch, read once per container.
 *
 * @param caCertificateIds     {@code CA_CERTIFICATE_IDS}: the CAs watched, comma-separated certificate ids (required)
 * @param warningDays          {@code WARNING_DAYS} (default 30, 1..3650): what expires within this is "expiring soon"
 * @param maxRequestsPerSecond {@code MAX_REQUESTS_PER_SECOND} (default 2, 1..100): per IoT operation, retries included
 * @param thingNames           {@code THING_NAME_PATTERN}: what a certificate's CN must look like to be a thing name
 */
public record ExpiryWatchConfig(List<String> caCertificateIds, int warningDays, int maxRequestsPerSecond,
        ThingNameRule thingNames) {

    public static final String CA_CERTIFICATE_IDS = Env.CA_CERTIFICATE_IDS;

    public ExpiryWatchConfig {
        caCertificateIds = List.copyOf(caCertificateIds);
    }

    /** @throws IllegalStateException naming the variable that is missing or malformed */
    public static ExpiryWatchConfig from(Env env) {
        List<String> ids = env.certificateIds(CA_CERTIFICATE_IDS);
        if (ids.isEmpty()) {
            throw new IllegalStateException("environment variable " + CA_CERTIFICATE_IDS + " is not set");
        }
        return new ExpiryWatchConfig(ids, env.integer("WARNING_DAYS", 30, 1, 3650),
                env.integer("MAX_REQUESTS_PER_SECOND", 2, 1, 100), ThingNameRule.from(env));
    }
}
