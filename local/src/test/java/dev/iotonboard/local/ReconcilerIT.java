package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.local.stack.StackTemplate;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end, a lost registered event: every asynchronous invocation of the activation function is dropped
 * ({@code drop:<activation>:every=1}), so only the stack's scheduled reconciler (run every 2 s here, grace period 0)
 * can activate the device's certificate; the unmodified jitr.sh must still onboard the device. The stack is
 * synthesized with the CA's id, which is what deploys the reconciler. The tool evaluates each function's IAM role
 * (on by default), so the reconciler's run is held to the grants the stack gives it: no call may be denied (a grant
 * on a resource type IAM does not authorize the action on, such as {@code iot:ListCertificatesByCA} on a
 * {@code cacert/<id>} ARN, fails every run on AWS and here). Output in local/target/reconciler-e2e.log.
 */
class ReconcilerIT {
    private static E2eFixture e2e;
    private static StackTemplate stack;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("reconciler-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"),
                Path.of("lambdas/reconciler/target/reconciler.jar"));
        Path cdkOut = e2e.createCaAndSynthesize();
        stack = StackTemplate.load(cdkOut, "IotOnboarding", "000000000000", "us-east-1");
        e2e.startToolOnFreePorts(cdkOut, "--schedule-interval", "2", "--function-env", "GRACE_PERIOD_SECONDS=0",
                "--fault", "drop:" + function("CertificateActivationHandler") + ":every=1");
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    void everyRegisteredEventDropped_theReconcilerActivates_andTheDeviceOnboards() throws Exception {
        e2e.registerCa();
        String thing = e2e.createDevice();

        E2eFixture.Run jitr = e2e.jitr(thing, 300, "--timeout", "150", "--mqtt-timeout", "90",
                "--initial-delay", "1", "--max-delay", "4");
        assertEquals(List.of(), e2e.output().lines().filter(l -> l.contains("AccessDenied")).toList(),
                "calls the functions' IAM roles deny (the tool's log)");
        assertEquals(0, jitr.exit(), "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());

        JsonNode functions = e2e.stats().path("functions");
        JsonNode activation = functions.path(function("CertificateActivationHandler"));
        assertTrue(activation.path("drops").asInt() >= 1, "the registered events were dropped: " + functions);
        assertEquals(0, activation.path("invocations").asInt(), "the activation function never ran: " + functions);
        assertTrue(functions.path(function("ReconcilerHandler")).path("invocations").asInt() >= 1, functions.toString());
        assertTrue(e2e.output().contains("\"message\":\"reconciler run finished\"") && e2e.output().contains(
                "\"activated\":1,"), "a reconciler run reports the certificate it activated");

        String certificateArn = e2e.cli("list-thing-principals", "--thing-name", thing).path("principals").get(0)
                .asText();
        String certificateId = certificateArn.substring(certificateArn.lastIndexOf('/') + 1);
        assertEquals("ACTIVE", e2e.cli("describe-certificate", "--certificate-id", certificateId)
                .path("certificateDescription").path("status").asText());
    }

    private static String function(String handlerClass) {
        return E2eFixture.function(stack, handlerClass).logicalId();
    }
}
