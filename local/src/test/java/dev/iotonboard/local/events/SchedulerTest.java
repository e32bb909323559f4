package dev.iotonboard.local.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class SchedulerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RULE_ARN = "arn:aws:events:eu-west-1:111122223333:rule/Every5";

    private final List<String[]> invocations = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final EventLog log = new EventLog(new PrintStream(output, true, StandardCharsets.UTF_8));

    private static StackTemplate.Schedule schedule(String id, String expression, Duration interval, boolean enabled,
            String unsupported) {
        return new StackTemplate.Schedule(id, id, "arn:aws:events:eu-west-1:111122223333:rule/" + id, expression,
                interval, enabled, List.of("Reconciler", "Other"), unsupported);
    }

    private Object invoke(String function, String payload) {
        invocations.add(new String[] {function, payload});
        return "request-id";
    }

    @Test
    void override_firesEveryTargetRepeatedlyWithAScheduledEvent() throws Exception {
        try (Scheduler scheduler = new Scheduler(List.of(schedule("Every5", "rate(5 minutes)", Duration.ofMinutes(5),
                true, null)), this::invoke, Optional.of(Duration.ofMillis(200)), log)) {
            awaitInvocations(4);
        }
        assertEquals(List.of("Reconciler", "Other"), List.of(invocations.get(0)[0], invocations.get(1)[0]));
        JsonNode event = JSON.readTree(invocations.get(0)[1]);
        assertEquals("0", event.path("version").asText());
        assertEquals("Scheduled Event", event.path("detail-type").asText());
        assertEquals("aws.events", event.path("source").asText());
        assertEquals("111122223333", event.path("account").asText());
        assertEquals("eu-west-1", event.path("region").asText());
        assertEquals(RULE_ARN, event.path("resources").get(0).asText());
        assertTrue(event.path("detail").isObject() && event.path("detail").isEmpty());
        Instant.parse(event.path("time").asText());
        assertTrue(event.path("id").asText().matches("[0-9a-f-]{36}"), event.toString());
        assertTrue(!event.path("id").asText().equals(JSON.readTree(invocations.get(2)[1]).path("id").asText()),
                "each firing is a new event");
    }

    @Test
    void withoutOverride_nothingFiresBeforeTheRulesInterval_butRunNowFiresAtOnce() {
        Clock clock = Clock.fixed(Instant.parse("2026-01-02T03:04:05.678Z"), ZoneOffset.UTC);
        try (Scheduler scheduler = new Scheduler(List.of(schedule("Every5", "rate(5 minutes)", Duration.ofMinutes(5),
                true, null)), this::invoke, Optional.empty(), log, clock)) {
            assertEquals(List.of(), invocations, "EventBridge's first run comes one interval after creation");
            scheduler.runNow("Every5");
        }
        assertEquals(2, invocations.size());
        assertTrue(invocations.get(0)[1].contains("\"time\":\"2026-01-02T03:04:05Z\""), invocations.get(0)[1]);
        assertThrows(IllegalArgumentException.class, () -> new Scheduler(List.of(), this::invoke, Optional.empty(), log)
                .runNow("Nope"));
    }

    @Test
    void cronAndDisabledRules_areLoggedAndNeverFire_butRunNowStillWorks() {
        try (Scheduler scheduler = new Scheduler(List.of(
                schedule("Nightly", "cron(0 3 * * ? *)", null, true, "cron expressions are not supported"),
                schedule("Off", "rate(1 minute)", Duration.ofMinutes(1), false, null)),
                this::invoke, Optional.of(Duration.ofMillis(1)), log)) {
            String lines = output.toString(StandardCharsets.UTF_8);
            assertTrue(lines.contains("[schedule] Nightly: cron(0 3 * * ? *) will not run: cron expressions are not"),
                    lines);
            assertTrue(lines.contains("[schedule] Off: disabled, will not run"), lines);
            assertEquals(List.of(), invocations);
            scheduler.runNow("Nightly");
            assertEquals(2, invocations.size());
        }
    }

    @Test
    void aFailingTarget_doesNotStopTheSchedule() throws Exception {
        try (Scheduler scheduler = new Scheduler(List.of(schedule("Every5", "rate(5 minutes)", Duration.ofMinutes(5),
                true, null)), (function, payload) -> {
                    invoke(function, payload);
                    throw new IllegalStateException("throttled");
                }, Optional.of(Duration.ofMillis(100)), log)) {
            awaitInvocations(4);
        }
        assertTrue(output.toString(StandardCharsets.UTF_8).contains("Every5 -> Reconciler failed"), output.toString());
    }

    @Test
    void override_mustBePositive() {
        assertThrows(IllegalArgumentException.class,
                () -> new Scheduler(List.of(), this::invoke, Optional.of(Duration.ZERO), log));
    }

    /** Bounded wait for the timer thread; no timing is asserted. */
    private void awaitInvocations(int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (invocations.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(invocations.size() >= count, "invocations: " + invocations.size());
    }
}
