package dev.iotonboard.local.iot.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The rule action runs the engine reports (the AWS/IoT rule action metrics). */
class RuleEngineTest {

    @Test
    void onAction_isToldEachLambdaActionRun_andWhetherTheInvocationFailed() {
        StackTemplate.TopicRule rule = new StackTemplate.TopicRule("RuleId", "requests_rule",
                "SELECT thingName FROM 'jitr/request'", "2016-03-23", false, List.of("Ok", "Missing"), "logs",
                "{}");
        List<String> events = new CopyOnWriteArrayList<>();
        RuleEngine engine = new RuleEngine(List.of(rule), (function, event, ruleName) -> {
            if (function.equals("Missing")) {
                throw new IllegalArgumentException("no runnable function " + function);
            }
            return "request-1";
        }, new EventLog(new PrintStream(new ByteArrayOutputStream())));
        engine.onAction((ruleName, actionType, failed) -> events.add(ruleName + " " + actionType + " " + failed));

        engine.publish(new RuleSql.Message("jitr/request", "{\"thingName\":\"t\"}".getBytes(StandardCharsets.UTF_8),
                "cert", null, 0));
        engine.publish(new RuleSql.Message("other/topic", "{}".getBytes(StandardCharsets.UTF_8), "cert", null, 0));

        assertEquals(List.of("requests_rule Lambda false", "requests_rule Lambda true"), events,
                "one run per action of the matching message; none for a message no rule selects");
        assertEquals(1, engine.errors().size(), "the failed one took the error action");
    }
}
