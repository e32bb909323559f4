package dev.iotonboard.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The benchmark's small parts: backoff bounds, MQTT encoding, the ready line, the template reading. */
class BenchPartsTest {

    @Test
    void backoff_ceilingDoublesUpToTheCap_waitsAreFullyJitteredAboveHalfTheInitialDelay() {
        Backoff backoff = new Backoff(Duration.ofMillis(1000), Duration.ofMillis(8000));
        assertEquals(500, backoff.floorMillis());
        assertEquals(1000, backoff.ceilingMillis(0));
        assertEquals(4000, backoff.ceilingMillis(2));
        assertEquals(8000, backoff.ceilingMillis(3));
        assertEquals(8000, backoff.ceilingMillis(60));
        for (int i = 0; i < 1000; i++) {
            long first = backoff.delayMillis(0);
            assertTrue(first >= 500 && first <= 1000, "first retry " + first);
        }
        long shortest = Long.MAX_VALUE;
        long longest = 0;
        for (int i = 0; i < 1000; i++) {
            long delay = backoff.delayMillis(5);
            assertTrue(delay >= 500 && delay <= 8000, "delay " + delay);
            shortest = Math.min(shortest, delay);
            longest = Math.max(longest, delay);
        }
        // Full jitter: the waits of a late retry cover the whole range, not only its upper half (equal jitter).
        assertTrue(shortest < 1500, "shortest of 1000 waits " + shortest);
        assertTrue(longest > 7000, "longest of 1000 waits " + longest);
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    }

    @Test
    void mqtt_remainingLengthUsesTheVariableByteEncoding() {
        byte[] packet = MqttPackets.packet(0x30, new byte[321]);
        assertEquals(0x30, packet[0]);
        assertEquals((byte) 0xC1, packet[1]);
        assertEquals(0x02, packet[2]);
        assertEquals(3 + 321, packet.length);
    }

    @Test
    void mqtt_connectIsProtocolLevel4WithCleanSession() {
        assertArrayEquals(new byte[] {0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 1, 'x'},
                MqttPackets.connect("x", 60));
    }

    @Test
    void readyLine_givesTheEndpoints() {
        LocalTool.Endpoints endpoints = LocalTool.parseReadyLine("12:00:00.000 [core] ready "
                + "control-plane=http://127.0.0.1:41000 https=https://localhost:41001 mqtt=mqtts://localhost:41002 "
                + "api=https://localhost:41003 server-ca=/tmp/s/server-ca.pem region=us-east-1 account=000000000000");
        assertEquals("http://127.0.0.1:41000", endpoints.controlPlane().toString());
        assertEquals("localhost", endpoints.host());
        assertEquals(41001, endpoints.httpsPort());
        assertEquals(41002, endpoints.mqttPort());
        assertEquals(41003, endpoints.apiPort());
        assertEquals(Path.of("/tmp/s/server-ca.pem"), endpoints.serverCa());
        assertThrows(IllegalArgumentException.class, () -> LocalTool.parseReadyLine("[core] ready https=x"));
        assertEquals(-1, LocalTool.parseReadyLine("[core] ready control-plane=http://127.0.0.1:1 https=https://h:2 "
                + "mqtt=mqtts://h:3 server-ca=/s.pem").apiPort(), "no api=: no API custom domain");
    }

    @Test
    void stackInfo_resolvesPolicyRefsInFunctionEnvironments() throws Exception {
        StackInfo stack = StackInfo.fromTemplate(new ObjectMapper().readTree("""
                {"Resources":{
                  "AppPolicy1":{"Type":"AWS::IoT::Policy","Properties":{}},
                  "Named":{"Type":"AWS::IoT::Policy","Properties":{"PolicyName":"jitr"}},
                  "Fn1":{"Type":"AWS::Lambda::Function","Properties":{"Runtime":"java25","MemorySize":512,
                    "Handler":"a.b.Handler::handleRequest","Environment":{"Variables":{
                      "APP_POLICY_NAME":{"Ref":"AppPolicy1"},"JITR_POLICY_NAME":{"Ref":"Named"},
                      "PLAIN":"x","OTHER":{"Fn::GetAtt":["Y","Arn"]}}}}},
                  "Node":{"Type":"AWS::Lambda::Function","Properties":{"Runtime":"nodejs20.x","Handler":"i.h"}}}}"""));

        assertEquals(1, stack.functions().size());
        StackInfo.Function function = stack.function("a.b.Handler").orElseThrow();
        assertEquals(512, function.memoryMb());
        assertEquals("AppPolicy1", function.environment().get("APP_POLICY_NAME"));
        assertEquals("jitr", function.environment().get("JITR_POLICY_NAME"));
        assertEquals("x", function.environment().get("PLAIN"));
        assertTrue(!function.environment().containsKey("OTHER"));
    }
}
