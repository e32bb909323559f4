package dev.iotonboard.local.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;

/**
 * Reads an AWS::DynamoDB::Table into the CreateTable request that makes it in the local engine (dynalite): the key
 * schema, attribute definitions, secondary indexes, billing mode and throughput, as CloudFormation passes them to
 * DynamoDB. The properties with no local effect (encryption, point-in-time recovery, deletion protection, tags, table
 * class, contributor insights, a stream nobody can read locally) are accepted; any other property fails loading with
 * an {@link IllegalArgumentException} naming it, so a table is never created other than the template says.
 */
final class TableReader {

    /** Passed to CreateTable as they are. */
    private static final List<String> CREATE_TABLE = List.of("KeySchema", "AttributeDefinitions", "BillingMode",
            "ProvisionedThroughput", "LocalSecondaryIndexes");
    /** Accepted without local effect (local/README.md "DynamoDB" says what each would do on AWS). */
    private static final Set<String> NO_LOCAL_EFFECT = Set.of("TableName", "SSESpecification",
            "PointInTimeRecoverySpecification", "DeletionProtectionEnabled", "Tags", "TableClass",
            "ContributorInsightsSpecification", "StreamSpecification");
    /** The members of a global secondary index passed to CreateTable; ContributorInsightsSpecification is ignored. */
    private static final List<String> INDEX_MEMBERS = List.of("IndexName", "KeySchema", "Projection",
            "ProvisionedThroughput");

    private TableReader() {
    }

    static StackTemplate.Table read(String id, Intrinsics intrinsics) {
        String where = id + " (AWS::DynamoDB::Table)";
        JsonNode properties = intrinsics.resolvedProperties(id);
        properties.fieldNames().forEachRemaining(name -> {
            if (!CREATE_TABLE.contains(name) && !NO_LOCAL_EFFECT.contains(name) && !name.equals("GlobalSecondaryIndexes")) {
                throw new IllegalArgumentException(where + ": " + name + " is not supported by the local IoT Core");
            }
        });
        if (!properties.has("KeySchema") || !properties.has("AttributeDefinitions")) {
            throw new IllegalArgumentException(where + ": KeySchema and AttributeDefinitions are required");
        }
        String name = intrinsics.ref(id, id);
        ObjectNode request = JsonNodeFactory.instance.objectNode().put("TableName", name);
        for (String member : CREATE_TABLE) {
            if (properties.has(member)) {
                request.set(member, properties.get(member));
            }
        }
        if (properties.has("GlobalSecondaryIndexes")) {
            ArrayNode indexes = request.putArray("GlobalSecondaryIndexes");
            for (JsonNode index : properties.get("GlobalSecondaryIndexes")) {
                ObjectNode out = indexes.addObject();
                index.fieldNames().forEachRemaining(member -> {
                    if (INDEX_MEMBERS.contains(member)) {
                        out.set(member, index.get(member));
                    } else if (!member.equals("ContributorInsightsSpecification")) {
                        throw new IllegalArgumentException(where + ": global secondary index "
                                + index.path("IndexName").asText() + ": " + member
                                + " is not supported by the local IoT Core");
                    }
                });
            }
        }
        return new StackTemplate.Table(id, name, intrinsics.getAtt(id, "Arn", id), request.toString());
    }
}
