package dev.iotonboard.bench;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One device's connections to the data plane, each a fresh TLS connection as a device's curl or MQTT client makes:
 * an HTTPS {@code POST /topics/<topic>?qos=1} and an MQTT 3.1.1 CONNECT (+ PUBLISH QoS 1, PUBACK, DISCONNECT).
 */
public final class DeviceClient implements DeviceConnection {
    private static final int TIMEOUT_MILLIS = 15_000;
    private final SSLContext tls;
    private final String host;
    private final int httpsPort;
    private final int mqttPort;

    public DeviceClient(SSLContext tls, String host, int httpsPort, int mqttPort) {
        this.tls = tls;
        this.host = host;
        this.httpsPort = httpsPort;
        this.mqttPort = mqttPort;
    }

    @Override
    public int publishHttps(String topic, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return exchange(httpsPort, "POST /topics/" + topic + "?qos=1 HTTP/1.1\r\nHost: " + host + ":" + httpsPort
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n", body, false);
    }

    /**
     * {@code GET path} on {@code port} (the API custom domain), as scripts/device/call-api.sh does with curl: the HTTP
     * status, {@link #NO_ANSWER} or {@link #CONNECTION_FAILED}. The response is read to its end.
     */
    public int get(int port, String path) {
        return exchange(port, "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                + "\r\nAccept: */*\r\nConnection: close\r\n\r\n", new byte[0], true);
    }

    private int exchange(int port, String head, byte[] body, boolean readToEnd) {
        try (SSLSocket socket = open(port)) {
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            String status = readLine(in);
            if (status == null) {
                return NO_ANSWER;
            }
            String[] parts = status.split(" ");
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                return CONNECTION_FAILED;
            }
            int code = Integer.parseInt(parts[1]);
            if (readToEnd) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            return code;
        } catch (IOException | NumberFormatException e) {
            return CONNECTION_FAILED;
        }
    }

    @Override
    public int connectAndPublish(String clientId, String topic, String payload) {
        try (SSLSocket socket = open(mqttPort)) {
            OutputStream out = socket.getOutputStream();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            out.write(MqttPackets.connect(clientId, 60));
            out.flush();
            int connack = MqttPackets.readConnack(in);
            if (connack != 0) {
                return connack;
            }
            out.write(MqttPackets.publishQos1(topic, 1, payload.getBytes(StandardCharsets.UTF_8)));
            out.flush();
            if (!MqttPackets.readPuback(in, 1)) {
                return NO_ANSWER;
            }
            out.write(MqttPackets.disconnect());
            out.flush();
            return 0;
        } catch (EOFException e) {
            return NO_ANSWER;
        } catch (IOException e) {
            return CONNECTION_FAILED;
        }
    }

    private SSLSocket open(int port) throws IOException {
        SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket();
        try {
            socket.connect(new InetSocketAddress(host, port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            // The JDK sends no SNI for a dotless name such as localhost; AWS IoT (and the local tool) require it.
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(host)));
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                return line.toString(StandardCharsets.US_ASCII).strip();
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII).strip();
    }
}
