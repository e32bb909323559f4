package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The redrive path end to end: with every ListPrincipalThings call failing ({@code --fault
 * ListPrincipalThings:every=1:500}, a call only the provisioning function makes), two devices' provisioning requests
 * fail all their attempts and land as destination records in the provisioning function's on-failure queue (the
 * stack's {@code AWS::SQS::Queue}, served by the tool's SQS stand-in). With the fault cleared, the unmodified
 * {@code scripts/ops/redrive.sh} re-submits them through the tool's Lambda Invoke with the real AWS CLI: first one
 * ({@code --max 1}) with the {@code aws} on the PATH, then the rest with /usr/bin/aws (v1 and v2 here, both v2 in CI).
 * Both things get provisioned and the queue ends empty. Own tool instance; its output is kept in
 * local/target/redrive-e2e.log.
 */
class RedriveIT {
    private static E2eFixture e2e;
    private static int httpsPort;
    private static int mqttPort;
    private static String provisioningFunction;
    private static String failureQueue;
    private static String appPolicy;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("redrive-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"));
        Path cdkOut = e2e.createCaAndSynthesize();
        StackTemplate stack = StackTemplate.load(cdkOut, "IotOnboarding", "000000000000", "us-east-1");
        StackTemplate.Function provisioning = stack.functions().values().stream()
                .filter(f -> f.handler().contains("ThingProvisioningHandler")).findFirst()
                .orElseThrow(() -> new AssertionError("no thing provisioning function in the stack"));
        provisioningFunction = provisioning.name();
        String destination = provisioning.onFailureDestination();
        assertTrue(destination != null && destination.startsWith("arn:aws:sqs:"),
                "the provisioning function's on-failure destination is an SQS queue: " + destination);
        failureQueue = destination.substring(destination.lastIndexOf(':') + 1);
        appPolicy = provisioning.environment().get("APP_POLICY_NAME");
        int controlPort = E2eFixture.freePort();
        httpsPort = E2eFixture.freePort();
        mqttPort = E2eFixture.freePort();
        e2e.startTool(controlPort, List.of("--cdk-out", cdkOut.toString(), "--ports", controlPort + "," + httpsPort,
                "--mqtt-port", Integer.toString(mqttPort), "--api-port", "0", "--state-dir",
                e2e.work.resolve("state").toString(), "--retry-delays", "0.2,0.2",
                "--fault", "ListPrincipalThings:every=1:500"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    void failedProvisioningEvents_landInTheQueue_andRedriveProvisionsThem() throws Exception {
        E2eFixture.Run register = e2e.run(List.of(e2e.script("ca/register-ca.sh"), "--endpoint-url", e2e.endpoint()),
                Map.of(), 120);
        assertEquals(0, register.exit(), "register-ca.sh failed:\n" + register.err());
        String queueUrl = aws("sqs", "get-queue-url", "--queue-name", failureQueue).path("QueueUrl").asText();
        assertEquals(e2e.endpoint() + "/000000000000/" + failureQueue, queueUrl);

        List<String> things = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            things.add(failedDevice());
        }
        e2e.waitFor("both provisioning requests in the failure queue", Duration.ofSeconds(90),
                () -> messages(queueUrl) == 2);
        JsonNode record = E2eFixture.JSON.readTree(aws("sqs", "receive-message", "--queue-url", queueUrl,
                "--visibility-timeout", "0").path("Messages").get(0).path("Body").asText());
        assertEquals("RetriesExhausted", record.path("requestContext").path("condition").asText(), record.toString());
        assertTrue(things.contains(record.path("requestPayload").path("thingName").asText()), record.toString());
        for (String thing : things) {
            assertNotEquals(0, e2e.run(List.of("aws", "--endpoint-url", e2e.endpoint(), "iot", "describe-thing",
                    "--thing-name", thing), Map.of(), 60).exit(), "not provisioned while the fault lasts: " + thing);
        }

        clearFaults();
        E2eFixture.Run first = redrive(queueUrl, null, "--max", "1");
        assertEquals(0, first.exit(), "redrive.sh --max 1 (aws on the PATH) failed:\n" + first.err());
        assertEquals("redriven=1 left=0 malformed=0", last(first.out()));
        Path debianCli = Path.of("/usr/bin/aws");
        E2eFixture.Run rest = redrive(queueUrl, Files.isExecutable(debianCli) ? debianCli : null);
        assertEquals(0, rest.exit(), "redrive.sh (/usr/bin/aws) failed:\n" + rest.err());
        assertEquals("redriven=1 left=0 malformed=0", last(rest.out()));

        for (String thing : things) {
            e2e.waitFor(thing + " provisioned by the re-submitted event", Duration.ofSeconds(60), () -> {
                JsonNode principals = e2e.cli("list-thing-principals", "--thing-name", thing).path("principals");
                return principals.size() == 1 && policies(principals.get(0).asText()).equals(List.of(appPolicy));
            });
        }
        e2e.waitFor("no asynchronous event pending", Duration.ofSeconds(30),
                () -> stats().path("pendingAsync").asInt() == 0);
        assertEquals("0", aws("sqs", "get-queue-attributes", "--queue-url", queueUrl, "--attribute-names",
                "All").path("Attributes").path("ApproximateNumberOfMessagesNotVisible").asText());
        assertEquals(0, messages(queueUrl), "the queue ends empty");
    }

    /** A device whose JITR activation works and whose provisioning request fails: jitr.sh ends with exit 5. */
    private static String failedDevice() {
        E2eFixture.Run device = e2e.run(List.of(e2e.script("device/create-device.sh")), Map.of(), 60);
        assertEquals(0, device.exit(), "create-device.sh failed:\n" + device.err());
        String thing = device.out().trim();
        E2eFixture.Run jitr = e2e.run(List.of(e2e.script("device/jitr.sh"), "--thing-name", thing, "--device-dir",
                e2e.certs.resolve("devices/" + thing).toString(), "--endpoint", "localhost", "--port",
                Integer.toString(httpsPort), "--cacert", e2e.work.resolve("state/server-ca.pem").toString(),
                "--mqtt-port", Integer.toString(mqttPort), "--mqtt-timeout", "3", "--timeout", "60",
                "--initial-delay", "1", "--max-delay", "2"), Map.of(), 120);
        assertEquals(5, jitr.exit(), "jitr.sh: activation and the request succeed, MQTT is refused while the thing"
                + " is not provisioned (exit 5):\n" + jitr.err());
        return thing;
    }

    /** scripts/ops/redrive.sh with the AWS CLI on the PATH, or {@code cli} first on the PATH. */
    private static E2eFixture.Run redrive(String queueUrl, Path cli, String... extra) throws IOException {
        List<String> command = new ArrayList<>(List.of(e2e.script("ops/redrive.sh"), "--queue-url", queueUrl,
                "--function", provisioningFunction, "--endpoint-url", e2e.endpoint(), "--wait-seconds", "1"));
        command.addAll(List.of(extra));
        return e2e.run(command, cli == null ? Map.of() : Map.of("PATH", pathWith(cli)), 120);
    }

    private static String pathWith(Path cli) throws IOException {
        Path bin = Files.createDirectories(e2e.work.resolve("cli-" + Math.abs(cli.toString().hashCode())));
        Path link = bin.resolve("aws");
        if (!Files.exists(link)) {
            Files.createSymbolicLink(link, cli);
        }
        return bin + ":" + System.getenv("PATH");
    }

    /** Visible plus in-flight messages. */
    private static int messages(String queueUrl) {
        JsonNode attributes = aws("sqs", "get-queue-attributes", "--queue-url", queueUrl, "--attribute-names",
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible").path("Attributes");
        return attributes.path("ApproximateNumberOfMessages").asInt()
                + attributes.path("ApproximateNumberOfMessagesNotVisible").asInt();
    }

    private static List<String> policies(String certificateArn) {
        List<String> names = new ArrayList<>();
        e2e.cli("list-attached-policies", "--target", certificateArn).path("policies")
                .forEach(p -> names.add(p.path("policyName").asText()));
        return names;
    }

    /** {@code aws <service> <args>} against the tool; fails the test on a non-zero exit. */
    private static JsonNode aws(String... args) {
        List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url", e2e.endpoint(), "--output", "json"));
        command.addAll(List.of(args));
        E2eFixture.Run run = e2e.run(command, Map.of(), 60);
        if (run.exit() != 0) {
            throw new AssertionError(String.join(" ", args) + " failed (" + run.exit() + "): " + run.err());
        }
        try {
            return run.out().isBlank() ? E2eFixture.JSON.createObjectNode() : E2eFixture.JSON.readTree(run.out());
        } catch (IOException e) {
            throw new AssertionError(args[1] + " printed no JSON: " + run.out(), e);
        }
    }

    private static String last(String out) {
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1];
    }

    private static void clearFaults() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(e2e.endpoint() + "/_local/faults")).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
    }

    private static JsonNode stats() {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(e2e.endpoint() + "/_local/stats")).build(), HttpResponse.BodyHandlers.ofString());
            return E2eFixture.JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
