package dev.iotonboard.infra.constructs;

import static dev.iotonboard.infra.Cfn.logicalId;
import static dev.iotonboard.infra.Cfn.properties;
import static dev.iotonboard.infra.Cfn.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iotonboard.infra.SynthesizedStack;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;

class DeviceRegistryTest {
    private final DeviceRegistry registry = SynthesizedStack.stack().getDeviceRegistry();

    @Test
    void table_isOnDemandWithPointInTimeRecoveryAndDeletionProtection() {
        SynthesizedStack.template().resourceCountIs("AWS::DynamoDB::Table", 1);
        Map<String, Object> properties = properties(registry.getTable());
        assertEquals("PAY_PER_REQUEST", properties.get("BillingMode"));
        assertEquals(Map.of("PointInTimeRecoveryEnabled", true), properties.get("PointInTimeRecoverySpecification"));
        assertEquals(true, properties.get("DeletionProtectionEnabled"));
        assertEquals(null, properties.get("TableName"), "no physical name: the stack's output gives it");
    }

    @Test
    void table_isRetainedWhenTheStackGoes() {
        Map<String, Object> resource = resource(registry.getTable());
        assertEquals("Retain", resource.get("DeletionPolicy"));
        assertEquals("Retain", resource.get("UpdateReplacePolicy"));
    }

    @Test
    void table_isEncryptedWithTheAwsManagedKey() {
        assertEquals(Map.of("SSEEnabled", true), properties(registry.getTable()).get("SSESpecification"));
    }

    @Test
    void keys_arePkAlone_andTheByThingIndexIsThingNameThenPk_projectingAll() {
        Map<String, Object> properties = properties(registry.getTable());
        assertEquals(List.of(Map.of("AttributeName", "pk", "KeyType", "HASH")), properties.get("KeySchema"));
        assertEquals(List.of(Map.of("AttributeName", "pk", "AttributeType", "S"),
                Map.of("AttributeName", "thingName", "AttributeType", "S")), properties.get("AttributeDefinitions"));
        assertEquals(List.of(Map.of("IndexName", "byThing",
                "KeySchema", List.of(Map.of("AttributeName", "thingName", "KeyType", "HASH"),
                        Map.of("AttributeName", "pk", "KeyType", "RANGE")),
                "Projection", Map.of("ProjectionType", "ALL"))), properties.get("GlobalSecondaryIndexes"));
    }

    @Test
    void tableName_isAnOutput() {
        SynthesizedStack.template().hasOutput("DeviceRegistryTableName", Match.objectLike(Map.of(
                "Value", Map.of("Ref", logicalId(registry.getTable())))));
    }

    @Test
    void cdkNag_findsNothingOnTheTable() {
        String path = "/" + registry.getNode().getPath() + "/";
        List<String> findings = new java.util.ArrayList<>();
        for (var message : SynthesizedStack.annotations().findError("*", Match.stringLikeRegexp("AwsSolutions-.*"))) {
            findings.add(message.getId() + " " + message.getEntry().getData());
        }
        for (var message : SynthesizedStack.annotations().findWarning("*", Match.stringLikeRegexp("AwsSolutions-.*"))) {
            findings.add(message.getId() + " " + message.getEntry().getData());
        }
        assertEquals(List.of(), findings.stream().filter(f -> f.startsWith(path)).toList(),
                "AwsSolutions-DDB3 (point-in-time recovery) and the other DynamoDB rules pass");
    }


    /** The check above can fail: cdk-nag warns of a table without point-in-time recovery, under the table's path. */
    @Test
    void cdkNag_wouldFlagATableWithoutPointInTimeRecovery() {
        Stack stack = new Stack(new App(), "NagProbe");
        software.amazon.awscdk.services.dynamodb.Table.Builder.create(stack, "Bare")
                .partitionKey(software.amazon.awscdk.services.dynamodb.Attribute.builder().name("pk")
                        .type(software.amazon.awscdk.services.dynamodb.AttributeType.STRING).build())
                .billingMode(software.amazon.awscdk.services.dynamodb.BillingMode.PAY_PER_REQUEST)
                .build();
        software.amazon.awscdk.Aspects.of(stack).add(new io.github.cdklabs.cdknag.AwsSolutionsChecks());
        Template.fromStack(stack);

        List<String> flagged = software.amazon.awscdk.assertions.Annotations.fromStack(stack)
                .findWarning("*", Match.stringLikeRegexp("AwsSolutions-DDB3.*")).stream()
                .map(e -> e.getId()).toList();
        assertEquals(List.of("/NagProbe/Bare/Resource"), flagged);
    }

    /** The DynamoDB actions each function's handler calls on the table (lambda-core DeviceRegistry's callers). */
    private static final Map<String, Set<String>> EXPECTED_ACTIONS = Map.of(
            "CertificateActivation", Set.of("dynamodb:GetItem", "dynamodb:UpdateItem"),
            "ThingProvisioning", Set.of("dynamodb:GetItem", "dynamodb:UpdateItem"),
            "Authorizer", Set.of("dynamodb:GetItem"),
            "ReconcilerFunction", Set.copyOf(Reconciler.TABLE_ACTIONS),
            "ExpiryWatchFunction", Set.copyOf(ExpiryWatch.TABLE_ACTIONS),
            "RegistrySyncFunction", Set.copyOf(RegistrySync.TABLE_ACTIONS));

