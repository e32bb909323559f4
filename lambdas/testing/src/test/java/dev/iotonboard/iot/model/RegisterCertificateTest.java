package dev.iotonboard.iot.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.testing.TestPki;
import org.junit.jupiter.api.Test;

/** RegisterCertificate and RegisterCertificateWithoutCA's rules, on the registry (TestPki makes the certificates). */
class RegisterCertificateTest {
    private final Registry registry = new Registry("eu-west-1", "123456789012", null);
    private final TestPki pki = TestPki.newCa("register-ca");
    private final String caPem = CertificateIds.toPem(pki.caCertificate());
    private final String caId = registry.caCertificates().register(caPem, pki.issue(registry.registrationCode()).pem(),
            true, false).id();

    @Test
    void withItsCa_orFoundAmongTheRegisteredCas_statusFromStatusOrSetAsActive() {
        TestPki.Issued first = pki.issueDevice();
        Registry.Certificate withCa = registry.certificates().register(first.pem(), caPem, true, null);
        assertEquals("ACTIVE", withCa.status());
        assertEquals(caId, withCa.caCertificateId());
        Registry.Certificate found = registry.certificates().register(pki.issueDevice().pem(), null, false, null);
        assertEquals("INACTIVE", found.status(), "INACTIVE unless setAsActive or a status");
        assertEquals(caId, found.caCertificateId());
        assertEquals("REVOKED", registry.certificates().register(pki.issueDevice().pem(), null, true, "REVOKED")
                .status(), "status wins over setAsActive");

        IotException again = assertThrows(IotException.class, () -> registry.certificates().register(first.pem(),
                caPem, true, null));
        assertEquals("ResourceAlreadyExistsException", again.errorType());
        assertEquals(first.id(), again.resourceId());
    }

    @Test
    void aCaNotRegistered_notTheSigner_orInactive_isRefused() {
        TestPki other = TestPki.newCa("other-ca");
        String device = pki.issueDevice().pem();
        assertEquals("CertificateValidationException", assertThrows(IotException.class, () -> registry
                .certificates().register(device, CertificateIds.toPem(other.caCertificate()), true, null))
                .errorType(), "a CA not registered");
        assertEquals("CertificateValidationException", assertThrows(IotException.class, () -> registry
                .certificates().register(other.issueDevice().pem(), caPem, true, null)).errorType(),
                "not signed by that CA");
        assertEquals("CertificateValidationException", assertThrows(IotException.class, () -> registry
                .certificates().register(other.issueDevice().pem(), null, true, null)).errorType(),
                "no registered CA signed it");
        registry.caCertificates().update(caId, "INACTIVE", null);
        assertEquals("CertificateStateException", assertThrows(IotException.class, () -> registry
                .certificates().register(device, caPem, true, null)).errorType());
        assertEquals("InvalidRequestException", assertThrows(IotException.class, () -> registry
                .certificates().register(device, caPem, false, "PENDING_TRANSFER")).errorType(),
                "a status not modelled is refused");
    }

    @Test
    void withoutCa_hasNoCa_andIsInactiveByDefault() {
        Registry.Certificate loose = registry.certificates().registerWithoutCa(TestPki.newCa("x").issueDevice().pem(),
                null);
        assertNull(loose.caCertificateId());
        assertEquals("INACTIVE", loose.status());
    }
}
