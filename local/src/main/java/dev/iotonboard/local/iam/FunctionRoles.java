package dev.iotonboard.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.local.iot.policy.PolicyEvaluator;
import dev.iotonboard.local.stack.StackTemplate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The IAM role of each runnable function of the stack, with every policy attached to it: the {@code AWS::IAM::Policy}
 * resources whose {@code Roles} name it and the role's inline {@code Policies}, intrinsics resolved.
 *
 * <p>Evaluation is IAM's for identity-based policies (IAM User Guide, "Policy evaluation logic"): an explicit Deny
 * wins, else an Allow must match, else the call is implicitly denied; {@code Action}/{@code NotAction} match
 * case-insensitively, {@code Resource}/{@code NotResource} case-sensitively, with the {@code *} and {@code ?}
 * wildcards. IoT policies share that language and those rules, so the IoT policy evaluator
 * ({@link PolicyEvaluator}) evaluates them, with no variables and no condition keys. An action without an IAM
 * resource type is asked on {@code "*"}, which only a statement whose Resource is {@code "*"} matches.
 *
 * <p>What it cannot evaluate as IAM does fails loading with an {@link IllegalArgumentException} naming it: a statement
 * with a {@code Condition} (the stack's function roles use none, so none is honoured), a policy variable
 * ({@code ${...}}), an Effect other than Allow or Deny, a statement without Action/NotAction or Resource/NotResource,
 * a managed policy or permissions boundary on the role, and a function whose role is not a role of the stack. Only
 * the roles of runnable functions are read: no other function gets credentials.
 */
public final class FunctionRoles {

    /**
     * A function's role: {@code function} its logical id, {@code functionName} its name (the role session's),
     * {@code roleName} the role's name as the stack gives it, {@code documents} the attached policies (JSON).
     */
    public record Role(String function, String functionName, String roleName, List<String> documents,
            List<JsonNode> statements) {

        /** IAM's decision for {@code action} (e.g. {@code iot:DescribeCertificate}) on {@code resource}. */
        public PolicyEvaluator.Decision evaluate(String action, String resource) {
            return PolicyEvaluator.evaluate(documents, action, resource, Map.of());
        }

        public boolean allows(String action, String resource) {
            return evaluate(action, resource) == PolicyEvaluator.Decision.ALLOW;
        }
    }

    private final Map<String, Role> roles;

    /** These roles, by function logical id; {@link #from} reads them from a template. */
    public FunctionRoles(Map<String, Role> roles) {
        this.roles = Map.copyOf(roles);
    }

    /**
     * The roles of the stack's runnable functions.
     *
     * @throws IllegalArgumentException naming what cannot be evaluated as IAM would
     */
    public static FunctionRoles from(StackTemplate stack) {
        Map<String, String> roleByArn = new HashMap<>();
        for (String id : stack.resourcesOfType("AWS::IAM::Role")) {
            roleByArn.put(stack.getAtt(id, "Arn", id), id);
        }
        Map<String, JsonNode> policies = new LinkedHashMap<>();
        stack.resourcesOfType("AWS::IAM::Policy").forEach(id -> policies.put(id, stack.resolvedProperties(id)));
        Map<String, JsonNode> managed = new LinkedHashMap<>();
        stack.resourcesOfType("AWS::IAM::ManagedPolicy").forEach(id -> managed.put(id, stack.resolvedProperties(id)));
        Map<String, Role> roles = new LinkedHashMap<>();
        for (StackTemplate.Function function : stack.functions().values()) {
            if (!function.runnable()) {
                continue;
            }
            JsonNode role = stack.resolvedProperties(function.logicalId()).path("Role");
            String roleId = roleByArn.get(role.asText());
            if (roleId == null) {
                throw new IllegalArgumentException(function.logicalId() + " (AWS::Lambda::Function): its role "
                        + role + " is not an AWS::IAM::Role of this stack, so the local IoT Core cannot evaluate its"
                        + " policies (--iam off runs without IAM)");
            }
            roles.put(function.logicalId(), read(stack, function, roleId, policies, managed));
        }
        return new FunctionRoles(roles);
    }

    private static Role read(StackTemplate stack, StackTemplate.Function function, String roleId,
            Map<String, JsonNode> policies, Map<String, JsonNode> managed) {
        JsonNode properties = stack.resolvedProperties(roleId);
        for (String unsupported : List.of("ManagedPolicyArns", "PermissionsBoundary")) {
            JsonNode value = properties.path(unsupported);
            if (!value.isMissingNode() && !value.isNull() && !(value.isContainerNode() && value.isEmpty())) {
                throw new IllegalArgumentException(roleId + " (AWS::IAM::Role, the role of " + function.logicalId()
                        + "): " + unsupported + " " + value + " cannot be evaluated by the"
                        + " local IoT Core (--iam off runs without IAM)");
            }
        }
        String roleName = stack.ref(roleId, roleId);
        List<String> documents = new ArrayList<>();
        List<JsonNode> statements = new ArrayList<>();
        elements(properties.path("Policies")).forEach(policy -> add(policy.path("PolicyDocument"), roleId
                + " (AWS::IAM::Role) inline policy " + policy.path("PolicyName").asText(), documents, statements));
        managed.forEach((id, policy) -> {
            if (attached(policy, roleName)) {
                throw new IllegalArgumentException(id + " (AWS::IAM::ManagedPolicy), attached to " + roleId
                        + ": managed policies cannot be evaluated by the local IoT Core (--iam off runs without IAM)");
            }
        });
        policies.forEach((id, policy) -> {
            if (attached(policy, roleName)) {
                add(policy.path("PolicyDocument"), id + " (AWS::IAM::Policy)", documents, statements);
            }
        });
        return new Role(function.logicalId(), function.name(), roleName, List.copyOf(documents),
                List.copyOf(statements));
    }

    private static boolean attached(JsonNode policy, String roleName) {
        return elements(policy.path("Roles")).anyMatch(r -> r.asText().equals(roleName));
    }

    /** Adds a policy document after checking that each statement can be evaluated as IAM would. */
    private static void add(JsonNode document, String where, List<String> documents, List<JsonNode> statements) {
        int index = 0;
        for (JsonNode statement : list(document.path("Statement"))) {
            String at = where + ", statement " + (statement.has("Sid") ? statement.get("Sid").asText()
                    : Integer.toString(index));
            index++;
            if (statement.has("Condition")) {
                throw new IllegalArgumentException(at + ": the condition " + statement.get("Condition")
                        + " cannot be evaluated: the local IoT Core honours no IAM condition, as the stack's function"
                        + " roles use none (--iam off runs without IAM)");
            }
            String effect = statement.path("Effect").asText();
            if (!effect.equals("Allow") && !effect.equals("Deny")) {
                throw new IllegalArgumentException(at + ": Effect must be Allow or Deny, not " + statement.get("Effect"));
            }
            if (statement.has("Action") == statement.has("NotAction")
                    || statement.has("Resource") == statement.has("NotResource")) {
                throw new IllegalArgumentException(at + ": a statement needs one of Action and NotAction and one of"
                        + " Resource and NotResource");
            }
            for (String element : List.of("Action", "NotAction", "Resource", "NotResource")) {
                list(statement.path(element)).stream().map(JsonNode::asText).filter(v -> v.contains("${")).findFirst()
                        .ifPresent(v -> {
                            throw new IllegalArgumentException(at + ": the policy variable in " + element + " " + v
                                    + " cannot be evaluated by the local IoT Core (--iam off runs without IAM)");
                        });
            }
            statements.add(statement);
        }
        documents.add(document.toString());
    }

    /** The role of the runnable function {@code logicalId}. */
    public Optional<Role> of(String logicalId) {
        return Optional.ofNullable(roles.get(logicalId));
    }

    /** Every runnable function's role, by the function's logical id. */
    public Map<String, Role> all() {
        return roles;
    }

    /** One value or an array, as a list; nothing for a missing node. */
    private static List<JsonNode> list(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return List.of();
        }
        return node.isArray() ? elements(node).toList() : List.of(node);
    }

    private static Stream<JsonNode> elements(JsonNode node) {
        return StreamSupport.stream(node.spliterator(), false);
    }
}
