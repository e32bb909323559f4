package dev.iotonboard.iot.model;

import dev.iotonboard.iot.model.Registry.Certificate;
import dev.iotonboard.lambda.core.CertificateIds;
import java.security.cert.X509Certificate;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** The registry's device certificates ({@link Registry#certificates()}). */
public final class Certificates {

    /** Certificate statuses of the service model ({@code CertificateStatus}). */
    public static final Set<String> STATUSES = Set.of("ACTIVE", "INACTIVE", "REVOKED", "PENDING_TRANSFER",
            "REGISTER_INACTIVE", "PENDING_ACTIVATION");
    /** A certificate id: 64 hex digits (the service model's CertificateId: 64 characters of (0x)?[a-fA-F0-9]+). */
    private static final Pattern CERTIFICATE_ID = Pattern.compile("[a-fA-F0-9]{64}");

    private final Store store;

    Certificates(Store store) {
        this.store = store;
    }

    public Optional<Certificate> find(String id) {
        synchronized (store.lock) {
            return Optional.ofNullable(store.certificates.get(id));
        }
    }

    /**
     * The certificate of this id: InvalidRequestException when the id does not have the service model's shape,
     * ResourceNotFoundException when there is none.
     */
    public Certificate get(String id) {
        synchronized (store.lock) {
            return Store.existing(store.certificates, id(id, "certificateId"), "certificate ");
        }
    }

    /** Every device certificate, oldest first (registration order among equal creation dates). */
    public List<Certificate> list() {
        synchronized (store.lock) {
            return store.certificates.values().stream()
                    .sorted(Comparator.comparingDouble(Certificate::creationDate)).toList();
        }
    }

    /** The certificates of a CA, oldest first (registration order among equal creation dates). */
    public List<Certificate> byCa(String caId) {
        synchronized (store.lock) {
            return store.certificates.values().stream().filter(c -> caId.equals(c.caCertificateId()))
                    .sorted(Comparator.comparingDouble(Certificate::creationDate)).toList();
        }
    }

    /** JITR: registers a device certificate from an auto-registration CA as PENDING_ACTIVATION. */
    public Certificate registerPendingActivation(X509Certificate device, String caId) {
        synchronized (store.lock) {
            String id = CertificateIds.fromCertificate(device);
            Certificate existing = store.certificates.get(id);
            if (existing != null) {
                return existing;
            }
            double now = store.now();
            Certificate record = new Certificate(id, CertificateIds.toPem(device), caId, "PENDING_ACTIVATION", now,
                    now, 1);
            store.certificates.put(id, record);
            store.save();
            return record;
        }
    }

    /** The statuses RegisterCertificate and RegisterCertificateWithoutCA may set here; the others are refused. */
    private static final Set<String> REGISTRABLE = Set.of("ACTIVE", "INACTIVE", "REVOKED", "PENDING_ACTIVATION");

    /**
     * RegisterCertificate (API reference): a device certificate signed by a registered CA. With {@code caPem}, that
     * CA must be registered (CertificateValidationException otherwise) and have signed the certificate; without it,
     * IoT looks for a registered CA that signed it (CertificateValidationException when none did). An INACTIVE CA
     * is CertificateStateException (unconfirmed). The status is {@code status}, else ACTIVE with {@code setAsActive},
     * else INACTIVE; PENDING_TRANSFER and REGISTER_INACTIVE are refused (not modelled). A certificate registered
     * already is ResourceAlreadyExistsException 409 with its id. Messages unconfirmed.
     */
    public Certificate register(String pem, String caPem, boolean setAsActive, String status) {
        synchronized (store.lock) {
            X509Certificate device = parse(pem, "certificatePem");
            String newStatus = registrationStatus(status, setAsActive);
            Registry.CaCertificate ca;
            if (caPem != null) {
                String caId = CertificateIds.fromCertificate(parse(caPem, "caCertificatePem"));
                ca = store.caCertificates.get(caId);
                if (ca == null) {
                    throw IotException.certificateValidation("The CA certificate " + caId + " is not registered");
                }
                if (!signedBy(device, ca)) {
                    throw IotException.certificateValidation("The certificate is not signed by the CA certificate "
                            + caId);
                }
            } else {
                ca = store.caCertificates.values().stream().filter(c -> signedBy(device, c)).findFirst()
                        .orElseThrow(() -> IotException.certificateValidation("The certificate's issuer is not a"
                                + " registered CA certificate"));
            }
            if (!ca.status().equals("ACTIVE")) {
                throw IotException.certificateState("The CA certificate " + ca.id() + " is " + ca.status());
            }
            return add(device, ca.id(), newStatus);
        }
    }

    /**
     * RegisterCertificateWithoutCA: the certificate is kept without a CA (certificateMode SNI_ONLY: "registered
     * without an issuer certificate authority", API reference, CertificateDescription); status as
     * {@link #register}'s, INACTIVE by default.
     */
    public Certificate registerWithoutCa(String pem, String status) {
        synchronized (store.lock) {
            return add(parse(pem, "certificatePem"), null, registrationStatus(status, false));
        }
    }

