package dev.iotonboard.local.iot.data;

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

/**
 * The device side for the tests: one {@link DeviceAdmission} behind both listeners on free ports, a device CA
 * registered ACTIVE with auto-registration, and the server root the clients trust.
 */
final class DeviceListeners implements AutoCloseable {
    /** A policy letting the client id {@code dev} connect and publish to topic {@code t}. */
    static final String CONNECT_AS_DEV_PUBLISH_T = """
            {"Statement":[{"Effect":"Allow","Action":["iot:Connect","iot:Publish"],
             "Resource":["arn:aws:iot:us-east-1:000000000000:client/dev",
                         "arn:aws:iot:us-east-1:000000000000:topic/t"]}]}""";

    final Registry registry = new Registry("us-east-1", "000000000000", null);
    final RetainedMessages retained = new RetainedMessages();
    /** The rule engine both listeners publish to: add a listener to see what they route. */
    final RuleEngine rules;
    final DeviceAdmission admission;
    final HttpsDataPlane https;
    final MqttBroker mqtt;
    final Pki.Issued serverRoot;
    final Pki.Issued ca;
    final String caId;

    /** What the listeners logged. */
    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

    /** Listeners whose log is kept, for {@link #log()} and {@link #awaitLog}. */
    static DeviceListeners logged(Quotas quotas) throws IOException {
        return new DeviceListeners(quotas);
    }

    private DeviceListeners(Quotas quotas) throws IOException {
        EventLog log = new EventLog(new PrintStream(logBytes, true, StandardCharsets.UTF_8));
        rules = new RuleEngine(List.of(), null, log);
        serverRoot = Pki.rootCa("Server root", Duration.ofDays(1));
        Pki.Issued server = Pki.issue(serverRoot, "localhost", Duration.ofDays(1), true, new String[] {"localhost"},
                new String[] {"127.0.0.1"});
        admission = new DeviceAdmission(registry, rules, log, quotas);
        SSLContext tls = admission.serverContext(server, serverRoot.certificate(), "localhost");
        https = new HttpsDataPlane(registry, rules, log, admission, tls, retained, "127.0.0.1", 0);
        mqtt = new MqttBroker(registry, rules, log, admission, tls, retained, "127.0.0.1", 0);
        ca = Pki.rootCa("Device CA", Duration.ofDays(1));
        caId = registry.caCertificates().register(CertificateIds.toPem(ca.certificate()), CertificateIds.toPem(
                Pki.issue(ca, registry.registrationCode(), Duration.ofDays(1), false, null, null).certificate()),
                true, true).id();
    }

    /** A device certificate of the CA named {@code cn}, ACTIVE, with {@code policy} attached. */
    Pki.Issued activeDevice(String cn, String policy) {
        Pki.Issued device = Pki.issue(ca, cn, Duration.ofDays(1), false, null, null);
        String id = registry.certificates().registerPendingActivation(device.certificate(), caId).id();
        registry.certificates().update(id, "ACTIVE");
        registry.policies().attach(policy, registry.certificateArn(id));
        return device;
    }

    /** The raw answer to one HTTPS publish to topic {@code t} on a new connection ("" when closed without one). */
    String post(Pki.Issued device) throws Exception {
        SSLContext context = TestTls.clientContext(Pki.keyStore(device, ca.certificate()), serverRoot.certificate());
        try (SSLSocket socket = TestTls.socket(context, "localhost", https.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /topics/t?qos=1 HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    /** Waits (bounded) until the log holds {@code text}: the listeners log on their own threads. */
    void awaitLog(String text) throws InterruptedException {
        awaitLog(text, Duration.ofSeconds(20));
    }

    /** {@link #awaitLog(String)} for at most {@code timeout}. */
    void awaitLog(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!log().contains(text) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(log().contains(text), "expected in the log: " + text + "\n" + log());
    }

    @Override
    public void close() {
        mqtt.close();
        https.close();
    }
}
