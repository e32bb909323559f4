package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.local.stack.StackTemplate;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end with crash faults: the activation function's container is killed right after its first write
 * (AttachPolicy of the JITR policy) and, on the retry, right after UpdateCertificate ACTIVE; Lambda's asynchronous
 * retries must converge, so the unmodified jitr.sh still onboards the device. Then a dropped provisioning event:
 * jitr.sh sends its request again while MQTT refuses. Own tool instance (the crash faults count from its start, so the
 * crash test runs first); its output is kept in local/target/local-faults-e2e.log.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalFaultsIT {
    private static E2eFixture e2e;
    private static String activationFunction;
    private static String provisioningFunction;
    private static String appPolicy;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("local-faults-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"));
        Path cdkOut = e2e.createCaAndSynthesize();
        StackTemplate stack = StackTemplate.load(cdkOut, "IotOnboarding", "000000000000", "us-east-1");
        activationFunction = E2eFixture.function(stack, "CertificateActivationHandler").logicalId();
        provisioningFunction = E2eFixture.function(stack, "ThingProvisioningHandler").logicalId();
        appPolicy = E2eFixture.function(stack, "ThingProvisioningHandler").environment().get("APP_POLICY_NAME");
        e2e.startToolOnFreePorts(cdkOut, "--retry-delays", "0.5,1",
                "--fault", "crash:AttachPolicy:1", "--fault", "crash:UpdateCertificate:1");
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
    void crashesBetweenActivationSteps_theRetriesConverge_andTheDeviceOnboards() throws Exception {
        String thing = e2e.createDevice();

        E2eFixture.Run jitr = e2e.jitr(thing, 240, "--mqtt-timeout", "120", "--timeout", "120",
                "--initial-delay", "1", "--max-delay", "4");
        assertEquals(0, jitr.exit(), "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());

        JsonNode stats = e2e.stats();
        JsonNode activation = stats.path("functions").path(activationFunction);
        assertEquals(2, activation.path("crashes").asInt(), "both crash faults fired: " + stats);
        assertTrue(activation.path("errors").asInt() >= 2, stats.toString());
        assertEquals(1, stats.path("operations").path("AttachPolicy").path("faults").asInt(), stats.toString());
        assertEquals(1, stats.path("operations").path("UpdateCertificate").path("faults").asInt(), stats.toString());

        String certificateArn = e2e.cli("list-thing-principals", "--thing-name", thing).path("principals").get(0)
                .asText();
        String certificateId = certificateArn.substring(certificateArn.lastIndexOf('/') + 1);
        assertEquals("ACTIVE", e2e.cli("describe-certificate", "--certificate-id", certificateId)
                .path("certificateDescription").path("status").asText());
        List<String> policies = e2e.policyNames(certificateArn);
        assertEquals(List.of(appPolicy), policies, "app policy only: the JITR policy attached before the crash was"
                + " detached by provisioning");
        assertTrue(!e2e.output().contains("on-failure record written"), "no event exhausted its retries");
    }

    @Test
    @Order(2)
    void provisioningEventDropped_jitrShSendsTheRequestAgain_andTheDeviceOnboards() throws Exception {
        e2e.clearFaults();
        e2e.addFault("drop:" + provisioningFunction + ":1");
        String thing = e2e.createDevice();

        E2eFixture.Run jitr = e2e.jitr(thing, 240, "--mqtt-timeout", "120", "--timeout", "120",
                "--initial-delay", "1", "--max-delay", "2", "--resend-after", "3");
        assertEquals(0, jitr.exit(), "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());
        assertTrue(jitr.err().contains("since the request: sent it again (accepted)"), jitr.err());

        JsonNode provisioning = e2e.stats().path("functions").path(provisioningFunction);
        assertEquals(1, provisioning.path("drops").asInt(), "the first request's event was dropped: " + provisioning);
        assertTrue(provisioning.path("invocations").asInt() >= 2, "the crash test's device and this one's resent"
                + " request: " + provisioning);
        String certificateArn = e2e.cli("list-thing-principals", "--thing-name", thing).path("principals").get(0)
                .asText();
        assertEquals(List.of(appPolicy), e2e.policyNames(certificateArn));
    }
}
