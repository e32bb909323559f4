package dev.iotonboard.lambda.activation;

import dev.iotonboard.lambda.core.CertificateIds;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a certificate before it is activated: its PEM is the certificate IoT named, it is within its validity, and
 * its key is RSA of at least 2048 bits or EC on P-256, P-384 or P-521 (what API Gateway mutual TLS also accepts).
 * That the issuer is the configured CA is checked by the service against IoT's {@code caCertificateId}, which IoT
 * sets only after verifying the CA's signature.
 */
public final class CertificateChecks {

    private static final Set<String> CURVES = Set.of(
            "secp256r1", "1.2.840.10045.3.1.7",
            "secp384r1", "1.3.132.0.34",
            "secp521r1", "1.3.132.0.35");
    private static final int MIN_RSA_BITS = 2048;

    private final Clock clock;

    public CertificateChecks(Clock clock) {
        this.clock = clock;
    }

    /** Empty when acceptable, else why not. */
    public Optional<String> problem(String certificateId, String pem) {
        if (pem == null || pem.isBlank()) {
            return Optional.of("IoT returned no PEM for the certificate");
        }
        X509Certificate certificate;
        try {
            certificate = CertificateIds.parsePem(pem);
        } catch (IllegalArgumentException e) {
            return Optional.of("the certificate PEM cannot be parsed: " + e.getMessage());
        }
        if (!CertificateIds.fromCertificate(certificate).equals(certificateId)) {
            return Optional.of("the PEM IoT returned does not hash to the certificate id");
        }
        Instant now = clock.instant();
        if (now.isBefore(certificate.getNotBefore().toInstant())) {
            return Optional.of("the certificate is not valid before " + certificate.getNotBefore().toInstant());
        }
        if (now.isAfter(certificate.getNotAfter().toInstant())) {
            return Optional.of("the certificate expired at " + certificate.getNotAfter().toInstant());
        }
        return keyProblem(certificate.getPublicKey());
    }

    private static Optional<String> keyProblem(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            return bits >= MIN_RSA_BITS ? Optional.empty()
                    : Optional.of("RSA key of " + bits + " bits; at least " + MIN_RSA_BITS + " required");
        }
        if (key instanceof ECPublicKey ec) {
            String curve = curveName(ec);
            return CURVES.contains(curve) ? Optional.empty()
                    : Optional.of("EC key on curve " + curve + "; P-256, P-384 or P-521 required");
        }
        return Optional.of("key algorithm " + key.getAlgorithm() + " is not accepted; RSA or EC required");
    }

    private static String curveName(ECPublicKey key) {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(key.getParams());
            return parameters.getParameterSpec(ECGenParameterSpec.class).getName();
        } catch (GeneralSecurityException e) {
            return "unknown (" + key.getParams().getCurve().getField().getFieldSize() + " bits)";
        }
    }
}
