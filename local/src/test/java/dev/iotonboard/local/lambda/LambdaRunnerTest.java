package dev.iotonboard.local.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.stack.StackTemplate;
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
        return runner(reserved, timeoutSeconds, retries, Faults.none());
    }

    private LambdaRunner runner(int reserved, int timeoutSeconds, int retries, Faults faults)
            throws URISyntaxException {
        return runner(reserved, timeoutSeconds, retries, faults, 2);
    }

    /** @param reserved the function's reserved concurrency, none when 0 */
    private LambdaRunner runner(int reserved, int timeoutSeconds, int retries, Faults faults, int defaultConcurrency)
            throws URISyntaxException {
        Path classes = Path.of(getClass().getProtectionDomain().getCodeSource().getLocation().toURI());
        StackTemplate.Function function = new StackTemplate.Function("Echo", "echo-fn", "java25",
                "dev.iotonboard.local.handlers.EchoHandler::handleRequest", Map.of("MARKER", "from-template"),
                reserved, timeoutSeconds, 256, classes, retries, "arn:aws:sqs:us-east-1:000000000000:Failures");
        runner = new LambdaRunner(Map.of("Echo", function), new LambdaRunner.Settings("eu-west-1", "000000000000",
                "http://127.0.0.1:4566", LambdaRunner.runtimeClasspath(null), defaultConcurrency, Duration.ofSeconds(60),
                List.of(Duration.ofMillis(100)), state.resolve("failures")),
                new EventLog(new PrintStream(logBytes, true, StandardCharsets.UTF_8)), faults);
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
    void theAccessKeyIdOfAContainer_namesItsFunction_beforeAndAfterTheContainerEnds() throws Exception {
        runner(1, 30, 2);
        LambdaRunner.Result result = runner.invoke("Echo", "{}");
        assertFalse(result.error(), result.body() + "\n" + log());
        String key = JSON.readTree(result.body()).path("accessKeyId").asText();

        assertEquals("LOCALEcho-1", key, "the container signs with its own key");
        assertEquals(java.util.Optional.of("Echo"), runner.function(key));
        runner.close();
        assertEquals(java.util.Optional.of("Echo"), runner.function(key), "a role session outlives its container");
        assertEquals(java.util.Optional.of("Echo"), runner.function("LOCALEcho-12"));
        for (String other : List.of("LOCALTEST", "LOCALEcho-", "LOCALEcho-1a", "LOCALEchoX-1", "LOCALEcho", "Echo-1")) {
            assertEquals(java.util.Optional.empty(), runner.function(other), other);
        }
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
        assertEquals("http://127.0.0.1:4566", answer.path("dynamodb").asText());
        assertEquals("from-template", answer.path("marker").asText());
        assertFalse(runner.invoke("Echo", "{\"n\":2}").error());
        assertEquals(1, containersStarted(), "the second invocation reuses the warm container:\n" + log());
    }

    @Test
    void observer_isToldEachLogLineAndEachAttempt() throws Exception {
        runner(1, 30, 2);
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        runner.observe(new LambdaRunner.Observer() {
            @Override
            public void output(StackTemplate.Function function, String line) {
                if (line.startsWith("marker-")) {
                    seen.add(function.name() + " line " + line);
                }
            }

            @Override
            public void attempt(StackTemplate.Function function, LambdaRunner.Result result) {
                seen.add(function.name() + " attempt error=" + result.error());
            }
        });

        assertFalse(runner.invoke("Echo", "{\"print\":\"marker-1\"}").error(), log());
        assertTrue(runner.invoke("Echo", "{\"fail\":true}").error());

        for (int i = 0; i < 50 && !seen.contains("echo-fn line marker-1"); i++) {
            Thread.sleep(100); // the container's output is read by its own thread
        }
        assertTrue(seen.contains("echo-fn line marker-1"), seen + "\n" + log());
        assertEquals(List.of("echo-fn attempt error=false", "echo-fn attempt error=true"),
                seen.stream().filter(s -> s.contains("attempt")).toList());
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
    void reservedConcurrency_limitsTheContainers_throttlesASynchronousCallBeyondIt_andQueuesAnEvent()
            throws Exception {
        runner(1, 30, 0);
        List<String> throttles = new java.util.concurrent.CopyOnWriteArrayList<>();
        runner.observe(new LambdaRunner.Observer() {
            @Override
            public void throttled(StackTemplate.Function function) {
                throttles.add(function.name());
            }
        });
        CompletableFuture<LambdaRunner.Result> busy = CompletableFuture.supplyAsync(
                () -> runner.invoke("Echo", "{\"sleepMs\":1500}"));
        awaitInvocations(1);

        assertThrows(LambdaRunner.Throttled.class, () -> runner.invoke("Echo", "{}"));
        assertEquals(List.of("echo-fn"), throttles);
        runner.invokeAsync("Echo", "{}", "test");
        assertFalse(busy.get().error(), busy.get().body());
        awaitInvocations(2);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (runner.pendingAsync() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(new LambdaRunner.FunctionStats(2, 0, 0, 0, 0, 0), runner.stats().get("Echo"),
                "the throttled call is no invocation; the event waited for the container");
        assertEquals(1, containersStarted(), log());
        assertTrue(log().contains("THROTTLED"), log());
    }

    private void awaitInvocations(long count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (runner.stats().get("Echo").invocations() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(count, runner.stats().get("Echo").invocations(), log());
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

    /** Bounded wait for the asynchronous events to finish. */
    private void awaitNoPendingAsync() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (runner.pendingAsync() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(0, runner.pendingAsync(), "events still pending:\n" + log());
    }

    /** The request ids of the attempts, in the order they ended, with OK or ERROR. */
    private List<String> attempts() {
        java.util.regex.Pattern attempt = java.util.regex.Pattern.compile(
                "\\[lambda] Echo (\\S+ (OK|ERROR)) in \\d+ ms");
        return log().lines().map(attempt::matcher).filter(java.util.regex.Matcher::find).map(m -> m.group(1))
                .toList();
    }

    @Test
    void invokeAsync_runsOneFunctionsEventsInOrder_withAtMostItsConcurrency() throws Exception {
        runner(1, 30, 2);
        String a = runner.invokeAsync("Echo", "{\"sleepMs\":300}", "test");
        String b = runner.invokeAsync("Echo", "{\"n\":2}", "test");
        String c = runner.invokeAsync("Echo", "{\"n\":3}", "test");
        LambdaRunner.FunctionStats queuedNow = runner.stats().get("Echo");
        assertEquals(3, queuedNow.pendingAsync());
        assertTrue(queuedNow.queued() >= 2, "one worker takes one event at a time: " + queuedNow);
        awaitNoPendingAsync();
        assertEquals(List.of(a + " OK", b + " OK", c + " OK"), attempts(), log());
        assertEquals(1, containersStarted(), log());
        assertEquals(new LambdaRunner.FunctionStats(3, 0, 0, 0, 0, 0), runner.stats().get("Echo"));
    }

    @Test
    void failedAttempt_waitsForItsRetryWithoutHoldingTheWorker() throws Exception {
        runner(1, 30, 1);
        String failing = runner.invokeAsync("Echo", "{\"fail\":true}", "test");
        String next = runner.invokeAsync("Echo", "{\"n\":2}", "test");
        awaitNoPendingAsync();
        // the retry goes back to the queue after its delay; the event queued behind it runs meanwhile
        assertEquals(List.of(failing + " ERROR", next + " OK", failing + " ERROR"), attempts(), log());
        assertEquals(new LambdaRunner.FunctionStats(3, 2, 0, 0, 0, 0), runner.stats().get("Echo"));
        assertTrue(Files.exists(state.resolve("failures/Echo.jsonl")), "retries exhausted: on-failure record");
    }

    @Test
    void dropFault_discardsTheNthEvent_withoutRetryOrRecord() throws Exception {
        Faults faults = new Faults(List.of("Echo"));
        faults.add("drop:Echo:2");
        runner(2, 30, 2, faults);
        String first = runner.invokeAsync("Echo", "{\"n\":1}", "test");
        String dropped = runner.invokeAsync("Echo", "{\"fail\":true}", "test");
        String third = runner.invokeAsync("Echo", "{\"n\":3}", "test");
        awaitNoPendingAsync();
        List<String> attempts = attempts();
        assertTrue(attempts.containsAll(List.of(first + " OK", third + " OK")) && attempts.size() == 2, log());
        assertTrue(log().contains("Echo async " + dropped + " dropped (fault)"), log());
        assertTrue(!Files.exists(state.resolve("failures/Echo.jsonl")), "a dropped event leaves no record");
        assertEquals(new LambdaRunner.FunctionStats(2, 0, 1, 0, 0, 0), runner.stats().get("Echo"));
    }

    /** Without reserved concurrency a synchronous call waits (standing for Lambda scaling out). */
    @Test
    void invocationsWaitingForABusyContainer_areServedInTheOrderTheyArrived() throws Exception {
        runner(0, 30, 0, Faults.none(), 1);
        assertFalse(runner.invoke("Echo", "{}").error(), log());
        CompletableFuture<LambdaRunner.Result> busy = CompletableFuture.supplyAsync(
                () -> runner.invoke("Echo", "{\"sleepMs\":3000}"));
        Thread.sleep(500);
        List<Integer> served = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        List<CompletableFuture<Void>> waiting = new java.util.ArrayList<>();
        for (int n = 1; n <= 8; n++) {
            int arrival = n;
            waiting.add(CompletableFuture.runAsync(() -> {
                runner.invoke("Echo", "{\"arrival\":" + arrival + "}");
                served.add(arrival);
            }, java.util.concurrent.Executors.newSingleThreadExecutor()));
            long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (runner.waiting("Echo") < arrival && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(arrival, runner.waiting("Echo"), "invocation " + arrival + " is waiting behind the others");
        }
        assertFalse(busy.get().error(), busy.get().body());
        for (CompletableFuture<Void> each : waiting) {
            each.get();
        }
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8), served, log());
    }

    @Test
    void containersStartingTogether_allServe() throws Exception {
        runner(3, 30, 0);
        List<CompletableFuture<LambdaRunner.Result>> results = List.of(1, 2, 3).stream()
                .map(n -> CompletableFuture.supplyAsync(() -> runner.invoke("Echo", "{\"sleepMs\":500}"))).toList();
        for (CompletableFuture<LambdaRunner.Result> result : results) {
            assertFalse(result.get().error(), result.get().body() + "\n" + log());
        }
        assertEquals(3, containersStarted(), log());
    }
}
