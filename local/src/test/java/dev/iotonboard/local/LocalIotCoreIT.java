package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end, with real processes: the stack synthesized by the infra app's main, the local IoT Core started from its
 * shaded jar, the unmodified scripts (create-ca.sh, register-ca.sh with the AWS CLI, create-device.sh, jitr.sh with
 * curl and mosquitto_pub), mosquitto_pub/mosquitto_sub against the MQTT broker, the project's Lambda jars under the
 * runtime interface client, and assertions through the AWS CLI. One started instance shared by the tests, which run
 * in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalIotCoreIT {
    private static final Duration PROVISIONING_WAIT = Duration.ofSeconds(90);
    /** jitr.sh step 3 retries the MQTT publish until the asynchronous provisioning is done. */
    private static final int MQTT_WAIT_SECONDS = 120;

    private static E2eFixture e2e;
    private static Path work;
    private static Path certs;
    private static int httpsPort;
    private static int mqttPort;
    private static Process subscriber;
    private static Path serverCa;

    private static String provisioningFunction;
    private static String appPolicy;
    private static String jitrPolicy;
    private static String firstThing;
    private static String firstCertificateArn;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("local-iot-core-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"));
        work = e2e.work;
        certs = e2e.certs;
        Path cdkOut = e2e.createCaAndSynthesize();

        StackTemplate stack = StackTemplate.load(cdkOut, "IotOnboarding", "000000000000", "us-east-1");
        provisioningFunction = E2eFixture.function(stack, "ThingProvisioningHandler").logicalId();
        E2eFixture.PolicyNames policies = E2eFixture.policyNames(cdkOut);
        appPolicy = policies.app();
        jitrPolicy = policies.jitr();

        e2e.startToolOnFreePorts(cdkOut, "--retry-delays", "0.5,1");
        httpsPort = e2e.httpsPort();
        mqttPort = e2e.mqttPort();
        serverCa = e2e.serverCa();
        assertTrue(Files.isRegularFile(serverCa), "no server CA file at " + serverCa);
    }

    @AfterAll
    static void stop() throws Exception {
        if (subscriber != null) {
            subscriber.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    @Order(1)
    void jitr_activatesProvisionsAndSwapsPolicies() throws Exception {
        String caId = e2e.registerCa();
        JsonNode ca = e2e.cli("describe-ca-certificate", "--certificate-id", caId).path("certificateDescription");
        assertEquals("ACTIVE", ca.path("status").asText());
        assertEquals("ENABLE", ca.path("autoRegistrationStatus").asText());

        firstThing = e2e.createDevice();

        E2eFixture.Run jitr = jitr(firstThing, certs.resolve("devices/" + firstThing), MQTT_WAIT_SECONDS);
        // steps 1 (activation over HTTPS), 2 (thing request) and 3 (mosquitto_pub as the thing, once provisioned)
        assertEquals(0, jitr.exit(), "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());
        assertTrue(jitr.err().contains("Empty reply") || jitr.err().contains("empty reply"),
                "the first attempt should end with an empty reply:\n" + jitr.err());
        assertTrue(jitr.err().contains("the certificate is active"), jitr.err());
        assertTrue(jitr.err().contains("provisioning runs asynchronously"), jitr.err());

        e2e.waitFor("thing " + firstThing + " to be provisioned (certificate attached, policies swapped)",
                PROVISIONING_WAIT, () -> {
                    List<String> principals = texts(e2e.cli("list-thing-principals", "--thing-name", firstThing)
                            .path("principals"));
                    return principals.size() == 1 && policies(principals.get(0)).equals(List.of(appPolicy));
                });
        firstCertificateArn = e2e.cli("list-thing-principals", "--thing-name", firstThing).path("principals").get(0)
                .asText();
        String certificateId = firstCertificateArn.substring(firstCertificateArn.lastIndexOf('/') + 1);
        JsonNode certificate = e2e.cli("describe-certificate", "--certificate-id", certificateId)
                .path("certificateDescription");
        assertEquals("ACTIVE", certificate.path("status").asText());
        assertEquals(caId, certificate.path("caCertificateId").asText());
        assertEquals(firstThing, e2e.cli("describe-thing", "--thing-name", firstThing).path("thingName").asText());
        assertEquals(List.of(appPolicy), policies(firstCertificateArn), "app policy attached, JITR policy detached");
        assertEquals(List.of(firstThing), texts(e2e.cli("list-principal-things", "--principal", firstCertificateArn)
                .path("things")));
    }

    @Test
    @Order(2)
    void secondDevice_claimingTheFirstThing_isRefusedByJitrSh_beforeAnyRequest() throws Exception {
        String secondThing = e2e.createDevice();
        int provisioningsBefore = provisioningsDone();

        // the second device's certificate, asking for the first device's thing name: jitr.sh knows the thing is
        // the certificate's CN and sends nothing (IdentityIT sends the same request with curl, to the cloud)
        E2eFixture.Run jitr = jitr(firstThing, certs.resolve("devices/" + secondThing), 1);
        assertEquals(2, jitr.exit(), "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());
        assertTrue(jitr.err().contains("the thing name is the certificate's subject CN"), jitr.err());

        assertEquals(List.of(firstCertificateArn), texts(e2e.cli("list-thing-principals", "--thing-name", firstThing)
                .path("principals")), "the first device keeps its thing, alone");
        assertEquals(provisioningsBefore, provisioningsDone(), "no provisioning request was sent");
        assertTrue(!e2e.output().contains(secondThing), "the second certificate never reached IoT");
    }

    @Test
    @Order(3)
    void certificateOfAnUnregisteredCa_isRefusedAtTls() throws Exception {
        Path otherCerts = work.resolve("other-certs");
        Map<String, String> other = Map.of("CERTS_DIR", otherCerts.toString());
        assertEquals(0, e2e.run(List.of(e2e.script("ca/create-ca.sh"), "--key-type", "ec"), other, 60).exit());
        E2eFixture.Run device = e2e.run(List.of(e2e.script("device/create-device.sh"), "--key-type", "ec"), other, 60);
        assertEquals(0, device.exit(), device.err());
        Path dir = otherCerts.resolve("devices/" + device.out().trim());
        E2eFixture.Run curl = e2e.run(List.of("curl", "--silent", "--show-error", "--max-time", "20", "--cert",
                dir.resolve("deviceCertAndCACert.crt").toString(), "--key", dir.resolve("deviceCert.key").toString(),
                "--cacert", serverCa.toString(), "--data", "{}",
                "https://localhost:" + httpsPort + "/topics/jitr/start?qos=1"), Map.of(), 30);
        assertTrue(curl.exit() == 35 || curl.exit() == 56, "curl should fail in the TLS layer (35 or 56), got "
                + curl.exit() + ": " + curl.err() + curl.out());
        e2e.waitFor("the refusal to be logged", Duration.ofSeconds(10), () -> e2e.output().contains(
                "not issued by a registered CA"));
    }

    @Test
    @Order(4)
    void mqtt_secondDevice_getsOnlyWhatItsPolicyAllows() throws Exception {
        String other = e2e.createDevice();
        Path otherDir = certs.resolve("devices/" + other);
        E2eFixture.Run jitr = jitr(other, otherDir, MQTT_WAIT_SECONDS);
        assertEquals(0, jitr.exit(), "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());
        Path firstDir = certs.resolve("devices/" + firstThing);

        // the second device subscribes to its own topics with mosquitto_sub
        Path subOut = work.resolve("mosquitto_sub.out");
        subscriber = new ProcessBuilder(mqtt("mosquitto_sub", otherDir, other, "-q", "1", "-v", "-t",
                "things/" + other + "/#")).redirectErrorStream(true).redirectOutput(subOut.toFile()).start();
        e2e.waitFor("mosquitto_sub to be subscribed", Duration.ofSeconds(30), () -> e2e.output().contains(
                "subscribe to things/" + other + "/# by " + other + " granted"));

        // the first device publishes to its own topic: accepted, routed, not delivered to the second device
        String firstTopic = "things/" + firstThing + "/confirmation";
        E2eFixture.Run publish = e2e.run(mqtt("mosquitto_pub", firstDir, firstThing, "-q", "1", "-t", firstTopic, "-m",
                "{\"from\":\"first\"}"), Map.of(), 30);
        assertEquals(0, publish.exit(), "mosquitto_pub as the first thing: " + publish.err());
        // the broker logs the publish once it is routed (deliveries logged before): then the check is complete
        e2e.waitFor("the publish in the log", Duration.ofSeconds(10), () -> e2e.output().contains(
                "publish to " + firstTopic + " by " + firstThing));
        assertTrue(!e2e.output().contains("delivered " + firstTopic + " to " + other), e2e.output());

        // a client id other than the thing name: refused at connect
        int refusedBefore = count("connect refused for " + firstThing + "-other");
        E2eFixture.Run wrongId = e2e.run(mqtt("mosquitto_pub", firstDir, firstThing + "-other", "-q", "1", "-t", firstTopic,
                "-m", "x"), Map.of(), 30);
        assertTrue(wrongId.exit() != 0, "mosquitto_pub with another client id must fail: " + wrongId.err());
        e2e.waitFor("the refused connect in the log", Duration.ofSeconds(10),
                () -> count("connect refused for " + firstThing + "-other") > refusedBefore);

        // publishing to the second device's topic: the first device is disconnected
        String otherTopic = "things/" + other + "/confirmation";
        E2eFixture.Run outside = e2e.run(mqtt("mosquitto_pub", firstDir, firstThing, "-q", "1", "-t", otherTopic, "-m", "x"),
                Map.of(), 30);
        assertTrue(outside.exit() != 0, "mosquitto_pub outside the allowed topics must fail: " + outside.err());
        e2e.waitFor("the refused publish in the log", Duration.ofSeconds(10), () -> e2e.output().contains(
                "publish to " + otherTopic + " by " + firstThing + " refused"));
        assertTrue(!e2e.output().contains("delivered " + otherTopic), e2e.output());

        int disconnections = count("client " + other + " disconnected");
        subscriber.destroy();
        assertTrue(subscriber.waitFor(10, TimeUnit.SECONDS), "mosquitto_sub ends on SIGTERM");
        e2e.waitFor("the subscriber's disconnection", Duration.ofSeconds(10),
                () -> count("client " + other + " disconnected") > disconnections);

        // mosquitto_sub to the first device's topics: SUBACK 0x80, "All subscription requests were denied"
        E2eFixture.Run denied = e2e.run(mqtt("mosquitto_sub", otherDir, other, "-q", "1", "-W", "20", "-t",
                "things/" + firstThing + "/#"), Map.of(), 40);
        assertTrue(denied.err().contains("All subscription requests were denied")
                || denied.out().contains("All subscription requests were denied"), denied.err() + denied.out());

        // on one connection, the second device receives its own messages, never the first device's
        try (dev.iotonboard.local.iot.data.TestMqttClient client = new dev.iotonboard.local.iot.data.TestMqttClient(
                deviceKeyStore(otherDir), dev.iotonboard.lambda.core.CertificateIds.parsePem(
                        Files.readString(serverCa)), mqttPort)) {
            assertEquals(0, client.connect(other));
            assertEquals(1, client.subscribe(1, "things/" + other + "/#", 1));
            assertEquals(0x80, client.subscribe(2, "things/" + firstThing + "/#", 1));
            assertEquals(0, e2e.run(mqtt("mosquitto_pub", firstDir, firstThing, "-q", "1", "-t", firstTopic, "-m",
                    "{\"from\":\"first\"}"), Map.of(), 30).exit());
            client.publish("things/" + other + "/status", "own", 1, 7);
            dev.iotonboard.local.iot.data.TestMqttClient.Packet delivered = client.read();
            assertEquals("things/" + other + "/status", delivered.topic(), "the first packet is its own message");
            assertEquals("own", delivered.payloadText());
            assertEquals(0x40, client.read().header(), "then the PUBACK");
            client.disconnect();
        }
    }

    // ---- helpers ----

    private static int count(String text) {
        return e2e.output().split(java.util.regex.Pattern.quote(text), -1).length - 1;
    }

    /** A mosquitto client command with the device's certificate chain and key, as jitr.sh runs it. */
    private static List<String> mqtt(String tool, Path deviceDir, String clientId, String... args) {
        List<String> command = new ArrayList<>(List.of(tool, "-h", "localhost", "-p", Integer.toString(mqttPort),
                "--cafile", serverCa.toString(), "--cert", deviceDir.resolve("deviceCertAndCACert.crt").toString(),
                "--key", deviceDir.resolve("deviceCert.key").toString(), "-i", clientId));
        command.addAll(List.of(args));
        return command;
    }

    private static java.security.KeyStore deviceKeyStore(Path deviceDir) throws Exception {
        Object parsed;
        try (org.bouncycastle.openssl.PEMParser parser = new org.bouncycastle.openssl.PEMParser(
                Files.newBufferedReader(deviceDir.resolve("deviceCert.key")))) {
            parsed = parser.readObject();
        }
        org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter converter =
                new org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter();
        java.security.PrivateKey key = parsed instanceof org.bouncycastle.openssl.PEMKeyPair pair
                ? converter.getKeyPair(pair).getPrivate()
                : converter.getPrivateKey((org.bouncycastle.asn1.pkcs.PrivateKeyInfo) parsed);
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("device", key, new char[0], new java.security.cert.Certificate[] {
                dev.iotonboard.lambda.core.CertificateIds.parsePem(Files.readString(deviceDir.resolve(
                        "deviceCert.crt"))),
                dev.iotonboard.lambda.core.CertificateIds.parsePem(Files.readString(certs.resolve("rootCA.pem")))});
        return store;
    }


    private static List<String> policies(String target) {
        List<String> names = new ArrayList<>();
        e2e.cli("list-attached-policies", "--target", target).path("policies")
                .forEach(p -> names.add(p.path("policyName").asText()));
        return names;
    }


    /** Provisioning invocations finished (OK or ERROR), from the tool's log lines. */
    private static int provisioningsDone() {
        int n = 0;
        for (String line : e2e.output().split("\n")) {
            if (line.contains("[lambda] " + provisioningFunction + " ") && line.contains(" ms (container ")) {
                n++;
            }
        }
        return n;
    }

    private static List<String> texts(JsonNode array) {
        List<String> list = new ArrayList<>();
        array.forEach(n -> list.add(n.asText()));
        return list;
    }

    private static E2eFixture.Run jitr(String thing, Path deviceDir, int mqttTimeoutSeconds) {
        return e2e.jitr(thing, deviceDir, Map.of(), 240, "--mqtt-timeout", Integer.toString(mqttTimeoutSeconds),
                "--timeout", "120", "--initial-delay", "1", "--max-delay", "4");
    }
}
