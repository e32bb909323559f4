package dev.iotonboard.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
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
 * A synthesized stack read from a cloud assembly ({@code cdk.out}): the template with the intrinsics the stack uses
 * resolved ({@code Ref}, {@code Fn::GetAtt}, {@code Fn::Join}, {@code Fn::Sub}, {@code Fn::Select}, {@code Fn::Split},
 * pseudo parameters), and the resources the local IoT Core runs: IoT policies, topic rules, Lambda functions (with
 * their event invoke configs), EventBridge schedules, SQS queues and, raw but resolved, any other resource for later
 * use (API Gateway).
 *
 * <p>Physical names: a resource without an explicit name (PolicyName, FunctionName, RuleName, QueueName) is named by
 * its logical id, and {@code Ref} resolves to that name; as in CloudFormation, {@code Ref} of a Lambda alias or
 * version gives its qualified ARN ({@code ...:function:<name>:<alias or version>}), and a Lambda target given as such
 * an ARN resolves to its function ({@link #functionByArn}). A resource the tool needs but cannot honour fails loading
 * with an {@link IllegalArgumentException} naming it.
 */
public final class StackTemplate {

    /** An IoT policy: its name (what Ref gives) and document. */
    public record IotPolicy(String logicalId, String name, String document) {
    }

    /** A topic rule's Lambda action list and error action. */
    public record TopicRule(String logicalId, String name, String sql, String sqlVersion, boolean disabled,
            List<String> lambdaFunctions, String errorAction) {
    }

    /** A Lambda function. {@code jar} is null for a function the runner cannot start (not a Java runtime). */
    public record Function(String logicalId, String name, String runtime, String handler, Map<String, String> environment,
            Integer reservedConcurrency, int timeoutSeconds, int memoryMb, Path jar, int maximumRetryAttempts,
            String onFailureDestination) {
        public boolean runnable() {
            return jar != null;
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

    /** Resource types the tool reads. */
    static final Set<String> HONOURED = Set.of("AWS::IoT::Policy", "AWS::IoT::TopicRule", "AWS::Lambda::Function",
            "AWS::Lambda::EventInvokeConfig", "AWS::Lambda::Alias", "AWS::Lambda::Version", "AWS::Events::Rule",
            "AWS::SQS::Queue");
    /**
     * Resource types with no local meaning (permissions, logs, queue policies, buckets, the truststore upload),
     * ignored. API Gateway resources are kept resolved for the API stand-in.
     */
    static final Set<String> IGNORED_PREFIXES = Set.of("AWS::IAM::", "AWS::Logs::", "AWS::SQS::QueuePolicy",
            "AWS::S3::", "AWS::Lambda::Permission", "Custom::AWS", "AWS::CDK::Metadata", "AWS::ApiGateway::",
            "AWS::SSM::");

    private static final Pattern RATE = Pattern.compile("rate\\(\\s*(\\d+)\\s+(minute|minutes|hour|hours|day|days)\\s*\\)");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^}]*)}");

    private final String stackName;
    private final String account;
    private final String region;
    private final JsonNode template;
    private final Path assemblyDir;
    private final Map<String, String> assetPaths;
    private final Map<String, IotPolicy> policies = new LinkedHashMap<>();
    private final Map<String, TopicRule> rules = new LinkedHashMap<>();
    private final Map<String, Function> functions = new LinkedHashMap<>();
    private final Map<String, Alias> aliases = new LinkedHashMap<>();
    private final Map<String, Queue> queues = new LinkedHashMap<>();
    private final Map<String, Schedule> schedules = new LinkedHashMap<>();
    private final List<String> ignored = new ArrayList<>();

    private StackTemplate(String stackName, JsonNode template, Path assemblyDir, Map<String, String> assetPaths,
            String account, String region) {
        this.stackName = stackName;
        this.template = template;
        this.assemblyDir = assemblyDir;
        this.assetPaths = assetPaths;
        this.account = account;
        this.region = region;
        read();
    }

    /**
     * Reads stack {@code stackName} from the cloud assembly {@code cdkOut} ({@code manifest.json}, the template and
     * its asset manifest).
     *
     * @throws IllegalArgumentException with what to run when the assembly or the stack is missing or a resource is
     *                                  not supported
     */
    public static StackTemplate load(Path cdkOut, String stackName, String account, String region) {
        Path manifestFile = cdkOut.resolve("manifest.json");
        if (!Files.isRegularFile(manifestFile)) {
            throw new IllegalArgumentException("no cloud assembly at " + cdkOut.toAbsolutePath()
                    + " (manifest.json missing): run the build first (mvn package, then cdk synth or mvn -pl infra"
                    + " exec:java from the repository root)");
        }
        JsonNode manifest = readJson(manifestFile);
        JsonNode artifacts = manifest.path("artifacts");
        JsonNode stack = null;
        String stackId = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = artifacts.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> artifact = it.next();
            if (artifact.getValue().path("type").asText().equals("aws:cloudformation:stack")
                    && (artifact.getKey().equals(stackName)
                    || artifact.getValue().path("displayName").asText().equals(stackName))) {
                stack = artifact.getValue();
                stackId = artifact.getKey();
            }
        }
        if (stack == null) {
            throw new IllegalArgumentException("no stack " + stackName + " in " + manifestFile
                    + ": run the build first (is cdk.out from another app?)");
        }
        Path templateFile = cdkOut.resolve(stack.path("properties").path("templateFile").asText(stackId
                + ".template.json"));
        if (!Files.isRegularFile(templateFile)) {
            throw new IllegalArgumentException("the template " + templateFile
                    + " named by manifest.json is missing: run the build first");
        }
        Map<String, String> assetPaths = new LinkedHashMap<>();
        for (JsonNode dependency : stack.path("dependencies")) {
            JsonNode dep = artifacts.path(dependency.asText());
            if (dep.path("type").asText().equals("cdk:asset-manifest")) {
                JsonNode assets = readJson(cdkOut.resolve(dep.path("properties").path("file").asText()));
                for (Iterator<JsonNode> files = assets.path("files").elements(); files.hasNext();) {
                    JsonNode file = files.next();
                    String source = file.path("source").path("path").asText();
                    for (JsonNode destination : file.path("destinations")) {
                        assetPaths.put(destination.path("objectKey").asText(), source);
                    }
                }
            }
        }
        return new StackTemplate(stackName, readJson(templateFile), cdkOut, assetPaths, account, region);
    }

    /** Reads a template file directly (tests): asset paths come from {@code aws:asset:path} metadata only. */
    public static StackTemplate fromTemplate(Path templateFile, String stackName, String account, String region) {
        return new StackTemplate(stackName, readJson(templateFile), templateFile.toAbsolutePath().getParent(),
                Map.of(), account, region);
    }

    public Map<String, IotPolicy> policies() {
        return policies;
    }

    public Map<String, TopicRule> rules() {
        return rules;
    }

    public Map<String, Function> functions() {
        return functions;
    }

    /** Lambda aliases by logical id. */
    public Map<String, Alias> aliases() {
        return aliases;
    }

    /** SQS queues by logical id (the on-failure destinations of the functions). */
    public Map<String, Queue> queues() {
        return queues;
    }

    /** EventBridge schedule rules by logical id, the unsupported ones ({@link Schedule#supported()}) included. */
    public Map<String, Schedule> schedules() {
        return schedules;
    }

    /**
     * The function a Lambda target names: its name, its ARN, or its ARN qualified by one of its aliases or versions
     * (or {@code $LATEST}).
     */
    public Optional<Function> functionByArn(String target) {
        for (Function function : functions.values()) {
            String arn = getAtt(function.logicalId(), "Arn", function.logicalId());
            if (target.equals(function.name()) || target.equals(arn)) {
                return Optional.of(function);
            }
            if (target.startsWith(arn + ":") && qualifierOf(function, target.substring(arn.length() + 1))) {
                return Optional.of(function);
            }
        }
        return Optional.empty();
    }

    private boolean qualifierOf(Function function, String qualifier) {
        if (qualifier.equals("$LATEST")) {
            return true;
        }
        for (String id : resourcesOfType("AWS::Lambda::Alias")) {
            if (aliasFunction(id).equals(function.name()) && resolvedProperties(id).path("Name").asText().equals(qualifier)) {
                return true;
            }
        }
        for (String id : resourcesOfType("AWS::Lambda::Version")) {
            if (aliasFunction(id).equals(function.name()) && versionNumber(id).equals(qualifier)) {
                return true;
            }
        }
        return false;
    }

    /** The function name an alias or version belongs to ({@code FunctionName} may be a name or an ARN). */
    private String aliasFunction(String logicalId) {
        String functionName = resolvedProperties(logicalId).path("FunctionName").asText();
        int colon = functionName.indexOf(":function:");
        return colon < 0 ? functionName : functionName.substring(colon + ":function:".length()).split(":")[0];
    }

    /** Locally every published version is number 1: the template publishes each function's current version once. */
    private String versionNumber(String versionLogicalId) {
        return "1";
    }

    /** Logical ids and types of the resources that have no local meaning. */
    public List<String> ignored() {
        return ignored;
    }

    /** Logical ids of the resources of {@code type}. */
    public List<String> resourcesOfType(String type) {
        List<String> ids = new ArrayList<>();
        template.path("Resources").fields().forEachRemaining(e -> {
            if (e.getValue().path("Type").asText().equals(type)) {
                ids.add(e.getKey());
            }
        });
        return ids;
    }

    /** A resource's Properties with every intrinsic resolved. */
    public JsonNode resolvedProperties(String logicalId) {
        JsonNode resource = resource(logicalId);
        return resolve(resource.path("Properties"), logicalId);
    }

    /** What {@code Ref} gives for a resource or parameter. */
    public String ref(String name, String context) {
        switch (name) {
            case "AWS::AccountId":
                return account;
            case "AWS::Region":
                return region;
            case "AWS::Partition":
                return "aws";
            case "AWS::URLSuffix":
                return "amazonaws.com";
            case "AWS::StackName":
                return stackName;
            case "AWS::StackId":
                return "arn:aws:cloudformation:" + region + ":" + account + ":stack/" + stackName
                        + "/00000000-0000-0000-0000-000000000000";
            default:
                break;
        }
        JsonNode parameter = template.path("Parameters").path(name);
        if (!parameter.isMissingNode()) {
            if (parameter.has("Default")) {
                return parameter.get("Default").asText();
            }
            throw new IllegalArgumentException(context + ": parameter " + name + " has no default");
        }
        JsonNode resource = template.path("Resources").path(name);
        if (resource.isMissingNode()) {
            throw new IllegalArgumentException(context + ": Ref to unknown resource or parameter " + name);
        }
        switch (resource.path("Type").asText()) {
            case "AWS::Lambda::Alias":
                return lambdaArn(aliasFunction(name)) + ":" + resolvedProperties(name).path("Name").asText();
            case "AWS::Lambda::Version":
                return lambdaArn(aliasFunction(name)) + ":" + versionNumber(name);
            default:
                return physicalName(name, resource);
        }
    }

    private String lambdaArn(String functionName) {
        return "arn:aws:lambda:" + region + ":" + account + ":function:" + functionName;
    }

    /** What {@code Fn::GetAtt} gives. Arn of IoT, Lambda, SQS and IAM resources; other attributes are placeholders. */
    public String getAtt(String logicalId, String attribute, String context) {
        JsonNode resource = template.path("Resources").path(logicalId);
        if (resource.isMissingNode()) {
            throw new IllegalArgumentException(context + ": Fn::GetAtt on unknown resource " + logicalId);
        }
        String type = resource.path("Type").asText();
        String name = physicalName(logicalId, resource);
        if (type.equals("AWS::Lambda::Version") && attribute.equals("Version")) {
            return versionNumber(logicalId);
        }
        if (attribute.equals("Arn")) {
            switch (type) {
                case "AWS::Events::Rule":
                    return "arn:aws:events:" + region + ":" + account + ":rule/" + name;
                case "AWS::Lambda::Function":
                    return "arn:aws:lambda:" + region + ":" + account + ":function:" + name;
                case "AWS::IoT::TopicRule":
                    return "arn:aws:iot:" + region + ":" + account + ":rule/" + name;
                case "AWS::IoT::Policy":
                    return "arn:aws:iot:" + region + ":" + account + ":policy/" + name;
                case "AWS::SQS::Queue":
                    return "arn:aws:sqs:" + region + ":" + account + ":" + name;
                case "AWS::IAM::Role":
                    return "arn:aws:iam::" + account + ":role/" + name;
                case "AWS::Logs::LogGroup":
                    return "arn:aws:logs:" + region + ":" + account + ":log-group:" + name + ":*";
                case "AWS::S3::Bucket":
                    return "arn:aws:s3:::" + name.toLowerCase(java.util.Locale.ROOT);
                default:
                    break;
            }
        }
        return "local:" + type + ":" + logicalId + "." + attribute;
    }

    private String physicalName(String logicalId, JsonNode resource) {
        String type = resource.path("Type").asText();
        String field = switch (type) {
            case "AWS::IoT::Policy" -> "PolicyName";
            case "AWS::IoT::TopicRule" -> "RuleName";
            case "AWS::Lambda::Function" -> "FunctionName";
            case "AWS::SQS::Queue" -> "QueueName";
            case "AWS::IAM::Role" -> "RoleName";
            case "AWS::Logs::LogGroup" -> "LogGroupName";
            case "AWS::Events::Rule" -> "Name";
            default -> null;
        };
        if (field != null && resource.path("Properties").has(field)) {
            return resolve(resource.path("Properties").get(field), logicalId).asText();
        }
        return logicalId;
    }

    private void read() {
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
                case "AWS::IoT::TopicRule" -> {
                    // read after the functions, below
                }
                case "AWS::Lambda::Function" -> {
                    // read after the invoke configs, below
                }
                case "AWS::Lambda::EventInvokeConfig" -> invokeConfigs.put(id, resolvedProperties(id));
                case "AWS::SQS::Queue" -> queues.put(id, new Queue(id, ref(id, id), getAtt(id, "Arn", id)));
                case "AWS::Lambda::Alias", "AWS::Lambda::Version", "AWS::Events::Rule" -> {
                    // read after the functions, below
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
        for (String id : resourcesOfType("AWS::Lambda::Function")) {
            readFunction(id, invokeConfigs);
        }
        for (String id : resourcesOfType("AWS::Lambda::Alias")) {
            readAlias(id);
        }
        for (String id : resourcesOfType("AWS::IoT::TopicRule")) {
            readRule(id);
        }
        for (String id : resourcesOfType("AWS::Events::Rule")) {
            readSchedule(id);
        }
    }

    private void readAlias(String id) {
        String functionName = aliasFunction(id);
        Function function = function(functionName).orElseThrow(() -> new IllegalArgumentException(id
                + " (AWS::Lambda::Alias): its function " + functionName + " is not a function of this stack"));
        aliases.put(id, new Alias(id, resolvedProperties(id).path("Name").asText(), function.logicalId(), ref(id, id)));
    }

    private void readSchedule(String id) {
        JsonNode properties = resolvedProperties(id);
        String expression = properties.path("ScheduleExpression").asText(null);
        if (expression == null) {
            throw new IllegalArgumentException(id + " (AWS::Events::Rule): only schedule rules (ScheduleExpression) are"
                    + " supported, not event patterns");
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
        schedules.put(id, new Schedule(id, ref(id, id), getAtt(id, "Arn", id), expression, interval,
                !properties.path("State").asText("ENABLED").equals("DISABLED"), List.copyOf(targets), unsupported));
    }

    private void readPolicy(String id) {
        JsonNode properties = resolvedProperties(id);
        JsonNode document = properties.get("PolicyDocument");
        if (document == null) {
            throw new IllegalArgumentException(id + " (AWS::IoT::Policy): no PolicyDocument");
        }
        String text = document.isTextual() ? document.asText() : document.toString();
        String name = ref(id, id);
        policies.put(id, new IotPolicy(id, name, text));
    }

    private void readFunction(String id, Map<String, JsonNode> invokeConfigs) {
        JsonNode properties = resolvedProperties(id);
        String runtime = properties.path("Runtime").asText("");
        String handler = properties.path("Handler").asText("");
        Map<String, String> environment = new LinkedHashMap<>();
        properties.path("Environment").path("Variables").fields()
                .forEachRemaining(e -> environment.put(e.getKey(), e.getValue().asText()));
        Integer reserved = properties.has("ReservedConcurrentExecutions")
                ? properties.get("ReservedConcurrentExecutions").asInt() : null;
        int timeout = properties.path("Timeout").asInt(3);
        int memory = properties.path("MemorySize").asInt(128);
        String name = ref(id, id);
        Path jar = null;
        if (runtime.startsWith("java")) {
            jar = assetJar(id, properties);
        }
        int retries = 2;
        String onFailure = null;
        String functionArn = getAtt(id, "Arn", id);
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
        JsonNode metadataPath = resource(id).path("Metadata").path("aws:asset:path");
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
        JsonNode payload = resolvedProperties(id).path("TopicRulePayload");
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
        String name = ref(id, id);
        rules.put(id, new TopicRule(id, name, payload.path("Sql").asText(),
                payload.path("AwsIotSqlVersion").asText("2015-10-08"), payload.path("RuleDisabled").asBoolean(false),
                lambdas, errorAction));
    }

    private JsonNode resource(String logicalId) {
        JsonNode resource = template.path("Resources").path(logicalId);
        if (resource.isMissingNode()) {
            throw new IllegalArgumentException("no resource " + logicalId + " in " + stackName);
        }
        return resource;
    }

    /** {@code node} with its intrinsics resolved; {@code context} names the resource in error messages. */
    JsonNode resolve(JsonNode node, String context) {
        if (node == null) {
            return null;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            for (JsonNode item : node) {
                JsonNode resolved = resolve(item, context);
                if (resolved != null) {
                    out.add(resolved);
                }
            }
            return out;
        }
        if (!node.isObject()) {
            return node;
        }
        if (node.size() == 1) {
            String key = node.fieldNames().next();
            JsonNode argument = node.get(key);
            if (key.equals("Ref")) {
                return argument.asText().equals("AWS::NoValue") ? null
                        : TextNode.valueOf(ref(argument.asText(), context));
            }
            if (key.equals("Fn::Split")) {
                ArrayNode parts = JsonNodeFactory.instance.arrayNode();
                String separator = argument.get(0).asText();
                String text = resolve(argument.get(1), context).asText();
                for (String part : text.split(Pattern.quote(separator), -1)) {
                    parts.add(part);
                }
                return parts;
            }
            if (key.startsWith("Fn::")) {
                return TextNode.valueOf(intrinsic(key, argument, context));
            }
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        node.fields().forEachRemaining(e -> {
            JsonNode resolved = resolve(e.getValue(), context);
            if (resolved != null) {
                out.set(e.getKey(), resolved);
            }
        });
        return out;
    }

    private String intrinsic(String function, JsonNode argument, String context) {
        switch (function) {
            case "Fn::Join": {
                String separator = argument.get(0).asText();
                List<String> parts = new ArrayList<>();
                resolve(argument.get(1), context).forEach(part -> parts.add(part.asText()));
                return String.join(separator, parts);
            }
            case "Fn::GetAtt": {
                if (argument.isTextual()) {
                    String[] parts = argument.asText().split("\\.", 2);
                    return getAtt(parts[0], parts[1], context);
                }
                return getAtt(argument.get(0).asText(), resolve(argument.get(1), context).asText(), context);
            }
            case "Fn::Sub": {
                String text;
                Map<String, String> variables = new LinkedHashMap<>();
                if (argument.isTextual()) {
                    text = argument.asText();
                } else {
                    text = argument.get(0).asText();
                    resolve(argument.get(1), context).fields()
                            .forEachRemaining(e -> variables.put(e.getKey(), e.getValue().asText()));
                }
                return sub(text, variables, context);
            }
            case "Fn::Select": {
                int index = Integer.parseInt(resolve(argument.get(0), context).asText());
                JsonNode list = resolve(argument.get(1), context);
                if (list.isTextual()) {
                    throw new IllegalArgumentException(context + ": Fn::Select needs a list");
                }
                if (index < 0 || index >= list.size()) {
                    throw new IllegalArgumentException(context + ": Fn::Select index " + index + " out of range");
                }
                return list.get(index).asText();
            }
            default:
                throw new IllegalArgumentException(context + ": intrinsic function " + function
                        + " is not supported by the local IoT Core");
        }
    }

    private String sub(String text, Map<String, String> variables, String context) {
        Matcher matcher = SUB_VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        int last = 0;
        while (matcher.find()) {
            out.append(text, last, matcher.start());
            String name = matcher.group(1);
            if (name.startsWith("!")) {
                out.append("${").append(name.substring(1)).append('}');
            } else if (variables.containsKey(name)) {
                out.append(variables.get(name));
            } else if (name.contains(".") && !name.startsWith("AWS::")) {
                String[] parts = name.split("\\.", 2);
                out.append(getAtt(parts[0], parts[1], context));
            } else {
                out.append(ref(name, context));
            }
            last = matcher.end();
        }
        out.append(text.substring(last));
        return out.toString();
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Optional helper: the first function whose name or logical id is {@code name}. */
    public Optional<Function> function(String name) {
        return functions.values().stream().filter(f -> f.name().equals(name) || f.logicalId().equals(name))
                .findFirst();
    }
}
