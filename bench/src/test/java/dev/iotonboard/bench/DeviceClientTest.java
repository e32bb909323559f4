package dev.iotonboard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

class DeviceClientTest {

    @Test
    void clientHello_namesTheHost_evenADotlessOne() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<byte[]> hello = CompletableFuture.supplyAsync(() -> firstBytes(server));
            DeviceClient client = new DeviceClient(SSLContext.getDefault(), "localhost", server.getLocalPort(), 0);

            assertEquals(DeviceConnection.CONNECTION_FAILED, client.publishHttps("jitr/start", "{}"));
            String clientHello = new String(hello.get(), StandardCharsets.ISO_8859_1);
            assertTrue(clientHello.contains("localhost"), "the ClientHello carries no server_name for localhost");
        }
    }

    private static byte[] firstBytes(ServerSocket server) {
        try (Socket socket = server.accept(); InputStream in = socket.getInputStream()) {
            byte[] buffer = new byte[4096];
            int total = 0;
            int read;
            socket.setSoTimeout(2_000);
            while (total < 5 && (read = in.read(buffer, total, buffer.length - total)) > 0) {
                total += read;
            }
            int recordLength = 5 + ((buffer[3] & 0xff) << 8 | buffer[4] & 0xff);
            while (total < Math.min(recordLength, buffer.length)
                    && (read = in.read(buffer, total, buffer.length - total)) > 0) {
                total += read;
            }
            return Arrays.copyOf(buffer, total);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
