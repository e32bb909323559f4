package dev.iotonboard.lambda.core;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place that says what an AWS IoT certificate id is: the lowercase hex SHA-256 of the certificate's DER
 * encoding (64 characters). AWS does not state this in its documentation (see docs/aws-behaviour.md, "unconfirmed");
 * moto computes it the same way, and the local IoT Core reuses this class so both sides agree.
 *
 * <p>Depends on the JDK only, on purpose: the local IoT Core uses it without the AWS SDK.
 */
public final class CertificateIds {

    /** A certificate id as IoT prints it: 64 lowercase hex characters. */
    public static final Pattern ID = Pattern.compile("[0-9a-f]{64}");

    private static final Pattern PEM_BLOCK = Pattern.compile(
            "-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", Pattern.DOTALL);

    private CertificateIds() {
    }

    /** True when {@code value} has the shape of a certificate id (64 lowercase hex characters). */
    public static boolean isCertificateId(String value) {
        return value != null && ID.matcher(value).matches();
    }

    /** The certificate id of a DER-encoded certificate. */
    public static String fromDer(byte[] der) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The certificate id of an X.509 certificate. */
    public static String fromCertificate(X509Certificate certificate) {
        try {
            return fromDer(certificate.getEncoded());
        } catch (CertificateException e) {
            throw new IllegalArgumentException("certificate cannot be encoded: " + e.getMessage(), e);
        }
    }

    /**
     * The certificate id of the first certificate in a PEM text (a device certificate followed by its chain gives
     * the device certificate's id).
     *
     * @throws IllegalArgumentException when the text holds no parsable certificate
     */
    public static String fromPem(String pem) {
        return fromCertificate(parsePem(pem));
    }

    /** The first certificate in a PEM text. */
    public static X509Certificate parsePem(String pem) {
        List<X509Certificate> chain = parsePemChain(pem);
        return chain.get(0);
    }

    /**
     * Every certificate in a PEM text, in order. Tolerates CRLF line ends and PEM whose line breaks were replaced by
     * spaces (as happens when a PEM travels in an HTTP header).
     *
     * @throws IllegalArgumentException when the text holds no certificate or a block that is not a certificate
     */
    public static List<X509Certificate> parsePemChain(String pem) {
        if (pem == null || pem.isBlank()) {
            throw new IllegalArgumentException("no PEM text");
        }
        Matcher matcher = PEM_BLOCK.matcher(pem);
        List<X509Certificate> certificates = new ArrayList<>();
        CertificateFactory factory = x509Factory();
        while (matcher.find()) {
            String base64 = matcher.group(1).replaceAll("\\s+", "");
            byte[] der;
            try {
                der = Base64.getDecoder().decode(base64.getBytes(StandardCharsets.US_ASCII));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("PEM block is not valid base64", e);
            }
            try {
                certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
            } catch (CertificateException | ClassCastException e) {
                throw new IllegalArgumentException("PEM block is not an X.509 certificate: " + e.getMessage(), e);
            }
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("no BEGIN CERTIFICATE block in the PEM text");
        }
        return certificates;
    }

    /** PEM text of a certificate (64-character lines, LF line ends). */
    public static String toPem(X509Certificate certificate) {
        try {
            String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(certificate.getEncoded());
            return "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n";
        } catch (CertificateException e) {
            throw new IllegalArgumentException("certificate cannot be encoded: " + e.getMessage(), e);
        }
    }

    /**
     * The certificate id at the end of a certificate ARN ({@code arn:aws:iot:<region>:<account>:cert/<id>}), lower
     * case; empty when the ARN is not a certificate ARN.
     */
    public static java.util.Optional<String> fromArn(String arn) {
        if (arn == null) {
            return java.util.Optional.empty();
        }
        int slash = arn.lastIndexOf(":cert/");
        if (slash < 0 || !arn.startsWith("arn:")) {
            return java.util.Optional.empty();
        }
        String id = arn.substring(slash + ":cert/".length()).toLowerCase(Locale.ROOT);
        return isCertificateId(id) ? java.util.Optional.of(id) : java.util.Optional.empty();
    }

    private static CertificateFactory x509Factory() {
        try {
            return CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("X.509 is missing from this JVM", e);
        }
    }
}
