package dev.iotonboard.local.stack;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.iot.model.IotException;
import dev.iotonboard.iot.model.PolicyGrammar;
import dev.iotonboard.local.stack.StackTemplate.Alias;
import dev.iotonboard.local.stack.StackTemplate.Function;
import dev.iotonboard.local.stack.StackTemplate.IotPolicy;
import dev.iotonboard.local.stack.StackTemplate.Queue;
import dev.iotonboard.local.stack.StackTemplate.Schedule;
import dev.iotonboard.local.stack.StackTemplate.TopicRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a template's resources into the views the tool runs ({@link StackTemplate}'s records): IoT policies, Lambda
 * functions with their event invoke configs and asset jars, aliases, topic rules, schedules and queues. A resource the
 * tool needs but cannot honour, or of a type it does not know, fails with an {@link IllegalArgumentException} naming
 * it; the types with no local meaning are listed as ignored.
 */
final class ResourceReader {

    /** Resource types the tool reads. */
    static final Set<String> HONOURED = Set.of("AWS::IoT::Policy", "AWS::IoT::TopicRule", "AWS::IoT::ThingType",
            "AWS::IoT::ThingGroup", "AWS::Lambda::Function",
            "AWS::Lambda::EventInvokeConfig", "AWS::Lambda::Alias", "AWS::Lambda::Version", "AWS::Events::Rule",
            "AWS::SQS::Queue", "AWS::DynamoDB::Table", "AWS::CloudTrail::Trail", "AWS::CloudWatch::Alarm",
            "AWS::CloudWatch::CompositeAlarm");
    /**
     * Resource types the reader makes no record of: those with no local meaning (logs, queue policies, buckets, the
     * truststore upload), ignored. API Gateway resources are kept resolved for the API stand-in, Lambda permissions
     * for {@code lambda.LambdaPermissions}.
     */
    static final Set<String> IGNORED_PREFIXES = Set.of("AWS::IAM::", "AWS::Logs::", "AWS::SQS::QueuePolicy",
            "AWS::S3::", "AWS::Lambda::Permission", "Custom::AWS", "AWS::CDK::Metadata", "AWS::ApiGateway::",
            "AWS::SSM::", "AWS::CloudWatch::Dashboard", "AWS::SNS::", "AWS::KMS::");

    private static final Pattern RATE = Pattern.compile("rate\\(\\s*(\\d+)\\s+(minute|minutes|hour|hours|day|days)\\s*\\)");

    private final Intrinsics intrinsics;
    private final String stackName;
    private final JsonNode template;
    private final Path assemblyDir;
    private final Map<String, String> assetPaths;
    final Map<String, IotPolicy> policies = new LinkedHashMap<>();
    final Map<String, TopicRule> rules = new LinkedHashMap<>();
    final Map<String, StackTemplate.ThingType> thingTypes = new LinkedHashMap<>();
    final Map<String, StackTemplate.ThingGroup> thingGroups = new LinkedHashMap<>();
    final Map<String, Function> functions = new LinkedHashMap<>();
    final Map<String, Alias> aliases = new LinkedHashMap<>();
    final Map<String, Queue> queues = new LinkedHashMap<>();
    final Map<String, Schedule> schedules = new LinkedHashMap<>();
    final Map<String, StackTemplate.EventRule> eventRules = new LinkedHashMap<>();
    final Map<String, StackTemplate.Table> tables = new LinkedHashMap<>();
    final Map<String, StackTemplate.Trail> trails = new LinkedHashMap<>();
    final List<String> ignored = new ArrayList<>();

    ResourceReader(Intrinsics intrinsics, String stackName, JsonNode template, Path assemblyDir,
            Map<String, String> assetPaths) {
        this.intrinsics = intrinsics;
        this.stackName = stackName;
        this.template = template;
        this.assemblyDir = assemblyDir;
        this.assetPaths = assetPaths;
    }

