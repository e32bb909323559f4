package dev.iotonboard.iot.model;

import dev.iotonboard.iot.model.Registry.CaCertificate;
import dev.iotonboard.iot.model.Registry.Certificate;
import dev.iotonboard.lambda.core.CertificateIds;
import java.security.cert.X509Certificate;
import java.time.Instant;

/**
 * State put in place directly ({@link Registry#seed()}): a CA certificate as if registered, a certificate as if
 * registered by JITR or an operator (with any status and registration time), a status set by hand. For test set-up
 * only: every operation a client can call goes through the registry's resource classes and their rules.
 */
public final class Seed {

    private final Store store;
    private final CaCertificates caCertificates;
    private final Certificates certificates;

    Seed(Store store, CaCertificates caCertificates, Certificates certificates) {
        this.store = store;
        this.caCertificates = caCertificates;
        this.certificates = certificates;
    }

    /** A CA certificate registered with this status (ACTIVE or INACTIVE) and auto-registration on. */
    public CaCertificate caCertificate(X509Certificate ca, String status) {
        synchronized (store.lock) {
            String id = CertificateIds.fromCertificate(ca);
            double now = store.now();
            CaCertificate record = new CaCertificate(id, CertificateIds.toPem(ca), status, "ENABLE", now, now, 1);
            store.caCertificates.put(id, record);
            store.save();
            return record;
        }
    }

    /** A device certificate of a registered CA, with this status, registered at {@code registered}. */
    public Certificate certificate(String pem, String caId, String status, Instant registered) {
        synchronized (store.lock) {
            caCertificates.get(caId);
            requireStatus(status);
            X509Certificate device = Certificates.parse(pem, "certificatePem");
            String id = CertificateIds.fromCertificate(device);
            double at = registered.toEpochMilli() / 1000.0;
            Certificate record = new Certificate(id, CertificateIds.toPem(device), caId, status, at, at, 1);
            store.certificates.put(id, record);
            store.save();
            return record;
        }
    }

    /** The status an operator or another client left a certificate in. */
    public void status(String id, String status) {
        synchronized (store.lock) {
            requireStatus(status);
            store.certificates.put(id, certificates.get(id).withStatus(status, store.now()));
            store.save();
        }
    }

    /** When IoT registered the certificate (ListCertificatesByCA orders by it). */
    public void registered(String id, Instant registered) {
        synchronized (store.lock) {
            Certificate c = certificates.get(id);
            double at = registered.toEpochMilli() / 1000.0;
            store.certificates.put(id, new Certificate(c.id(), c.pem(), c.caCertificateId(), c.status(), at,
                    c.lastModifiedDate(), c.generation()));
            store.save();
        }
    }

    private static void requireStatus(String status) {
        if (!Certificates.STATUSES.contains(status)) {
            throw new IllegalArgumentException("not a certificate status: " + status);
        }
    }
}
