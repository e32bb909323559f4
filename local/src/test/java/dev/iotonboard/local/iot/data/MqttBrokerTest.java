package dev.iotonboard.local.iot.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.iot.rules.RuleEngine;
import dev.iotonboard.local.iot.rules.RuleSql;
import dev.iotonboard.local.tls.ClientFiles;
import dev.iotonboard.local.tls.Pki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MQTT broker with a minimal MQTT 3.1.1 client written here (exact packets: CONNACK codes, SUBACK 0x80, the
 * connection closed after a refused publish) and with the real {@code mosquitto_pub}/{@code mosquitto_sub}.
 */
class MqttBrokerTest {
    private static final String ARN = "arn:aws:iot:us-east-1:000000000000:";
    /** The stack's app policy (infra DevicePolicies). */
    private static final String APP_POLICY = """
            {"Version":"2012-10-17","Statement":[
             {"Effect":"Allow","Action":["iot:Connect"],"Resource":["%1$sclient/${iot:Connection.Thing.ThingName}"],
              "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"true"}}},
             {"Effect":"Allow","Action":"iot:Publish","Resource":["%1$stopic/things/${iot:Connection.Thing.ThingName}/*"]},
             {"Effect":"Allow","Action":"iot:Receive","Resource":["%1$stopic/things/${iot:Connection.Thing.ThingName}/*"]},
             {"Effect":"Allow","Action":"iot:Subscribe",
              "Resource":["%1$stopicfilter/things/${iot:Connection.Thing.ThingName}/*"]}]}""".formatted(ARN);

    private static DeviceListeners listeners;
    private static Registry registry;
    private static MqttBroker broker;
    private static Pki.Issued serverRoot;
    private static Pki.Issued ca;
    private static String caId;
    private static RuleEngine rules;
    private static Mosquitto mosquitto;
    private static final List<RuleSql.Message> routed = new CopyOnWriteArrayList<>();

    @TempDir
    static Path files;

    @BeforeAll
    static void start() throws Exception {
        listeners = DeviceListeners.logged(Quotas.off());
        registry = listeners.registry;
        registry.policies().put("app", APP_POLICY);
        rules = listeners.rules;
        rules.addListener(routed::add);
        broker = listeners.mqtt;
        serverRoot = listeners.serverRoot;
        ca = listeners.ca;
        caId = listeners.caId;
        mosquitto = new Mosquitto(new ClientFiles(files), serverRoot.certificate(), "localhost", broker.port());
    }

    @AfterAll
    static void stop() {
        if (listeners != null) {
            listeners.close();
        }
    }

    /** A device certificate, ACTIVE, attached to a new thing of that name, with the app policy. */
    private static Pki.Issued provisioned(String thing) {
        Pki.Issued device = Pki.issue(ca, thing, Duration.ofDays(1), false, null, null);
        String id = registry.certificates().registerPendingActivation(device.certificate(), caId).id();
        registry.certificates().update(id, "ACTIVE");
        registry.things().create(thing, Map.of());
        registry.thingPrincipals().attach(thing, registry.certificateArn(id), "EXCLUSIVE_THING");
        registry.policies().attach("app", registry.certificateArn(id));
        return device;
    }

    private static String id(Pki.Issued device) {
        return CertificateIds.fromCertificate(device.certificate());
    }

    // ---- the protocol, packet by packet ----

