package dev.iotonboard.local.iot.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.tls.ClientFiles;
import dev.iotonboard.local.tls.Pki;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on both device listeners as AWS IoT has it, driven by the real clients (curl, openssl s_client,
 * mosquitto_pub): the endpoint's name is required as SNI (mqtt.md, protocols.md: "Connection attempts that don't
 * include the SNI are refused"), and a device certificate signed with SHA-1 or MD5 fails the handshake, registered
 * or not (x509-client-certs.md "Certificate signing algorithms").
 */
class DeviceTlsTest {
    private static final String ALLOW = DeviceListeners.CONNECT_AS_DEV_PUBLISH_T;

    private DeviceListeners listeners;
    private ClientFiles files;
    private Path serverCa;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        listeners = DeviceListeners.logged(Quotas.off());
        listeners.registry.policies().put("own", ALLOW);
        files = new ClientFiles(dir);
        serverCa = files.chain("server-ca", listeners.serverRoot.certificate());
    }

    @AfterEach
    void stop() {
        listeners.close();
    }

    /** curl's POST to topic t at {@code url}, with the device's chain; the HTTP status is the output's last line. */
    private ClientFiles.Run curl(Pki.Issued device, X509Certificate ca, String url, Map<String, String> env,
            String... options) {
        List<String> command = new ArrayList<>(List.of("curl", "--silent", "--show-error", "--max-time", "20",
                "--cacert", serverCa.toString(), "--cert", files.chain("device", device.certificate(), ca).toString(),
                "--key", files.key("device", device.keys()).toString(), "--write-out", "\n%{http_code}", "-d",
                "{}"));
        command.addAll(List.of(options));
        command.add(url);
        return ClientFiles.run(command, env, 30);
    }

    private ClientFiles.Run mosquittoPub(Pki.Issued device, X509Certificate ca, String host, Map<String, String> env,
            String... options) {
        List<String> args = new ArrayList<>(List.of("-q", "1", "-t", "t", "-m", "{}"));
        args.addAll(List.of(options));
        return new Mosquitto(files, listeners.serverRoot.certificate(), host, listeners.mqtt.port())
                .run(env, "mosquitto_pub", device, ca, "dev", args.toArray(String[]::new));
    }

    private String https(String host) {
        return "https://" + host + ":" + listeners.https.port() + "/topics/t?qos=1";
    }

    @Test
    void byName_theEndpointIsServed_overHttpsAndMqtt() {
        Pki.Issued device = listeners.activeDevice("dev", "own");
        ClientFiles.Run ok = curl(device, listeners.ca.certificate(), https("localhost"), Map.of());
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().endsWith("200"), ok.output());
        ClientFiles.Run published = mosquittoPub(device, listeners.ca.certificate(), "localhost", Map.of());
        assertEquals(0, published.exit(), published.output());
    }

    @Test
    void withoutSni_orWithAnotherName_theHandshakeIsRefused() throws Exception {
        Pki.Issued device = listeners.activeDevice("dev", "own");
        X509Certificate ca = listeners.ca.certificate();
        // curl sends no SNI for an address (the server certificate names 127.0.0.1 too, so only SNI is missing)
        ClientFiles.Run byAddress = curl(device, ca, https("127.0.0.1"), Map.of());
        assertEquals(35, byAddress.exit(), byAddress.output());
        // another name, the address resolved to the listener (-k: the certificate does not name it either)
        ClientFiles.Run otherName = curl(device, ca, https("iot.example.test"), Map.of(), "-k", "--resolve",
                "iot.example.test:" + listeners.https.port() + ":127.0.0.1");
        assertEquals(35, otherName.exit(), otherName.output());
        listeners.awaitLog("no SNI (server name indication)");
        listeners.awaitLog("SNI [iot.example.test] is not the endpoint localhost");

        Path cert = files.chain("device", device.certificate(), ca);
        Path key = files.key("device", device.keys());
        for (int port : List.of(listeners.https.port(), listeners.mqtt.port())) {
            List<String> sClient = List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-CAfile",
                    serverCa.toString(), "-cert", cert.toString(), "-key", key.toString(), "-verify_return_error");
            ClientFiles.Run noSni = ClientFiles.run(with(sClient, "-noservername"), Map.of(), 30);
            assertNotEquals(0, noSni.exit(), noSni.output());
            assertTrue(noSni.output().contains("handshake failure"), noSni.output());
            ClientFiles.Run named = ClientFiles.run(with(sClient, "-servername", "localhost"), Map.of(), 30);
            assertEquals(0, named.exit(), named.output());
            assertTrue(named.output().contains("Verify return code: 0 (ok)"), named.output());
        }
        // mosquitto sends the address it is given as SNI: not the endpoint's name
        ClientFiles.Run mqtt = mosquittoPub(device, ca, "127.0.0.1", Map.of(), "--insecure");
        assertNotEquals(0, mqtt.exit(), mqtt.output());
        listeners.awaitLog("SNI [127.0.0.1] is not the endpoint localhost");
    }

    @Test
    void sha1AndMd5SignedDeviceCertificates_areRefusedAtTheHandshake_registeredOrNot() throws Exception {
        Map<String, String> weak = files.weakSignaturesAllowed();
        // SHA-1 over EC, by the registered CA: unknown (JITR would register it) and ACTIVE alike
        Pki.Issued sha1 = Pki.issueClient(listeners.ca, "dev", Duration.ofDays(1), Pki.ecKeyPair(),
                "SHA1withECDSA");
        ClientFiles.Run unknown = curl(sha1, listeners.ca.certificate(), https("localhost"), weak);
        assertTrue(unknown.exit() == 35 || unknown.exit() == 56, unknown.output());
        String sha1Id = CertificateIds.fromCertificate(sha1.certificate());
        assertTrue(listeners.registry.certificates().find(sha1Id).isEmpty(), "no JITR for a refused handshake");
        listeners.awaitLog("the device certificate is signed with SHA1withECDSA, an insecure signature algorithm");

        listeners.registry.certificates().registerPendingActivation(sha1.certificate(), listeners.caId);
        listeners.registry.certificates().update(sha1Id, "ACTIVE");
        listeners.registry.policies().attach("own", listeners.registry.certificateArn(sha1Id));
        ClientFiles.Run active = curl(sha1, listeners.ca.certificate(), https("localhost"), weak);
        assertTrue(active.exit() == 35 || active.exit() == 56, active.output());
        ClientFiles.Run mqtt = mosquittoPub(sha1, listeners.ca.certificate(), "localhost", weak);
        assertNotEquals(0, mqtt.exit(), mqtt.output());

        // MD5 over RSA, by a registered RSA CA; over TLS 1.2, since over TLS 1.3 OpenSSL does not even send a
        // certificate whose signature the server's signature_algorithms_cert leaves out (the JDK leaves out MD5)
        Pki.Issued rsaCa = Pki.rootCa("RSA device CA", Duration.ofDays(1), Pki.rsaKeyPair(2048), "SHA256withRSA");
        listeners.registry.caCertificates().register(CertificateIds.toPem(rsaCa.certificate()), CertificateIds.toPem(
                Pki.issue(rsaCa, listeners.registry.registrationCode(), Duration.ofDays(1), false, null, null)
                        .certificate()), true, true);
        Pki.Issued md5 = Pki.issueClient(rsaCa, "dev", Duration.ofDays(1), Pki.rsaKeyPair(2048), "MD5withRSA");
        ClientFiles.Run md5Run = curl(md5, rsaCa.certificate(), https("localhost"), weak, "--tls-max", "1.2");
        assertTrue(md5Run.exit() == 35 || md5Run.exit() == 56, md5Run.output());
        assertTrue(listeners.registry.certificates().find(CertificateIds.fromCertificate(md5.certificate()))
                .isEmpty());
        listeners.awaitLog("the device certificate is signed with MD5withRSA, an insecure signature algorithm");

        // the same RSA CA's SHA-256 certificate goes through (JITR: closed without an answer, registered)
        Pki.Issued sha256 = Pki.issueClient(rsaCa, "dev", Duration.ofDays(1), Pki.rsaKeyPair(2048),
                "SHA256withRSA");
        ClientFiles.Run jitr = curl(sha256, rsaCa.certificate(), https("localhost"), weak);
        assertEquals(52, jitr.exit(), jitr.output());
        assertTrue(listeners.registry.certificates().find(CertificateIds.fromCertificate(sha256.certificate()))
                .isPresent());
    }

    private static List<String> with(List<String> command, String... more) {
        List<String> all = new ArrayList<>(command);
        all.addAll(List.of(more));
        return all;
    }
}
