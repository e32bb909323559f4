package dev.iotonboard.bench;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * One device doing the JITR flow of scripts/device/jitr.sh: (1) POST {} to jitr/start until 200 (the first attempt
 * registers the certificate PENDING_ACTIVATION and is dropped unanswered; the activation function activates it),
 * (2) POST {"thingName"} to jitr/request, (3) MQTT CONNECT with client id = thing name until accepted, then a QoS 1
 * PUBLISH to things/<thing>/confirmation acknowledged by PUBACK: onboarded. Every step retries with backoff.
 * jitr/request is sent again when MQTT still refuses {@code resendAfter} after the last request, the wait doubling
 * after each resend (at most {@link #MAX_RESEND_INTERVAL}), so a backlog of provisioning events is not flooded with
 * duplicates; after a resend the MQTT backoff starts again from its initial delay. A 403 on jitr/start or
 * jitr/request means the JITR policy is gone (provisioning done): go on with MQTT. Past the deadline the device gives
 * up: it is LOST.
 */
public final class SimulatedDevice {

    /** The device's retry behaviour. */
    public record Behaviour(Backoff startBackoff, Backoff mqttBackoff, Duration resendAfter) {
    }

    static final Duration MAX_RESEND_INTERVAL = Duration.ofMinutes(2);

    private final String thingName;
    private final String certificateId;
    private final DeviceConnection client;
    private final Behaviour behaviour;
    private final LongSupplier clock;
    private final Sleeper sleeper;

    /** Waits; tests pass one that advances their clock instead. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    /** @param clock nanoseconds, as {@link System#nanoTime()} */
    public SimulatedDevice(String thingName, String certificateId, DeviceConnection client, Behaviour behaviour,
            LongSupplier clock) {
        this(thingName, certificateId, client, behaviour, clock, Thread::sleep);
    }

    SimulatedDevice(String thingName, String certificateId, DeviceConnection client, Behaviour behaviour,
            LongSupplier clock, Sleeper sleeper) {
        this.thingName = thingName;
        this.certificateId = certificateId;
        this.client = client;
        this.behaviour = behaviour;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    /** Runs the flow until onboarded or {@code deadlineNanos} (on the same clock). */
    public DeviceResult run(long deadlineNanos) throws InterruptedException {
        long started = clock.getAsLong();
        long activated = 0;
        long requested = 0;
        int startAttempts = 0;
        int requestAttempts = 0;
        int mqttAttempts = 0;
        String problem = "not started";
        boolean skipRequest = false;

        while (true) {
            int status = client.publishHttps("jitr/start", "{}");
            startAttempts++;
            if (status == 200) {
                activated = clock.getAsLong();
                break;
            }
            if (status == 403) {
                skipRequest = true;
                activated = clock.getAsLong();
                break;
            }
            problem = "jitr/start answered " + describe(status);
            if (!sleepBefore(deadlineNanos, behaviour.startBackoff().delayMillis(startAttempts - 1))) {
                return lost(problem, started, activated, requested, startAttempts, requestAttempts, mqttAttempts);
            }
        }

        String request = "{\"thingName\":\"" + thingName + "\"}";
        int requestRetries = 0;
        while (!skipRequest) {
            int status = client.publishHttps("jitr/request", request);
            requestAttempts++;
            if (status == 200 || status == 403) {
                requested = clock.getAsLong();
                break;
            }
            problem = "jitr/request answered " + describe(status);
            if (!sleepBefore(deadlineNanos, behaviour.startBackoff().delayMillis(requestRetries++))) {
                return lost(problem, started, activated, requested, startAttempts, requestAttempts, mqttAttempts);
            }
        }
        long lastRequest = requested != 0 ? requested : clock.getAsLong();
        long resendInterval = behaviour.resendAfter().toNanos();

        String topic = "things/" + thingName + "/confirmation";
        int mqttRetries = 0;
        while (true) {
            int code = client.connectAndPublish(thingName, topic, "{\"thingName\":\"" + thingName + "\"}");
            mqttAttempts++;
            if (code == 0) {
                return new DeviceResult(thingName, certificateId, true, null, started, activated, requested,
                        clock.getAsLong(), startAttempts, requestAttempts, mqttAttempts);
            }
            problem = "MQTT CONNECT answered " + (code > 0 ? "CONNACK " + code : describe(code));
            if (clock.getAsLong() - lastRequest >= resendInterval) {
                int status = client.publishHttps("jitr/request", request);
                requestAttempts++;
                lastRequest = clock.getAsLong();
                resendInterval = Math.min(2 * resendInterval, MAX_RESEND_INTERVAL.toNanos());
                mqttRetries = 0;
                if (status == 200 && requested == 0) {
                    requested = lastRequest;
                }
            }
            if (!sleepBefore(deadlineNanos, behaviour.mqttBackoff().delayMillis(mqttRetries++))) {
                return lost(problem, started, activated, requested, startAttempts, requestAttempts, mqttAttempts);
            }
        }
    }

    private DeviceResult lost(String problem, long started, long activated, long requested, int startAttempts,
            int requestAttempts, int mqttAttempts) {
        return new DeviceResult(thingName, certificateId, false, problem, started, activated, requested, 0,
                startAttempts, requestAttempts, mqttAttempts);
    }

    /** Sleeps unless that would pass the deadline; false when the deadline is reached. */
    private boolean sleepBefore(long deadlineNanos, long millis) throws InterruptedException {
        if (clock.getAsLong() + Duration.ofMillis(millis).toNanos() > deadlineNanos) {
            return false;
        }
        sleeper.sleep(millis);
        return true;
    }

    private static String describe(int status) {
        return switch (status) {
            case DeviceConnection.NO_ANSWER -> "no answer (connection closed)";
            case DeviceConnection.CONNECTION_FAILED -> "connection failed";
            default -> "HTTP " + status;
        };
    }
}
