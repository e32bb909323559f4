package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.core.CertificateIds;
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
 * Issue 15 item 4 end to end, on the local IoT Core with the synthesized stack, the real device-api jar, the real AWS
 * CLI and the unmodified scripts: an IoT outage makes the authorizer answer a Deny within its retry budget (the
 * device gets 403, never the 500 of a failed or timed-out authorizer), and scripts/ops/teardown.sh detaches the
 * stack's policies from every certificate, leaving certificates and things. Own tool instance; its output is kept in
 * local/target/deploy-ops-e2e.log.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeployOpsIT {
    private static E2eFixture e2e;
    private static String jitrPolicy;
    private static String appPolicy;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("deploy-ops-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"),
                Path.of("lambdas/device-api/target/device-api.jar"));
        Path cdkOut = e2e.createCaAndSynthesize();
        E2eFixture.PolicyNames policies = E2eFixture.policyNames(cdkOut);
        appPolicy = policies.app();
        jitrPolicy = policies.jitr();
        e2e.startToolOnFreePorts(cdkOut, "--retry-delays", "0.5,1", "--function-env", "AUTH_CACHE_TTL_SECONDS=1");
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
    void anIotOutage_isA403FromTheAuthorizerWithinItsBudget_neverA500() throws Exception {
        Path device = onboard();
        Thread.sleep(1_500); // past the authorizer's decision cache (AUTH_CACHE_TTL_SECONDS=1)
        try {
            e2e.addFault("DynamoDB.GetItem:every=1:throttle");
            long start = System.nanoTime();
            E2eFixture.Run refused = e2e.callApi(device);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertEquals(3, refused.exit(), refused.err());
            assertTrue(refused.err().contains("HTTP 403"), refused.err());
            assertFalse(refused.err().contains("HTTP 500"), refused.err());
            // The authorizer's 10 s timeout was not reached: its registry budget (2 s per read) ended first.
            assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, took.toString());
            assertTrue(e2e.output().contains("REGISTRY_UNAVAILABLE"), "the Deny is logged with its reason");
        } finally {
            e2e.clearFaults();
        }
        e2e.waitFor("the API to accept the device again", Duration.ofSeconds(30), () -> e2e.callApi(device).exit() == 0);
    }

    @Test
    @Order(2)
    void teardown_detachesTheStacksPoliciesFromEveryCertificate_andLeavesCertificatesAndThings() throws Exception {
        Path device = onboard();
        String id = CertificateIds.fromPem(Files.readString(device.resolve("deviceCert.crt")));
        assertFalse(targets(jitrPolicy).isEmpty() && targets(appPolicy).isEmpty());

        E2eFixture.Run dry = teardown();
        assertEquals(0, dry.exit(), dry.err());
        assertTrue(dry.err().contains("dry run: would detach " + appPolicy + " from arn:aws:iot:us-east-1:000000000000"
                + ":cert/" + id), dry.err());
        assertTrue(targets(appPolicy).stream().anyMatch(t -> t.endsWith(id)), "a dry run changes nothing");

        E2eFixture.Run done = teardown("--yes");
        assertEquals(0, done.exit(), done.err());
        assertEquals(List.of(), targets(jitrPolicy));
        assertEquals(List.of(), targets(appPolicy));
        assertEquals("ACTIVE", e2e.cli("describe-certificate", "--certificate-id", id).path("certificateDescription")
                .path("status").asText(), "the certificate stays");
        assertEquals(device.getFileName().toString(), e2e.cli("describe-thing", "--thing-name",
                device.getFileName().toString()).path("thingName").asText(), "the thing stays");
        // IoT now deletes the policies, as CloudFormation will on cdk destroy.
        e2e.cli("delete-policy", "--policy-name", appPolicy);
        e2e.cli("delete-policy", "--policy-name", jitrPolicy);
    }

    private static Path onboard() throws Exception {
        String thing = e2e.createDevice();
        E2eFixture.Run jitr = e2e.jitr(thing, 240, "--mqtt-timeout", "120", "--timeout", "120", "--initial-delay",
                "1", "--max-delay", "4");
        assertEquals(0, jitr.exit(), "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());
        Path dir = e2e.certs.resolve("devices/" + thing);
        e2e.waitFor("the API to accept " + thing, Duration.ofSeconds(30), () -> e2e.callApi(dir).exit() == 0);
        return dir;
    }

    private static E2eFixture.Run teardown(String... extra) {
        List<String> command = new ArrayList<>(List.of(e2e.script("ops/teardown.sh"), "--endpoint-url",
                e2e.endpoint(), "--policy-name", jitrPolicy, "--policy-name", appPolicy));
        command.addAll(List.of(extra));
        return e2e.run(command, Map.of(), 120);
    }

    private static List<String> targets(String policy) {
        List<String> list = new ArrayList<>();
        e2e.cli("list-targets-for-policy", "--policy-name", policy).path("targets").forEach(t -> list.add(t.asText()));
        return list;
    }
}
