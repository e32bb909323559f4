package dev.iotonboard.lambda.activation;

import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.ThingNameRule;
import java.time.Duration;
import java.util.List;

/**
 * Configuration of certificate activation, read once per container.
 *
 * @param jitrPolicyName  {@code JITR_POLICY_NAME}: the policy attached before activation (required)
 * @param caCertificateIds {@code CA_CERTIFICATE_IDS} (comma-separated; or the single {@code CA_CERTIFICATE_ID}): the
 *                        only CAs whose certificates are activated; empty = any CA
 * @param thingNames      {@code THING_NAME_PATTERN}: the subject CN a certificate must have (default: lowercase UUID)
 * @param caStatusTtl     {@code CA_STATUS_CACHE_SECONDS} (default {@value #DEFAULT_CA_STATUS_TTL_SECONDS}, 0..3600):
 *                        how long a container trusts its last answer on the CA's status
 * @param allowList       {@code ALLOW_LIST} ({@code true}/{@code false}, default false): only a certificate whose CN
 *                        has an unused entry on the manufacturing allow-list (the registry table) is activated
 */
public record ActivationConfig(String jitrPolicyName, List<String> caCertificateIds, ThingNameRule thingNames,
        Duration caStatusTtl, boolean allowList) {

    public ActivationConfig {
        caCertificateIds = List.copyOf(caCertificateIds);
    }

    /** Without the allow-list. */
    public ActivationConfig(String jitrPolicyName, List<String> caCertificateIds, ThingNameRule thingNames,
            Duration caStatusTtl) {
        this(jitrPolicyName, caCertificateIds, thingNames, caStatusTtl, false);
    }

    public static final int DEFAULT_CA_STATUS_TTL_SECONDS = 30;

    /** @throws IllegalStateException naming the variable that is missing or malformed */
    public static ActivationConfig from(Env env) {
        return new ActivationConfig(env.required("JITR_POLICY_NAME"), env.caCertificateIds(),
                ThingNameRule.from(env), caStatusTtl(env), allowList(env));
    }

    /** {@code ALLOW_LIST}: true or false (default). */
    public static boolean allowList(Env env) {
        String value = env.optional(ALLOW_LIST).orElse("false");
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalStateException("environment variable " + ALLOW_LIST
                    + " must be true or false, not '" + value + "'");
        };
    }

    public static final String ALLOW_LIST = "ALLOW_LIST";

    /** {@code CA_STATUS_CACHE_SECONDS}. */
    public static Duration caStatusTtl(Env env) {
        return Duration.ofSeconds(env.integer("CA_STATUS_CACHE_SECONDS", DEFAULT_CA_STATUS_TTL_SECONDS, 0, 3600));
    }
}
