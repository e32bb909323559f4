package dev.iotonboard.iot.model;

import dev.iotonboard.iot.model.Registry.CaCertificate;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.ThingNameRule;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The registry's CA certificates ({@link Registry#caCertificates()}). */
public final class CaCertificates {

    private final Store store;

    CaCertificates(Store store) {
        this.store = store;
    }

    /** RegisterCACertificate: checks the verification certificate (signed by the CA, CN = registration code). */
    public CaCertificate register(String caPem, String verificationPem, boolean setAsActive,
            boolean allowAutoRegistration) {
        synchronized (store.lock) {
            X509Certificate ca = Certificates.parse(caPem, "caCertificate");
            if (ca.getBasicConstraints() < 0) {
                throw IotException.certificateValidation(
                        "caCertificate is not a CA certificate (basicConstraints CA:false)");
            }
            try {
                ca.checkValidity();
            } catch (CertificateException e) {
                throw IotException.certificateValidation("caCertificate is expired or not yet valid");
            }
            if (verificationPem == null || verificationPem.isBlank()) {
                throw IotException.invalidRequest("verificationCertificate is required (certificateMode DEFAULT)");
            }
            X509Certificate verification = Certificates.parse(verificationPem, "verificationCertificate");
            try {
                verification.verify(ca.getPublicKey());
            } catch (GeneralSecurityException e) {
                throw IotException.certificateValidation(
                        "the verification certificate is not signed by the CA certificate");
            }
            List<String> cn = ThingNameRule.commonNames(verification.getSubjectX500Principal());
            if (!cn.equals(List.of(store.registrationCode))) {
                throw IotException.registrationCode("the verification certificate's CN (" + String.join(", ", cn)
                        + ") is not this account's registration code");
            }
            String id = CertificateIds.fromCertificate(ca);
            if (store.caCertificates.containsKey(id)) {
                throw IotException.alreadyExists("the CA certificate is already registered", id);
            }
            double now = store.now();
            CaCertificate record = new CaCertificate(id, CertificateIds.toPem(ca),
                    setAsActive ? "ACTIVE" : "INACTIVE", allowAutoRegistration ? "ENABLE" : "DISABLE", now, now, 1);
            store.caCertificates.put(id, record);
            store.save();
            return record;
        }
    }

    /**
     * The CA certificate of this id: InvalidRequestException when the id does not have the service model's shape,
     * ResourceNotFoundException when there is none.
     */
    public CaCertificate get(String id) {
        synchronized (store.lock) {
            return Store.existing(store.caCertificates, Certificates.id(id, "caCertificateId"), "CA certificate ");
        }
    }

    public Optional<CaCertificate> find(String id) {
        synchronized (store.lock) {
            return Optional.ofNullable(store.caCertificates.get(id));
        }
    }

    /** Every CA certificate, in registration order. */
    public List<CaCertificate> list() {
        synchronized (store.lock) {
            return List.copyOf(store.caCertificates.values());
        }
    }

    /**
     * RegisterCACertificate's and UpdateCACertificate's registrationConfig (the JITP template: templateBody, roleArn,
     * templateName), kept and answered by DescribeCACertificate; null: none given. Update replaces it whole
     * (unconfirmed: whether AWS merges the members given).
     */
    public void registrationConfig(String id, Registry.RegistrationConfig config) {
        synchronized (store.lock) {
            CaCertificate ca = get(id);
            if (config != null) {
                store.registrationConfigs.put(ca.id(), config);
                store.save();
            }
        }
    }

    /** The CA certificate's registrationConfig, or empty when it has none. */
    public Optional<Registry.RegistrationConfig> registrationConfig(String id) {
        synchronized (store.lock) {
            return Optional.ofNullable(store.registrationConfigs.get(get(id).id()));
        }
    }

    /** UpdateCACertificate: newStatus ACTIVE|INACTIVE, newAutoRegistrationStatus ENABLE|DISABLE (each optional). */
    public void update(String id, String newStatus, String newAuto) {
        synchronized (store.lock) {
            CaCertificate ca = get(id);
            if (newStatus != null && !Set.of("ACTIVE", "INACTIVE").contains(newStatus)) {
                throw IotException.invalidRequest("newStatus must be ACTIVE or INACTIVE, not " + newStatus);
            }
            if (newAuto != null && !Set.of("ENABLE", "DISABLE").contains(newAuto)) {
                throw IotException.invalidRequest("newAutoRegistrationStatus must be ENABLE or DISABLE, not "
                        + newAuto);
            }
            store.caCertificates.put(ca.id(), ca.with(newStatus != null ? newStatus : ca.status(),
                    newAuto != null ? newAuto : ca.autoRegistrationStatus(), store.now()));
            store.save();
        }
    }

    /**
     * DeleteCACertificate: an ACTIVE CA certificate is refused with CertificateStateException 406 (API reference,
     * DeleteCACertificate lists it; the message is moto's, unconfirmed). The device certificates it signed stay
     * registered (what AWS does with them is unconfirmed).
     */
    public void delete(String id) {
        synchronized (store.lock) {
            CaCertificate ca = get(id);
            if (ca.status().equals("ACTIVE")) {
                throw IotException.certificateState("Certificate must be deactivated (not ACTIVE) before deletion."
                        + " Id: " + ca.id());
            }
            store.caCertificates.remove(ca.id());
            store.registrationConfigs.remove(ca.id());
            store.save();
        }
    }
}