    @Test
    void connectPublishSubscribeReceive_asTheThing() throws Exception {
        Pki.Issued device = provisioned("thing-a");
        try (TestMqttClient client = client(device)) {
            assertEquals(0, client.connect("thing-a"), "CONNACK accepted");
            assertEquals(1, client.subscribe(1, "things/thing-a/#", 1), "granted QoS 1");
            assertEquals(0x80, client.subscribe(2, "things/thing-b/#", 1), "another thing's topics: 0x80");
            assertEquals(0, client.subscribe(3, "things/thing-a/+/x", 0), "granted QoS 0");
            routed.clear();
            client.publish("things/thing-a/confirmation", "{\"n\":1}", 1, 7);
            TestMqttClient.Packet ack = client.read();
            // the broker delivers to the subscriber (itself) before it acknowledges
            assertEquals(0x30 | 0x02, ack.header() & 0xF6, "PUBLISH QoS 1 delivered: " + ack);
            assertEquals("things/thing-a/confirmation", ack.topic());
            assertEquals("{\"n\":1}", ack.payloadText());
            TestMqttClient.Packet puback = client.read();
            assertEquals(0x40, puback.header());
            assertArrayEquals(new byte[] {0, 7}, puback.body());
            RuleSql.Message message = routed.get(0);
            assertEquals("things/thing-a/confirmation", message.topic());
            assertEquals(id(device), message.principal(), "principal() = certificate id");
            assertEquals("thing-a", message.clientId(), "clientid() = client id");

            client.publish("things/thing-a/q0", "zero", 0, 0);
            client.ping();
            TestMqttClient.Packet delivered = client.read();
            assertEquals(0x30, delivered.header() & 0xF6, "QoS 0 publish delivered at QoS 0: " + delivered);
            assertEquals("things/thing-a/q0", delivered.topic());
            assertEquals(0xD0, client.read().header(), "PINGRESP");

            client.unsubscribe(4, "things/thing-a/#");
            assertEquals(0xB0, client.read().header(), "UNSUBACK");
            client.publish("things/thing-a/after", "x", 1, 8);
            assertEquals(0x40, client.read().header(), "PUBACK only: no longer subscribed");
            client.disconnect();
            assertTrue(client.closedWithin(Duration.ofSeconds(5)));
        }
        listeners.awaitLog("client thing-a disconnected");
    }

    @Test
    void deliveryHonoursReceive_andMatchesWildcards() throws Exception {
        Pki.Issued c = provisioned("thing-c");
        Pki.Issued d = provisioned("thing-d");
        try (TestMqttClient subscriber = client(c); TestMqttClient other = client(d)) {
            assertEquals(0, subscriber.connect("thing-c"));
            assertEquals(0, other.connect("thing-d"));
            assertEquals(1, subscriber.subscribe(1, "things/thing-c/+/status", 1));
            other.publish("things/thing-d/a/status", "not for c", 1, 1);
            assertEquals(0x40, other.read().header());
            other.publish("things/thing-d/b", "not for c", 1, 2);
            assertEquals(0x40, other.read().header());
            subscriber.ping();
            assertEquals(0xD0, subscriber.read().header(), "nothing delivered before the PINGRESP");
        }
    }

    @Test
    void connectWithAnotherClientId_isRefusedWithNotAuthorized() throws Exception {
        Pki.Issued device = provisioned("thing-e");
        try (TestMqttClient client = client(device)) {
            assertEquals(5, client.connect("not-thing-e"), "CONNACK 5 not authorized");
            assertTrue(client.closedWithin(Duration.ofSeconds(5)), "then closed");
        }
    }

    @Test
    void publishOutsideTheAllowedTopics_closesTheConnection() throws Exception {
        Pki.Issued device = provisioned("thing-f");
        try (TestMqttClient client = client(device)) {
            assertEquals(0, client.connect("thing-f"));
            client.publish("things/thing-g/confirmation", "x", 1, 1);
            assertTrue(client.closedWithin(Duration.ofSeconds(5)), "disconnected without PUBACK");
        }
        listeners.awaitLog("publish to things/thing-g/confirmation by thing-f refused");
    }

    @Test
    void secondConnectionWithTheSameClientId_closesTheFirst() throws Exception {
        Pki.Issued device = provisioned("thing-h");
        try (TestMqttClient first = client(device); TestMqttClient second = client(device)) {
            assertEquals(0, first.connect("thing-h"));
            assertEquals(0, second.connect("thing-h"));
            assertTrue(first.closedWithin(Duration.ofSeconds(5)), "the first connection is closed");
            second.ping();
            assertEquals(0xD0, second.read().header(), "the second one works");
        }
    }

