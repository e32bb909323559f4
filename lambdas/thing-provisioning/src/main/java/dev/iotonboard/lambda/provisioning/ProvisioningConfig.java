package dev.iotonboard.lambda.provisioning;

import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.ThingNameRule;
import java.time.Duration;
import java.util.List;

/**
 * Configuration of thing provisioning, read once per container.
 *
 * @param jitrPolicyName  {@code JITR_POLICY_NAME}: detached last (required)
 * @param appPolicyName   {@code APP_POLICY_NAME}: attached before the JITR policy is detached (required)
 * @param caCertificateIds {@code CA_CERTIFICATE_IDS} (comma-separated; or the single {@code CA_CERTIFICATE_ID}): the
 *                        only CAs whose certificates get things; empty = any CA
 * @param thingNames      {@code THING_NAME_PATTERN}: what a thing name, and so a certificate's CN, must look like
 * @param renewalWindow   {@code RENEWAL_WINDOW_HOURS} (default {@value #DEFAULT_RENEWAL_WINDOW_HOURS}): how long a
 *                        renewal announcement recorded on a thing lets the announced certificate take it over
 * @param placement       {@code THING_TYPE_NAME}, {@code THING_GROUP_NAMES}, {@code THING_ATTRIBUTES}: the thing's
 *                        type, groups and certificate-derived attributes ({@link Placement})
 */
public record ProvisioningConfig(String jitrPolicyName, String appPolicyName, List<String> caCertificateIds,
        ThingNameRule thingNames, Duration renewalWindow, Placement placement) {

    public static final int DEFAULT_RENEWAL_WINDOW_HOURS = 168;
    /** A year: an announcement should be followed by the new certificate's onboarding within minutes. */
    public static final int MAX_RENEWAL_WINDOW_HOURS = 8760;

    public ProvisioningConfig {
        caCertificateIds = List.copyOf(caCertificateIds);
    }

    /** Without placement: a bare thing. */
    public ProvisioningConfig(String jitrPolicyName, String appPolicyName, List<String> caCertificateIds,
            ThingNameRule thingNames, Duration renewalWindow) {
        this(jitrPolicyName, appPolicyName, caCertificateIds, thingNames, renewalWindow, Placement.NONE);
    }

    /** @throws IllegalStateException naming the variable that is missing or malformed */
    public static ProvisioningConfig from(Env env) {
        return new ProvisioningConfig(env.required("JITR_POLICY_NAME"), env.required("APP_POLICY_NAME"),
                env.caCertificateIds(), ThingNameRule.from(env),
                Duration.ofHours(env.integer("RENEWAL_WINDOW_HOURS", DEFAULT_RENEWAL_WINDOW_HOURS, 1,
                        MAX_RENEWAL_WINDOW_HOURS)), Placement.from(env));
    }
}
