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
import java.util.function.Function;

/**
 * The message broker's routing: every published message goes to the listeners (the MQTT broker's subscribers, later)
 * and to the stack's enabled topic rules. A rule whose FROM filter matches and whose WHERE holds runs its Lambda
 * actions as asynchronous invocations (lambda-rule-action.md). When an action cannot be started the rule's error
 * action is recorded (logged, and kept in {@link #errors()}).
 *
 * <p>Basic Ingest (iot-basic-ingest.md): a message on {@code $aws/rules/<rule>/<topic>} bypasses the broker. It goes
 * to no listener and to the named rule only, which sees {@code <topic>} (the prefix is not available to
 * {@code topic()}). A rule that does not exist or is disabled takes nothing: the miss is logged and counted
 * ({@code AWS/IoT RuleNotFound}).
 */
public final class RuleEngine {

    /** A rule's Lambda action: queues the event for the function (asynchronous invocation); its request id. */
    @FunctionalInterface
    public interface LambdaAction {
        String invokeAsync(String function, String event, String ruleName);
    }

    /** The ActionType dimension value of a Lambda action (AWS IoT rule action metrics; the value is unconfirmed). */
    public static final String LAMBDA_ACTION = "Lambda";

    private static final String BASIC_INGEST = "$aws/rules/";

    private record Rule(StackTemplate.TopicRule definition, RuleSql sql) {
    }

    private final List<Rule> rules = new ArrayList<>();
    private final LambdaAction lambdas;
    private final EventLog log;
    private final List<Consumer<RuleSql.Message>> listeners = new CopyOnWriteArrayList<>();
    private final List<String> errors = new CopyOnWriteArrayList<>();
    private volatile LambdaPermissions permissions;
    private volatile ActionListener actions = (rule, actionType, failed) -> { };
    private volatile Consumer<String> rulesNotFound = rule -> { };

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

    /**
     * The functions' resource-based policies: a Lambda action the rule has no permission for fails (its error action
     * runs). Without them every action may invoke its function.
     */
    public void permissions(LambdaPermissions permissions) {
        this.permissions = permissions;
    }

    /** Tells {@code listener} each action run (the AWS/IoT rule action metrics). */
    public void onAction(ActionListener listener) {
        this.actions = listener;
    }

    /** Tells {@code listener} the name each Basic Ingest message named that no enabled rule has. */
    public void onRuleNotFound(Consumer<String> listener) {
        this.rulesNotFound = listener;
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
        if (message.topic().startsWith(BASIC_INGEST)) {
            ingest(message);
            return;
        }
        for (Consumer<RuleSql.Message> listener : listeners) {
            listener.accept(message);
        }
        for (Rule rule : rules) {
            if (!rule.definition().disabled()) {
                fire(rule, message, rule.sql()::apply);
            }
        }
    }

    private void ingest(RuleSql.Message message) {
        String rest = message.topic().substring(BASIC_INGEST.length());
        int slash = rest.indexOf('/');
        String name = slash < 0 ? rest : rest.substring(0, slash);
        RuleSql.Message inner = new RuleSql.Message(slash < 0 ? "" : rest.substring(slash + 1), message.payload(),
                message.principal(), message.clientId(), message.timestamp());
        Optional<Rule> named = rules.stream()
                .filter(rule -> rule.definition().name().equals(name) && !rule.definition().disabled()).findFirst();
        if (named.isEmpty()) {
            log.event("rules", "Basic Ingest on " + message.topic() + ": no enabled rule named " + name
                    + " (RuleNotFound)");
            rulesNotFound.accept(name);
            return;
        }
        fire(named.get(), inner, named.get().sql()::applyIngested);
    }

    /** Runs the rule's actions on the statement's output for this message, if there is one. */
    private void fire(Rule rule, RuleSql.Message message, Function<RuleSql.Message, Optional<byte[]>> statement) {
        Optional<byte[]> output;
        try {
            output = statement.apply(message);
        } catch (RuntimeException e) {
            errorAction(rule, message, "SQL evaluation failed: " + e);
            return;
        }
        if (output.isEmpty()) {
            return;
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

    private void errorAction(Rule rule, RuleSql.Message message, String reason) {
        String line = rule.definition().logicalId() + " on " + message.topic() + ": " + reason + " (error action "
                + rule.definition().errorAction() + ")";
        errors.add(line);
        log.event("rules", "error action: " + line);
    }
}
