package dev.iotonboard.lambda.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CertificateIdsTest {

    /** device.pem and device.sha256 were made with openssl: `openssl x509 -outform der | sha256sum`. */
    private static String resource(String name) throws IOException {
        try (InputStream in = CertificateIdsTest.class.getResourceAsStream("/certs/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void fromPem_equalsOpensslSha256OfDer() throws IOException {
        assertEquals(resource("device.sha256").trim(), CertificateIds.fromPem(resource("device.pem")));
    }

    @Test
    void fromPem_takesTheFirstCertificateOfAChain() throws IOException {
        TestPki pki = TestPki.newCa("chain-ca");
        String chain = resource("device.pem") + CertificateIds.toPem(pki.caCertificate());
        assertEquals(resource("device.sha256").trim(), CertificateIds.fromPem(chain));
        assertEquals(2, CertificateIds.parsePemChain(chain).size());
    }

    @Test
    void fromPem_acceptsCrlfAndSpacesInsteadOfNewlines() throws IOException {
        String pem = resource("device.pem");
        String expected = resource("device.sha256").trim();
        assertEquals(expected, CertificateIds.fromPem(pem.replace("\n", "\r\n")));
        String oneLine = pem.replace("\n", " ");
        assertEquals(expected, CertificateIds.fromPem(oneLine));
    }

    @Test
    void fromPem_rejectsTextWithoutCertificate() {
        assertThrows(IllegalArgumentException.class, () -> CertificateIds.fromPem(null));
        assertThrows(IllegalArgumentException.class, () -> CertificateIds.fromPem(""));
        assertThrows(IllegalArgumentException.class, () -> CertificateIds.fromPem("hello"));
        assertThrows(IllegalArgumentException.class,
                () -> CertificateIds.fromPem("-----BEGIN CERTIFICATE-----\n!!!notbase64\n-----END CERTIFICATE-----"));
        assertThrows(IllegalArgumentException.class,
                () -> CertificateIds.fromPem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"));
    }

    @Test
    void toPem_roundTripsTheId() {
        TestPki.Issued issued = TestPki.newCa("ca").issue("device");
        assertEquals(issued.id(), CertificateIds.fromPem(CertificateIds.toPem(issued.certificate())));
        assertTrue(CertificateIds.isCertificateId(issued.id()));
    }

    @Test
    void isCertificateId_acceptsOnly64LowercaseHex() {
        String id = "a".repeat(64);
        assertTrue(CertificateIds.isCertificateId(id));
        assertFalse(CertificateIds.isCertificateId("A".repeat(64)));
        assertFalse(CertificateIds.isCertificateId("a".repeat(63)));
        assertFalse(CertificateIds.isCertificateId("g".repeat(64)));
        assertFalse(CertificateIds.isCertificateId(null));
    }

    @Test
    void fromArn_readsTheIdOfACertificateArn() {
        String id = "ab".repeat(32);
        assertEquals(Optional.of(id), CertificateIds.fromArn("arn:aws:iot:eu-west-1:123456789012:cert/" + id));
        assertEquals(Optional.of(id),
                CertificateIds.fromArn("arn:aws:iot:eu-west-1:123456789012:cert/" + id.toUpperCase()));
        assertEquals(Optional.empty(), CertificateIds.fromArn("arn:aws:iot:eu-west-1:123456789012:thing/" + id));
        assertEquals(Optional.empty(), CertificateIds.fromArn("arn:aws:iot:eu-west-1:123456789012:cert/short"));
        assertEquals(Optional.empty(), CertificateIds.fromArn(null));
    }
}
