package dev.iotonboard.local.iot.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.tls.ClientFiles;
import dev.iotonboard.local.tls.Pki;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connect quota in {@link DeviceAdmission}, shared by HTTPS and MQTT: a bucket of one connection on a clock that
 * does not move, so the second connection is over the quota.
 */
class ConnectQuotaTest {
    private static final String ALLOW_ALL_OWN = DeviceListeners.CONNECT_AS_DEV_PUBLISH_T;

    private DeviceListeners listeners;
    private Registry registry;
    private DeviceAdmission admission;
    private MqttBroker broker;
    private Pki.Issued serverRoot;
    private Pki.Issued ca;
    private Quotas quotas;

    @BeforeEach
    void start() throws Exception {
        long frozen = System.nanoTime();
        quotas = new Quotas(true, Map.of(Quotas.CONNECT, 1.0), () -> frozen);
        listeners = DeviceListeners.logged(quotas);
        listeners.registry.policies().put("own", ALLOW_ALL_OWN);
        registry = listeners.registry;
        admission = listeners.admission;
        broker = listeners.mqtt;
        serverRoot = listeners.serverRoot;
        ca = listeners.ca;
    }

    @AfterEach
    void stop() {
        listeners.close();
    }

    private Pki.Issued activeDevice() {
        return listeners.activeDevice("dev", "own");
    }

    /** The raw answer to one HTTPS publish ("" when the connection was closed without one). */
    private String post(Pki.Issued device) throws Exception {
        return listeners.post(device);
    }

    @Test
    void https_overTheConnectQuota_isClosedWithoutAnAnswer_andDoesNoJitr() throws Exception {
        Pki.Issued device = activeDevice();
        assertTrue(post(device).startsWith("HTTP/1.1 200"), "the first connection is within the quota");
        assertEquals("", post(device), "the second is closed without an answer");
        Pki.Issued unknown = Pki.issue(ca, "new", Duration.ofDays(1), false, null, null);
        assertEquals("", post(unknown));
        assertTrue(registry.certificates().find(CertificateIds.fromCertificate(unknown.certificate())).isEmpty(),
                "a refused connection registers nothing");
        assertEquals(2, admission.connectThrottled());
        assertEquals(2, quotas.throttled(Quotas.CONNECT));

        quotas.setEnabled(false);
        assertTrue(post(device).startsWith("HTTP/1.1 200"), "off switch");
    }

    @Test
    void mqtt_overTheConnectQuota_getsConnackServerUnavailable() throws Exception {
        Pki.Issued device = activeDevice();
        KeyStore keys = Pki.keyStore(device, ca.certificate());
        try (TestMqttClient first = new TestMqttClient(keys, serverRoot.certificate(), broker.port())) {
            assertEquals(0, first.connect("dev"));
        }
        try (TestMqttClient second = new TestMqttClient(keys, serverRoot.certificate(), broker.port())) {
            assertEquals(3, second.connect("dev"), "CONNACK 3: server unavailable");
            assertTrue(second.closedWithin(Duration.ofSeconds(5)));
        }
        assertEquals(1, admission.connectThrottled());
        assertTrue(listeners.log().contains("connect quota exceeded"));
    }

    /** An MQTT 5 client (mosquitto_pub -V mqttv5) over the quota: CONNACK 0x97 Quota exceeded. */
    @Test
    void mqtt5_overTheConnectQuota_getsConnackQuotaExceeded(@TempDir Path dir) throws Exception {
        Pki.Issued device = activeDevice();
        Mosquitto mosquitto = new Mosquitto(new ClientFiles(dir), serverRoot.certificate(), "localhost",
                broker.port());
        ClientFiles.Run first = mosquitto.run("mosquitto_pub", device, ca.certificate(), "dev", "-V", "mqttv5",
                "-q", "1", "-t", "t", "-m", "{}");
        assertEquals(0, first.exit(), first.output());
        ClientFiles.Run second = mosquitto.run("mosquitto_pub", device, ca.certificate(), "dev", "-V", "mqttv5",
                "-d", "-q", "1", "-t", "t", "-m", "{}");
        assertTrue(second.exit() != 0 && second.output().contains("CONNACK (151)"), second.output());
        assertEquals(1, admission.connectThrottled());
    }
}
