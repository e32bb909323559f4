package dev.iotonboard.lambda.activation;

import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.ThingNameRule;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The profile a device certificate must have before it is activated, checked on the PEM IoT returns for it:
 * <ul>
 *   <li>the PEM is the certificate IoT named (it hashes to the certificate id);</li>
 *   <li>end-entity: basicConstraints absent or CA:FALSE (a CA certificate never becomes a device);</li>
 *   <li>an extended key usage, when present, contains clientAuth; a key usage, when present, contains
 *       digitalSignature;</li>
 *   <li>signed with SHA-256, SHA-384 or SHA-512 (RSA PKCS#1 v1.5, RSASSA-PSS or ECDSA): no SHA-1, no MD5;</li>
 *   <li>an RSA key of at least 2048 bits, or an EC key on P-256, P-384 or P-521;</li>
 *   <li>inside its validity window;</li>
 *   <li>its subject has exactly one CN, and that CN is a valid thing name ({@link ThingNameRule}): the CA's
 *       verification certificate (CN = the registration code) fails here.</li>
 * </ul>
 * These are the rules AWS IoT states for device certificates (x509-client-certs.md) and API Gateway mutual TLS for
 * client certificates, plus the identity rule. That the issuer is the configured CA is checked by the service against
 * IoT's {@code caCertificateId}, which IoT sets only after verifying the CA's signature.
 */
public final class CertificateProfile {

    static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int DIGITAL_SIGNATURE = 0;
    private static final int MIN_RSA_BITS = 2048;
    private static final Set<String> CURVES = Set.of(
            "secp256r1", "1.2.840.10045.3.1.7",
            "secp384r1", "1.3.132.0.34",
            "secp521r1", "1.3.132.0.35");
    /** Signature algorithm OIDs accepted, by name for messages. */
    private static final Map<String, String> SIGNATURES = Map.of(
            "1.2.840.113549.1.1.11", "SHA256withRSA",
            "1.2.840.113549.1.1.12", "SHA384withRSA",
            "1.2.840.113549.1.1.13", "SHA512withRSA",
            "1.2.840.10045.4.3.2", "SHA256withECDSA",
            "1.2.840.10045.4.3.3", "SHA384withECDSA",
            "1.2.840.10045.4.3.4", "SHA512withECDSA");
    private static final String RSASSA_PSS = "1.2.840.113549.1.1.10";
    private static final Set<String> PSS_DIGESTS = Set.of("SHA-256", "SHA-384", "SHA-512");

    private final Clock clock;
    private final ThingNameRule names;

    public CertificateProfile(Clock clock, ThingNameRule names) {
        this.clock = clock;
        this.names = names;
    }

    /** Empty when the certificate may be activated, else why not. */
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
        for (Optional<String> problem : List.of(endEntityProblem(certificate), usageProblem(certificate),
                signatureProblem(certificate), keyProblem(certificate.getPublicKey()), validityProblem(certificate),
                nameProblem(certificate))) {
            if (problem.isPresent()) {
                return problem;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> endEntityProblem(X509Certificate certificate) {
        return certificate.getBasicConstraints() >= 0
                ? Optional.of("the certificate is a CA certificate (basicConstraints CA:TRUE); a device certificate "
                        + "must be an end-entity certificate")
                : Optional.empty();
    }

    private static Optional<String> usageProblem(X509Certificate certificate) {
        List<String> extendedUsages;
        try {
            extendedUsages = certificate.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            return Optional.of("the extended key usage cannot be read: " + e.getMessage());
        }
        if (extendedUsages != null && !extendedUsages.contains(CLIENT_AUTH)) {
            return Optional.of("the extended key usage " + extendedUsages + " lacks clientAuth (" + CLIENT_AUTH + ")");
        }
        boolean[] usages = certificate.getKeyUsage();
        if (usages != null && (usages.length <= DIGITAL_SIGNATURE || !usages[DIGITAL_SIGNATURE])) {
            return Optional.of("the key usage lacks digitalSignature");
        }
        return Optional.empty();
    }

    private static Optional<String> signatureProblem(X509Certificate certificate) {
        String oid = certificate.getSigAlgOID();
        if (SIGNATURES.containsKey(oid)) {
            return Optional.empty();
        }
        if (RSASSA_PSS.equals(oid)) {
            String digest = pssDigest(certificate.getSigAlgParams());
            return PSS_DIGESTS.contains(digest) ? Optional.empty()
                    : Optional.of("signed with RSASSA-PSS over " + digest + "; SHA-256, SHA-384 or SHA-512 required");
        }
        return Optional.of("signed with " + certificate.getSigAlgName() + " (" + oid + "); a SHA-256, SHA-384 or "
                + "SHA-512 signature (RSA, RSASSA-PSS or ECDSA) is required");
    }

    private static String pssDigest(byte[] parameters) {
        try {
            AlgorithmParameters pss = AlgorithmParameters.getInstance("RSASSA-PSS");
            pss.init(parameters);
            return pss.getParameterSpec(PSSParameterSpec.class).getDigestAlgorithm();
        } catch (GeneralSecurityException | java.io.IOException | RuntimeException e) {
            return "unreadable parameters";
        }
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
        // The JDK gives no ECPublicKey for a curve it does not support (secp256k1, brainpool): not accepted either.
        return Optional.of("key algorithm " + key.getAlgorithm() + " on parameters the JDK does not support; RSA "
                + "(2048 bits or more) or EC on P-256, P-384 or P-521 required");
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

    private Optional<String> validityProblem(X509Certificate certificate) {
        Instant now = clock.instant();
        if (now.isBefore(certificate.getNotBefore().toInstant())) {
            return Optional.of("the certificate is not valid before " + certificate.getNotBefore().toInstant());
        }
        if (now.isAfter(certificate.getNotAfter().toInstant())) {
            return Optional.of("the certificate expired at " + certificate.getNotAfter().toInstant());
        }
        return Optional.empty();
    }

    private Optional<String> nameProblem(X509Certificate certificate) {
        try {
            names.thingOf(certificate);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }
}