    @Test
    void unknownCertificate_jitr_registeredEventPublished_connectionClosed() throws Exception {
        Pki.Issued device = Pki.issue(ca, "new-device", Duration.ofDays(1), false, null, null);
        routed.clear();
        try (TestMqttClient client = client(device)) {
            client.sendConnect("new-device");
            assertTrue(client.closedWithin(Duration.ofSeconds(5)), "closed without CONNACK");
        }
        assertEquals("PENDING_ACTIVATION", registry.certificates().get(id(device)).status());
        assertEquals("$aws/events/certificates/registered/" + caId, routed.get(0).topic());
        assertTrue(new String(routed.get(0).payload(), StandardCharsets.UTF_8).contains(id(device)));
    }

    @Test
    void inactiveAndRevokedCertificates_failTheHandshake() throws Exception {
        for (String status : List.of("INACTIVE", "REVOKED")) {
            Pki.Issued device = provisioned("thing-" + status.toLowerCase());
            registry.certificates().update(id(device), status);
            assertThrows(IOException.class, () -> {
                try (TestMqttClient client = client(device)) {
                    client.sendConnect("thing-" + status.toLowerCase());
                    client.read();
                }
            }, status);
        }
    }

    @Test
    void certificateRevokedWhileConnected_nextPublishClosesTheConnection() throws Exception {
        Pki.Issued device = provisioned("thing-r");
        try (TestMqttClient client = client(device)) {
            assertEquals(0, client.connect("thing-r"));
            registry.certificates().update(id(device), "REVOKED");
            client.publish("things/thing-r/x", "x", 1, 1);
            assertTrue(client.closedWithin(Duration.ofSeconds(5)));
        }
    }

    @Test
    void topicFilterSyntax() {
        assertTrue(Topics.validFilter("a/+/b/#"));
        assertTrue(Topics.validFilter("#"));
        assertTrue(!Topics.validFilter("a/#/b"));
        assertTrue(!Topics.validFilter("a/b#"));
        assertTrue(!Topics.validFilter("a/x+"));
        assertTrue(!Topics.validName("a/+"));
    }

    // ---- the real clients ----

    @Test
    void mosquittoClients_subscribeReceivePublish() throws Exception {
        Pki.Issued device = provisioned("thing-m");
        Pki.Issued other = provisioned("thing-n");
        X509Certificate issuer = ca.certificate();
        try (Mosquitto.Background subscriber = subscribedForOne(device, "thing-m")) {
            // another device publishes to its own topic: accepted, not delivered to thing-m
            assertEquals(0, mosquitto.run("mosquitto_pub", other, issuer, "thing-n", "-q", "1", "-t",
                    "things/thing-n/confirmation", "-m", "from n").exit());
            // and it may not publish to thing-m's topics: disconnected, mosquitto_pub fails
            assertNotEquals(0, mosquitto.run("mosquitto_pub", other, issuer, "thing-n", "-q", "1", "-t",
                    "things/thing-m/confirmation", "-m", "from n").exit());
            assertNotEquals(0, mosquitto.run("mosquitto_pub", device, issuer, "thing-m-2", "-q", "1", "-t",
                    "things/thing-m/x", "-m", "x").exit(), "another client id is refused");
            // a message on thing-m's topic (as an HTTPS or rule publish would route it) reaches mosquitto_sub
            rules.publish(new RuleSql.Message("things/thing-m/self", "own message".getBytes(StandardCharsets.UTF_8),
                    id(device), null, System.currentTimeMillis()));
            assertTrue(subscriber.ended(30), "mosquitto_sub got one message and ended");
            String received = subscriber.output();
            assertTrue(received.contains("things/thing-m/self own message"), received);
            assertTrue(!received.contains("from n"), received);
        }
        // mosquitto_sub to another device's topics: SUBACK 0x80, all subscriptions denied
        ClientFiles.Run denied = mosquitto.run("mosquitto_sub", device, issuer, "thing-m", "-d", "-q", "1", "-W",
                "20", "-t", "things/thing-n/#");
        assertTrue(denied.output().contains("All subscription requests were denied"), denied.output());
    }

