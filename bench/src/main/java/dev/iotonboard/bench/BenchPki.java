package dev.iotonboard.bench;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The benchmark's private CA and device certificates: EC P-256 keys, ECDSA-SHA256 signatures (the profile of
 * scripts/ca/create-ca.sh --key-type ec and create-device.sh), generated in memory with BouncyCastle.
 */
public final class BenchPki {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final JcaX509CertificateConverter CONVERTER = new JcaX509CertificateConverter();

    /** A certificate with its private key. */
    public record Issued(X509Certificate certificate, PrivateKey key) {
        public String pem() {
            return BenchPki.pem(certificate);
        }
    }

    private final Issued ca;

    private BenchPki(Issued ca) {
        this.ca = ca;
    }

    /** A new root CA (CN "IoT onboarding benchmark CA", 2 days). */
    public static BenchPki newCa() {
        KeyPair keys = ecKeyPair();
        X500Name name = new X500Name("CN=IoT onboarding benchmark CA,O=iot-onboarding bench");
        X509v3CertificateBuilder builder = builder(name, name, keys, Duration.ofDays(2));
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new BenchPki(new Issued(sign(builder, keys.getPrivate()), keys.getPrivate()));
    }

    public Issued ca() {
        return ca;
    }

    /** IoT's id of the CA certificate: lowercase hex SHA-256 of its DER (docs/contracts.md). */
    public String caCertificateId() {
        return certificateId(ca.certificate());
    }

    /** The verification certificate RegisterCACertificate needs: subject CN = the registration code. */
    public Issued verificationCertificate(String registrationCode) {
        return issue(registrationCode, Duration.ofDays(1));
    }

    /** A device certificate: subject CN = the thing name, a fresh P-256 key. */
    public Issued device(String thingName) {
        return issue(thingName, Duration.ofDays(2));
    }

    private Issued issue(String commonName, Duration validity) {
        KeyPair keys = ecKeyPair();
        X500Name issuer;
        try {
            issuer = new JcaX509CertificateHolder(ca.certificate()).getSubject();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        X509v3CertificateBuilder builder = builder(issuer, new X500Name("CN=" + commonName), keys, validity);
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Issued(sign(builder, ca.key()), keys.getPrivate());
    }

    public static String certificateId(X509Certificate certificate) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys,
            Duration validity) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM).add(BigInteger.ONE),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), subject,
                keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) {
        try {
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
            return CONVERTER.getCertificate(builder.build(signer));
        } catch (OperatorCreationException | CertificateException e) {
            throw new IllegalStateException("cannot sign a certificate", e);
        }
    }

    private static KeyPair ecKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 key generator", e);
        }
    }
}
