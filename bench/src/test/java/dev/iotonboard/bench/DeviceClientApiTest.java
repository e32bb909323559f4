package dev.iotonboard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API call of a device: a GET over mutual TLS with the device's certificate, against a real TLS server. */
class DeviceClientApiTest {
    private static final char[] PASSWORD = "test".toCharArray();

    @Test
    void get_presentsTheDeviceCertificateAndReturnsTheStatus(@TempDir Path tmp) throws Exception {
        BenchPki pki = BenchPki.newCa();
        Path serverCa = tmp.resolve("server-ca.pem");
        Files.writeString(serverCa, pki.ca().pem());
        String thing = UUID.randomUUID().toString();
        SSLContext device = new DeviceTls(serverCa).context(pki.device(thing), pki.ca().certificate());

        try (SSLServerSocket server = (SSLServerSocket) serverContext(pki).getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setNeedClientAuth(true);
            CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> answer(server, "403 Forbidden"));

            int status = new DeviceClient(device, "localhost", 0, 0).get(server.getLocalPort(), "/sample");

            assertEquals(403, status);
            String request = seen.get();
            assertTrue(request.startsWith("GET /sample HTTP/1.1\n"), request);
            assertTrue(request.contains("client CN=" + thing), "mutual TLS with the device certificate: " + request);
        }
    }

    private static SSLContext serverContext(BenchPki pki) throws Exception {
        BenchPki.Issued server = pki.device(UUID.randomUUID().toString());
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", server.key(), PASSWORD,
                new Certificate[] {server.certificate(), pki.ca().certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", pki.ca().certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    /** Reads the request head, answers {@code status} with a body, closes; returns the head and the client's CN. */
    private static String answer(SSLServerSocket server, String status) {
        try (SSLSocket socket = (SSLSocket) server.accept()) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII));
            StringBuilder head = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null && !line.isEmpty()) {
                head.append(line).append('\n');
            }
            X509Certificate client = (X509Certificate) socket.getSession().getPeerCertificates()[0];
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 " + status + "\r\nContent-Length: 23\r\nConnection: close\r\n\r\n"
                    + "{\"message\":\"Forbidden\"}").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return head + "client " + client.getSubjectX500Principal().getName();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