    void read() {
        JsonNode resources = template.path("Resources");
        if (!resources.isObject()) {
            throw new IllegalArgumentException("the template of " + stackName + " has no Resources");
        }
        Map<String, JsonNode> invokeConfigs = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = resources.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            String id = entry.getKey();
            String type = entry.getValue().path("Type").asText();
            if (entry.getValue().has("Condition")) {
                throw new IllegalArgumentException(id + " (" + type + "): conditional resources are not supported");
            }
            switch (type) {
                case "AWS::IoT::Policy" -> readPolicy(id);
                case "AWS::IoT::ThingType" -> readThingType(id);
                case "AWS::IoT::ThingGroup" -> readThingGroup(id);
                case "AWS::IoT::TopicRule" -> {
                    // read after the functions, below
                }
                case "AWS::Lambda::Function" -> {
                    // read after the invoke configs, below
                }
                case "AWS::Lambda::EventInvokeConfig" -> invokeConfigs.put(id, intrinsics.resolvedProperties(id));
                case "AWS::SQS::Queue" -> queues.put(id, new Queue(id, intrinsics.ref(id, id), intrinsics.getAtt(id, "Arn", id)));
                case "AWS::DynamoDB::Table" -> tables.put(id, TableReader.read(id, intrinsics));
                case "AWS::CloudTrail::Trail" -> readTrail(id);
                case "AWS::Lambda::Alias", "AWS::Lambda::Version", "AWS::Events::Rule" -> {
                    // read after the functions, below
                }
                case "AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm" -> {
                    // read by the CloudWatch room (cloudwatch.AlarmDefinition)
                }
                default -> {
                    if (IGNORED_PREFIXES.stream().noneMatch(type::startsWith)) {
                        throw new IllegalArgumentException(id + " (" + type + "): the local IoT Core cannot honour this"
                                + " resource type");
                    }
                    ignored.add(id + " (" + type + ")");
                }
            }
        }
        for (String id : intrinsics.resourcesOfType("AWS::Lambda::Function")) {
            readFunction(id, invokeConfigs);
        }
        for (String id : intrinsics.resourcesOfType("AWS::Lambda::Alias")) {
            readAlias(id);
        }
        for (String id : intrinsics.resourcesOfType("AWS::IoT::TopicRule")) {
            readRule(id);
        }
        for (String id : intrinsics.resourcesOfType("AWS::Events::Rule")) {
            JsonNode properties = intrinsics.resolvedProperties(id);
            if (properties.has("EventPattern") && properties.has("ScheduleExpression")) {
                throw new IllegalArgumentException(id + " (AWS::Events::Rule): both EventPattern and ScheduleExpression;"
                        + " the local IoT Core runs a rule of one kind");
            }
            if (properties.has("EventPattern")) {
                readEventRule(id, properties);
            } else {
                readSchedule(id);
            }
        }
    }

    private void readAlias(String id) {
        String functionName = intrinsics.aliasFunction(id);
        Function function = function(functionName).orElseThrow(() -> new IllegalArgumentException(id
                + " (AWS::Lambda::Alias): its function " + functionName + " is not a function of this stack"));
        aliases.put(id, new Alias(id, intrinsics.resolvedProperties(id).path("Name").asText(), function.logicalId(), intrinsics.ref(id, id)));
    }

    /** Properties of an event-pattern rule the tool honours; RoleArn and Description have no local meaning. */
    private static final Set<String> EVENT_RULE_PROPERTIES = Set.of("Name", "Description", "EventPattern", "State",
            "Targets", "EventBusName", "RoleArn");
    /**
     * Properties of a rule's Lambda target the tool honours. RetryPolicy and DeadLetterConfig are EventBridge's when
     * it cannot hand the event to Lambda, which locally never happens; Lambda's own async retries still apply.
     */
    private static final Set<String> EVENT_TARGET_PROPERTIES = Set.of("Id", "Arn", "RetryPolicy", "DeadLetterConfig");

    private void readEventRule(String id, JsonNode properties) {
        String where = id + " (AWS::Events::Rule)";
        properties.fieldNames().forEachRemaining(name -> {
            if (!EVENT_RULE_PROPERTIES.contains(name)) {
                throw new IllegalArgumentException(where + ": " + name + " is not supported by the local IoT Core");
            }
        });
        String bus = properties.path("EventBusName").asText("default");
        if (!bus.equals("default") && !bus.endsWith(":event-bus/default")) {
            throw new IllegalArgumentException(where + ": event bus " + bus + ": the local IoT Core delivers to the"
                    + " default bus only (where AWS services send their events)");
        }
        String state = properties.path("State").asText("ENABLED");
        if (!state.equals("ENABLED") && !state.equals("DISABLED")) {
            throw new IllegalArgumentException(where + ": State " + state + " is not supported by the local IoT Core"
                    + " (ENABLED or DISABLED)");
        }
        List<String> targets = new ArrayList<>();
        for (JsonNode target : properties.path("Targets")) {
            target.fieldNames().forEachRemaining(name -> {
                if (!EVENT_TARGET_PROPERTIES.contains(name)) {
                    throw new IllegalArgumentException(where + ": target " + target.path("Id").asText() + ": " + name
                            + " is not supported by the local IoT Core (the event is delivered as it is)");
                }
            });
            String arn = target.path("Arn").asText();
            Function function = functionByArn(arn).orElseThrow(() -> new IllegalArgumentException(where
                    + ": its target " + arn + " is not a Lambda function of this stack"));
            if (!function.runnable()) {
                throw new IllegalArgumentException(where + ": its target " + function.logicalId() + " has runtime "
                        + function.runtime() + "; only Java functions can run");
            }
            targets.add(function.logicalId());
        }
        JsonNode pattern = properties.get("EventPattern");
        String patternText = pattern.isTextual() ? pattern.asText() : pattern.toString();
        eventRules.put(id, new StackTemplate.EventRule(id, intrinsics.ref(id, id), intrinsics.getAtt(id, "Arn", id),
                patternText, state.equals("ENABLED"), List.copyOf(targets)));
    }

    /**
     * A trail: whether it logs and records management write events. Advanced event selectors are refused: the tool
     * does not evaluate them.
     */
    private void readTrail(String id) {
        JsonNode properties = intrinsics.resolvedProperties(id);
        if (properties.has("AdvancedEventSelectors")) {
            throw new IllegalArgumentException(id + " (AWS::CloudTrail::Trail): AdvancedEventSelectors are not"
                    + " evaluated by the local IoT Core (EventSelectors are)");
        }
        boolean writes = !properties.has("EventSelectors") || properties.path("EventSelectors").isEmpty();
        for (JsonNode selector : properties.path("EventSelectors")) {
            String readWrite = selector.path("ReadWriteType").asText("All");
            if (selector.path("IncludeManagementEvents").asBoolean(true)
                    && (readWrite.equals("All") || readWrite.equals("WriteOnly"))) {
                writes = true;
            }
        }
        trails.put(id, new StackTemplate.Trail(id, intrinsics.ref(id, id),
                properties.path("IsLogging").asBoolean(false), writes));
    }

    private void readSchedule(String id) {
        JsonNode properties = intrinsics.resolvedProperties(id);
        String expression = properties.path("ScheduleExpression").asText(null);
        if (expression == null) {
            throw new IllegalArgumentException(id + " (AWS::Events::Rule): neither ScheduleExpression nor EventPattern;"
                    + " a rule needs one");
        }
        List<String> targets = new ArrayList<>();
        for (JsonNode target : properties.path("Targets")) {
            String arn = target.path("Arn").asText();
            Function function = functionByArn(arn).orElseThrow(() -> new IllegalArgumentException(id
                    + " (AWS::Events::Rule): its target " + arn + " is not a Lambda function of this stack"));
            if (!function.runnable()) {
                throw new IllegalArgumentException(id + " (AWS::Events::Rule): its target " + function.logicalId()
                        + " has runtime " + function.runtime() + "; only Java functions can run");
            }
            targets.add(function.logicalId());
        }
        java.time.Duration interval = null;
        String unsupported = null;
        Matcher rate = RATE.matcher(expression.trim());
        if (rate.matches()) {
            long amount = Long.parseLong(rate.group(1));
            interval = switch (rate.group(2)) {
                case "minute", "minutes" -> java.time.Duration.ofMinutes(amount);
                case "hour", "hours" -> java.time.Duration.ofHours(amount);
                default -> java.time.Duration.ofDays(amount);
            };
            if (amount < 1) {
                interval = null;
                unsupported = "a rate must be at least 1";
            }
        } else {
            unsupported = expression.startsWith("cron(")
                    ? "cron expressions are not supported by the local IoT Core (only rate(N minutes|hours|days))"
                    : "not a rate(...) or cron(...) expression";
        }
        schedules.put(id, new Schedule(id, intrinsics.ref(id, id), intrinsics.getAtt(id, "Arn", id), expression, interval,
                !properties.path("State").asText("ENABLED").equals("DISABLED"), List.copyOf(targets), unsupported));
    }

    private void readPolicy(String id) {
        JsonNode properties = intrinsics.resolvedProperties(id);
        JsonNode document = properties.get("PolicyDocument");
        if (document == null) {
            throw new IllegalArgumentException(id + " (AWS::IoT::Policy): no PolicyDocument");
        }
        String text = document.isTextual() ? document.asText() : document.toString();
        try {
            PolicyGrammar.check(text);
        } catch (IotException e) {
            throw new IllegalArgumentException(id + " (AWS::IoT::Policy): IoT would refuse it (CloudFormation fails the"
                    + " deployment): " + e.getMessage());
        }
        String name = intrinsics.ref(id, id);
        policies.put(id, new IotPolicy(id, name, text));
    }

    /** A thing type: its name (ThingTypeName, else what Ref gives), description and searchable attributes. */
    private void readThingType(String id) {
        JsonNode properties = intrinsics.resolvedProperties(id);
        if (properties.has("DeprecateThingType") || properties.has("Tags")) {
            throw new IllegalArgumentException(id + " (AWS::IoT::ThingType): DeprecateThingType and Tags are not "
                    + "supported by the local IoT Core");
        }
        JsonNode typeProperties = properties.path("ThingTypeProperties");
        List<String> searchable = new ArrayList<>();
        typeProperties.path("SearchableAttributes").forEach(name -> searchable.add(name.asText()));
        String name = properties.path("ThingTypeName").asText(intrinsics.ref(id, id));
        thingTypes.put(id, new StackTemplate.ThingType(id, name,
                typeProperties.path("ThingTypeDescription").asText(null), List.copyOf(searchable)));
    }

    /** A static thing group: its name (ThingGroupName, else what Ref gives) and description. */
    private void readThingGroup(String id) {
        JsonNode properties = intrinsics.resolvedProperties(id);
        for (String unsupported : List.of("ParentGroupName", "QueryString", "Tags")) {
            if (properties.has(unsupported)) {
                throw new IllegalArgumentException(id + " (AWS::IoT::ThingGroup): " + unsupported + " is not supported "
                        + "by the local IoT Core (static groups without parents only)");
            }
        }
        JsonNode groupProperties = properties.path("ThingGroupProperties");
        if (groupProperties.has("AttributePayload")) {
            throw new IllegalArgumentException(id + " (AWS::IoT::ThingGroup): group attributes (AttributePayload) are "
                    + "not supported by the local IoT Core");
        }
        String name = properties.path("ThingGroupName").asText(intrinsics.ref(id, id));
        thingGroups.put(id, new StackTemplate.ThingGroup(id, name,
                groupProperties.path("ThingGroupDescription").asText(null)));
    }

    private void readFunction(String id, Map<String, JsonNode> invokeConfigs) {
        JsonNode properties = intrinsics.resolvedProperties(id);
        String runtime = properties.path("Runtime").asText("");
        String handler = properties.path("Handler").asText("");
        Map<String, String> environment = new LinkedHashMap<>();
        properties.path("Environment").path("Variables").fields()
                .forEachRemaining(e -> environment.put(e.getKey(), e.getValue().asText()));
        Integer reserved = properties.has("ReservedConcurrentExecutions")
                ? properties.get("ReservedConcurrentExecutions").asInt() : null;
        int timeout = properties.path("Timeout").asInt(3);
        int memory = properties.path("MemorySize").asInt(128);
        String name = intrinsics.ref(id, id);
        Path jar = null;
        if (runtime.startsWith("java")) {
            jar = assetJar(id, properties);
        }
        int retries = 2;
        String onFailure = null;
        String functionArn = intrinsics.getAtt(id, "Arn", id);
        for (Map.Entry<String, JsonNode> config : invokeConfigs.entrySet()) {
            String target = config.getValue().path("FunctionName").asText();
            if (target.equals(name) || target.equals(functionArn)) {
                retries = config.getValue().path("MaximumRetryAttempts").asInt(2);
                onFailure = config.getValue().path("DestinationConfig").path("OnFailure").path("Destination")
                        .asText(null);
            }
        }
        if (onFailure == null && properties.path("DeadLetterConfig").has("TargetArn")) {
            onFailure = properties.path("DeadLetterConfig").path("TargetArn").asText();
        }
        functions.put(id, new Function(id, name, runtime, handler, environment, reserved, timeout, memory, jar, retries,
                onFailure));
    }

    private Path assetJar(String id, JsonNode properties) {
        JsonNode metadataPath = intrinsics.resource(id).path("Metadata").path("aws:asset:path");
        String relative = null;
        if (metadataPath.isTextual()) {
            relative = metadataPath.asText();
        } else {
            String key = properties.path("Code").path("S3Key").asText(null);
            if (key != null) {
                relative = assetPaths.get(key);
            }
        }
        if (relative == null) {
            throw new IllegalArgumentException(id + " (AWS::Lambda::Function): no asset for its code (neither "
                    + "aws:asset:path metadata nor an asset manifest entry for Code.S3Key)");
        }
        Path jar = assemblyDir.resolve(relative).normalize();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException(id + " (AWS::Lambda::Function): its asset " + jar
                    + " is missing or not a jar file: run the build first");
        }
        return jar;
    }

    private void readRule(String id) {
        JsonNode payload = intrinsics.resolvedProperties(id).path("TopicRulePayload");
        List<String> lambdas = new ArrayList<>();
        for (JsonNode action : payload.path("Actions")) {
            if (!action.has("Lambda") || action.size() != 1) {
                throw new IllegalArgumentException(id + " (AWS::IoT::TopicRule): only Lambda actions are supported,"
                        + " not " + action.fieldNames().next());
            }
            String arn = action.path("Lambda").path("FunctionArn").asText();
            String function = functionByArn(arn).map(Function::logicalId)
                    .orElseThrow(() -> new IllegalArgumentException(id + " (AWS::IoT::TopicRule): its Lambda action"
                            + " targets " + arn + ", not a function of this stack"));
            if (!functions.get(function).runnable()) {
                throw new IllegalArgumentException(id + " (AWS::IoT::TopicRule): its target " + function
                        + " has runtime " + functions.get(function).runtime() + "; only Java functions can run");
            }
            lambdas.add(function);
        }
        String errorAction = payload.path("ErrorAction").fieldNames().hasNext()
                ? payload.path("ErrorAction").fieldNames().next() : null;
        String name = intrinsics.ref(id, id);
        rules.put(id, new TopicRule(id, name, payload.path("Sql").asText(),
                payload.path("AwsIotSqlVersion").asText("2015-10-08"), payload.path("RuleDisabled").asBoolean(false),
                lambdas, errorAction, payload.toString()));
    }

    Optional<Function> functionByArn(String target) {
        return intrinsics.functionByArn(functions.values(), target);
    }

    /** Optional helper: the first function whose name or logical id is {@code name}. */
    Optional<Function> function(String name) {
        return functions.values().stream().filter(f -> f.name().equals(name) || f.logicalId().equals(name))
                .findFirst();
    }
}
