package dev.iotonboard.lambda.provisioning;

import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.ThingNameRule;
import java.util.List;

/**
 * Configuration of thing provisioning, read once per container.
 *
 * @param jitrPolicyName  {@code JITR_POLICY_NAME}: detached last (required)
 * @param appPolicyName   {@code APP_POLICY_NAME}: attached before the JITR policy is detached (required)
 * @param caCertificateIds {@code CA_CERTIFICATE_IDS} (comma-separated; or the single {@code CA_CERTIFICATE_ID}): the
 *                        only CAs whose certificates get things; empty = any CA
 * @param thingNames      {@code THING_NAME_PATTERN}: what a thing name, and so a certificate's CN, must look like
 */
public record ProvisioningConfig(String jitrPolicyName, String appPolicyName, List<String> caCertificateIds,
        ThingNameRule thingNames) {

    public ProvisioningConfig {
        caCertificateIds = List.copyOf(caCertificateIds);
    }

    /** @throws IllegalStateException naming the variable that is missing or malformed */
    public static ProvisioningConfig from(Env env) {
        return new ProvisioningConfig(env.required("JITR_POLICY_NAME"), env.required("APP_POLICY_NAME"),
                env.caCertificateIds(), ThingNameRule.from(env));
    }
}
