package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.CertificateIds;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryTest {

    @Test
    void stateFile_keepsEverythingAcrossRestarts(@TempDir Path dir) {
        Path file = dir.resolve("registry.json");
        Registry first = new Registry("us-east-1", "000000000000", file);
        Pki.Issued ca = Pki.rootCa("CA", Duration.ofDays(1));
        String caId = first.registerCaCertificate(CertificateIds.toPem(ca.certificate()), CertificateIds.toPem(
                Pki.issue(ca, first.registrationCode(), Duration.ofDays(1), false, null, null).certificate()),
                true, true).id();
        String certId = first.registerPendingActivation(Pki.issue(ca, "d", Duration.ofDays(1), false, null, null)
                .certificate(), caId).id();
        first.updateCertificate(certId, "ACTIVE");
        first.putPolicy("app", "{}");
        first.attachPolicy("app", first.certificateArn(certId));
        first.createThing("t1", Map.of("k", "v"));
        first.attachThingPrincipal("t1", first.certificateArn(certId), "EXCLUSIVE_THING");

        Registry second = new Registry("us-east-1", "000000000000", file);
        assertEquals(first.registrationCode(), second.registrationCode());
        assertEquals("ACTIVE", second.certificate(certId).status());
        assertEquals("ENABLE", second.caCertificate(caId).autoRegistrationStatus());
        assertEquals(List.of("app"), second.attachedPolicies(second.certificateArn(certId)).stream()
                .map(Registry.Policy::name).toList());
        assertEquals(Map.of("k", "v"), second.thing("t1").attributes());
        assertEquals(List.of("t1"), second.principalThings(second.certificateArn(certId)));
    }
}
