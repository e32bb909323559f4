package dev.iotonboard.local.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.Threads;
import dev.iotonboard.local.lambda.LambdaPermissions;
import dev.iotonboard.local.stack.StackTemplate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * EventBridge schedules, locally: every {@code rate(...)} rule of the stack invokes each of its target functions with a
 * scheduled-event payload, every interval (first after one interval, as EventBridge does), or every {@code override}
 * when one is given (tests and benchmarks: {@code --schedule-interval}). Disabled rules do not run; rules the tool
 * cannot run ({@code cron(...)}) are logged once and skipped. {@link #runNow} fires a rule at once.
 */
public final class Scheduler implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, StackTemplate.Schedule> schedules = new LinkedHashMap<>();
    private final BiFunction<String, String, ?> invoker;
    private final EventLog log;
    private final Clock clock;
    private final ScheduledExecutorService timer;
    private volatile LambdaPermissions permissions;

    /**
     * Starts the timers.
     *
     * @param invoker  called with (function logical id, payload) for each target, e.g. {@code LambdaRunner.invokeAsync}
     * @param override the interval to use instead of each rule's own; empty for the rules' own
     */
    public Scheduler(Collection<StackTemplate.Schedule> schedules, BiFunction<String, String, ?> invoker,
            Optional<Duration> override, EventLog log) {
        this(schedules, invoker, override, log, Clock.systemUTC());
    }

    Scheduler(Collection<StackTemplate.Schedule> schedules, BiFunction<String, String, ?> invoker,
            Optional<Duration> override, EventLog log, Clock clock) {
        override.filter(d -> d.isNegative() || d.isZero()).ifPresent(d -> {
            throw new IllegalArgumentException("schedule interval override must be positive: " + d);
        });
        this.invoker = invoker;
        this.log = log;
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(Threads.daemon("scheduler"));
        for (StackTemplate.Schedule schedule : schedules) {
            this.schedules.put(schedule.logicalId(), schedule);
            if (!schedule.supported()) {
                log.event("schedule", schedule.logicalId() + ": " + schedule.expression() + " will not run: "
                        + schedule.unsupportedReason());
            } else if (!schedule.enabled()) {
                log.event("schedule", schedule.logicalId() + ": disabled, will not run");
            } else {
                Duration interval = override.orElse(schedule.interval());
                long millis = interval.toMillis();
                timer.scheduleAtFixedRate(() -> fire(schedule), millis, millis, TimeUnit.MILLISECONDS);
                log.event("schedule", schedule.logicalId() + ": " + schedule.expression()
                        + (override.isPresent() ? " (every " + interval + " by override)" : "") + " -> "
                        + String.join(", ", schedule.targetFunctions()));
            }
        }
    }

    /** The functions' resource-based policies: a target the rule has no permission for is not invoked. */
    public void permissions(LambdaPermissions permissions) {
        this.permissions = permissions;
    }

    /** Fires rule {@code logicalId} now, whatever its state or expression (as a test or operator would). */
    public void runNow(String logicalId) {
        StackTemplate.Schedule schedule = schedules.get(logicalId);
        if (schedule == null) {
            throw new IllegalArgumentException("no schedule " + logicalId + "; schedules: " + schedules.keySet());
        }
        fire(schedule);
    }

    private void fire(StackTemplate.Schedule schedule) {
        String payload = event(schedule);
        for (String function : schedule.targetFunctions()) {
            Optional<String> denied = permissions == null ? Optional.empty()
                    : permissions.denial(schedule.logicalId(), function);
            if (denied.isPresent()) {
                log.event("schedule", schedule.logicalId() + " -> " + function + " failed: " + denied.get());
                continue;
            }
            try {
                invoker.apply(function, payload);
            } catch (RuntimeException e) {
                // one failing target must not cancel the timer (a thrown task is never run again)
                log.event("schedule", schedule.logicalId() + " -> " + function + " failed: " + e);
            }
        }
    }

    /** The EventBridge scheduled-event payload for one firing of {@code schedule}. */
    String event(StackTemplate.Schedule schedule) {
        ObjectNode event = JSON.createObjectNode();
        event.put("version", "0");
        event.put("id", UUID.randomUUID().toString());
        event.put("detail-type", "Scheduled Event");
        event.put("source", "aws.events");
        event.put("account", accountOf(schedule.arn()));
        event.put("time", Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
        event.put("region", regionOf(schedule.arn()));
        event.putArray("resources").add(schedule.arn());
        event.putObject("detail");
        return event.toString();
    }

    private static String regionOf(String arn) {
        String[] parts = arn.split(":", 6);
        return parts.length > 3 ? parts[3] : "";
    }

    private static String accountOf(String arn) {
        String[] parts = arn.split(":", 6);
        return parts.length > 4 ? parts[4] : "";
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
