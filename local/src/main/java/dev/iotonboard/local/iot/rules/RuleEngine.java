package dev.iotonboard.local.iot.rules;

import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.lambda.LambdaPermissions;
import dev.iotonboard.local.stack.StackTemplate;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The message broker's routing: every published message goes to the listeners (the MQTT broker's subscribers, later)
 * and to the stack's enabled topic rules. A rule whose FROM filter matches and whose WHERE holds runs its Lambda
 * actions as asynchronous invocations (lambda-rule-action.md). When an action cannot be started the rule's error
 * action is recorded (logged, and kept in {@link #errors()}).
 */
public final class RuleEngine {

    /** A rule's Lambda action: queues the event for the function (asynchronous invocation); its request id. */
    @FunctionalInterface
    public interface LambdaAction {
        String invokeAsync(String function, String event, String ruleName);
    }

    /** The ActionType dimension value of a Lambda action (AWS IoT rule action metrics; the value is unconfirmed). */
    public static final String LAMBDA_ACTION = "Lambda";

    private record Rule(StackTemplate.TopicRule definition, RuleSql sql) {
    }

    private final List<Rule> rules = new ArrayList<>();
    private final LambdaAction lambdas;
    private final EventLog log;
    private final List<Consumer<RuleSql.Message>> listeners = new CopyOnWriteArrayList<>();
    private final List<String> errors = new CopyOnWriteArrayList<>();
    private volatile LambdaPermissions permissions;
    private volatile ActionListener actions = (rule, actionType, failed) -> { };

    /** Told each rule action run: the rule's name, the action type ({@code Lambda}) and whether it failed. */
    @FunctionalInterface
    public interface ActionListener {
        void action(String ruleName, String actionType, boolean failed);
    }

    /** @param lambdas runs the Lambda actions (the Lambda runner's {@code invokeAsync}) */
    public RuleEngine(Iterable<StackTemplate.TopicRule> definitions, LambdaAction lambdas, EventLog log) {
        this.lambdas = lambdas;
        this.log = log;
        for (StackTemplate.TopicRule definition : definitions) {
            if (!definition.sqlVersion().equals("2016-03-23")) {
                log.event("rules", definition.logicalId() + ": SQL version " + definition.sqlVersion()
                        + " is run with the 2016-03-23 semantics");
            }
            try {
                rules.add(new Rule(definition, RuleSql.parse(definition.sql())));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(definition.logicalId() + " (AWS::IoT::TopicRule): " + e.getMessage(),
                        e);
            }
        }
    }

    /** Tells {@code listener} each action run (the AWS/IoT rule action metrics). */
    /**
     * The functions' resource-based policies: a Lambda action the rule has no permission for fails (its error action
     * runs). Without them every action may invoke its function.
     */
    public void permissions(LambdaPermissions permissions) {
        this.permissions = permissions;
    }

    public void onAction(ActionListener listener) {
        this.actions = listener;
    }

    public void addListener(Consumer<RuleSql.Message> listener) {
        listeners.add(listener);
    }

    /** Error actions taken so far (one line each). */
    public List<String> errors() {
        return List.copyOf(errors);
    }

    /** Routes one message. */
    public void publish(RuleSql.Message message) {
        for (Consumer<RuleSql.Message> listener : listeners) {
            listener.accept(message);
        }
        for (Rule rule : rules) {
            if (rule.definition().disabled()) {
                continue;
            }
            Optional<byte[]> output;
            try {
                output = rule.sql().apply(message);
            } catch (RuntimeException e) {
                errorAction(rule, message, "SQL evaluation failed: " + e);
                continue;
            }
            if (output.isEmpty()) {
                continue;
            }
            String event = new String(output.get(), StandardCharsets.UTF_8);
            for (String function : rule.definition().lambdaFunctions()) {
                Optional<String> denied = permissions == null ? Optional.empty()
                        : permissions.denial(rule.definition().logicalId(), function);
                if (denied.isPresent()) {
                    errorAction(rule, message, "Lambda action on " + function + " failed: " + denied.get());
                    actions.action(rule.definition().name(), LAMBDA_ACTION, true);
                    continue;
                }
                try {
                    String requestId = lambdas.invokeAsync(function, event, rule.definition().name());
                    log.event("rules", rule.definition().logicalId() + " fired on " + message.topic() + " -> "
                            + function + " (async request " + requestId + ")");
                    actions.action(rule.definition().name(), LAMBDA_ACTION, false);
                } catch (RuntimeException e) {
                    errorAction(rule, message, "Lambda action on " + function + " failed: " + e.getMessage());
                    actions.action(rule.definition().name(), LAMBDA_ACTION, true);
                }
            }
        }
    }

    private void errorAction(Rule rule, RuleSql.Message message, String reason) {
        String line = rule.definition().logicalId() + " on " + message.topic() + ": " + reason + " (error action "
                + rule.definition().errorAction() + ")";
        errors.add(line);
        log.event("rules", "error action: " + line);
    }
}
