package dev.iotonboard.lambda.core.testing;

import dev.iotonboard.lambda.core.CertificateIds;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Test certificates: a private CA that issues device certificates with chosen keys and validity. */
public final class TestPki {

    /** Device key types. */
    public enum Key { EC_P256, EC_P384, RSA_2048, RSA_1024 }

    /** An issued certificate with its PEM and IoT certificate id. */
    public record Issued(X509Certificate certificate, String pem, String id) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyPair caKeys;
    private final X509Certificate caCertificate;

    private TestPki(KeyPair caKeys, X509Certificate caCertificate) {
        this.caKeys = caKeys;
        this.caCertificate = caCertificate;
    }

    /** A new self-signed EC P-256 CA. */
    public static TestPki newCa(String commonName) {
        KeyPair keys = keyPair(Key.EC_P256);
        Instant now = Instant.now();
        X500Name name = new X500Name("CN=" + commonName);
        X509Certificate certificate = sign(name, name, keys.getPublic(), keys, now.minus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(3650)), true);
        return new TestPki(keys, certificate);
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    /** The CA certificate's IoT id. */
    public String caId() {
        return CertificateIds.fromCertificate(caCertificate);
    }

    /** A device certificate valid from yesterday for a year, EC P-256. */
    public Issued issue(String commonName) {
        Instant now = Instant.now();
        return issue(commonName, Key.EC_P256, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)));
    }

    /** A device certificate with this key type and validity. */
    public Issued issue(String commonName, Key key, Instant notBefore, Instant notAfter) {
        KeyPair deviceKeys = keyPair(key);
        X509Certificate certificate = sign(new X500Name("CN=" + commonName),
                new X500Name(caCertificate.getSubjectX500Principal().getName()), deviceKeys.getPublic(), caKeys,
                notBefore, notAfter, false);
        return new Issued(certificate, CertificateIds.toPem(certificate), CertificateIds.fromCertificate(certificate));
    }

    private static X509Certificate sign(X500Name subject, X500Name issuer, java.security.PublicKey publicKey,
            KeyPair signer, Instant notBefore, Instant notAfter, boolean ca) {
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
                    new BigInteger(64, RANDOM).add(BigInteger.ONE), Date.from(notBefore), Date.from(notAfter), subject,
                    publicKey);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            ContentSigner contentSigner = new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
        } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
            throw new IllegalStateException("cannot sign a test certificate", e);
        }
    }

    private static KeyPair keyPair(Key key) {
        try {
            switch (key) {
                case EC_P256, EC_P384 -> {
                    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                    generator.initialize(new ECGenParameterSpec(key == Key.EC_P256 ? "secp256r1" : "secp384r1"));
                    return generator.generateKeyPair();
                }
                default -> {
                    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                    generator.initialize(key == Key.RSA_2048 ? 2048 : 1024);
                    return generator.generateKeyPair();
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a " + key + " key", e);
        }
    }
}
