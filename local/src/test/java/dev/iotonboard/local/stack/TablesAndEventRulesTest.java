package dev.iotonboard.local.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.local.iam.FunctionRoles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The template's DynamoDB tables, event-pattern rules and trails (src/test/resources/dynamo/Dyn.template.json): the
 * CreateTable request each table becomes, Ref and Fn::GetAtt of a table in the functions' environment and policies,
 * and a clear refusal of what the tool does not model.
 */
class TablesAndEventRulesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TABLE_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/Dyn-registry";

    @TempDir
    Path dir;

    private StackTemplate load(Consumer<ObjectNode> change) throws IOException {
        ObjectNode template;
        try (InputStream in = getClass().getResourceAsStream("/dynamo/Dyn.template.json")) {
            template = (ObjectNode) JSON.readTree(in);
        }
        change.accept((ObjectNode) template.get("Resources"));
        Files.writeString(dir.resolve("handlers.jar"), "not read");
        Path file = dir.resolve("Dyn.template.json");
        Files.writeString(file, template.toString());
        return StackTemplate.fromTemplate(file, "Dyn", "000000000000", "us-east-1");
    }

    private IllegalArgumentException refused(Consumer<ObjectNode> change) {
        return assertThrows(IllegalArgumentException.class, () -> load(change));
    }

    private static ObjectNode properties(ObjectNode resources, String id) {
        return (ObjectNode) resources.get(id).get("Properties");
    }

    @Test
    void aTable_becomesItsCreateTableRequest_withoutThePropertiesOfNoLocalEffect() throws Exception {
        StackTemplate.Table table = load(r -> { }).tables().get("Registry");
        assertEquals("Dyn-registry", table.name());
        assertEquals(TABLE_ARN, table.arn());
        JsonNode request = JSON.readTree(table.createTable());
        assertEquals("Dyn-registry", request.path("TableName").asText());
        assertEquals("PAY_PER_REQUEST", request.path("BillingMode").asText());
        assertEquals("pk", request.path("KeySchema").get(0).path("AttributeName").asText());
        assertEquals(2, request.path("AttributeDefinitions").size());
        JsonNode index = request.path("GlobalSecondaryIndexes").get(0);
        assertEquals("byThing", index.path("IndexName").asText());
        assertEquals("ALL", index.path("Projection").path("ProjectionType").asText());
        for (String absent : List.of("PointInTimeRecoverySpecification", "DeletionProtectionEnabled",
                "SSESpecification")) {
            assertFalse(request.has(absent), absent);
        }
    }

    @Test
    void refAndGetAttOfATable_resolveAsCloudFormationDoes_inEnvironmentsAndPolicies() throws Exception {
        StackTemplate stack = load(r -> properties(r, "Registry").putObject("StreamSpecification")
                .put("StreamViewType", "NEW_IMAGE"));
        StackTemplate.Function writer = stack.functions().get("Writer");
        assertEquals("Dyn-registry", writer.environment().get("DEVICE_REGISTRY_TABLE"));
        assertEquals(TABLE_ARN, writer.environment().get("TABLE_ARN"));
        FunctionRoles.Role role = FunctionRoles.from(stack).of("Writer").orElseThrow();
        assertTrue(role.allows("dynamodb:Query", TABLE_ARN + "/index/byThing"));
        assertTrue(role.allows("dynamodb:UpdateItem", TABLE_ARN));
        assertFalse(role.allows("dynamodb:PutItem", TABLE_ARN));
        assertEquals(TABLE_ARN + "/stream/1970-01-01T00:00:00.000", stack.getAtt("Registry", "StreamArn", "test"));
        IllegalArgumentException noStream = assertThrows(IllegalArgumentException.class,
                () -> load(r -> { }).getAtt("Registry", "StreamArn", "test"));
        assertTrue(noStream.getMessage().contains("no StreamSpecification"), noStream.getMessage());
    }

    @Test
    void anEventPatternRule_andATrail_areRead() throws Exception {
        StackTemplate stack = load(r -> { });
        StackTemplate.EventRule rule = stack.eventRules().get("IotChanges");
        assertEquals(List.of("Sync"), rule.targetFunctions());
        assertTrue(rule.enabled());
        assertEquals("aws.iot", JSON.readTree(rule.eventPattern()).path("source").get(0).asText());
        assertTrue(stack.schedules().isEmpty());
        StackTemplate.Trail trail = stack.trails().get("Trail");
        assertTrue(trail.logging() && trail.managementWriteEvents());
        StackTemplate readOnly = load(r -> ((ObjectNode) properties(r, "Trail").get("EventSelectors").get(0))
                .put("ReadWriteType", "ReadOnly"));
        assertFalse(readOnly.trails().get("Trail").managementWriteEvents());
        StackTemplate stopped = load(r -> properties(r, "Trail").put("IsLogging", false));
        assertFalse(stopped.trails().get("Trail").logging());
    }

    @Test
    void whatTheToolDoesNotModel_isRefused_namingIt() {
        assertTrue(refused(r -> properties(r, "Registry").putObject("TimeToLiveSpecification").put("Enabled", true))
                .getMessage().equals("Registry (AWS::DynamoDB::Table): TimeToLiveSpecification is not supported by"
                        + " the local IoT Core"));
        assertTrue(refused(r -> ((ObjectNode) properties(r, "Registry").get("GlobalSecondaryIndexes").get(0))
                .putObject("OnDemandThroughput")).getMessage().contains("global secondary index byThing:"
                        + " OnDemandThroughput is not supported"));
        assertTrue(refused(r -> ((ObjectNode) properties(r, "IotChanges").get("Targets").get(0)).put("Input", "{}"))
                .getMessage().contains("IotChanges (AWS::Events::Rule): target Target0: Input is not supported"));
        assertTrue(refused(r -> properties(r, "IotChanges").put("EventBusName", "custom")).getMessage()
                .contains("event bus custom: the local IoT Core delivers to the default bus only"));
        assertTrue(refused(r -> properties(r, "IotChanges").put("ScheduleExpression", "rate(1 hour)")).getMessage()
                .contains("both EventPattern and ScheduleExpression"));
        assertTrue(refused(r -> properties(r, "IotChanges").put("State", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"))
                .getMessage().contains("State ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS is not supported"));
        assertTrue(refused(r -> properties(r, "Trail").putArray("AdvancedEventSelectors")).getMessage()
                .contains("Trail (AWS::CloudTrail::Trail): AdvancedEventSelectors are not evaluated"));
    }
}
