package dev.iotonboard.lambda.core.registry;

import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.ThingNameRule;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import software.amazon.awssdk.services.iot.model.CACertificateDescription;
import software.amazon.awssdk.services.iot.model.CertificateDescription;

/** Registry writes built from what IoT answered: one translation of IoT's descriptions into items. */
public final class IotObservations {

    private IotObservations() {
    }

    /**
     * What a DescribeCertificate answer says about a certificate: its CA, status, PEM, and, read from the PEM, its
     * subject CN (when it has exactly one) and validity. A PEM that cannot be parsed contributes nothing; IoT's
     * validity is used when the PEM does not give one.
     */
    public static CertificateUpdate.Builder certificate(CertificateDescription described, Step step,
            Instant observedAt) {
        CertificateUpdate.Builder update = CertificateUpdate.of(described.certificateId(), step, observedAt)
                .status(described.statusAsString());
        if (described.certificateArn() != null && !described.certificateArn().isBlank()) {
            update.certificateArn(described.certificateArn());
        }
        if (CertificateIds.isCertificateId(described.caCertificateId())) {
            update.caCertificateId(described.caCertificateId());
        }
        String pem = described.certificatePem();
        if (pem == null || pem.isBlank()) {
            return update;
        }
        update.certificatePem(pem);
        X509Certificate x509;
        try {
            x509 = CertificateIds.parsePem(pem);
        } catch (IllegalArgumentException e) {
            return validityOf(described, update);
        }
        update.validity(x509.getNotBefore().toInstant(), x509.getNotAfter().toInstant());
        List<String> names;
        try {
            names = ThingNameRule.commonNames(x509.getSubjectX500Principal());
        } catch (IllegalArgumentException e) {
            return update;
        }
        if (names.size() == 1 && !names.get(0).isBlank()) {
            update.thingName(names.get(0));
        }
        return update;
    }

    /** A CA item from a DescribeCACertificate answer. */
    public static CaItem ca(CACertificateDescription described, Step step, Instant observedAt) {
        Instant notAfter = described.validity() == null ? null : described.validity().notAfter();
        return new CaItem(described.certificateId(), described.statusAsString(), notAfter, observedAt, step);
    }

    private static CertificateUpdate.Builder validityOf(CertificateDescription described,
            CertificateUpdate.Builder update) {
        if (described.validity() != null && described.validity().notBefore() != null
                && described.validity().notAfter() != null) {
            update.validity(described.validity().notBefore(), described.validity().notAfter());
        }
        return update;
    }
}
