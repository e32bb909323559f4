package dev.iotonboard.lambda.activation;

import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.Env;
import java.util.Optional;

/**
 * Configuration of certificate activation, read once per container.
 *
 * @param jitrPolicyName  {@code JITR_POLICY_NAME}: the policy attached before activation (required)
 * @param caCertificateId {@code CA_CERTIFICATE_ID}: the only CA whose certificates are activated; empty = any CA
 */
public record ActivationConfig(String jitrPolicyName, Optional<String> caCertificateId) {

    /** @throws IllegalStateException naming the variable that is missing or malformed */
    public static ActivationConfig from(Env env) {
        Optional<String> ca = env.optional("CA_CERTIFICATE_ID");
        if (ca.isPresent() && !CertificateIds.isCertificateId(ca.get())) {
            throw new IllegalStateException("environment variable CA_CERTIFICATE_ID is not a certificate id (64 "
                    + "lowercase hex characters): " + ca.get());
        }
        return new ActivationConfig(env.required("JITR_POLICY_NAME"), ca);
    }
}
