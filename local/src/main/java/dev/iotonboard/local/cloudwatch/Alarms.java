package dev.iotonboard.local.cloudwatch;

import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.cloudwatch.AlarmEvaluator.Evaluation;
import dev.iotonboard.local.cloudwatch.AlarmEvaluator.State;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stack's alarms and their states: each evaluation ({@link #evaluate}) moves every supported alarm to the state
 * {@link AlarmEvaluator} gives, logs the change ({@code [alarms] <name>: OK -> ALARM: <reason>}) and, when the alarm's
 * actions are enabled and the new state has actions (an SNS topic ARN), records the notification CloudWatch would
 * publish to each. An unsupported alarm is logged once, at start, and shown with its reason; it has no state.
 */
public final class Alarms {

    /** A notification CloudWatch would have published to {@code topic} for a state change. */
    public record Notification(Instant at, String alarm, String topic, State oldState, State newState,
            String reason) {
    }

    /** An alarm, its current state and its last evaluation (null before the first, or when unsupported). */
    public record Status(AlarmDefinition definition, State state, Evaluation evaluation) {
    }

    static final int MAX_NOTIFICATIONS = 200;

    private final List<AlarmDefinition> definitions;
    private final MetricStore store;
    private final EventLog log;
    private final Map<String, Status> statuses = new LinkedHashMap<>();
    private final List<Notification> notifications = new ArrayList<>();

    public Alarms(List<AlarmDefinition> definitions, MetricStore store, EventLog log) {
        this.definitions = List.copyOf(definitions);
        this.store = store;
        this.log = log;
        for (AlarmDefinition alarm : definitions) {
            statuses.put(alarm.logicalId(), new Status(alarm, alarm.supported() ? State.INSUFFICIENT_DATA : null,
                    null));
            log.event("alarms", alarm.supported()
                    ? alarm.name() + ": " + alarm.namespace() + " " + alarm.metricName() + " " + alarm.dimensions()
                            + " " + alarm.statistic() + " " + alarm.comparison().symbol() + " " + alarm.threshold()
                            + ", " + alarm.datapointsToAlarm() + " of " + alarm.evaluationPeriods() + " x "
                            + alarm.period() + " s, missing data " + alarm.treatMissingData()
                    : alarm.name() + ": not evaluated: " + alarm.unsupported());
        }
    }

    public List<AlarmDefinition> definitions() {
        return definitions;
    }

    /** Evaluates every supported alarm at {@code now}; their statuses, in template order. */
    public synchronized List<Status> evaluate(Instant now) {
        for (AlarmDefinition alarm : definitions) {
            if (!alarm.supported()) {
                continue;
            }
            Status before = statuses.get(alarm.logicalId());
            Evaluation evaluation = AlarmEvaluator.evaluate(alarm, store, now, before.state());
            statuses.put(alarm.logicalId(), new Status(alarm, evaluation.state(), evaluation));
            if (evaluation.state() != before.state()) {
                changed(alarm, before.state(), evaluation, now);
            }
        }
        return new ArrayList<>(statuses.values());
    }

    /** The notifications recorded so far, oldest first. */
    public synchronized List<Notification> notifications() {
        return new ArrayList<>(notifications);
    }

    private void changed(AlarmDefinition alarm, State from, Evaluation evaluation, Instant now) {
        log.event("alarms", alarm.name() + ": " + from + " -> " + evaluation.state() + ": " + evaluation.reason());
        if (!alarm.actionsEnabled()) {
            return;
        }
        List<String> actions = switch (evaluation.state()) {
            case ALARM -> alarm.alarmActions();
            case OK -> alarm.okActions();
            case INSUFFICIENT_DATA -> alarm.insufficientDataActions();
        };
        for (String action : actions) {
            if (!action.startsWith("arn:aws:sns:")) {
                log.event("alarms", alarm.name() + ": action " + action + " is not an SNS topic: not run");
                continue;
            }
            notifications.add(new Notification(now, alarm.name(), action, from, evaluation.state(),
                    evaluation.reason()));
            if (notifications.size() > MAX_NOTIFICATIONS) {
                notifications.remove(0);
            }
            log.event("alarms", alarm.name() + ": notification to " + action + " recorded");
        }
    }
}
