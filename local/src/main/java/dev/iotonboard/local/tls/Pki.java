package dev.iotonboard.local.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.stream.Stream;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificates the tool makes for itself (its server root and TLS certificate) and small X.509 helpers. */
public final class Pki {

    /** A certificate and its key. */
    public record Issued(X509Certificate certificate, KeyPair keys) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private Pki() {
    }

    /** The subject's CN, or null. */
    public static String commonName(X509Certificate certificate) {
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
            return null;
        } catch (InvalidNameException e) {
            return null;
        }
    }

    public static KeyPair ecKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when {@code issuer} signed {@code subject}: its subject is the issuer named, and its key verifies. */
    public static boolean signs(X509Certificate issuer, X509Certificate subject) {
        if (!issuer.getSubjectX500Principal().equals(subject.getIssuerX500Principal())) {
            return false;
        }
        try {
            subject.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** An RSA key pair of {@code bits} bits. */
    public static KeyPair rsaKeyPair(int bits) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(bits, RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A self-signed root CA (EC P-256, signed with SHA-256, valid for {@code validity}). */
    public static Issued rootCa(String cn, Duration validity) {
        KeyPair keys = ecKeyPair();
        return rootCa(cn, validity, keys, defaultSignature(keys));
    }

    /** A self-signed root CA with these keys, signed with {@code signatureAlgorithm} (e.g. SHA256withRSA). */
    public static Issued rootCa(String cn, Duration validity, KeyPair keys, String signatureAlgorithm) {
        X500Name name = new X500Name("CN=" + cn);
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = builder(name, name, keys, validity)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            utils.createSubjectKeyIdentifier(keys.getPublic()));
            return new Issued(sign(builder, keys, signatureAlgorithm), keys);
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A certificate issued by {@code issuer} (EC P-256, signed with SHA-256): a TLS server certificate with the given
     * DNS and IP SANs, or a client.
     */
    public static Issued issue(Issued issuer, String cn, Duration validity, boolean server, String[] dnsNames,
            String[] ips) {
        return issue(issuer, cn, validity, server, dnsNames, ips, ecKeyPair(), defaultSignature(issuer.keys()));
    }

    /** A client certificate issued by {@code issuer} for these keys, signed with {@code signatureAlgorithm}. */
    public static Issued issueClient(Issued issuer, String cn, Duration validity, KeyPair keys,
            String signatureAlgorithm) {
        return issue(issuer, cn, validity, false, null, null, keys, signatureAlgorithm);
    }

    private static Issued issue(Issued issuer, String cn, Duration validity, boolean server, String[] dnsNames,
            String[] ips, KeyPair keys, String signatureAlgorithm) {
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = builder(
                    X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded()),
                    new X500Name("CN=" + cn), keys, validity)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            utils.createAuthorityKeyIdentifier(issuer.certificate()));
            int count = (dnsNames == null ? 0 : dnsNames.length) + (ips == null ? 0 : ips.length);
            if (count > 0) {
                GeneralName[] names = new GeneralName[count];
                int i = 0;
                for (String dns : dnsNames == null ? new String[0] : dnsNames) {
                    names[i++] = new GeneralName(GeneralName.dNSName, dns);
                }
                for (String ip : ips == null ? new String[0] : ips) {
                    names[i++] = new GeneralName(GeneralName.iPAddress, ip);
                }
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            return new Issued(sign(builder, issuer.keys(), signatureAlgorithm), keys);
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * An SSL context with the tool's server certificate (chain up to its root), given only to clients that send
     * {@code endpoint} as SNI ({@link EndpointKeyManager}; the others are told to {@code refusals}), and the given
     * client trust manager.
     */
    public static SSLContext serverContext(Issued serverCertificate, X509Certificate serverRoot, String endpoint,
            EndpointKeyManager.Refusals refusals, TrustManager trustManager) {
        try {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(keyStore(serverCertificate, serverRoot), new char[0]);
            X509ExtendedKeyManager delegate = Stream.of(keys.getKeyManagers())
                    .filter(X509ExtendedKeyManager.class::isInstance).map(X509ExtendedKeyManager.class::cast)
                    .findFirst().orElseThrow();
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {new EndpointKeyManager(delegate, endpoint, refusals)},
                    new TrustManager[] {trustManager}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** TLS 1.3 and 1.2, those of them {@code supported}: every listener of the tool refuses older versions. */
    public static String[] tlsProtocols(String[] supported) {
        List<String> available = List.of(supported);
        return Stream.of("TLSv1.3", "TLSv1.2").filter(available::contains).toArray(String[]::new);
    }

    /** A key store holding {@code leaf}'s key with the chain leaf, issuer. */
    public static KeyStore keyStore(Issued leaf, X509Certificate issuer) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", leaf.keys().getPrivate(), new char[0],
                    new X509Certificate[] {leaf.certificate(), issuer});
            return store;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys,
            Duration validity) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, new BigInteger(120, RANDOM).add(BigInteger.ONE),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), subject, keys.getPublic());
    }

    private static String defaultSignature(KeyPair signer) {
        return signer.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer, String signatureAlgorithm)
            throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(signatureAlgorithm).build(signer.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }
}