    @Test
    void eachFunction_getsTheTableNameAndExactlyTheActionsItsHandlerUses_onTheTableOnly() {
        Map<String, Map<String, Object>> template = SynthesizedStack.template().toJSON().entrySet().stream()
                .filter(e -> e.getKey().equals("Resources")).map(e -> castMap(e.getValue())).findFirst().orElseThrow()
                .entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> castMap(e.getValue())));
        Map<String, Object> tableArn = Map.of("Fn::GetAtt", List.of(logicalId(registry.getTable()), "Arn"));
        Map<String, Set<String>> actionsByRole = new TreeMap<>();
        template.forEach((id, resource) -> {
            if (!"AWS::IAM::Policy".equals(resource.get("Type"))) {
                return;
            }
            Map<String, Object> properties = castMap(resource.get("Properties"));
            for (Object statement : (List<?>) castMap(properties.get("PolicyDocument")).get("Statement")) {
                Map<String, Object> s = castMap(statement);
                List<String> actions = s.get("Action") instanceof List<?> l ? l.stream().map(Object::toString).toList()
                        : List.of(s.get("Action").toString());
                List<String> dynamo = actions.stream().filter(a -> a.startsWith("dynamodb:")).toList();
                if (dynamo.isEmpty()) {
                    continue;
                }
                assertEquals(dynamo.size(), actions.size(), "DynamoDB actions in a statement of their own: " + s);
                assertEquals(tableArn, s.get("Resource"), "only on the table: " + s);
                for (Object role : (List<?>) properties.get("Roles")) {
                    actionsByRole.computeIfAbsent(castMap(role).get("Ref").toString(), r -> new TreeSet<>())
                            .addAll(dynamo);
                }
            }
        });
        Map<String, Set<String>> byFunction = new TreeMap<>();
        Set<String> withTable = new TreeSet<>();
        template.forEach((id, resource) -> {
            if (!"AWS::Lambda::Function".equals(resource.get("Type"))) {
                return;
            }
            Map<String, Object> properties = castMap(resource.get("Properties"));
            String role = ((List<?>) castMap(properties.get("Role")).get("Fn::GetAtt")).get(0).toString();
            String function = EXPECTED_ACTIONS.keySet().stream().filter(id::contains).findFirst().orElse(id);
            Object environment = properties.get("Environment");
            Object variables = environment == null ? null : castMap(environment).get("Variables");
            if (variables != null && castMap(variables).containsKey("DEVICE_REGISTRY_TABLE")) {
                assertEquals(Map.of("Ref", logicalId(registry.getTable())),
                        castMap(variables).get("DEVICE_REGISTRY_TABLE"));
                withTable.add(function);
            }
            if (actionsByRole.containsKey(role)) {
                byFunction.put(function, actionsByRole.get(role));
            }
        });
        assertEquals(new TreeMap<>(EXPECTED_ACTIONS), byFunction);
        assertEquals(new TreeSet<>(EXPECTED_ACTIONS.keySet()), withTable);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object value) {
        return (Map<String, Object>) value;
    }

    @Test
    void grant_allowsExactlyTheActionsGiven_andTheIndexOnlyForQuery() {
        Stack stack = new Stack(new App(), "GrantStack");
        DeviceRegistry own = new DeviceRegistry(stack, "Registry");
        Role reader = Role.Builder.create(stack, "Reader").assumedBy(new ServicePrincipal("lambda.amazonaws.com"))
                .build();
        own.grant(reader, List.of("dynamodb:GetItem", "dynamodb:Query"));
        Role writer = Role.Builder.create(stack, "Writer").assumedBy(new ServicePrincipal("lambda.amazonaws.com"))
                .build();
        own.grant(writer, List.of("dynamodb:UpdateItem"));
        Template template = Template.fromStack(stack);
        String table = logicalId(own.getTable());
        Map<String, Object> arn = Map.of("Fn::GetAtt", List.of(table, "Arn"));
        template.hasResourceProperties("AWS::IAM::Policy", Map.of(
                "Roles", List.of(Map.of("Ref", logicalId(reader))),
                "PolicyDocument", Map.of("Statement", List.of(Map.of("Effect", "Allow",
                        "Action", List.of("dynamodb:GetItem", "dynamodb:Query"),
                        "Resource", List.of(arn, Map.of("Fn::Join", List.of("", List.of(arn, "/index/byThing")))))))));
        template.hasResourceProperties("AWS::IAM::Policy", Map.of(
                "Roles", List.of(Map.of("Ref", logicalId(writer))),
                "PolicyDocument", Map.of("Statement", List.of(Map.of("Effect", "Allow",
                        "Action", "dynamodb:UpdateItem", "Resource", arn)))));
        assertThrows(IllegalArgumentException.class, () -> own.grant(writer, List.of("dynamodb:*")));
        assertThrows(IllegalArgumentException.class, () -> own.grant(writer, List.of("iot:DescribeCertificate")));
    }
}
