package dev.iotonboard.local.stack;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A synthesized stack read from a cloud assembly ({@code cdk.out}): the template with the intrinsics the stack uses
 * resolved ({@code Ref}, {@code Fn::GetAtt}, {@code Fn::Join}, {@code Fn::Sub}, {@code Fn::Select}, {@code Fn::Split},
 * pseudo parameters), and the resources the local IoT Core runs: IoT policies, topic rules, Lambda functions (with
 * their event invoke configs), EventBridge schedules and event-pattern rules, SQS queues, DynamoDB tables, CloudTrail
 * trails and, raw but resolved, any other resource for later use (API Gateway).
 *
 * <p>Physical names: a resource without an explicit name (PolicyName, FunctionName, RuleName, QueueName) is named by
 * its logical id, and {@code Ref} resolves to that name; as in CloudFormation, {@code Ref} of a Lambda alias or
 * version gives its qualified ARN ({@code ...:function:<name>:<alias or version>}), and a Lambda target given as such
 * an ARN resolves to its function ({@link #functionByArn}). A resource the tool needs but cannot honour fails loading
 * with an {@link IllegalArgumentException} naming it.
 *
 * <p>The views and lookups every other room uses; behind them, {@link CloudAssembly} reads the files,
 * {@link Intrinsics} resolves names and intrinsics, {@link ResourceReader} turns resources into the views.
 */
public final class StackTemplate {

    /** An IoT policy: its name (what Ref gives) and document. */
    public record IotPolicy(String logicalId, String name, String document) {
    }

    /** A thing type the stack creates (AWS::IoT::ThingType). */
    public record ThingType(String logicalId, String name, String description, List<String> searchableAttributes) {
    }

    /** A static thing group the stack creates (AWS::IoT::ThingGroup). */
    public record ThingGroup(String logicalId, String name, String description) {
    }

    /**
     * A topic rule's Lambda action list and error action; {@code payload} is its TopicRulePayload as resolved JSON
     * (what the IoT model answers GetTopicRule with).
     */
    public record TopicRule(String logicalId, String name, String sql, String sqlVersion, boolean disabled,
            List<String> lambdaFunctions, String errorAction, String payload) {
    }

    /** A Lambda function. {@code jar} is null for a function the runner cannot start (not a Java runtime). */
    public record Function(String logicalId, String name, String runtime, String handler, Map<String, String> environment,
            Integer reservedConcurrency, int timeoutSeconds, int memoryMb, Path jar, int maximumRetryAttempts,
            String onFailureDestination) {
        public boolean runnable() {
            return jar != null;
        }

        /** This function with {@code extra} set in (or overriding) its environment. */
        public Function withEnvironment(Map<String, String> extra) {
            if (extra.isEmpty()) {
                return this;
            }
            Map<String, String> env = new java.util.LinkedHashMap<>(environment);
            env.putAll(extra);
            return new Function(logicalId, name, runtime, handler, Map.copyOf(env), reservedConcurrency,
                    timeoutSeconds, memoryMb, jar, maximumRetryAttempts, onFailureDestination);
        }
    }

    /** A Lambda alias: {@code Ref} gives {@code arn}, which invokes {@code function}. */
    public record Alias(String logicalId, String name, String function, String arn) {
    }

    /** An SQS queue: its local name is its logical id (or QueueName), its ARN as the template resolves it. */
    public record Queue(String logicalId, String name, String arn) {
    }

    /**
     * An EventBridge schedule rule. {@code interval} is null when the expression cannot run locally ({@code cron(...)});
     * {@code unsupportedReason} then says why.
     *
     * @param targetFunctions logical ids of the functions it invokes (targets given as function, alias or version ARN)
     */
    public record Schedule(String logicalId, String name, String arn, String expression, java.time.Duration interval,
            boolean enabled, List<String> targetFunctions, String unsupportedReason) {
        public boolean supported() {
            return interval != null;
        }
    }

    /**
     * A DynamoDB table (AWS::DynamoDB::Table): its name (what Ref gives), its ARN (what Fn::GetAtt Arn gives), and
     * {@code createTable}, the CreateTable request (JSON) that makes it in the local engine.
     */
    public record Table(String logicalId, String name, String arn, String createTable) {
    }

    /**
     * An EventBridge rule of the default bus with an event pattern (AWS::Events::Rule with EventPattern).
     * {@code eventPattern} is the pattern as resolved JSON; {@code targetFunctions} the logical ids of the Lambda
     * functions it targets.
     */
    public record EventRule(String logicalId, String name, String arn, String eventPattern, boolean enabled,
            List<String> targetFunctions) {
    }

    /**
     * A CloudTrail trail (AWS::CloudTrail::Trail): {@code logging} its IsLogging, {@code managementWriteEvents}
     * whether it records the management events that write (its event selectors' IncludeManagementEvents and
     * ReadWriteType; without selectors, it records all management events).
     */
    public record Trail(String logicalId, String name, boolean logging, boolean managementWriteEvents) {
    }

    private final Intrinsics intrinsics;
    private final ResourceReader resources;

    StackTemplate(String stackName, JsonNode template, Path assemblyDir, Map<String, String> assetPaths,
            String account, String region) {
        this.intrinsics = new Intrinsics(stackName, template, account, region);
        this.resources = new ResourceReader(intrinsics, stackName, template, assemblyDir, assetPaths);
        resources.read();
    }

    /**
     * Reads stack {@code stackName} from the cloud assembly {@code cdkOut} ({@code manifest.json}, the template and
     * its asset manifest).
     *
     * @throws IllegalArgumentException with what to run when the assembly or the stack is missing or a resource is
     *                                  not supported
     */
    public static StackTemplate load(Path cdkOut, String stackName, String account, String region) {
        return CloudAssembly.load(cdkOut, stackName, account, region);
    }

    /** Reads a template file directly (tests): asset paths come from {@code aws:asset:path} metadata only. */
    public static StackTemplate fromTemplate(Path templateFile, String stackName, String account, String region) {
        return new StackTemplate(stackName, CloudAssembly.readJson(templateFile),
                templateFile.toAbsolutePath().getParent(), Map.of(), account, region);
    }

    public Map<String, IotPolicy> policies() {
        return resources.policies;
    }

    public Map<String, TopicRule> rules() {
        return resources.rules;
    }

    public Map<String, ThingType> thingTypes() {
        return resources.thingTypes;
    }

    public Map<String, ThingGroup> thingGroups() {
        return resources.thingGroups;
    }

    public Map<String, Function> functions() {
        return resources.functions;
    }

    /** Lambda aliases by logical id. */
    public Map<String, Alias> aliases() {
        return resources.aliases;
    }

    /** SQS queues by logical id (the on-failure destinations of the functions). */
    public Map<String, Queue> queues() {
        return resources.queues;
    }

    /** EventBridge schedule rules by logical id, the unsupported ones ({@link Schedule#supported()}) included. */
    public Map<String, Schedule> schedules() {
        return resources.schedules;
    }

    /** DynamoDB tables by logical id. */
    public Map<String, Table> tables() {
        return resources.tables;
    }

    /** EventBridge rules with an event pattern by logical id (the schedule rules are {@link #schedules()}). */
    public Map<String, EventRule> eventRules() {
        return resources.eventRules;
    }

    /** CloudTrail trails by logical id. */
    public Map<String, Trail> trails() {
        return resources.trails;
    }

    /**
     * The function a Lambda target names: its name, its ARN, or its ARN qualified by one of its aliases or versions
     * (or {@code $LATEST}).
     */
    public Optional<Function> functionByArn(String target) {
        return resources.functionByArn(target);
    }

    /** Logical ids and types of the resources that have no local meaning. */
    public List<String> ignored() {
        return resources.ignored;
    }

    /** Logical ids of the resources of {@code type}. */
    public List<String> resourcesOfType(String type) {
        return intrinsics.resourcesOfType(type);
    }

    /** A resource's Properties with every intrinsic resolved. */
    public JsonNode resolvedProperties(String logicalId) {
        return intrinsics.resolvedProperties(logicalId);
    }

    /** What {@code Ref} gives for a resource or parameter. */
    public String ref(String name, String context) {
        return intrinsics.ref(name, context);
    }

    /** What {@code Fn::GetAtt} gives. Arn of IoT, Lambda, SQS and IAM resources; other attributes are placeholders. */
    public String getAtt(String logicalId, String attribute, String context) {
        return intrinsics.getAtt(logicalId, attribute, context);
    }

    /** Optional helper: the first function whose name or logical id is {@code name}. */
    public Optional<Function> function(String name) {
        return resources.function(name);
    }
}
