package dev.iotonboard.lambda.api;

import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.ThingNameRule;
import java.time.Duration;
import java.util.List;

/**
 * Configuration of the authorizer, read once per container.
 *
 * @param caCertificateIds {@code CA_CERTIFICATE_IDS} (comma-separated; or the single {@code CA_CERTIFICATE_ID}): only
 *                        certificates of these CAs are allowed; empty = any CA
 * @param thingNames      {@code THING_NAME_PATTERN}: what a certificate's CN, its thing name, must look like
 * @param cacheTtl        {@code AUTH_CACHE_TTL_SECONDS} (default {@value #DEFAULT_TTL_SECONDS}, 0 disables, at most
 *                        3600): how long a container keeps a decision and a CA item; a revocation recorded in the
 *                        registry takes effect within it
 * @param cacheSize       at most this many certificates are cached ({@value #CACHE_SIZE})
 */
public record AuthorizerConfig(List<String> caCertificateIds, ThingNameRule thingNames, Duration cacheTtl,
        int cacheSize) {

    /**
     * A few seconds: a cache miss costs one GetItem (milliseconds, no quota shared with onboarding), so the cache
     * only absorbs a device's bursts, and a revocation through the project's scripts takes effect within 5 s.
     */
    public static final int DEFAULT_TTL_SECONDS = 5;
    public static final int MAX_TTL_SECONDS = 3600;
    public static final int CACHE_SIZE = 10_000;

    public AuthorizerConfig {
        caCertificateIds = List.copyOf(caCertificateIds);
    }

    /** @throws IllegalStateException naming the variable that is malformed */
    public static AuthorizerConfig from(Env env) {
        int ttl = env.integer("AUTH_CACHE_TTL_SECONDS", DEFAULT_TTL_SECONDS, 0, MAX_TTL_SECONDS);
        return new AuthorizerConfig(env.caCertificateIds(), ThingNameRule.from(env),
                Duration.ofSeconds(ttl), CACHE_SIZE);
    }
}
