package dev.iotonboard.lambda.provisioning;

import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.Env;
import java.util.Optional;

/**
 * Configuration of thing provisioning, read once per container.
 *
 * @param jitrPolicyName  {@code JITR_POLICY_NAME}: detached last (required)
 * @param appPolicyName   {@code APP_POLICY_NAME}: attached before the JITR policy is detached (required)
 * @param caCertificateId {@code CA_CERTIFICATE_ID}: the only CA whose certificates get things; empty = any CA
 */
public record ProvisioningConfig(String jitrPolicyName, String appPolicyName, Optional<String> caCertificateId) {

    /** @throws IllegalStateException naming the variable that is missing or malformed */
    public static ProvisioningConfig from(Env env) {
        Optional<String> ca = env.optional("CA_CERTIFICATE_ID");
        if (ca.isPresent() && !CertificateIds.isCertificateId(ca.get())) {
            throw new IllegalStateException("environment variable CA_CERTIFICATE_ID is not a certificate id (64 "
                    + "lowercase hex characters): " + ca.get());
        }
        return new ProvisioningConfig(env.required("JITR_POLICY_NAME"), env.required("APP_POLICY_NAME"), ca);
    }
}