    private Certificate add(X509Certificate device, String caId, String status) {
        String id = CertificateIds.fromCertificate(device);
        if (store.certificates.containsKey(id)) {
            throw IotException.alreadyExists("The certificate is already registered", id);
        }
        double now = store.now();
        Certificate record = new Certificate(id, CertificateIds.toPem(device), caId, status, now, now, 1);
        store.certificates.put(id, record);
        store.save();
        return record;
    }

    private static String registrationStatus(String status, boolean setAsActive) {
        if (status == null) {
            return setAsActive ? "ACTIVE" : "INACTIVE";
        }
        if (!REGISTRABLE.contains(status)) {
            throw IotException.invalidRequest("Registering a certificate with status " + status
                    + " is not supported by the IoT model");
        }
        return status;
    }

    private static boolean signedBy(X509Certificate device, Registry.CaCertificate ca) {
        X509Certificate caCertificate = CertificateIds.parsePem(ca.pem());
        if (!device.getIssuerX500Principal().equals(caCertificate.getSubjectX500Principal())) {
            return false;
        }
        try {
            device.verify(caCertificate.getPublicKey());
            return true;
        } catch (java.security.GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * UpdateCertificate with the service model's rules: PENDING_ACTIVATION and PENDING_TRANSFER cannot be set; a
     * REVOKED certificate stays REVOKED; setting the current status again succeeds (idempotent).
     */
    public void update(String id, String newStatus) {
        synchronized (store.lock) {
            if (newStatus == null || !STATUSES.contains(newStatus)) {
                throw IotException.invalidRequest("newStatus must be one of " + STATUSES + ", not " + newStatus);
            }
            Certificate certificate = get(id);
            id = certificate.id();
            if (newStatus.equals("PENDING_ACTIVATION") || newStatus.equals("PENDING_TRANSFER")) {
                throw IotException.invalidRequest("the status cannot be set to " + newStatus
                        + " with UpdateCertificate");
            }
            if (certificate.status().equals(newStatus)) {
                return;
            }
            if (certificate.status().equals("REVOKED")) {
                throw IotException.certificateState("certificate " + id + " is REVOKED; its status cannot change");
            }
            store.certificates.put(id, certificate.withStatus(newStatus, store.now()));
            store.save();
        }
    }

    /**
     * DeleteCertificate (API reference: "A certificate cannot be deleted if it has a policy or IoT thing attached to
     * it or if its status is set to ACTIVE"; forceDelete "Forces the deletion of a certificate if it is inactive and
     * is not attached to an IoT thing"): ACTIVE is CertificateStateException 406 ("Certificate must be deactivated
     * (not ACTIVE) before deletion. Id: ...", rebuy-de/aws-nuke#374); attached to a thing (a detachment still
     * propagating included) DeleteConflictException 409 ("Things must be detached before deletion (arn: ...)": moto's
     * wording, unconfirmed); attached to policies without {@code forceDelete} DeleteConflictException 409
     * ("Certificate policies must be detached before deletion (arn: ...)", serverless/serverless#8324). With
     * {@code forceDelete} the policies are detached.
     */
    public void delete(String id, boolean forceDelete) {
        synchronized (store.lock) {
            Certificate certificate = get(id);
            String arn = store.arns.certificate(certificate.id());
            if (certificate.status().equals("ACTIVE")) {
                throw IotException.certificateState("Certificate must be deactivated (not ACTIVE) before deletion."
                        + " Id: " + certificate.id());
            }
            if (store.attachments().stream().anyMatch(tp -> Principals.isCertificate(tp.principal(),
                    certificate.id()))) {
                throw IotException.deleteConflict("Things must be detached before deletion (arn: " + arn + ")");
            }
            List<String> targets = store.targetPolicies.keySet().stream()
                    .filter(target -> Principals.isCertificate(target, certificate.id())).toList();
            if (!targets.isEmpty() && !forceDelete) {
                throw IotException.deleteConflict("Certificate policies must be detached before deletion (arn: "
                        + arn + ")");
            }
            targets.forEach(store.targetPolicies::remove);
            store.certificates.remove(certificate.id());
            store.save();
        }
    }

    /**
     * A certificate id as the service model accepts it (64 characters of the pattern (0x)?[a-fA-F0-9]+: IotApi checks
     * that first) that is also 64 hexadecimal digits (upper case allowed), as IoT prints it, in lower case. Anything
     * else, such as 0x and 62 digits, is InvalidRequestException (the message is unconfirmed).
     */
    static String id(String id, String member) {
        if (id == null || !CERTIFICATE_ID.matcher(id).matches()) {
            throw IotException.invalidRequest(member + " must be 64 hexadecimal characters, not " + id);
        }
        return id.toLowerCase(Locale.ROOT);
    }

    /** A PEM certificate, or CertificateValidationException naming the request member {@code field}. */
    static X509Certificate parse(String pem, String field) {
        try {
            return CertificateIds.parsePem(pem);
        } catch (IllegalArgumentException e) {
            throw IotException.certificateValidation(field + " is not a PEM X.509 certificate: " + e.getMessage());
        }
    }
}
