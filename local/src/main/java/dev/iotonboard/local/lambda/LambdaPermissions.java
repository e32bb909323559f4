package dev.iotonboard.local.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.local.iot.policy.Conditions;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The functions' resource-based policies (AWS::Lambda::Permission) for the services that invoke them: a topic rule
 * ({@code iot.amazonaws.com}), an EventBridge rule, scheduled or matching CloudTrail events
 * ({@code events.amazonaws.com}), or the API's authorizer and integrations ({@code apigateway.amazonaws.com}; see
 * {@link #denial(String, String, String)}), may invoke its target only when a permission of the template grants that
 * service
 * {@code lambda:InvokeFunction} on the ARN the rule targets (an alias's permission covers the alias only, the
 * function's the unqualified function only), with a {@code SourceArn} matching the rule's ARN (ArnLike, part by
 * part: {@link Conditions#arnLike}) and a {@code SourceAccount}, when given, of this account. Without one, Lambda
 * refuses the service's call (Lambda developer guide, "Using resource-based policies in Lambda", "Granting function
 * access to AWS services"). Every decision is made once, when the stack is read.
 */
public final class LambdaPermissions {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String IOT = "iot.amazonaws.com";
    static final String EVENTS = "events.amazonaws.com";
    public static final String API_GATEWAY = "apigateway.amazonaws.com";

    /** One permission, its function given as the ARN it names; {@code sourceArn} and {@code sourceAccount} optional. */
    public record Statement(String logicalId, String functionArn, String action, String principal, String sourceArn,
            String sourceAccount) {
    }

    private final List<Statement> statements;
    private final String account;
    private final Map<String, String> denials = new LinkedHashMap<>();
    private final Map<String, Optional<String>> decided = new ConcurrentHashMap<>();

    private LambdaPermissions(List<Statement> statements, String account) {
        this.statements = List.copyOf(statements);
        this.account = account;
    }

    /** These permissions alone, with no rule decided (the API's checks, in tests). */
    public static LambdaPermissions of(List<Statement> statements, String account) {
        return new LambdaPermissions(statements, account);
    }

    /** The decisions for every rule and target of {@code stack}. */
    public static LambdaPermissions of(StackTemplate stack) {
        String region = stack.ref("AWS::Region", "LambdaPermissions");
        String account = stack.ref("AWS::AccountId", "LambdaPermissions");
        List<Statement> statements = new ArrayList<>();
        for (String id : stack.resourcesOfType("AWS::Lambda::Permission")) {
            JsonNode properties = stack.resolvedProperties(id);
            statements.add(new Statement(id, arn(properties.path("FunctionName").asText(), region, account),
                    properties.path("Action").asText(), properties.path("Principal").asText(),
                    properties.path("SourceArn").asText(null), properties.path("SourceAccount").asText(null)));
        }
        LambdaPermissions permissions = new LambdaPermissions(statements, account);
        for (StackTemplate.TopicRule rule : stack.rules().values()) {
            for (JsonNode action : read(rule.payload()).path("Actions")) {
                permissions.decide(stack, rule.logicalId(), stack.getAtt(rule.logicalId(), "Arn", rule.logicalId()),
                        IOT, arn(action.path("Lambda").path("FunctionArn").asText(), region, account));
            }
        }
        List<String> eventRules = new ArrayList<>(stack.schedules().keySet());
        eventRules.addAll(stack.eventRules().keySet());
        for (String rule : eventRules) {
            for (JsonNode target : stack.resolvedProperties(rule).path("Targets")) {
                String arn = target.path("Arn").asText();
                if (arn.contains(":lambda:")) {
                    permissions.decide(stack, rule, stack.getAtt(rule, "Arn", rule), EVENTS, arn);
                }
            }
        }
        return permissions;
    }

    /**
     * Why the rule {@code sourceLogicalId} may not invoke the function {@code functionLogicalId}, or empty when it
     * may (or when neither is known here: the caller's own checks answer for those).
     */
    public Optional<String> denial(String sourceLogicalId, String functionLogicalId) {
        return Optional.ofNullable(denials.get(pair(sourceLogicalId, functionLogicalId)));
    }

    /** Every refused pair: "rule -> function: reason", for the tool's start-up log. */
    public List<String> refusals() {
        return denials.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList();
    }

    private static String pair(String source, String function) {
        return source + " -> " + function;
    }

    /**
     * Why {@code principal} may not invoke {@code targetArn} (a function, alias or version ARN) on behalf of
     * {@code sourceArn}, or empty when a permission allows it. Decided once per triple.
     */
    public Optional<String> denial(String principal, String sourceArn, String targetArn) {
        return decided.computeIfAbsent(principal + " " + sourceArn + " " + targetArn, key -> statements.stream()
                .anyMatch(s -> grants(s, targetArn, principal, sourceArn, account)) ? Optional.empty()
                        : Optional.of("no AWS::Lambda::Permission of the template allows " + principal
                                + " to call lambda:InvokeFunction on " + targetArn + " from " + sourceArn
                                + ", so Lambda refuses the invocation"));
    }

    private void decide(StackTemplate stack, String source, String sourceArn, String principal, String targetArn) {
        Optional<StackTemplate.Function> function = stack.functionByArn(targetArn);
        if (function.isPresent()) {
            denial(principal, sourceArn, targetArn).ifPresent(reason -> denials.put(pair(source,
                    function.get().logicalId()), reason));
        }
    }

    static boolean grants(Statement statement, String targetArn, String principal, String sourceArn,
            String account) {
        String action = statement.action().toLowerCase(Locale.ROOT);
        return (action.equals("lambda:invokefunction") || action.equals("lambda:*") || action.equals("*"))
                && (statement.principal().equals(principal) || statement.principal().equals("*"))
                && statement.functionArn().equals(targetArn)
                && (statement.sourceArn() == null || Conditions.arnLike(statement.sourceArn(), sourceArn))
                && (statement.sourceAccount() == null || statement.sourceAccount().equals(account));
    }

    /** A function reference (name, name:qualifier, partial or full ARN) as the full ARN it names. */
    static String arn(String reference, String region, String account) {
        if (reference.startsWith("arn:")) {
            return reference;
        }
        if (reference.matches("\\d{12}:function:.+")) {
            return "arn:aws:lambda:" + region + ":" + reference;
        }
        return "arn:aws:lambda:" + region + ":" + account + ":function:" + reference;
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
