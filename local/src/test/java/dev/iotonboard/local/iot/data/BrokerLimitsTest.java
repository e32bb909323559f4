package dev.iotonboard.local.iot.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.tls.ClientFiles;
import dev.iotonboard.local.tls.Pki;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The message broker's topic limits, reserved topics and retained messages, over MQTT (mosquitto_pub and
 * mosquitto_sub, MQTT 3.1.1 and 5) and HTTPS (curl): AWS IoT Core message broker quotas (at most 7 slashes and 256
 * bytes), reserved-topics.md, mqtt.md "MQTT retained messages", retained-message-policy-examples.md
 * ({@code iot:RetainPublish}); the refusals in each protocol's form (MQTT: disconnected; HTTPS: 400 or 403,
 * iot-errors.md "Message broker error codes").
 */
class BrokerLimitsTest {
    private static final String ARN = "arn:aws:iot:us-east-1:000000000000:";
    /** dev (and dev-2) may connect, publish, subscribe to and receive any topic; retain only on config/dev. */
    private static final String POLICY = """
            {"Statement":[
             {"Effect":"Allow","Action":"iot:Connect","Resource":["%1$sclient/dev","%1$sclient/dev-2"]},
             {"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":"%1$stopic/*"},
             {"Effect":"Allow","Action":"iot:Subscribe","Resource":"%1$stopicfilter/*"},
             {"Effect":"Allow","Action":"iot:RetainPublish","Resource":"%1$stopic/config/dev"}]}"""
            .formatted(ARN);

