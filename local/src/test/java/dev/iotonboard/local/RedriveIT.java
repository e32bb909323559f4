package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
        StackTemplate.Function provisioning = E2eFixture.function(stack, "ThingProvisioningHandler");
        provisioningFunction = provisioning.name();
        String destination = provisioning.onFailureDestination();
        assertTrue(destination != null && destination.startsWith("arn:aws:sqs:"),
                "the provisioning function's on-failure destination is an SQS queue: " + destination);
        failureQueue = destination.substring(destination.lastIndexOf(':') + 1);
        appPolicy = provisioning.environment().get("APP_POLICY_NAME");
        e2e.startToolOnFreePorts(cdkOut, "--retry-delays", "0.2,0.2", "--fault", "ListPrincipalThings:every=1:500");
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    void failedProvisioningEvents_landInTheQueue_andRedriveProvisionsThem() throws Exception {
        e2e.registerCa();
        String queueUrl = e2e.aws("sqs", "get-queue-url", "--queue-name", failureQueue).path("QueueUrl").asText();
        assertEquals(e2e.endpoint() + "/000000000000/" + failureQueue, queueUrl);

        List<String> things = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            things.add(failedDevice());
        }
        e2e.waitFor("both provisioning requests in the failure queue", Duration.ofSeconds(90),
                () -> messages(queueUrl) == 2);
        JsonNode record = E2eFixture.JSON.readTree(e2e.aws("sqs", "receive-message", "--queue-url", queueUrl,
                "--visibility-timeout", "0").path("Messages").get(0).path("Body").asText());
        assertEquals("RetriesExhausted", record.path("requestContext").path("condition").asText(), record.toString());
        assertTrue(things.contains(record.path("requestPayload").path("thingName").asText()), record.toString());
        for (String thing : things) {
            assertNotEquals(0, e2e.run(List.of("aws", "--endpoint-url", e2e.endpoint(), "iot", "describe-thing",
                    "--thing-name", thing), Map.of(), 60).exit(), "not provisioned while the fault lasts: " + thing);
        }

        e2e.clearFaults();
        E2eFixture.Run dryRun = redrive(queueUrl, null, "--dry-run");
        assertEquals(0, dryRun.exit(), "redrive.sh --dry-run failed:\n" + dryRun.err());
        assertEquals("redriven=2 left=0 malformed=0", last(dryRun.out()));
        assertEquals("2", e2e.aws("sqs", "get-queue-attributes", "--queue-url", queueUrl, "--attribute-names",
                "ApproximateNumberOfMessages").path("Attributes").path("ApproximateNumberOfMessages").asText(),
                "a dry run leaves every message visible for the real run");
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
                return principals.size() == 1 && e2e.policyNames(principals.get(0).asText()).equals(List.of(appPolicy));
            });
        }
        e2e.waitFor("no asynchronous event pending", Duration.ofSeconds(30),
                () -> e2e.stats().path("pendingAsync").asInt() == 0);
        assertEquals("0", e2e.aws("sqs", "get-queue-attributes", "--queue-url", queueUrl, "--attribute-names",
                "All").path("Attributes").path("ApproximateNumberOfMessagesNotVisible").asText());
        assertEquals(0, messages(queueUrl), "the queue ends empty");
    }

    /** A device whose JITR activation works and whose provisioning request fails: jitr.sh ends with exit 5. */
    private static String failedDevice() {
        String thing = e2e.createDevice();
        E2eFixture.Run jitr = e2e.jitr(thing, 120, "--mqtt-timeout", "3", "--timeout", "60", "--initial-delay", "1",
                "--max-delay", "2");
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
        JsonNode attributes = e2e.aws("sqs", "get-queue-attributes", "--queue-url", queueUrl, "--attribute-names",
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible").path("Attributes");
        return attributes.path("ApproximateNumberOfMessages").asInt()
                + attributes.path("ApproximateNumberOfMessagesNotVisible").asInt();
    }

    private static String last(String out) {
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1];
    }
}
