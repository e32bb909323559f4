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

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void basicIngest_goesToTheNamedRuleAlone_withTheTopicAfterThePrefix_andToNoSubscriber() {
        StackTemplate.TopicRule requests = new StackTemplate.TopicRule("Requests", "requests_rule",
                "SELECT thingName, topic() AS topic, topic(2) AS level FROM 'jitr/request'", "2016-03-23", false,
                List.of("Provision"), "logs", "{}");
        StackTemplate.TopicRule everything = new StackTemplate.TopicRule("All", "all_rule", "SELECT * FROM '#'",
                "2016-03-23", false, List.of("Audit"), "logs", "{}");
        StackTemplate.TopicRule ingestOnly = new StackTemplate.TopicRule("IngestOnly", "ingest_only",
                "SELECT * WHERE t > 20", "2016-03-23", false, List.of("Hot"), "logs", "{}");
        StackTemplate.TopicRule disabled = new StackTemplate.TopicRule("Off", "off_rule", "SELECT * FROM '#'",
                "2016-03-23", true, List.of("Off"), "logs", "{}");
        List<String> invoked = new CopyOnWriteArrayList<>();
        List<String> subscribers = new CopyOnWriteArrayList<>();
        List<String> notFound = new CopyOnWriteArrayList<>();
        RuleEngine engine = new RuleEngine(List.of(requests, everything, ingestOnly, disabled),
                (function, event, ruleName) -> {
                    invoked.add(function + " " + event);
                    return "request-1";
                }, new EventLog(new PrintStream(new ByteArrayOutputStream())));
        engine.addListener(message -> subscribers.add(message.topic()));
        engine.onRuleNotFound(notFound::add);

        engine.publish(new RuleSql.Message("$aws/rules/requests_rule/jitr/request", json("{\"thingName\":\"t\"}"),
                "cert", "t", 0));
        assertEquals(List.of("Provision {\"thingName\":\"t\",\"topic\":\"jitr/request\",\"level\":\"request\"}"),
                invoked, "the named rule alone (not all_rule, whose '#' matches everything), without the prefix");
        assertEquals(List.of(), subscribers, "the broker is not on the path");

        invoked.clear();
        engine.publish(new RuleSql.Message("$aws/rules/ingest_only/any/topic", json("{\"t\":21}"), "cert", "t", 0));
        engine.publish(new RuleSql.Message("$aws/rules/ingest_only/any/topic", json("{\"t\":19}"), "cert", "t", 0));
        engine.publish(new RuleSql.Message("any/topic", json("{\"t\":22}"), "cert", "t", 0));
        assertEquals(List.of("Hot {\"t\":21}", "Audit {\"t\":22}"), invoked,
                "a rule without FROM takes Basic Ingest only, WHERE still applies");

        invoked.clear();
        engine.publish(new RuleSql.Message("$aws/rules/off_rule/x", json("{}"), "cert", "t", 0));
        engine.publish(new RuleSql.Message("$aws/rules/no_such_rule/x", json("{}"), "cert", "t", 0));
        assertEquals(List.of(), invoked);
        assertEquals(List.of("off_rule", "no_such_rule"), notFound, "a disabled or missing rule: RuleNotFound");
        assertEquals(List.of("any/topic"), subscribers);
    }
}
