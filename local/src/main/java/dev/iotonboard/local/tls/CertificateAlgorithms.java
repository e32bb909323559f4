package dev.iotonboard.local.tls;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The signature algorithms and keys AWS accepts in a client certificate: SHA-256, SHA-384 or SHA-512 with RSA
 * (PKCS#1 v1.5 or RSASSA-PSS), ECDSA, or DSA with SHA-256; RSA keys of 2048 bits or more, EC keys on P-256, P-384 or
 * P-521 (AWS IoT: x509-client-certs.md "Certificate signing algorithms", aws-behaviour.md "Data plane limits"; API
 * Gateway mutual TLS: rest-api-mutual-tls.md "SHA-256 or stronger, RSA-2048 or stronger, ECDSA-256 or stronger").
 * Anything else, such as MD5 or SHA-1 signatures, is insecure.
 */
public final class CertificateAlgorithms {
    /** Signature algorithm OIDs whose hash is SHA-256 or stronger (RSASSA-PSS is checked by its parameters). */
    private static final Map<String, String> SECURE = Map.of(
            "1.2.840.113549.1.1.11", "SHA256withRSA",
            "1.2.840.113549.1.1.12", "SHA384withRSA",
            "1.2.840.113549.1.1.13", "SHA512withRSA",
            "1.2.840.10045.4.3.2", "SHA256withECDSA",
            "1.2.840.10045.4.3.3", "SHA384withECDSA",
            "1.2.840.10045.4.3.4", "SHA512withECDSA",
            "2.16.840.1.101.3.4.3.2", "SHA256withDSA");
    private static final String RSASSA_PSS = "1.2.840.113549.1.1.10";
    private static final Set<String> PSS_HASHES = Set.of("SHA-256", "SHA-384", "SHA-512", "SHA256", "SHA384",
            "SHA512");
    private static final List<String> CURVES = List.of("secp256r1", "secp384r1", "secp521r1");

    private CertificateAlgorithms() {
    }

    /** Why AWS would call this certificate's signature or key insecure, or null when it is accepted. */
    public static String insecurity(X509Certificate certificate) {
        String signature = signatureProblem(certificate);
        return signature != null ? signature : keyProblem(certificate.getPublicKey());
    }

    private static String signatureProblem(X509Certificate certificate) {
        String oid = certificate.getSigAlgOID();
        if (SECURE.containsKey(oid)) {
            return null;
        }
        if (oid.equals(RSASSA_PSS)) {
            String hash = pssHash(certificate.getSigAlgParams());
            if (hash != null && PSS_HASHES.contains(hash.toUpperCase(java.util.Locale.ROOT))) {
                return null;
            }
            return "signed with RSASSA-PSS over " + (hash == null ? "an unknown hash" : hash)
                    + ", an insecure signature algorithm (SHA-256 or stronger is required)";
        }
        return "signed with " + certificate.getSigAlgName() + ", an insecure signature algorithm (SHA-256 or"
                + " stronger is required)";
    }

    private static String pssHash(byte[] parameters) {
        if (parameters == null) {
            return "SHA-1"; // RSASSA-PSS defaults (RFC 4055)
        }
        try {
            AlgorithmParameters pss = AlgorithmParameters.getInstance("RSASSA-PSS");
            pss.init(parameters);
            return pss.getParameterSpec(PSSParameterSpec.class).getDigestAlgorithm();
        } catch (GeneralSecurityException | java.io.IOException e) {
            return null;
        }
    }

    private static String keyProblem(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            return bits >= 2048 ? null : "an RSA key of " + bits + " bits (2048 or more is required)";
        }
        if (key instanceof ECPublicKey ec) {
            return CURVES.stream().anyMatch(curve -> sameCurve(ec.getParams(), curve)) ? null
                    : "an EC key on a curve other than P-256, P-384 or P-521";
        }
        return null;
    }

    private static boolean sameCurve(ECParameterSpec key, String name) {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec(name));
            ECParameterSpec curve = parameters.getParameterSpec(ECParameterSpec.class);
            BigInteger order = curve.getOrder();
            return order.equals(key.getOrder()) && curve.getCurve().equals(key.getCurve());
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
