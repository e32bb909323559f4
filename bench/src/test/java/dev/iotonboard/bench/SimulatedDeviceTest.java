package dev.iotonboard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The device flow against a scripted connection and a clock that only the device's waits advance. */
class SimulatedDeviceTest {
    private static final long S = 1_000_000_000L;
    private static final SimulatedDevice.Behaviour BEHAVIOUR = new SimulatedDevice.Behaviour(
            new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8)),
            new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8)), Duration.ofSeconds(15));

    /** Answers from scripts per topic (the last answer repeats); records every call with its time. */
    private static final class Script implements DeviceConnection {
        final Deque<Integer> start = new ArrayDeque<>();
        final Deque<Integer> request = new ArrayDeque<>();
        final Deque<Integer> mqtt = new ArrayDeque<>();
        final List<String> calls = new ArrayList<>();
        long now;

        @Override
        public int publishHttps(String topic, String json) {
            calls.add(topic + "@" + now / S);
            Deque<Integer> answers = topic.equals("jitr/start") ? start : request;
            return answers.size() > 1 ? answers.poll() : answers.peek();
        }

        @Override
        public int connectAndPublish(String clientId, String topic, String payload) {
            calls.add("mqtt@" + now / S);
            return mqtt.size() > 1 ? mqtt.poll() : mqtt.peek();
        }

        SimulatedDevice device() {
            return new SimulatedDevice("thing-1", "cert-1", this, BEHAVIOUR, () -> now,
                    millis -> now += millis * 1_000_000L);
        }
    }

    @Test
    void run_retriesStartUntilActivatedThenRequestsAndConnects() throws Exception {
        Script script = new Script();
        script.start.addAll(List.of(DeviceConnection.NO_ANSWER, DeviceConnection.NO_ANSWER, 200));
        script.request.add(200);
        script.mqtt.addAll(List.of(5, 0));

        DeviceResult result = script.device().run(600 * S);

        assertTrue(result.onboarded(), result.lastProblem());
        assertEquals(3, result.startAttempts());
        assertEquals(1, result.requestAttempts());
        assertEquals(2, result.mqttAttempts());
        assertTrue(result.activatedNanos() > result.startedNanos());
    }

    @Test
    void run_forbiddenRequestMeansProvisionedAlready_goesOnWithMqtt() throws Exception {
        Script script = new Script();
        script.start.add(200);
        script.request.add(403);
        script.mqtt.add(0);

        DeviceResult result = script.device().run(600 * S);

        assertTrue(result.onboarded());
        assertEquals(List.of("jitr/start@0", "jitr/request@0", "mqtt@0"), script.calls);
    }

    @Test
    void run_resendsTheRequestWhileMqttRefuses_withDoublingIntervals() throws Exception {
        Script script = new Script();
        script.start.add(200);
        script.request.add(200);
        script.mqtt.add(5);

        DeviceResult result = script.device().run(200 * S);

        assertFalse(result.onboarded());
        assertEquals("MQTT CONNECT answered CONNACK 5", result.lastProblem());
        List<Long> resends = script.calls.stream().filter(c -> c.startsWith("jitr/request@"))
                .map(c -> Long.parseLong(c.substring(c.indexOf('@') + 1))).toList();
        assertEquals(0L, resends.get(0));
        assertTrue(resends.size() >= 3 && resends.size() <= 5, "resends at " + resends);
        for (int i = 2; i < resends.size(); i++) {
            assertTrue(resends.get(i) - resends.get(i - 1) >= resends.get(i - 1) - resends.get(i - 2),
                    "intervals should not shrink: " + resends);
        }
        assertTrue(resends.get(1) >= 15, "first resend after 15 s: " + resends);
    }

    @Test
    void run_givesUpAtTheDeadline_lost() throws Exception {
        Script script = new Script();
        script.start.add(DeviceConnection.CONNECTION_FAILED);

        DeviceResult result = script.device().run(60 * S);

        assertFalse(result.onboarded());
        assertEquals("jitr/start answered connection failed", result.lastProblem());
        assertTrue(script.now <= 60 * S, "slept past the deadline: " + script.now);
        assertEquals(0, result.mqttAttempts());
    }
}