    private DeviceListeners listeners;
    private ClientFiles files;
    private Mosquitto mosquitto;
    private Pki.Issued device;
    private X509Certificate ca;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        listeners = DeviceListeners.logged(Quotas.off());
        listeners.registry.policies().put("broker", POLICY);
        device = listeners.activeDevice("dev", "broker");
        ca = listeners.ca.certificate();
        files = new ClientFiles(dir);
        mosquitto = new Mosquitto(files, listeners.serverRoot.certificate(), "localhost", listeners.mqtt.port());
    }

    @AfterEach
    void stop() {
        listeners.close();
    }

    private ClientFiles.Run publish(String topic, String... more) {
        List<String> args = new ArrayList<>(List.of("-d", "-q", "1", "-t", topic, "-m", "{}"));
        args.addAll(List.of(more));
        return mosquitto.run("mosquitto_pub", device, ca, "dev", args.toArray(String[]::new));
    }

    /** curl's POST to {@code topic}: the body, then the HTTP status on the last line. */
    private ClientFiles.Run post(String topic, String query, String body) {
        return ClientFiles.run(List.of("curl", "--silent", "--show-error", "--max-time", "20", "--cacert",
                files.chain("server-ca", listeners.serverRoot.certificate()).toString(), "--cert",
                files.chain("device", device.certificate(), ca).toString(), "--key",
                files.key("device", device.keys()).toString(), "--write-out", "\n%{http_code}", "--data-binary", body,
                "https://localhost:" + listeners.https.port() + "/topics/"
                        + URLEncoder.encode(topic, StandardCharsets.UTF_8).replace("%2F", "/") + "?qos=1" + query),
                Map.of(), 30);
    }

    private static int status(ClientFiles.Run run) {
        String[] lines = run.output().split("\n");
        return Integer.parseInt(lines[lines.length - 1].trim());
    }

    @Test
    void topicsOverSevenSlashesOr256Bytes_areRefused_overMqttAndHttps() {
        String sevenSlashes = "a/b/c/d/e/f/g/h";
        String eightSlashes = sevenSlashes + "/i";
        String bytes256 = "t/" + "x".repeat(254);
        String bytes257 = bytes256 + "x";
        String basicIngest = "$aws/rules/r/" + "a/b/c/d/e/f/g"; // 9 slashes, 3 of them the Basic Ingest prefix
        String basicIngest256 = "$aws/rules/r/" + bytes256; // the prefix counts toward neither limit
        for (String accepted : List.of(sevenSlashes, bytes256, basicIngest, basicIngest256)) {
            ClientFiles.Run mqtt = publish(accepted);
            assertEquals(0, mqtt.exit(), accepted + ": " + mqtt.output());
            assertEquals(200, status(post(accepted, "", "{}")), accepted);
        }
        for (String refused : List.of(eightSlashes, bytes257)) {
            assertNotEquals(0, publish(refused).exit(), refused + ": disconnected");
            ClientFiles.Run https = post(refused, "", "{}");
            assertEquals(400, status(https), refused);
            assertTrue(https.output().contains("Invalid topic name"), https.output());
        }
        ClientFiles.Run mqtt5 = publish(eightSlashes, "-V", "mqttv5");
        assertTrue(mqtt5.exit() != 0 && mqtt5.output().contains("DISCONNECT (144)"),
                "MQTT 5: DISCONNECT 0x90 Topic Name invalid: " + mqtt5.output());
        ClientFiles.Run subscribe = mosquitto.run("mosquitto_sub", device, ca, "dev", "-W", "10", "-t",
                eightSlashes);
        assertTrue(subscribe.output().contains("All subscription requests were denied"), subscribe.output());
    }

    @Test
    void basicIngestTopics_cannotBeSubscribedTo_evenWithIotSubscribe() {
        for (String filter : List.of("$aws/rules/r/a", "$aws/rules/#", "$aws/rules")) {
            ClientFiles.Run subscribe = mosquitto.run("mosquitto_sub", device, ca, "dev", "-W", "10", "-t", filter);
            assertTrue(subscribe.output().contains("All subscription requests were denied"),
                    filter + ": " + subscribe.output());
        }
    }

    @Test
    void reservedTopics_onlyThoseDevicesMayPublishTo_areAccepted() {
        for (String accepted : List.of("$aws/things/dev/shadow/update", "$aws/things/dev/shadow/name/s1/get",
                "$aws/things/dev/jobs/start-next", "$aws/things/dev/jobs/job-1/update",
                "$aws/provisioning-templates/t/provision/json")) {
            assertEquals(0, publish(accepted).exit(), accepted);
            assertEquals(200, status(post(accepted, "", "{}")), accepted);
        }
        for (String refused : List.of("$aws/things/dev/shadow/update/accepted", "$aws/events/presence/connected/dev",
                "$aws/things/dev/jobs/notify", "$own/topic")) {
            assertNotEquals(0, publish(refused).exit(), refused + ": disconnected");
            ClientFiles.Run https = post(refused, "", "{}");
            assertEquals(403, status(https), refused);
            assertTrue(https.output().contains("\"message\":\"Forbidden\""), https.output());
        }
        ClientFiles.Run mqtt5 = publish("$aws/events/presence/connected/dev", "-V", "mqttv5");
        assertTrue(mqtt5.output().contains("DISCONNECT (135)"), "MQTT 5: DISCONNECT 0x87: " + mqtt5.output());
    }

    @Test
    void retainedMessages_needRetainPublish_andReachNewSubscribersOfTheirTopic() throws Exception {
        // no iot:RetainPublish on data/dev: MQTT disconnected, HTTPS 403, nothing retained
        assertNotEquals(0, publish("data/dev", "-r").exit());
        assertEquals(403, status(post("data/dev", "&retain=true", "{}")));
        assertEquals(0, listeners.retained.size());
        assertEquals(400, status(post("config/dev", "&retain=yes", "{}")));
        // nor on a reserved topic, whatever the policy
        assertNotEquals(0, publish("$aws/things/dev/shadow/update", "-r").exit());

        assertEquals(0, mosquitto.run("mosquitto_pub", device, ca, "dev", "-q", "1", "-r", "-t", "config/dev", "-m",
                "v1").exit());
        assertEquals(1, listeners.retained.size());
        assertEquals("1 config/dev v1", subscribeOnce("config/dev"), "delivered on subscribe, RETAIN set");
        ClientFiles.Run wildcard = mosquitto.run("mosquitto_sub", device, ca, "dev", "-W", "2", "-t", "config/#");
        assertFalse(wildcard.output().contains("v1"), "a wildcard filter gets no retained message: "
                + wildcard.output());

        assertEquals(200, status(post("config/dev", "&retain=true", "v2")), "HTTPS replaces it");
        // dev-2 subscribes (its log lines are its own), dev publishes
        try (Mosquitto.Background subscriber = mosquitto.start("mosquitto_sub", device, ca, "dev-2", "-V", "mqttv5",
                "-C", "2", "-W", "30", "-F", "%r %p", "-t", "config/dev")) {
            listeners.awaitLog("subscribe to config/dev by dev-2 granted");
            listeners.awaitLog("delivered retained config/dev to dev-2");
            assertEquals(0, mosquitto.run("mosquitto_pub", device, ca, "dev", "-q", "1", "-r", "-t", "config/dev", "-m",
                    "v3").exit());
            assertTrue(subscriber.ended(30), subscriber.output());
            assertEquals("1 v2\n0 v3\n", subscriber.output(),
                    "MQTT 5: the retained message on subscribe (RETAIN set), then a live one (RETAIN clear)");
        }
        assertEquals(0, mosquitto.run("mosquitto_pub", device, ca, "dev", "-q", "1", "-r", "-n", "-t", "config/dev")
                .exit());
        assertEquals(0, listeners.retained.size(), "an empty retained publish deletes it");
    }

    /** The first message mosquitto_sub receives on {@code filter}: "retain-flag topic payload". */
    private String subscribeOnce(String filter) {
        ClientFiles.Run run = mosquitto.run("mosquitto_sub", device, ca, "dev", "-C", "1", "-W", "10", "-F",
                "%r %t %p", "-t", filter);
        return run.output().trim();
    }
}
