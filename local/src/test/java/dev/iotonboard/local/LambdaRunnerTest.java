package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner with the real runtime interface client and a test handler (test classes as the function "jar"). */
class LambdaRunnerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private LambdaRunner runner;

    @TempDir
    Path state;

    private LambdaRunner runner(int reserved, int timeoutSeconds, int retries) throws URISyntaxException {
        Path classes = Path.of(getClass().getProtectionDomain().getCodeSource().getLocation().toURI());
        StackTemplate.Function function = new StackTemplate.Function("Echo", "echo-fn", "java25",
                "dev.iotonboard.local.handlers.EchoHandler::handleRequest", Map.of("MARKER", "from-template"),
                reserved, timeoutSeconds, 256, classes, retries, "arn:aws:sqs:us-east-1:000000000000:Failures");
        runner = new LambdaRunner(Map.of("Echo", function), new LambdaRunner.Settings("eu-west-1", "000000000000",
                "http://127.0.0.1:4566", LambdaRunner.runtimeClasspath(null), 2, Duration.ofSeconds(60),
                List.of(Duration.ofMillis(100)), state.resolve("failures")),
                new EventLog(new PrintStream(logBytes, true, StandardCharsets.UTF_8)));
        return runner;
    }

    @AfterEach
    void close() {
        if (runner != null) {
            runner.close();
        }
    }

    private String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    private long containersStarted() {
        return log().lines().filter(l -> l.contains("[lambda] container") && l.contains(" started")).count();
    }

    @Test
    void invoke_runsTheHandlerWithTheTemplateEnvironment_inAWarmContainer() throws Exception {
        runner(1, 30, 2);
        LambdaRunner.Result first = runner.invoke("Echo", "{\"n\":1}");
        assertFalse(first.error(), first.body() + "\n" + log());
        JsonNode answer = JSON.readTree(first.body());
        assertEquals(1, answer.path("echo").path("n").asInt());
        assertEquals("eu-west-1", answer.path("region").asText());
        assertEquals("http://127.0.0.1:4566", answer.path("iot").asText());
        assertEquals("from-template", answer.path("marker").asText());
        assertFalse(runner.invoke("Echo", "{\"n\":2}").error());
        assertEquals(1, containersStarted(), "the second invocation reuses the warm container:\n" + log());
    }

    @Test
    void invoke_reportsTheHandlersError() throws Exception {
        runner(1, 30, 2);
        LambdaRunner.Result result = runner.invoke("Echo", "{\"fail\":true}");
        assertTrue(result.error());
        assertTrue(result.body().contains("failing on purpose"), result.body());
    }

    @Test
    void invokeAsync_retriesTwice_thenWritesTheOnFailureRecord() throws Exception {
        runner(1, 30, 2);
        runner.invokeAsync("Echo", "{\"fail\":true}", "rule-x");
        Path record = state.resolve("failures/Echo.jsonl");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        // the runner logs this line once the record is written
        while (!log().contains("on-failure record written") && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(log().contains("on-failure record written") && Files.exists(record),
                "no on-failure record:\n" + log());
        JsonNode line = JSON.readTree(Files.readAllLines(record).get(0));
        assertEquals(3, line.path("requestContext").path("approximateInvokeCount").asInt());
        assertEquals("RetriesExhausted", line.path("requestContext").path("condition").asText());
        assertTrue(line.path("requestPayload").path("fail").asBoolean());
        assertEquals(3, log().lines().filter(l -> l.contains("[lambda] Echo ") && l.contains(" ERROR in ")).count(),
                log());
    }

    @Test
    void reservedConcurrency_limitsTheContainers() throws Exception {
        runner(1, 30, 2);
        CompletableFuture<LambdaRunner.Result> a = CompletableFuture.supplyAsync(
                () -> runner.invoke("Echo", "{\"sleepMs\":500}"));
        CompletableFuture<LambdaRunner.Result> b = CompletableFuture.supplyAsync(
                () -> runner.invoke("Echo", "{\"sleepMs\":500}"));
        assertFalse(a.get().error(), a.get().body());
        assertFalse(b.get().error(), b.get().body());
        assertEquals(1, containersStarted(), log());
    }

    @Test
    void timeout_killsTheContainer_andTheNextInvocationStartsANewOne() throws Exception {
        runner(1, 1, 0);
        LambdaRunner.Result slow = runner.invoke("Echo", "{\"sleepMs\":5000}");
        assertTrue(slow.error());
        assertTrue(slow.body().contains("Task timed out after 1 seconds"), slow.body());
        LambdaRunner.Result next = runner.invoke("Echo", "{\"n\":3}");
        assertFalse(next.error(), next.body() + "\n" + log());
        assertEquals(2, containersStarted(), log());
    }
}
