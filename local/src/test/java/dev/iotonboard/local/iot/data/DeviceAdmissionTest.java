package dev.iotonboard.local.iot.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.tls.Pki;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One admission for both device listeners: the certificate of a connection is looked at once, at its handshake, and
 * what was found there serves the admission after it (JITR or the ACTIVE certificate), over HTTPS and MQTT alike.
 */
class DeviceAdmissionTest {
    private static final String ALLOW = DeviceListeners.CONNECT_AS_DEV_PUBLISH_T;

    private DeviceListeners listeners;
    private Registry registry;

    @BeforeEach
    void start() throws Exception {
        listeners = DeviceListeners.logged(Quotas.off());
        registry = listeners.registry;
        registry.policies().put("own", ALLOW);
    }

    @AfterEach
    void stop() {
        listeners.close();
    }

    @Test
    void eachConnection_isLookedAtOnce_overHttpsAndMqtt() throws Exception {
        Pki.Issued device = Pki.issue(listeners.ca, "dev", Duration.ofDays(1), false, null, null);
        String id = CertificateIds.fromCertificate(device.certificate());

        assertEquals("", listeners.post(device), "unknown: JITR, closed without an answer");
        assertEquals("PENDING_ACTIVATION", registry.certificates().get(id).status());
        assertEquals(1, listeners.admission.findings(), "the handshake's finding served the admission");

        registry.certificates().update(id, "ACTIVE");
        registry.policies().attach("own", registry.certificateArn(id));
        assertTrue(listeners.post(device).startsWith("HTTP/1.1 200"));
        assertEquals(2, listeners.admission.findings());

        try (TestMqttClient client = new TestMqttClient(Pki.keyStore(device, listeners.ca.certificate()),
                listeners.serverRoot.certificate(), listeners.mqtt.port())) {
            assertEquals(0, client.connect("dev"));
        }
        assertEquals(3, listeners.admission.findings(), "MQTT: found at the handshake, admitted on CONNECT");
    }

    @Test
    void refusedAtTheHandshake_neverReachesJitr() throws Exception {
        Pki.Issued device = Pki.issue(listeners.ca, "dev", Duration.ofDays(1), false, null, null);
        registry.caCertificates().update(listeners.caId, "INACTIVE", null);
        assertThrows(IOException.class, () -> listeners.post(device));
        assertTrue(registry.certificates().find(CertificateIds.fromCertificate(device.certificate())).isEmpty());
        // the listener logs the refused handshake on its own thread
        listeners.awaitLog("is not registered and its CA " + listeners.caId + " is INACTIVE", Duration.ofSeconds(5));
    }
}
