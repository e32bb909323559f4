package dev.iotonboard.local.iot.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.tls.ClientFiles;
import dev.iotonboard.local.tls.Pki;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A certificate registered without a CA (RegisterCertificateWithoutCA, certificateMode SNI_ONLY) connects with the
 * real {@code mosquitto_pub} while it is ACTIVE, though no registered CA signed it; INACTIVE it is refused, and a
 * certificate of the same unregistered CA that was not registered is refused (no JITR without a CA).
 */
class CertificateWithoutCaTest {
    private static DeviceListeners listeners;
    private static Registry registry;
    private static Mosquitto mosquitto;

    @TempDir
    static Path files;

    @BeforeAll
    static void start() throws Exception {
        listeners = DeviceListeners.logged(Quotas.off());
        registry = listeners.registry;
        registry.policies().put("connect-publish", DeviceListeners.CONNECT_AS_DEV_PUBLISH_T);
        mosquitto = new Mosquitto(new ClientFiles(files), listeners.serverRoot.certificate(), "localhost",
                listeners.mqtt.port());
    }

    @AfterAll
    static void stop() {
        if (listeners != null) {
            listeners.close();
        }
    }

    @Test
    void connectsWhileActive_withoutARegisteredCa() throws Exception {
        Pki.Issued unregisteredCa = Pki.rootCa("Unregistered CA", Duration.ofDays(1));
        Pki.Issued device = Pki.issue(unregisteredCa, "dev", Duration.ofDays(1), false, null, null);
        String id = registry.certificates().registerWithoutCa(CertificateIds.toPem(device.certificate()), "ACTIVE")
                .id();
        registry.things().create("dev", Map.of());
        registry.thingPrincipals().attach("dev", registry.certificateArn(id), "EXCLUSIVE_THING");
        registry.policies().attach("connect-publish", registry.certificateArn(id));

        assertEquals(0, publish(device, unregisteredCa), "ACTIVE: admitted, and its policy allows the publish");
        registry.certificates().update(id, "INACTIVE");
        assertNotEquals(0, publish(device, unregisteredCa), "INACTIVE: refused");
        Pki.Issued stranger = Pki.issue(unregisteredCa, "dev", Duration.ofDays(1), false, null, null);
        assertNotEquals(0, publish(stranger, unregisteredCa), "not registered, no registered CA: refused");
        assertEquals(1, registry.certificates().list().size(), "and not registered by JITR");
    }

    private static int publish(Pki.Issued device, Pki.Issued issuer) throws Exception {
        return mosquitto.run("mosquitto_pub", device, issuer.certificate(), "dev", "-q", "1", "-t", "t",
                "-m", "x").exit();
    }
}