    /** MQTT 5 (mosquitto -V mqttv5): a device publishes and subscribes; refusals carry MQTT 5 reason codes. */
    @Test
    void mosquittoMqtt5_publishSubscribe_andReasonCodes() throws Exception {
        Pki.Issued device = provisioned("thing-v5");
        Pki.Issued other = provisioned("thing-v5-other");
        X509Certificate issuer = ca.certificate();
        try (Mosquitto.Background subscriber = subscribedForOne(device, "thing-v5", "-V", "mqttv5")) {
            assertTrue(listeners.log().contains("client thing-v5 connected (MQTT 5"), listeners.log());
            routed.clear();
            ClientFiles.Run published = mosquitto.run("mosquitto_pub", other, issuer, "thing-v5-other", "-V",
                    "mqttv5", "-d", "-q", "1", "-t", "things/thing-v5-other/status", "-m", "v5");
            assertEquals(0, published.exit(), published.output());
            assertTrue(published.output().contains("received PUBACK"), published.output());
            RuleSql.Message message = routed.get(0);
            assertEquals("things/thing-v5-other/status", message.topic());
            assertEquals(id(other), message.principal());
            assertEquals("thing-v5-other", message.clientId());
            rules.publish(new RuleSql.Message("things/thing-v5/self", "to v5".getBytes(StandardCharsets.UTF_8),
                    id(device), null, System.currentTimeMillis()));
            assertTrue(subscriber.ended(30), "mosquitto_sub got one message and ended");
            assertTrue(subscriber.output().contains("things/thing-v5/self to v5"), subscriber.output());
        }
        ClientFiles.Run notAuthorized = mosquitto.run("mosquitto_pub", device, issuer, "not-thing-v5", "-V",
                "mqttv5", "-d", "-q", "1", "-t", "things/thing-v5/x", "-m", "x");
        assertNotEquals(0, notAuthorized.exit());
        assertTrue(notAuthorized.output().contains("CONNACK (135)"), "0x87 Not authorized: "
                + notAuthorized.output());
        ClientFiles.Run refusedPublish = mosquitto.run("mosquitto_pub", device, issuer, "thing-v5", "-V", "mqttv5",
                "-d", "-q", "1", "-t", "things/thing-v5-other/x", "-m", "x");
        assertNotEquals(0, refusedPublish.exit());
        assertTrue(refusedPublish.output().contains("DISCONNECT (135)"), "DISCONNECT 0x87 Not authorized: "
                + refusedPublish.output());
        ClientFiles.Run denied = mosquitto.run("mosquitto_sub", device, issuer, "thing-v5", "-V", "mqttv5", "-d",
                "-q", "1", "-W", "20", "-t", "things/thing-v5-other/#");
        assertTrue(denied.output().contains("All subscription requests were denied"), denied.output());
        listeners.awaitLog("subscribe to things/thing-v5-other/# by thing-v5 refused (IMPLICIT_DENY, 0x87)");
    }

    /** mosquitto_sub as {@code thing} to things/{@code thing}/#, for one message, once the broker granted it. */
    private static Mosquitto.Background subscribedForOne(Pki.Issued device, String thing, String... options)
            throws InterruptedException {
        List<String> args = new ArrayList<>(List.of(options));
        args.addAll(List.of("-d", "-v", "-q", "1", "-C", "1", "-W", "60", "-t", "things/" + thing + "/#"));
        Mosquitto.Background subscriber = mosquitto.start("mosquitto_sub", device, ca.certificate(), thing,
                args.toArray(String[]::new));
        listeners.awaitLog("subscribe to things/" + thing + "/# by " + thing + " granted");
        return subscriber;
    }

    private static TestMqttClient client(Pki.Issued device) throws Exception {
        return new TestMqttClient(Pki.keyStore(device, ca.certificate()), serverRoot.certificate(), broker.port());
    }
}
