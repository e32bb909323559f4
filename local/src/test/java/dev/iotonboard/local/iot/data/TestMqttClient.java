package dev.iotonboard.local.iot.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** A minimal MQTT 3.1.1 client over TLS for tests: exact packets, answers QoS 1 deliveries with PUBACK. */
public final class TestMqttClient implements AutoCloseable {
    public record Packet(int header, byte[] body) {
        public String topic() {
            int length = ((body[0] & 0xFF) << 8) | (body[1] & 0xFF);
            return new String(body, 2, length, StandardCharsets.UTF_8);
        }

        public String payloadText() {
            int length = ((body[0] & 0xFF) << 8) | (body[1] & 0xFF);
            int start = 2 + length + (((header >> 1) & 3) > 0 ? 2 : 0);
            return new String(body, start, body.length - start, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "Packet[0x" + Integer.toHexString(header) + ", " + body.length + " bytes]";
        }
    }

    private final SSLSocket socket;
    private final DataInputStream in;
    private final OutputStream out;

    public TestMqttClient(KeyStore keys, X509Certificate serverRoot, int port) throws Exception {
        SSLContext context = dev.iotonboard.local.TestTls.clientContext(keys, serverRoot);
        socket = dev.iotonboard.local.TestTls.socket(context, "localhost", port);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    public void sendConnect(String clientId) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        string(body, "MQTT");
        body.write(4);
        body.write(0x02);
        body.write(0);
        body.write(60);
        string(body, clientId);
        send(0x10, body.toByteArray());
    }

    public int connect(String clientId) throws IOException {
        sendConnect(clientId);
        Packet connack = read();
        assertEquals(0x20, connack.header(), "CONNACK expected: " + connack);
        return connack.body()[1] & 0xFF;
    }

    public int subscribe(int packetId, String filter, int qos) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(packetId >> 8);
        body.write(packetId & 0xFF);
        string(body, filter);
        body.write(qos);
        send(0x82, body.toByteArray());
        Packet suback = read();
        assertEquals(0x90, suback.header(), "SUBACK expected: " + suback);
        assertEquals(packetId, ((suback.body()[0] & 0xFF) << 8) | (suback.body()[1] & 0xFF));
        return suback.body()[2] & 0xFF;
    }

    public void unsubscribe(int packetId, String filter) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(packetId >> 8);
        body.write(packetId & 0xFF);
        string(body, filter);
        send(0xA2, body.toByteArray());
    }

    public void publish(String topic, String payload, int qos, int packetId) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        string(body, topic);
        if (qos > 0) {
            body.write(packetId >> 8);
            body.write(packetId & 0xFF);
        }
        body.write(payload.getBytes(StandardCharsets.UTF_8));
        send(0x30 | (qos << 1), body.toByteArray());
    }

    public void ping() throws IOException {
        send(0xC0, new byte[0]);
    }

    public void disconnect() throws IOException {
        send(0xE0, new byte[0]);
    }

    public Packet read() throws IOException {
        int header = in.readUnsignedByte();
        int length = 0;
        int multiplier = 1;
        int b;
        do {
            b = in.readUnsignedByte();
            length += (b & 0x7F) * multiplier;
            multiplier *= 128;
        } while ((b & 0x80) != 0);
        byte[] body = new byte[length];
        in.readFully(body);
        if ((header & 0xF0) == 0x30 && ((header >> 1) & 3) == 1) {
            send(0x40, new byte[] {body[2 + (((body[0] & 0xFF) << 8) | (body[1] & 0xFF))],
                    body[3 + (((body[0] & 0xFF) << 8) | (body[1] & 0xFF))]});
        }
        return new Packet(header, body);
    }

    /** True when the server closes the connection (EOF or reset) within the time, with nothing more sent. */
    public boolean closedWithin(Duration time) throws IOException {
        socket.setSoTimeout((int) time.toMillis());
        try {
            int b = in.read();
            return b < 0;
        } catch (EOFException | javax.net.ssl.SSLException | java.net.SocketException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    private void send(int header, byte[] body) throws IOException {
        ByteArrayOutputStream packet = new ByteArrayOutputStream();
        packet.write(header);
        int length = body.length;
        do {
            int digit = length % 128;
            length /= 128;
            packet.write(length > 0 ? digit | 0x80 : digit);
        } while (length > 0);
        packet.write(body);
        out.write(packet.toByteArray());
        out.flush();
    }

    private static void string(ByteArrayOutputStream out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.write(bytes.length >> 8);
        out.write(bytes.length & 0xFF);
        out.write(bytes, 0, bytes.length);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
