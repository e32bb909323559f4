package dev.iotonboard.bench;

/**
 * What one simulated device did. Times are nanoseconds from the benchmark's clock origin; 0 = never reached.
 * {@code startAttempts}: jitr/start POSTs; {@code requestAttempts}: jitr/request POSTs; {@code mqttAttempts}: MQTT
 * connections.
 */
public record DeviceResult(String thingName, String certificateId, boolean onboarded, String lastProblem,
        long startedNanos, long activatedNanos, long requestedNanos, long onboardedNanos, int startAttempts,
        int requestAttempts, int mqttAttempts) {

    public double latencySeconds() {
        return onboarded ? (onboardedNanos - startedNanos) / 1e9 : Double.NaN;
    }
}
