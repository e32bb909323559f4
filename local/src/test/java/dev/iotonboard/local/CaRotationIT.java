package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.local.E2eFixture.Run;
import dev.iotonboard.local.stack.StackTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 13 item 2 end to end: a fleet onboarded under CA 1 moved to CA 2 with the unmodified scripts, as an operator
 * runs them: scripts/ca/rotate-ca.sh for each step, the per-device commands it prints (renew-device.sh, jitr.sh
 * --renew) run as printed, and each "deploy" it prints done locally (the stack re-synthesized with the command's
 * context, the local IoT Core restarted on the same --state-file; local/README.md). Devices run
 * {@value #PARALLEL} at a time. Ends with CA 1 INACTIVE and out of the truststore, and the API refusing its
 * certificates.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CaRotationIT {
    private static final int FLEET = Integer.getInteger("caRotation.fleet", 20);
    private static final int PARALLEL = 4;
    private static final Pattern CONTEXT = Pattern.compile(" -c ([A-Za-z]+)=(\\S*)");

    private static E2eFixture e2e;
    private static Path cdkOut;
    private static Path stateFile;
    private static Path newCaDir;
    private static String ca1;
    private static String ca2;
    private static final List<String> things = new ArrayList<>();
    /** A device's folder as it was under CA 1 (certificate and key), kept before its renewal. */
    private static Path oldDevice;
    /** A device onboarded under CA 2 while both CAs are trusted. */
    private static Path freshDevice;

    @BeforeAll
    static void onboardAFleetUnderCa1() throws Exception {
        e2e = new E2eFixture("ca-rotation-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"),
                Path.of("lambdas/device-api/target/device-api.jar"));
        cdkOut = e2e.createCaAndSynthesize();
        stateFile = e2e.work.resolve("registry.json");
        newCaDir = e2e.work.resolve("ca2");
        start();
        ca1 = e2e.registerCa();
        for (int i = 0; i < FLEET; i++) {
            things.add(e2e.createDevice());
        }
        inParallel(things, thing -> e2e.jitr(thing, 300, "--timeout", "240", "--mqtt-timeout", "240",
                "--initial-delay", "1", "--max-delay", "4"));
        for (String thing : things) {
            assertEquals(ca1, caOf(onlyPrincipal(thing)), thing);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    @Order(1)
    void newCa_thenDeployBoth_trustsBothCas() throws Exception {
        Run created = rotate("new-ca", "--new-ca-dir", newCaDir.toString(), "--key-type", "ec");
        assertEquals(0, created.exit(), created.err());
        ca2 = Files.readString(newCaDir.resolve("caCertificateId")).trim();
        JsonNode description = e2e.cli("describe-ca-certificate", "--certificate-id", ca2).path("certificateDescription");
        assertEquals("ACTIVE", description.path("status").asText());
        assertEquals("ENABLE", description.path("autoRegistrationStatus").asText());

        Map<String, String> context = deploy(rotate("deploy-both"));

        assertEquals(ca1 + "," + ca2, context.get("caCertificateIds"));
        StackTemplate stack = StackTemplate.load(cdkOut, "IotOnboarding", "000000000000", "us-east-1");
        assertEquals(ca1 + "," + ca2, E2eFixture.function(stack, "CertificateActivationHandler").environment()
                .get("CA_CERTIFICATE_IDS"));

        // during the overlap, a new device of CA 2 onboards, and the API takes the devices of both CAs
        String fresh = createDevice(newCaDir);
        freshDevice = newCaDir.resolve("devices/" + fresh);
        Run jitr = e2e.jitr(fresh, freshDevice, Map.of("CERTS_DIR", newCaDir.toString()), 300, "--timeout", "240",
                "--mqtt-timeout", "240");
        assertEquals(0, jitr.exit(), jitr.err());
        assertEquals(ca2, caOf(onlyPrincipal(fresh)));
        assertEquals(0, e2e.callApi(freshDevice).exit());
        assertEquals(0, e2e.callApi(e2e.certs.resolve("devices/" + things.get(0))).exit());
    }

    @Test
    @Order(2)
    void renew_movesEveryDeviceToCa2() throws Exception {
        assertTrue(Files.isExecutable(e2e.root.resolve("scripts/device/renew-device.sh")),
                "scripts/device/renew-device.sh is missing (it comes with the renewal work, issue 13 item 1)");
        oldDevice = e2e.work.resolve("old-device");
        copy(e2e.certs.resolve("devices/" + things.get(0)), oldDevice);

        Run renew = rotate("renew");
        assertEquals(0, renew.exit(), renew.err());
        List<String> commands = renew.out().lines().toList();
        assertEquals(FLEET, commands.size(), renew.out());

        Map<String, String> device = Map.of("IOT_ENDPOINT", "localhost",
                "IOT_HTTPS_PORT", Integer.toString(e2e.httpsPort()), "IOT_MQTT_PORT", Integer.toString(e2e.mqttPort()),
                "IOT_CACERT", e2e.serverCa().toString(), "JITR_TIMEOUT", "240", "JITR_MQTT_TIMEOUT", "240",
                "JITR_MAX_DELAY", "4", "DEVICE_KEY_TYPE", "ec");
        inParallel(commands, command -> e2e.run(List.of("bash", "-c", command), device, 600));

        // jitr.sh --renew is done once MQTT accepts the new certificate; provisioning then retires the old one, and
        // DetachThingPrincipal shows only after its propagation delay (as in RenewalIT).
        for (String thing : things) {
            e2e.waitFor(thing + " bound to one certificate", Duration.ofSeconds(30),
                    () -> principalsOf(thing).size() == 1);
            assertEquals(ca2, caOf(onlyPrincipal(thing)), thing + " is bound to a certificate of CA 2 only");
        }
        String oldId = dev.iotonboard.lambda.core.CertificateIds.fromPem(
                Files.readString(oldDevice.resolve("deviceCert.crt")));
        assertEquals("INACTIVE", e2e.cli("describe-certificate", "--certificate-id", oldId)
                .path("certificateDescription").path("status").asText(), "provisioning retired the old certificate");
        Run again = rotate("renew");
        assertEquals("", again.out(), "nothing left to renew");
        assertTrue(again.err().contains("0 device(s) to renew") && again.err().contains(FLEET + " already under the new CA"),
                again.err());
    }

    @Test
    @Order(3)
    void report_countsNoDeviceLeftOnCa1() {
        Run report = rotate("report");
        assertEquals(0, report.exit(), report.err());
        assertTrue(report.err().contains("old CA " + ca1 + ": 0 device(s)"), report.err());
        List<String> rows = report.out().lines().toList();
        String[] old = rows.get(1).split("\t");
        String[] fresh = rows.get(2).split("\t");
        assertEquals(List.of(ca1, "ACTIVE", "0", "0"), List.of(old[0], old[1], old[3], old[4]));
        assertEquals(List.of(ca2, "ACTIVE", Integer.toString(FLEET + 1), Integer.toString(FLEET + 1)),
                List.of(fresh[0], fresh[1], fresh[3], fresh[4]));
    }

    @Test
    @Order(4)
    void finish_retiresCa1_andTheApiRefusesItsCertificates() throws Exception {
        Map<String, String> context = deploy(rotate("finish"));

        assertEquals(ca2, context.get("caCertificateIds"));
        assertEquals("INACTIVE", e2e.cli("describe-ca-certificate", "--certificate-id", ca1)
                .path("certificateDescription").path("status").asText());
        assertEquals(Files.readString(newCaDir.resolve("rootCA.pem")),
                Files.readString(Path.of(context.get("truststorePath"))), "the truststore holds CA 2 alone");

        // API Gateway's mutual TLS refuses a certificate whose issuer left the truststore: 403, call-api.sh exit 3
        Run old = e2e.callApi(oldDevice);
        assertEquals(3, old.exit(), old.err());
        assertEquals(0, e2e.callApi(e2e.certs.resolve("devices/" + things.get(0))).exit());
        assertEquals(0, e2e.callApi(freshDevice).exit());

        // a certificate CA 1 signs now is not registered: an INACTIVE CA registers nothing
        String late = e2e.createDevice();
        Run refused = e2e.jitr(late, 60, "--timeout", "5", "--mqtt-timeout", "1");
        assertNotEquals(0, refused.exit(), refused.err());
        String lateId = dev.iotonboard.lambda.core.CertificateIds.fromPem(
                Files.readString(e2e.certs.resolve("devices/" + late + "/deviceCert.crt")));
        List<String> ca1Certificates = new ArrayList<>();
        e2e.cli("list-certificates-by-ca", "--ca-certificate-id", ca1).path("certificates")
                .forEach(c -> ca1Certificates.add(c.path("certificateId").asText()));
        assertTrue(!ca1Certificates.contains(lateId), "no registration through the INACTIVE CA 1");
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static void start() throws Exception {
        e2e.startToolOnFreePorts(cdkOut, "--state-file", stateFile.toString(), "--retry-delays", "0.5,1");
    }

    private static Run rotate(String... args) {
        List<String> command = new ArrayList<>(List.of(e2e.script("ca/rotate-ca.sh")));
        command.addAll(List.of(args));
        command.addAll(List.of("--endpoint-url", e2e.endpoint()));
        return e2e.run(command, Map.of(), 300);
    }

    /** What the printed {@code cdk deploy -c k=v ...} asks for, done locally; returns its context. */
    private static Map<String, String> deploy(Run step) throws Exception {
        assertEquals(0, step.exit(), step.err());
        String command = step.out().trim();
        assertTrue(command.startsWith("cdk deploy "), command);
        Map<String, String> context = new LinkedHashMap<>();
        Matcher m = CONTEXT.matcher(command);
        while (m.find()) {
            context.put(m.group(1), m.group(2));
        }
        e2e.stopTool();
        e2e.synthesize(context, cdkOut);
        start();
        return context;
    }

    private static String createDevice(Path certsDir) {
        Run device = e2e.run(List.of(e2e.script("device/create-device.sh"), "--key-type", "ec"),
                Map.of("CERTS_DIR", certsDir.toString()), 60);
        assertEquals(0, device.exit(), device.err());
        return device.out().trim();
    }

    private static String onlyPrincipal(String thing) {
        JsonNode principals = principalsOf(thing);
        assertEquals(1, principals.size(), thing + ": " + principals);
        return principals.get(0).asText();
    }

    private static JsonNode principalsOf(String thing) {
        return e2e.cli("list-thing-principals", "--thing-name", thing).path("principals");
    }

    private static String caOf(String certificateArn) {
        String id = certificateArn.substring(certificateArn.lastIndexOf('/') + 1);
        return e2e.cli("describe-certificate", "--certificate-id", id).path("certificateDescription")
                .path("caCertificateId").asText();
    }

    /** Runs each item's command, {@value #PARALLEL} at a time; every one must exit 0. */
    private static void inParallel(List<String> items, Function<String, Run> command) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
        try {
            List<Future<Run>> runs = new ArrayList<>();
            for (String item : items) {
                runs.add(pool.submit(() -> command.apply(item)));
            }
            for (int i = 0; i < items.size(); i++) {
                Run run = runs.get(i).get();
                assertEquals(0, run.exit(), items.get(i) + ":\n" + run.err() + "\nlocal IoT Core output:\n"
                        + e2e.output());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(file)) {
                    Files.copy(file, to.resolve(file.getFileName()));
                }
            }
        }
    }
}
