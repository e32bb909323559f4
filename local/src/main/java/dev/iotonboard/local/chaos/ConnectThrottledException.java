package dev.iotonboard.local.chaos;

/**
 * A data-plane connection over the {@code connect} request-rate quota: HTTPS closes it without an answer, MQTT
 * answers CONNACK 3 (server unavailable). How AWS IoT refuses such a connection is unconfirmed.
 */
public final class ConnectThrottledException extends RuntimeException {
    public ConnectThrottledException(String message) {
        super(message);
    }
}
