package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end with crash faults: the activation function's container is killed right after its first write
 * (AttachPolicy of the JITR policy) and, on the retry, right after UpdateCertificate ACTIVE; Lambda's asynchronous
 * retries must converge, so the unmodified jitr.sh still onboards the device. Own tool instance; its output is kept in
 * local/target/local-faults-e2e.log.
 */
class LocalFaultsIT {
    private static E2eFixture e2e;
    private static Path cdkOut;
    private static int httpsPort;
    private static int mqttPort;
    private static String activationFunction;
    private static String appPolicy;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("local-faults-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"));
        cdkOut = e2e.createCaAndSynthesize();
        StackTemplate stack = StackTemplate.load(cdkOut, "IotOnboarding", "000000000000", "us-east-1");
        activationFunction = stack.functions().values().stream()
                .filter(f -> f.handler().contains("CertificateActivationHandler")).findFirst()
                .orElseThrow(() -> new AssertionError("no certificate activation function in the stack")).logicalId();
        appPolicy = stack.functions().values().stream().filter(f -> f.handler().contains("ThingProvisioningHandler"))
                .findFirst().orElseThrow(() -> new AssertionError("no thing provisioning function in the stack"))
                .environment().get("APP_POLICY_NAME");
        int controlPort = E2eFixture.freePort();
        httpsPort = E2eFixture.freePort();
        mqttPort = E2eFixture.freePort();
        e2e.startTool(controlPort, List.of("--cdk-out", cdkOut.toString(), "--ports", controlPort + "," + httpsPort,
                "--mqtt-port", Integer.toString(mqttPort), "--api-port", "0", "--state-dir",
                e2e.work.resolve("state").toString(), "--retry-delays", "0.5,1",
                "--fault", "crash:AttachPolicy:1", "--fault", "crash:UpdateCertificate:1"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    void crashesBetweenActivationSteps_theRetriesConverge_andTheDeviceOnboards() throws Exception {
        E2eFixture.Run register = e2e.run(List.of(e2e.script("ca/register-ca.sh"), "--endpoint-url", e2e.endpoint()),
                Map.of(), 120);
        assertEquals(0, register.exit(), "register-ca.sh failed:\n" + register.err());
        E2eFixture.Run device = e2e.run(List.of(e2e.script("device/create-device.sh")), Map.of(), 60);
        assertEquals(0, device.exit(), "create-device.sh failed:\n" + device.err());
        String thing = device.out().trim();

        E2eFixture.Run jitr = e2e.run(List.of(e2e.script("device/jitr.sh"), "--thing-name", thing, "--device-dir",
                e2e.certs.resolve("devices/" + thing).toString(), "--endpoint", "localhost", "--port",
                Integer.toString(httpsPort), "--cacert", e2e.work.resolve("state/server-ca.pem").toString(),
                "--mqtt-port", Integer.toString(mqttPort), "--mqtt-timeout", "120", "--timeout", "120",
                "--initial-delay", "1", "--max-delay", "4"), Map.of(), 240);
        assertEquals(0, jitr.exit(), "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());

        JsonNode stats = stats();
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
        List<String> policies = new ArrayList<>();
        e2e.cli("list-attached-policies", "--target", certificateArn).path("policies")
                .forEach(p -> policies.add(p.path("policyName").asText()));
        assertEquals(List.of(appPolicy), policies, "app policy only: the JITR policy attached before the crash was"
                + " detached by provisioning");
        assertTrue(!e2e.output().contains("on-failure record written"), "no event exhausted its retries");
    }

    private static JsonNode stats() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(e2e.endpoint() + "/_local/stats")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return E2eFixture.JSON.readTree(response.body());
    }
}
