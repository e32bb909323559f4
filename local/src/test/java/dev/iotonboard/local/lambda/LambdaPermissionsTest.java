package dev.iotonboard.local.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.iot.rules.RuleEngine;
import dev.iotonboard.local.iot.rules.RuleSql;
import dev.iotonboard.local.stack.StackTemplate;
import dev.iotonboard.local.stack.StackTemplateTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A topic rule may invoke its function only with a permission of the template for iot.amazonaws.com from that rule:
 * the fixture assembly (rule {@code Rule} -> function {@code Fn}, permission {@code RuleInvokeFn}) changed one property
 * at a time. The EventBridge side: {@code dynamo/Dyn.template.json}'s rule on CloudTrail events.
 */
class LambdaPermissionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RULE_ARN = "arn:aws:iot:us-east-1:000000000000:rule/";

    @TempDir
    Path dir;

    /** The fixture assembly with its template changed (its Resources given to {@code change}). */
    private StackTemplate fixture(Consumer<ObjectNode> change) {
        try (Stream<Path> files = Files.list(StackTemplateTest.assembly())) {
            for (Path file : files.toList()) {
                Files.copy(file, dir.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            Path template = dir.resolve("Fixture.template.json");
            ObjectNode json = (ObjectNode) JSON.readTree(template.toFile());
            change.accept((ObjectNode) json.get("Resources"));
            Files.writeString(template, json.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return StackTemplate.load(dir, "IotOnboarding", "000000000000", "us-east-1");
    }

    private static ObjectNode permission(ObjectNode resources) {
        return (ObjectNode) resources.get("RuleInvokeFn").get("Properties");
    }

    private Optional<String> ruleToFn(Consumer<ObjectNode> change) {
        return LambdaPermissions.of(fixture(change)).denial("Rule", "Fn");
    }

    @Test
    void theRulesPermission_letsItInvokeItsTarget() {
        assertEquals(Optional.empty(), ruleToFn(r -> { }));
        assertEquals(Optional.empty(), ruleToFn(r -> permission(r).put("SourceArn", RULE_ARN + "*")),
                "ArnLike wildcards");
        assertEquals(Optional.empty(), ruleToFn(r -> permission(r).put("SourceArn", "arn:aws:iot:*:*:rule/*")),
                "a wildcard per part of the ARN");
        assertEquals(Optional.empty(), ruleToFn(r -> permission(r).put("SourceAccount", "000000000000")));
        assertEquals(Optional.empty(), ruleToFn(r -> permission(r).remove("SourceArn")), "any source of the service");
    }

    @Test
    void withoutAMatchingPermission_theRuleMayNotInvoke() {
        StackTemplate stack = fixture(r -> { });
        String function = "arn:aws:lambda:us-east-1:000000000000:function:" + stack.functions().get("Fn").name();
        String rule = RULE_ARN + stack.rules().get("Rule").name();

        assertEquals(Optional.of("no AWS::Lambda::Permission of the template allows iot.amazonaws.com to call"
                + " lambda:InvokeFunction on " + function + " from " + rule + ", so Lambda refuses the invocation"),
                ruleToFn(r -> r.remove("RuleInvokeFn")));
        assertTrue(ruleToFn(r -> permission(r).put("Principal", "events.amazonaws.com")).isPresent(), "another service");
        assertTrue(ruleToFn(r -> permission(r).put("SourceArn", RULE_ARN + "other")).isPresent(), "another rule");
        assertTrue(ruleToFn(r -> permission(r).put("SourceArn", "arn:aws:iot:*:rule/*")).isPresent(),
                "ArnLike's wildcards do not span the parts of an ARN: region and account are missing");
        assertTrue(ruleToFn(r -> permission(r).put("SourceAccount", "111122223333")).isPresent(), "another account");
        assertTrue(ruleToFn(r -> permission(r).put("Action", "lambda:GetFunction")).isPresent(), "another action");
        assertTrue(ruleToFn(r -> permission(r).put("FunctionName", function + ":live")).isPresent(),
                "a permission on an alias does not cover the unqualified function the rule targets");
    }

    @Test
    void aRuleWithoutPermission_takesItsErrorAction_andDoesNotInvoke() {
        StackTemplate stack = fixture(r -> r.remove("RuleInvokeFn"));
        List<String> invoked = new CopyOnWriteArrayList<>();
        List<String> actions = new CopyOnWriteArrayList<>();
        RuleEngine engine = new RuleEngine(stack.rules().values(), (function, event, rule) -> {
            invoked.add(function);
            return "request-1";
        }, new EventLog(new PrintStream(new ByteArrayOutputStream())));
        engine.permissions(LambdaPermissions.of(stack));
        engine.onAction((rule, type, failed) -> actions.add(type + " " + failed));

        engine.publish(new RuleSql.Message("jitr/request", "{\"thingName\":\"t\"}".getBytes(StandardCharsets.UTF_8),
                "cert", null, 0));

        assertEquals(List.of(), invoked);
        assertEquals(List.of("Lambda true"), actions);
        assertEquals(1, engine.errors().size());
        assertTrue(engine.errors().get(0).contains("Lambda action on Fn failed: no AWS::Lambda::Permission"),
                engine.errors().toString());
        assertEquals(List.of("Rule -> Fn: " + LambdaPermissions.of(stack).denial("Rule", "Fn").orElseThrow()),
                LambdaPermissions.of(stack).refusals());
    }

    @Test
    void anEventBridgeRule_needsAPermissionForEventsFromItsArn() throws IOException {
        ObjectNode template = (ObjectNode) JSON.readTree(getClass().getResourceAsStream("/dynamo/Dyn.template.json"));
        Files.writeString(dir.resolve("handlers.jar"), "not read");
        Path file = dir.resolve("Dyn.template.json");
        Files.writeString(file, template.toString());
        StackTemplate granted = StackTemplate.fromTemplate(file, "Dyn", "000000000000", "us-east-1");
        assertEquals(Optional.empty(), LambdaPermissions.of(granted).denial("IotChanges", "Sync"));

        ((ObjectNode) template.get("Resources")).remove("IotChangesInvokeSync");
        Files.writeString(file, template.toString());
        StackTemplate refused = StackTemplate.fromTemplate(file, "Dyn", "000000000000", "us-east-1");
        Optional<String> denial = LambdaPermissions.of(refused).denial("IotChanges", "Sync");
        assertTrue(denial.isPresent() && denial.get().contains("events.amazonaws.com")
                && denial.get().contains("arn:aws:events:us-east-1:000000000000:rule/"), denial.toString());
        assertFalse(LambdaPermissions.of(refused).refusals().isEmpty());
    }
}
