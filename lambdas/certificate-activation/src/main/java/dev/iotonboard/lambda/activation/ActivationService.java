package dev.iotonboard.lambda.activation;

import dev.iotonboard.lambda.activation.model.ActivationResult;
import dev.iotonboard.lambda.activation.model.ActivationResult.Reason;
import dev.iotonboard.lambda.activation.model.RegisteredEvent;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.JsonLogger;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateDescription;
import software.amazon.awssdk.services.iot.model.CertificateStateException;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.Policy;
import software.amazon.awssdk.services.iot.model.ResourceNotFoundException;

/**
 * Activates a certificate that JITR registered.
 *
 * <ol>
 *   <li>Event checks, no IoT call: both ids present and shaped like certificate ids; the CA is the configured one.</li>
 *   <li>DescribeCertificate. Only PENDING_ACTIVATION proceeds. ACTIVE with a policy attached is a duplicate
 *       delivery (success, no write). REVOKED, INACTIVE and every other status are left alone.</li>
 *   <li>The certificate is checked (validity, key, issuer = configured CA).</li>
 *   <li>AttachPolicy (JITR policy) first, then UpdateCertificate ACTIVE: a certificate is never ACTIVE without a
 *       policy. Both calls are idempotent, so a retry after a failure between them converges.</li>
 * </ol>
 * Permanent problems return a REJECTED result; IoT errors other than the ones handled here propagate, so the
 * invocation fails and Lambda retries the event.
 */
public final class ActivationService {

    private static final JsonLogger LOG = JsonLogger.get(ActivationService.class);

    private final IotClient iot;
    private final ActivationConfig config;
    private final CertificateChecks checks;

    public ActivationService(IotClient iot, ActivationConfig config, CertificateChecks checks) {
        this.iot = iot;
        this.config = config;
        this.checks = checks;
    }

    public ActivationResult activate(RegisteredEvent event) {
        String certificateId = event.certificateId();
        if (!CertificateIds.isCertificateId(certificateId)) {
            return reject(certificateId, Reason.MALFORMED_EVENT,
                    "certificateId is missing or not 64 lowercase hex characters");
        }
        if (!CertificateIds.isCertificateId(event.caCertificateId())) {
            return reject(certificateId, Reason.MALFORMED_EVENT,
                    "caCertificateId is missing or not 64 lowercase hex characters");
        }
        if (config.caCertificateId().isPresent() && !config.caCertificateId().get().equals(event.caCertificateId())) {
            return reject(certificateId, Reason.UNKNOWN_CA,
                    "the event's CA " + event.caCertificateId() + " is not the configured CA");
        }

        CertificateDescription certificate;
        try {
            certificate = iot.describeCertificate(r -> r.certificateId(certificateId)).certificateDescription();
        } catch (ResourceNotFoundException e) {
            return reject(certificateId, Reason.CERTIFICATE_NOT_FOUND, "IoT has no such certificate");
        }
        if (!event.caCertificateId().equals(certificate.caCertificateId())) {
            return reject(certificateId, Reason.UNKNOWN_CA, "IoT says the certificate was issued by CA "
                    + certificate.caCertificateId() + ", not by the event's CA");
        }

        CertificateStatus status = certificate.status();
        if (status == CertificateStatus.ACTIVE) {
            return alreadyActive(certificateId, certificate.certificateArn());
        }
        if (status != CertificateStatus.PENDING_ACTIVATION) {
            return reject(certificateId, Reason.NOT_PENDING_ACTIVATION,
                    "status is " + certificate.statusAsString() + "; only PENDING_ACTIVATION is ever activated");
        }
        Optional<String> problem = checks.problem(certificateId, certificate.certificatePem());
        if (problem.isPresent()) {
            return reject(certificateId, Reason.INVALID_CERTIFICATE, problem.get());
        }

        String arn = certificate.certificateArn();
        iot.attachPolicy(r -> r.policyName(config.jitrPolicyName()).target(arn));
        LOG.info("JITR policy attached", "certificateId", certificateId, "policyName", config.jitrPolicyName());
        try {
            iot.updateCertificate(r -> r.certificateId(certificateId).newStatus(CertificateStatus.ACTIVE));
        } catch (CertificateStateException e) {
            return reject(certificateId, Reason.STATE_CHANGED,
                    "IoT refused the activation (the certificate changed state meanwhile): " + e.getMessage());
        }
        LOG.info("certificate activated", "certificateId", certificateId, "caCertificateId",
                certificate.caCertificateId());
        return ActivationResult.activated(certificateId);
    }

    private ActivationResult alreadyActive(String certificateId, String arn) {
        List<String> policies = iot.listAttachedPoliciesPaginator(r -> r.target(arn)).policies().stream()
                .map(Policy::policyName).toList();
        if (policies.isEmpty()) {
            LOG.warn("certificate is ACTIVE without any policy; left unchanged", "certificateId", certificateId,
                    "reason", Reason.ACTIVE_WITHOUT_POLICY.name());
            return ActivationResult.rejected(certificateId, Reason.ACTIVE_WITHOUT_POLICY,
                    "ACTIVE without any policy: activated outside this function; left unchanged");
        }
        LOG.info("certificate already ACTIVE with a policy: duplicate delivery", "certificateId", certificateId,
                "policies", policies);
        return ActivationResult.alreadyActive(certificateId, "already ACTIVE with policies " + policies);
    }

    private static ActivationResult reject(String certificateId, Reason reason, String detail) {
        LOG.warn("certificate not activated", "certificateId", certificateId, "reason", reason.name(),
                "detail", detail);
        return ActivationResult.rejected(certificateId, reason, detail);
    }
}
