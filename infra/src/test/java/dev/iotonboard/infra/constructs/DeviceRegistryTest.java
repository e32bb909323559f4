package dev.iotonboard.infra.constructs;

import static dev.iotonboard.infra.Cfn.logicalId;
import static dev.iotonboard.infra.Cfn.properties;
import static dev.iotonboard.infra.Cfn.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iotonboard.infra.SynthesizedStack;
import java.util.List;
import java.util.Map;
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
        String path = "/" + registry.getTable().getNode().getPath();
        assertEquals(List.of(), SynthesizedStack.annotations().findError(path + "*", Match.anyValue()).stream()
                .map(e -> e.getId() + " " + e.getEntry().getData()).toList());
        assertEquals(List.of(), SynthesizedStack.annotations()
                .findWarning(path + "*", Match.stringLikeRegexp("AwsSolutions-.*")).stream()
                .map(e -> e.getId() + " " + e.getEntry().getData()).toList());
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
