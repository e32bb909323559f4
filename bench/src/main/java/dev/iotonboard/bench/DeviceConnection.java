package dev.iotonboard.bench;

/** What a simulated device does on the wire; {@link DeviceClient} is the real one. */
public interface DeviceConnection {
    /** The connection ended without an answer (JITR closes the first connection of an unknown certificate so). */
    int NO_ANSWER = -1;
    /** The TLS handshake or the connection failed (refused, reset, timed out). */
    int CONNECTION_FAILED = -2;

    /**
     * POSTs {@code json} to {@code /topics/<topic>?qos=1}: the HTTP status, {@link #NO_ANSWER} or
     * {@link #CONNECTION_FAILED}.
     */
    int publishHttps(String topic, String json);

    /**
     * CONNECT with {@code clientId} (clean session); when accepted, PUBLISH {@code payload} to {@code topic} at QoS 1
     * and wait for its PUBACK. Returns the CONNACK return code (0 accepted, 5 not authorized, ...), {@link #NO_ANSWER}
     * when the connection closed without CONNACK or PUBACK, or {@link #CONNECTION_FAILED}.
     */
    int connectAndPublish(String clientId, String topic, String payload);
}
