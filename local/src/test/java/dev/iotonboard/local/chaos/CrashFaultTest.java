package dev.iotonboard.local.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.gateway.Gateway;
import dev.iotonboard.local.iot.control.ControlPlane;
import dev.iotonboard.local.lambda.LambdaRunner;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash faults across the control plane and the Lambda runner: a test function (real runtime interface client) calls
 * the control plane; the container that made the Nth call is killed after the call took effect, the attempt fails as
 * a crashed runtime, and Lambda's asynchronous retry runs the event again.
 */
class CrashFaultTest {
    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private ControlPlane plane;
    private Gateway gateway;
    private LambdaRunner runner;
    private Registry registry;

    @TempDir
    Path state;

    @AfterEach
    void close() {
        if (runner != null) {
            runner.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    private String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    private void start(Faults faults) throws Exception {
        EventLog log = new EventLog(new PrintStream(logBytes, true, StandardCharsets.UTF_8));
        registry = new Registry("us-east-1", "000000000000", null);
        plane = new ControlPlane(registry, "localhost", log, Quotas.off(), faults);
        gateway = new Gateway(0, plane);
        Path classes = Path.of(getClass().getProtectionDomain().getCodeSource().getLocation().toURI());
        StackTemplate.Function function = new StackTemplate.Function("Caller", "caller-fn", "java25",
                "dev.iotonboard.local.handlers.IotCallHandler::handleRequest", Map.of(), 1, 30, 256, classes, 2,
                null);
        runner = new LambdaRunner(Map.of("Caller", function), new LambdaRunner.Settings("us-east-1", "000000000000",
                gateway.url(), LambdaRunner.runtimeClasspath(null), 2, Duration.ofSeconds(60),
                List.of(Duration.ofMillis(100)), state.resolve("failures")), log, faults);
        plane.crashTargets(runner);
    }

    private int createThingAsNotAContainer(String name) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(gateway.url() + "/things/"
                + name)).header("Authorization", "AWS4-HMAC-SHA256 Credential=LOCALTEST/20260101/us-east-1/iot/"
                + "aws4_request, SignedHeaders=host, Signature=00")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private void awaitNoPendingAsync() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (runner.pendingAsync() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(0, runner.pendingAsync(), "events still pending:\n" + log());
    }

    @Test
    void crash_killsTheCallingContainerAfterTheCallTookEffect_andTheRetryRunsTheEventAgain() throws Exception {
        Faults faults = new Faults(List.of("Caller"));
        faults.add("crash:CreateThing:1");
        start(faults);
        assertEquals(200, createThingAsNotAContainer("from-the-test"));
        assertEquals(0, faults.list().get(0).matched(), "calls not made by a container are not counted");

        runner.invokeAsync("Caller", "{\"method\":\"POST\",\"path\":\"/things/crash-thing\"}", "test");
        awaitNoPendingAsync();

        assertTrue(registry.things().find("crash-thing").isPresent(), "the crashed call took effect");
        assertEquals(new LambdaRunner.FunctionStats(2, 1, 0, 1, 0, 0), runner.stats().get("Caller"), log());
        assertTrue(log().contains("Runtime.ExitError"), "the killed attempt fails as a crashed runtime:\n" + log());
        assertEquals(2, log().lines().filter(l -> l.contains("[lambda] container Caller-") && l.contains(" started"))
                .count(), "the retry runs in a new container:\n" + log());
        assertFalse(Files.exists(state.resolve("failures/Caller.jsonl")), "the retry succeeded: no record");
        assertEquals(2, faults.list().get(0).matched());
        assertEquals(1, faults.list().get(0).injected());
        assertEquals(new ControlPlane.OperationStats(3, 0, 1), plane.stats().get("CreateThing"));
    }
}
