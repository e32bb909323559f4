package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.CertificateIds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Decommissioning end to end: devices onboarded with the unmodified jitr.sh (HTTPS and MQTT), then
 * scripts/ops/decommission.sh with the real AWS CLI against the local IoT Core, interrupted after each of its steps by
 * a failing IoT call (the tool's fault injection, {@code OP:every=1:500}, with {@code AWS_MAX_ATTEMPTS=1} so the CLI
 * does not retry it away) or by its own detachment timeout, and resumed until done. Also the IoT rules it depends on,
 * as the real CLI sees them (DeleteCertificate refused while ACTIVE or attached, DeleteThing while a principal is
 * attached, DetachThingPrincipal asynchronous: {@code --detach-delay 3}), {@code --dry-run}, {@code --revoke} (the
 * certificate kept REVOKED, so that its key cannot onboard again), and a thing that does not exist. The API is checked with scripts/device/call-api.sh (authorizer cache TTL 1 s here, 60 s
 * in the stack), MQTT with mosquitto_pub. Own tool instance; its output is kept in local/target/decommission-e2e.log.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DecommissionIT {
    private static E2eFixture e2e;
    private static String jitrPolicy;
    private static String appPolicy;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("decommission-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"),
                Path.of("lambdas/device-api/target/device-api.jar"));
        Path cdkOut = e2e.createCaAndSynthesize();
        E2eFixture.PolicyNames policies = E2eFixture.policyNames(cdkOut);
        appPolicy = policies.app();
        jitrPolicy = policies.jitr();
        e2e.startToolOnFreePorts(cdkOut, "--retry-delays", "0.5,1", "--detach-delay", "3",
                "--function-env", "AUTH_CACHE_TTL_SECONDS=1");
        assertTrue(e2e.apiPort() > 0, "API endpoint in the ready line:\n" + e2e.output());
        e2e.registerCa();
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    @Order(1)
    void aThingThatDoesNotExist_isAClearErrorWithItsOwnExitCode() {
        String missing = "0b7c3e2a-4d5f-4a6b-8c9d-0e1f2a3b4c5d";
        E2eFixture.Run run = decommission(Map.of(), "--thing-name", missing);
        assertEquals(3, run.exit(), run.err());
        assertTrue(run.err().contains("error: no thing " + missing + ": nothing to decommission"), run.err());
        assertFalse(run.err().contains("Traceback") || run.err().contains("An error occurred"), run.err());
    }

    @Test
    @Order(2)
    void dryRun_printsThePlan_andChangesNothing_andIotRefusesTheShortcuts() throws Exception {
        Device device = onboard();
        E2eFixture.Run dry = decommission(Map.of(), "--thing-name", device.thing, "--dry-run", "--revoke");
        assertEquals(0, dry.exit(), dry.err());
        for (String line : List.of("dry run: would set certificate " + device.id + " REVOKED (was ACTIVE)",
                "dry run: would record the certificates on thing " + device.thing,
                "dry run: would detach policy " + appPolicy + " from certificate " + device.id,
                "dry run: would detach certificate " + device.id + " from thing " + device.thing,
                "dry run: would keep certificate " + device.id + " (REVOKED at step 1; ACTIVE now)",
                "dry run: would delete thing " + device.thing)) {
            assertTrue(dry.err().contains(line), "missing <" + line + ">:\n" + dry.err());
        }
        assertFalse(dry.err().contains("would delete certificate"), dry.err());
        assertEquals("ACTIVE", status(device.id));
        assertEquals(List.of(device.arn), principals(device.thing));
        assertEquals(List.of(appPolicy), e2e.policyNames(device.arn));
        assertTrue(e2e.cli("describe-thing", "--thing-name", device.thing).path("attributes").isEmpty());
        assertEquals(0, e2e.callApi(device.dir).exit(), "the API still accepts the device after a dry run");

        // What the script's order rests on, as the real CLI meets it in the local IoT Core (as on AWS):
        assertIotError("CertificateStateException", "Certificate must be deactivated (not ACTIVE) before deletion",
                "delete-certificate", "--certificate-id", device.id);
        assertIotError("InvalidRequestException", "is still attached to one or more principals",
                "delete-thing", "--thing-name", device.thing);
        e2e.cli("update-certificate", "--certificate-id", device.id, "--new-status", "INACTIVE");
        assertIotError("DeleteConflictException", "Things must be detached before deletion",
                "delete-certificate", "--certificate-id", device.id);
        e2e.cli("detach-thing-principal", "--thing-name", device.thing, "--principal", device.arn);
        assertEquals(List.of(device.arn), principals(device.thing), "DetachThingPrincipal is asynchronous");
        assertIotError("InvalidRequestException", "is still attached to one or more principals",
                "delete-thing", "--thing-name", device.thing);
        e2e.waitFor("the detachment to show", Duration.ofSeconds(30), () -> principals(device.thing).isEmpty());
        assertIotError("DeleteConflictException", "Certificate policies must be detached before deletion",
                "delete-certificate", "--certificate-id", device.id);
    }

    @Test
    @Order(3)
    void interruptedAfterEachStep_andResumed_leavesNoCertificateThingOrPolicyTarget() throws Exception {
        Device device = onboard();

        // step 1 done, step 2 (UpdateThing) fails: the device is stopped
        E2eFixture.Run run = interrupted("UpdateThing", device);
        assertTrue(run.err().contains("set certificate " + device.id + " INACTIVE (was ACTIVE): done"), run.err());
        assertEquals("INACTIVE", status(device.id));
        awaitApiRefuses(device);
        assertNotEquals(0, mqttPublish(device).exit(), "MQTT refuses an INACTIVE certificate");

        // step 2 done, step 3 (DetachPolicy) fails: the certificate is recorded on the thing
        run = interrupted("DetachPolicy", device);
        assertTrue(run.err().contains("certificate " + device.id + ": already INACTIVE"), run.err());
        assertEquals(device.id, e2e.cli("describe-thing", "--thing-name", device.thing).path("attributes")
                .path("decommissionCertificateIds").asText());

        // step 3 done, step 4 (DetachThingPrincipal) fails: no policy left
        run = interrupted("DetachThingPrincipal", device);
        assertTrue(run.err().contains("detach policy " + appPolicy + " from certificate " + device.id + ": done"),
                run.err());
        assertEquals(List.of(), e2e.policyNames(device.arn));
        assertFalse(targets(appPolicy).contains(device.arn));

        // step 4 started: detached, but the detachment does not show within --detach-timeout 1 (3 s here): exit 4
        run = decommission(Map.of(), "--thing-name", device.thing, "--detach-timeout", "1");
        assertEquals(4, run.exit(), run.err());
        assertTrue(run.err().contains("still not done after 1 s"), run.err());

        // step 4 done, step 5 (DeleteCertificate) fails: the thing no longer lists the certificate; only the
        // record on the thing still names it
        e2e.waitFor("the detachment to show", Duration.ofSeconds(30), () -> principals(device.thing).isEmpty());
        run = interrupted("DeleteCertificate", device);
        assertTrue(run.err().contains("certificate " + device.id + ": not attached to thing " + device.thing),
                run.err());
        assertEquals("INACTIVE", status(device.id));

        // step 5 done, step 6 (DeleteThing) fails
        run = interrupted("DeleteThing", device);
        assertTrue(run.err().contains("delete certificate " + device.id + ": done"), run.err());
        assertEquals(0, certificateCount(device.id));

        // resumed to the end
        run = decommission(Map.of(), "--thing-name", device.thing);
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().contains("certificate " + device.id + ": already deleted"), run.err());
        assertTrue(run.err().contains("thing " + device.thing + " decommissioned"), run.err());
        assertGone(device);

        // and once more: nothing is left to do
        assertEquals(3, decommission(Map.of(), "--thing-name", device.thing).exit());

        // deleted, the certificate is unknown to IoT: presenting it again (the MQTT attempt above) registers it
        // again through JITR, as any certificate of the CA (what --revoke prevents)
        e2e.waitFor("the deleted certificate to be registered again", Duration.ofSeconds(30),
                () -> certificateCount(device.id) == 1);
        assertTrue(List.of("PENDING_ACTIVATION", "ACTIVE").contains(status(device.id)), status(device.id));
    }

    @Test
    @Order(4)
    void revoke_turnsAnInactiveCertificateRevoked_aRevokedOneIsNeverSetInactive_andResumedWithoutRevokeItIsStillKept()
            throws Exception {
        Device device = onboard();
        interrupted("UpdateThing", device);
        assertEquals("INACTIVE", status(device.id));

        E2eFixture.Run run = interrupted("DetachPolicy", device, "--revoke");
        assertTrue(run.err().contains("set certificate " + device.id + " REVOKED (was INACTIVE): done"), run.err());
        assertEquals("REVOKED", status(device.id));

        // a run without --revoke leaves a REVOKED certificate REVOKED
        run = interrupted("DetachThingPrincipal", device);
        assertTrue(run.err().contains("certificate " + device.id + ": already REVOKED"), run.err());
        assertEquals("REVOKED", status(device.id));

        // and, resumed without --revoke, never deletes it: a deleted certificate could register again through JITR
        run = decommission(Map.of(), "--thing-name", device.thing);
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().contains("a decommissioning is in progress (recorded: " + device.id + "); resuming"),
                run.err());
        assertTrue(run.err().contains("certificate " + device.id + ": already REVOKED"), run.err());
        assertTrue(run.err().contains("certificate " + device.id + ": kept, REVOKED"), run.err());
        assertKeptRevoked(device);
    }

    @Test
    @Order(5)
    void revoke_leavesTheCertificateRevoked_detachedAndWithoutPolicy_soItsKeyCannotOnboardAgain()
            throws Exception {
        Device device = onboard();
        E2eFixture.Run run = decommission(Map.of(), "--thing-name", device.thing, "--revoke");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().contains("set certificate " + device.id + " REVOKED (was ACTIVE): done"), run.err());
        assertTrue(run.err().contains("certificate " + device.id + ": kept, REVOKED"), run.err());
        assertKeptRevoked(device);

        E2eFixture.Run jitr = e2e.jitr(device.thing, 120, "--timeout", "8", "--mqtt-timeout", "5",
                "--initial-delay", "1", "--max-delay", "2");
        assertNotEquals(0, jitr.exit(), "jitr.sh cannot onboard a REVOKED certificate again:\n" + jitr.err());
        assertEquals("REVOKED", status(device.id));
        assertNotEquals(0, e2e.run(List.of("aws", "--endpoint-url", e2e.endpoint(), "iot", "describe-thing",
                "--thing-name", device.thing), Map.of(), 60).exit(), "no thing made again");
    }

    /** A device onboarded by jitr.sh (ending on MQTT) that the API accepts. */
    private record Device(String thing, String id, String arn, Path dir) {
    }

    private static Device onboard() throws Exception {
        String thing = e2e.createDevice();
        E2eFixture.Run jitr = e2e.jitr(thing, 240, "--mqtt-timeout", "120", "--timeout", "120", "--initial-delay",
                "1", "--max-delay", "4");
        assertEquals(0, jitr.exit(), "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());
        Path dir = e2e.certs.resolve("devices/" + thing);
        String id = CertificateIds.fromPem(Files.readString(dir.resolve("deviceCert.crt")));
        Device device = new Device(thing, id, "arn:aws:iot:us-east-1:000000000000:cert/" + id, dir);
        assertEquals(List.of(device.arn), principals(thing));
        e2e.waitFor("the API to accept " + thing, Duration.ofSeconds(30), () -> e2e.callApi(device.dir).exit() == 0);
        return device;
    }

    /** A run with every call of {@code operation} failing (500, not retried): exit 1, naming the failed step. */
    private static E2eFixture.Run interrupted(String operation, Device device, String... extra) {
        e2e.clearFaults();
        e2e.addFault(operation + ":every=1:500");
        try {
            List<String> args = new ArrayList<>(List.of("--thing-name", device.thing));
            args.addAll(List.of(extra));
            E2eFixture.Run run = decommission(Map.of("AWS_MAX_ATTEMPTS", "1"), args.toArray(String[]::new));
            assertEquals(1, run.exit(), "interrupted at " + operation + ":\n" + run.err());
            assertTrue(run.err().contains("InternalFailureException"), run.err());
            assertTrue(run.err().contains("run the same command again to resume"), run.err());
            return run;
        } finally {
            e2e.clearFaults();
        }
    }

    private static E2eFixture.Run decommission(Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(e2e.script("ops/decommission.sh"), "--endpoint-url",
                e2e.endpoint()));
        command.addAll(List.of(args));
        return e2e.run(command, env, 180);
    }

    /** No certificate, no thing, no policy target left; the API and MQTT refuse the certificate. */
    private static void assertGone(Device device) throws Exception {
        assertEquals(0, certificateCount(device.id), "no certificate left");
        assertNotEquals(0, e2e.run(List.of("aws", "--endpoint-url", e2e.endpoint(), "iot", "describe-thing",
                "--thing-name", device.thing), Map.of(), 60).exit(), "no thing left");
        for (String policy : List.of(jitrPolicy, appPolicy)) {
            assertFalse(targets(policy).stream().anyMatch(t -> t.contains(device.id)), policy + ": " + targets(policy));
        }
        awaitApiRefuses(device);
        assertNotEquals(0, mqttPublish(device).exit(), "MQTT refuses the decommissioned device");
    }

    /** The certificate kept, REVOKED, without policy or thing; no thing left; the API and MQTT refuse it. */
    private static void assertKeptRevoked(Device device) throws Exception {
        assertEquals(1, certificateCount(device.id), "the certificate is kept");
        assertEquals("REVOKED", status(device.id));
        assertEquals(List.of(), e2e.policyNames(device.arn));
        for (String policy : List.of(jitrPolicy, appPolicy)) {
            assertFalse(targets(policy).stream().anyMatch(t -> t.contains(device.id)), policy + ": " + targets(policy));
        }
        assertEquals(0, e2e.cli("list-principal-things", "--principal", device.arn).path("things").size());
        assertNotEquals(0, e2e.run(List.of("aws", "--endpoint-url", e2e.endpoint(), "iot", "describe-thing",
                "--thing-name", device.thing), Map.of(), 60).exit(), "no thing left");
        awaitApiRefuses(device);
        assertNotEquals(0, mqttPublish(device).exit(), "MQTT refuses a REVOKED certificate");
    }

    private static void awaitApiRefuses(Device device) throws InterruptedException {
        E2eFixture.Run[] last = new E2eFixture.Run[1];
        e2e.waitFor("the API to refuse " + device.thing + " (authorizer cache TTL 1 s here)", Duration.ofSeconds(30),
                () -> {
                    last[0] = e2e.callApi(device.dir);
                    return last[0].exit() == 3;
                });
        assertTrue(last[0].err().contains("HTTP 403"), last[0].err());
    }

    private static void assertIotError(String code, String message, String... args) {
        List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url", e2e.endpoint(), "iot"));
        command.addAll(List.of(args));
        E2eFixture.Run run = e2e.run(command, Map.of("AWS_MAX_ATTEMPTS", "1"), 60);
        assertNotEquals(0, run.exit(), String.join(" ", args) + " must fail");
        assertTrue(run.err().contains("(" + code + ")") && run.err().contains(message), run.err());
    }

    private static String status(String id) {
        return e2e.cli("describe-certificate", "--certificate-id", id).path("certificateDescription").path("status")
                .asText();
    }

    private static int certificateCount(String id) {
        int count = 0;
        for (JsonNode c : e2e.cli("list-certificates").path("certificates")) {
            if (c.path("certificateId").asText().equals(id)) {
                count++;
            }
        }
        return count;
    }

    private static List<String> principals(String thing) {
        List<String> list = new ArrayList<>();
        e2e.cli("list-thing-principals", "--thing-name", thing).path("principals").forEach(p -> list.add(p.asText()));
        return list;
    }

    private static List<String> targets(String policy) {
        List<String> list = new ArrayList<>();
        e2e.cli("list-targets-for-policy", "--policy-name", policy).path("targets").forEach(t -> list.add(t.asText()));
        return list;
    }

    private static E2eFixture.Run mqttPublish(Device device) throws IOException {
        return e2e.run(List.of("mosquitto_pub", "-h", "localhost", "-p", Integer.toString(e2e.mqttPort()), "--cafile",
                e2e.serverCa().toString(), "--cert", device.dir.resolve("deviceCertAndCACert.crt").toString(), "--key",
                device.dir.resolve("deviceCert.key").toString(), "-i", device.thing, "-q", "1", "-t", "things/"
                        + device.thing + "/confirmation", "-m", "{}"), Map.of(), 60);
    }
}
