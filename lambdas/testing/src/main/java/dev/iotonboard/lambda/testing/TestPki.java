package dev.iotonboard.lambda.testing;

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
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Test certificates: a private CA that issues device certificates. {@link #device} gives a builder whose defaults are
 * the device profile of openssl.conf (v3_device: CA:FALSE, keyUsage digitalSignature, EKU clientAuth, EC P-256,
 * SHA-256, valid from yesterday for a year); each setter breaks one rule for a test.
 */
public final class TestPki {

    /** Device key types. */
    public enum Key { EC_P256, EC_P384, EC_SECP256K1, RSA_2048, RSA_1024 }

    /** An issued certificate with its PEM and IoT certificate id. */
    public record Issued(X509Certificate certificate, String pem, String id) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();
    /** Every CA made in this JVM, by IoT id, so the IoT double can register the CA a certificate names. */
    private static final Map<String, X509Certificate> CAS = new ConcurrentHashMap<>();

    private final KeyPair caKeys;
    private final X509Certificate caCertificate;

    private TestPki(KeyPair caKeys, X509Certificate caCertificate) {
        this.caKeys = caKeys;
        this.caCertificate = caCertificate;
    }

    /** A new self-signed EC P-256 CA, valid for ten years. */
    public static TestPki newCa(String commonName) {
        return newCa(commonName, Instant.now().plus(Duration.ofDays(3650)));
    }

    /** A new self-signed EC P-256 CA that expires at {@code notAfter}. */
    public static TestPki newCa(String commonName, Instant notAfter) {
        KeyPair keys = keyPair(Key.EC_P256);
        Instant now = Instant.now();
        X500Name name = new X500Name("CN=" + commonName);
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(notAfter), name,
                    keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            TestPki pki = new TestPki(keys, sign(builder, "SHA256withECDSA", keys));
            CAS.put(pki.caId(), pki.caCertificate());
            return pki;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot build a test CA", e);
        }
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    /** The certificate of a CA made by {@link #newCa} in this JVM, by its IoT id. */
    public static X509Certificate caCertificate(String caId) {
        X509Certificate ca = CAS.get(caId);
        if (ca == null) {
            throw new IllegalArgumentException("no TestPki CA has the id " + caId + ": make it with TestPki.newCa");
        }
        return ca;
    }

    /** The CA certificate's IoT id. */
    public String caId() {
        return CertificateIds.fromCertificate(caCertificate);
    }

    /** A device certificate of the default profile whose subject CN is {@code commonName}. */
    public Issued issue(String commonName) {
        return device(commonName).issue();
    }

    /** A device certificate of the default profile with this key type and validity. */
    public Issued issue(String commonName, Key key, Instant notBefore, Instant notAfter) {
        return device(commonName).key(key).validity(notBefore, notAfter).issue();
    }

    /** A device certificate of the default profile whose CN is a new random lowercase UUID (its thing name). */
    public Issued issueDevice() {
        return issue(UUID.randomUUID().toString());
    }

    /** A builder for a device certificate whose subject is {@code CN=<commonName>}. */
    public Device device(String commonName) {
        return new Device("CN=" + commonName);
    }

    /** A device certificate being built; the defaults are openssl.conf's v3_device profile. */
    public final class Device {
        private String subject;
        private Key key = Key.EC_P256;
        private String signatureAlgorithm = "SHA256withECDSA";
        private Boolean ca = Boolean.FALSE;
        private KeyPurposeId[] extendedUsages = {KeyPurposeId.id_kp_clientAuth};
        private Integer keyUsage = KeyUsage.digitalSignature;
        private Instant notBefore = Instant.now().minus(Duration.ofDays(1));
        private Instant notAfter = Instant.now().plus(Duration.ofDays(365));

        private Device(String subject) {
            this.subject = subject;
        }

        /** The whole subject, e.g. {@code "O=Acme, CN=..."}. */
        public Device subject(String x500Name) {
            this.subject = x500Name;
            return this;
        }

        public Device key(Key key) {
            this.key = key;
            return this;
        }

        /** The CA's signature algorithm, e.g. {@code SHA1withECDSA} (the CA key is EC P-256). */
        public Device signedWith(String algorithm) {
            this.signatureAlgorithm = algorithm;
            return this;
        }

        /** basicConstraints CA flag; null leaves the extension out. */
        public Device ca(Boolean ca) {
            this.ca = ca;
            return this;
        }

        /** The extended key usages; null leaves the extension out. */
        public Device extendedKeyUsage(KeyPurposeId... usages) {
            this.extendedUsages = usages;
            return this;
        }

        /** The key usage bits ({@link KeyUsage} constants); null leaves the extension out. */
        public Device keyUsage(Integer bits) {
            this.keyUsage = bits;
            return this;
        }

        public Device validity(Instant from, Instant to) {
            this.notBefore = from;
            this.notAfter = to;
            return this;
        }

        public Issued issue() {
            KeyPair deviceKeys = keyPair(key);
            try {
                X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                        new X500Name(caCertificate.getSubjectX500Principal().getName()), serial(),
                        Date.from(notBefore), Date.from(notAfter), new X500Name(subject), deviceKeys.getPublic());
                if (ca != null) {
                    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
                }
                if (keyUsage != null) {
                    builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
                }
                if (extendedUsages != null) {
                    builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(extendedUsages));
                }
                X509Certificate certificate = sign(builder, signatureAlgorithm, caKeys);
                return new Issued(certificate, CertificateIds.toPem(certificate),
                        CertificateIds.fromCertificate(certificate));
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot build a test certificate", e);
            }
        }
    }

    private static BigInteger serial() {
        return new BigInteger(64, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, String algorithm, KeyPair signer) {
        try {
            ContentSigner contentSigner = new JcaContentSignerBuilder(algorithm).setProvider(BC)
                    .build(signer.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot sign a test certificate", e);
        }
    }

    private static KeyPair keyPair(Key key) {
        try {
            switch (key) {
                case EC_P256, EC_P384, EC_SECP256K1 -> {
                    // BouncyCastle: the JDK no longer generates secp256k1 keys.
                    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BC);
                    generator.initialize(new ECGenParameterSpec(switch (key) {
                        case EC_P256 -> "secp256r1";
                        case EC_P384 -> "secp384r1";
                        default -> "secp256k1";
                    }));
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
