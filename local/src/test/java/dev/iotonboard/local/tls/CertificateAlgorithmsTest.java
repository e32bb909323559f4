package dev.iotonboard.local.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The signatures and keys AWS accepts in a client certificate (x509-client-certs.md, rest-api-mutual-tls.md). */
class CertificateAlgorithmsTest {
    private static final Pki.Issued EC_CA = Pki.rootCa("EC CA", Duration.ofDays(1));
    private static final Pki.Issued RSA_CA = Pki.rootCa("RSA CA", Duration.ofDays(1), Pki.rsaKeyPair(2048),
            "SHA256withRSA");

    private static String insecurity(Pki.Issued issuer, java.security.KeyPair keys, String signature) {
        return CertificateAlgorithms.insecurity(Pki.issueClient(issuer, "d", Duration.ofDays(1), keys, signature)
                .certificate());
    }

    @Test
    void sha256AndStronger_overRsa2048OrP256_areAccepted() {
        assertEquals(null, insecurity(EC_CA, Pki.ecKeyPair(), "SHA256withECDSA"));
        assertEquals(null, insecurity(EC_CA, Pki.ecKeyPair(), "SHA512withECDSA"));
        assertEquals(null, insecurity(RSA_CA, Pki.rsaKeyPair(2048), "SHA384withRSA"));
    }

    @Test
    void md5AndSha1Signatures_andSmallRsaKeys_areInsecure() {
        assertTrue(insecurity(EC_CA, Pki.ecKeyPair(), "SHA1withECDSA").startsWith("signed with SHA1withECDSA"));
        assertTrue(insecurity(RSA_CA, Pki.rsaKeyPair(2048), "SHA1withRSA").startsWith("signed with SHA1withRSA"));
        assertTrue(insecurity(RSA_CA, Pki.rsaKeyPair(2048), "MD5withRSA").startsWith("signed with MD5withRSA"));
        assertEquals("an RSA key of 1024 bits (2048 or more is required)",
                insecurity(RSA_CA, Pki.rsaKeyPair(1024), "SHA256withRSA"));
    }
}
