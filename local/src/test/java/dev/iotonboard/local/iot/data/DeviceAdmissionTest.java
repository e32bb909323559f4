package dev.iotonboard.local.iot.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.TestTls;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.iot.rules.RuleEngine;
import dev.iotonboard.local.tls.Pki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One admission for both device listeners: the certificate of a connection is looked at once, at its handshake, and
 * what was found there serves the admission after it (JITR or the ACTIVE certificate), over HTTPS and MQTT alike.
 */
class DeviceAdmissionTest {
    private static final String ALLOW = """
            {"Statement":[{"Effect":"Allow","Action":["iot:Connect","iot:Publish"],
             "Resource":["arn:aws:iot:us-east-1:000000000000:client/dev",
                         "arn:aws:iot:us-east-1:000000000000:topic/t"]}]}""";

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private Registry registry;
    private DeviceAdmission admission;
    private HttpsDataPlane https;
    private MqttBroker mqtt;
    private Pki.Issued serverRoot;
    private Pki.Issued ca;
    private String caId;

    @BeforeEach
    void start() throws Exception {
        registry = new Registry("us-east-1", "000000000000", null);
        registry.putPolicy("own", ALLOW);
        EventLog log = new EventLog(new PrintStream(logBytes, true, StandardCharsets.UTF_8));
        RuleEngine rules = new RuleEngine(List.of(), null, log);
        serverRoot = Pki.rootCa("Server root", Duration.ofDays(1));
        Pki.Issued server = Pki.issue(serverRoot, "localhost", Duration.ofDays(1), true, new String[] {"localhost"},
                new String[] {"127.0.0.1"});
        admission = new DeviceAdmission(registry, rules, log, Quotas.off());
        SSLContext tls = admission.serverContext(server, serverRoot.certificate());
        https = new HttpsDataPlane(registry, rules, log, admission, tls, "127.0.0.1", 0);
        mqtt = new MqttBroker(registry, rules, log, admission, tls, "127.0.0.1", 0);
        ca = Pki.rootCa("Device CA", Duration.ofDays(1));
        caId = registry.registerCaCertificate(CertificateIds.toPem(ca.certificate()), CertificateIds.toPem(
                Pki.issue(ca, registry.registrationCode(), Duration.ofDays(1), false, null, null).certificate()),
                true, true).id();
    }

    @AfterEach
    void stop() {
        mqtt.close();
        https.close();
    }

    /** The raw answer to one HTTPS publish on a new connection ("" when it was closed without one). */
    private String post(Pki.Issued device) throws Exception {
        SSLContext context = TestTls.clientContext(Pki.keyStore(device, ca.certificate()), serverRoot.certificate());
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("localhost", https.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /topics/t?qos=1 HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void eachConnection_isLookedAtOnce_overHttpsAndMqtt() throws Exception {
        Pki.Issued device = Pki.issue(ca, "dev", Duration.ofDays(1), false, null, null);
        String id = CertificateIds.fromCertificate(device.certificate());

        assertEquals("", post(device), "unknown: JITR, closed without an answer");
        assertEquals("PENDING_ACTIVATION", registry.certificate(id).status());
        assertEquals(1, admission.findings(), "the handshake's finding served the admission");

        registry.updateCertificate(id, "ACTIVE");
        registry.attachPolicy("own", registry.certificateArn(id));
        assertTrue(post(device).startsWith("HTTP/1.1 200"));
        assertEquals(2, admission.findings());

        try (TestMqttClient client = new TestMqttClient(Pki.keyStore(device, ca.certificate()),
                serverRoot.certificate(), mqtt.port())) {
            assertEquals(0, client.connect("dev"));
        }
        assertEquals(3, admission.findings(), "MQTT: found at the handshake, admitted on CONNECT");
    }

    @Test
    void refusedAtTheHandshake_neverReachesJitr() throws Exception {
        Pki.Issued device = Pki.issue(ca, "dev", Duration.ofDays(1), false, null, null);
        registry.updateCaCertificate(caId, "INACTIVE", null);
        assertThrows(IOException.class, () -> post(device));
        assertTrue(registry.findCertificate(CertificateIds.fromCertificate(device.certificate())).isEmpty());
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("is not registered and its CA " + caId
                + " is INACTIVE"), logBytes.toString(StandardCharsets.UTF_8));
    }
}
