package dev.iotonboard.bench;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The few MQTT 3.1.1 packets a device needs (OASIS MQTT 3.1.1, sections 2 and 3). */
final class MqttPackets {
    private static final int CONNACK = 0x20;
    private static final int PUBACK = 0x40;

    private MqttPackets() {
    }

    /** CONNECT, protocol "MQTT" level 4, clean session, no will, no credentials. */
    static byte[] connect(String clientId, int keepAliveSeconds) {
        ByteArrayOutputStream variable = new ByteArrayOutputStream();
        writeString(variable, "MQTT");
        variable.write(4);
        variable.write(0x02);
        variable.write(keepAliveSeconds >> 8);
        variable.write(keepAliveSeconds & 0xFF);
        writeString(variable, clientId);
        return packet(0x10, variable.toByteArray());
    }

    static byte[] publishQos1(String topic, int packetId, byte[] payload) {
        ByteArrayOutputStream variable = new ByteArrayOutputStream();
        writeString(variable, topic);
        variable.write(packetId >> 8);
        variable.write(packetId & 0xFF);
        variable.writeBytes(payload);
        return packet(0x32, variable.toByteArray());
    }

    static byte[] disconnect() {
        return new byte[] {(byte) 0xE0, 0};
    }

    /** Reads packets until a CONNACK; its return code. */
    static int readConnack(DataInputStream in) throws IOException {
        byte[] body = readPacket(in, CONNACK);
        if (body.length != 2) {
            throw new IOException("CONNACK of " + body.length + " bytes");
        }
        return body[1] & 0xFF;
    }

    /** Reads packets until the PUBACK of {@code packetId} (deliveries to subscriptions are skipped). */
    static boolean readPuback(DataInputStream in, int packetId) throws IOException {
        while (true) {
            byte[] body = readPacket(in, PUBACK);
            if (body.length == 2 && (((body[0] & 0xFF) << 8) | (body[1] & 0xFF)) == packetId) {
                return true;
            }
        }
    }

    private static byte[] readPacket(DataInputStream in, int wantedType) throws IOException {
        while (true) {
            int header = in.readUnsignedByte();
            int length = 0;
            int multiplier = 1;
            int digit;
            do {
                digit = in.readUnsignedByte();
                length += (digit & 0x7F) * multiplier;
                multiplier *= 128;
            } while ((digit & 0x80) != 0);
            byte[] body = new byte[length];
            in.readFully(body);
            if ((header & 0xF0) == wantedType) {
                return body;
            }
        }
    }

    static byte[] packet(int header, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header);
        int length = body.length;
        do {
            int digit = length % 128;
            length /= 128;
            out.write(length > 0 ? digit | 0x80 : digit);
        } while (length > 0);
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static void writeString(ByteArrayOutputStream out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.write(bytes.length >> 8);
        out.write(bytes.length & 0xFF);
        out.writeBytes(bytes);
    }
}
