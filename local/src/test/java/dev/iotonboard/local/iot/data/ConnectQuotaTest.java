package dev.iotonboard.local.iot.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.TestTls;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.iot.rules.RuleEngine;
import dev.iotonboard.local.tls.Pki;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The connect quota in {@link DeviceAdmission}, shared by HTTPS and MQTT: a bucket of one connection on a clock that
 * does not move, so the second connection is over the quota.
 */
class ConnectQuotaTest {
    private static final String ALLOW_ALL_OWN = """
            {"Statement":[{"Effect":"Allow","Action":["iot:Connect","iot:Publish"],
             "Resource":["arn:aws:iot:us-east-1:000000000000:client/dev",
                         "arn:aws:iot:us-east-1:000000000000:topic/t"]}]}""";

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private Registry registry;
    private DeviceAdmission admission;
    private HttpsDataPlane plane;
    private MqttBroker broker;
    private Pki.Issued serverRoot;
    private Pki.Issued ca;
    private String caId;
    private Quotas quotas;

    @BeforeEach
    void start() throws Exception {
        long frozen = System.nanoTime();
        quotas = new Quotas(true, Map.of(Quotas.CONNECT, 1.0), () -> frozen);
        registry = new Registry("us-east-1", "000000000000", null);
        registry.putPolicy("own", ALLOW_ALL_OWN);
        EventLog log = new EventLog(new PrintStream(logBytes, true, StandardCharsets.UTF_8));
        RuleEngine rules = new RuleEngine(List.of(), null, log);
        serverRoot = Pki.rootCa("Server root", Duration.ofDays(1));
        Pki.Issued server = Pki.issue(serverRoot, "localhost", Duration.ofDays(1), true, new String[] {"localhost"},
                new String[] {"127.0.0.1"});
        admission = new DeviceAdmission(registry, rules, log, quotas);
        SSLContext tls = admission.serverContext(server, serverRoot.certificate());
        plane = new HttpsDataPlane(registry, rules, log, admission, tls, "127.0.0.1", 0);
        broker = new MqttBroker(registry, rules, log, admission, tls, "127.0.0.1", 0);
        ca = Pki.rootCa("Device CA", Duration.ofDays(1));
        caId = registry.registerCaCertificate(CertificateIds.toPem(ca.certificate()), CertificateIds.toPem(
                Pki.issue(ca, registry.registrationCode(), Duration.ofDays(1), false, null, null).certificate()),
                true, true).id();
    }

    @AfterEach
    void stop() {
        broker.close();
        plane.close();
    }

    private Pki.Issued activeDevice() {
        Pki.Issued device = Pki.issue(ca, "dev", Duration.ofDays(1), false, null, null);
        String id = registry.registerPendingActivation(device.certificate(), caId).id();
        registry.updateCertificate(id, "ACTIVE");
        registry.attachPolicy("own", registry.certificateArn(id));
        return device;
    }

    /** The raw answer to one HTTPS publish ("" when the connection was closed without one). */
    private String post(Pki.Issued device) throws Exception {
        SSLContext context = TestTls.clientContext(Pki.keyStore(device, ca.certificate()), serverRoot.certificate());
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("localhost", plane.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /topics/t?qos=1 HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void https_overTheConnectQuota_isClosedWithoutAnAnswer_andDoesNoJitr() throws Exception {
        Pki.Issued device = activeDevice();
        assertTrue(post(device).startsWith("HTTP/1.1 200"), "the first connection is within the quota");
        assertEquals("", post(device), "the second is closed without an answer");
        Pki.Issued unknown = Pki.issue(ca, "new", Duration.ofDays(1), false, null, null);
        assertEquals("", post(unknown));
        assertTrue(registry.findCertificate(CertificateIds.fromCertificate(unknown.certificate())).isEmpty(),
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
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("connect quota exceeded"));
    }
}
