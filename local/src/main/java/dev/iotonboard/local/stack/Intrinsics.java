package dev.iotonboard.local.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.iotonboard.local.stack.StackTemplate.Function;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A template's names and intrinsics, resolved as CloudFormation would for this account and region: {@code Ref}
 * (resources, parameters' defaults, pseudo parameters), {@code Fn::GetAtt}, {@code Fn::Join}, {@code Fn::Sub} (both
 * forms, {@code ${!Literal}}), {@code Fn::Select}, {@code Fn::Split}; physical names (a resource without an explicit
 * name is named by its logical id); and which function a Lambda ARN, qualified or not, names. Any other intrinsic is
 * an {@link IllegalArgumentException} naming the resource.
 */
final class Intrinsics {
    private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^}]*)}");

    private final String stackName;
    private final String account;
    private final String region;
    private final JsonNode template;

    Intrinsics(String stackName, JsonNode template, String account, String region) {
        this.stackName = stackName;
        this.template = template;
        this.account = account;
        this.region = region;
    }

    /** Logical ids of the resources of {@code type}. */
    List<String> resourcesOfType(String type) {
        List<String> ids = new ArrayList<>();
        template.path("Resources").fields().forEachRemaining(e -> {
            if (e.getValue().path("Type").asText().equals(type)) {
                ids.add(e.getKey());
            }
        });
        return ids;
    }

    /** A resource's Properties with every intrinsic resolved. */
    JsonNode resolvedProperties(String logicalId) {
        JsonNode resource = resource(logicalId);
        return resolve(resource.path("Properties"), logicalId);
    }

    JsonNode resource(String logicalId) {
        JsonNode resource = template.path("Resources").path(logicalId);
        if (resource.isMissingNode()) {
            throw new IllegalArgumentException("no resource " + logicalId + " in " + stackName);
        }
        return resource;
    }

    /** What {@code Ref} gives for a resource or parameter. */
    String ref(String name, String context) {
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
            case "AWS::SNS::Topic":
                return snsArn(physicalName(name, resource));
            default:
                return physicalName(name, resource);
        }
    }

    private String snsArn(String topicName) {
        return "arn:aws:sns:" + region + ":" + account + ":" + topicName;
    }

    private String lambdaArn(String functionName) {
        return "arn:aws:lambda:" + region + ":" + account + ":function:" + functionName;
    }

    /**
     * What {@code Fn::GetAtt} gives. Arn of IoT, Lambda, SQS, IAM, DynamoDB and CloudTrail resources, a table's
     * StreamArn; other attributes are placeholders.
     */
    String getAtt(String logicalId, String attribute, String context) {
        JsonNode resource = template.path("Resources").path(logicalId);
        if (resource.isMissingNode()) {
            throw new IllegalArgumentException(context + ": Fn::GetAtt on unknown resource " + logicalId);
        }
        String type = resource.path("Type").asText();
        String name = physicalName(logicalId, resource);
        if (type.equals("AWS::Lambda::Version") && attribute.equals("Version")) {
            return versionNumber(logicalId);
        }
        if (type.equals("AWS::SQS::Queue") && attribute.equals("QueueName")
                || type.equals("AWS::SNS::Topic") && attribute.equals("TopicName")
                || type.equals("AWS::CloudWatch::Alarm") && attribute.equals("AlarmName")) {
            return name;
        }
        if (type.equals("AWS::SNS::Topic") && attribute.equals("TopicArn")) {
            return snsArn(name);
        }
        if (attribute.equals("Arn")) {
            switch (type) {
                case "AWS::CloudWatch::Alarm":
                    return "arn:aws:cloudwatch:" + region + ":" + account + ":alarm:" + name;
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
                case "AWS::DynamoDB::Table":
                    return tableArn(name);
                case "AWS::CloudTrail::Trail":
                    return "arn:aws:cloudtrail:" + region + ":" + account + ":trail/" + name;
                default:
                    break;
            }
        }
        if (type.equals("AWS::DynamoDB::Table") && attribute.equals("StreamArn")) {
            if (!resource.path("Properties").has("StreamSpecification")) {
                throw new IllegalArgumentException(context + ": Fn::GetAtt " + logicalId + ".StreamArn: the table has"
                        + " no StreamSpecification, so CloudFormation gives no StreamArn");
            }
            // CloudFormation's StreamArn ends with the stream's creation time; every local stream is labelled alike
            return tableArn(name) + "/stream/" + STREAM_LABEL;
        }
        return "local:" + type + ":" + logicalId + "." + attribute;
    }

    /** The label of every local table stream (AWS: the stream's creation time, e.g. 2015-06-27T00:48:05.899). */
    static final String STREAM_LABEL = "1970-01-01T00:00:00.000";

    private String tableArn(String tableName) {
        return "arn:aws:dynamodb:" + region + ":" + account + ":table/" + tableName;
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
            case "AWS::DynamoDB::Table" -> "TableName";
            case "AWS::CloudTrail::Trail" -> "TrailName";
            case "AWS::SNS::Topic" -> "TopicName";
            case "AWS::CloudWatch::Alarm" -> "AlarmName";
            case "AWS::ApiGateway::Stage" -> "StageName";
            default -> null;
        };
        if (field != null && resource.path("Properties").has(field)) {
            return resolve(resource.path("Properties").get(field), logicalId).asText();
        }
        return logicalId;
    }

    /**
     * The function a Lambda target names: its name, its ARN, or its ARN qualified by one of its aliases or versions
     * (or {@code $LATEST}).
     */
    Optional<Function> functionByArn(Collection<Function> functions, String target) {
        for (Function function : functions) {
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
    String aliasFunction(String logicalId) {
        String functionName = resolvedProperties(logicalId).path("FunctionName").asText();
        int colon = functionName.indexOf(":function:");
        return colon < 0 ? functionName : functionName.substring(colon + ":function:".length()).split(":")[0];
    }

    /** Locally every published version is number 1: the template publishes each function's current version once. */
    private String versionNumber(String versionLogicalId) {
        return "1";
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
}
