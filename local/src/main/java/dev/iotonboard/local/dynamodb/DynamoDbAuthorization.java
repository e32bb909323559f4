package dev.iotonboard.local.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What IAM authorizes a DynamoDB request on: one or more (action, resource) pairs, every one of which must be allowed.
 * Source: the Service Authorization Reference, "Actions, resources, and condition keys for Amazon DynamoDB"
 * ({@code service-authorization/latest/reference/list_amazondynamodb.html}): the item and table actions take the
 * table ({@code arn:aws:dynamodb:<region>:<account>:table/<name>}), Query and Scan on an index the index
 * ({@code .../table/<name>/index/<index>}); BatchGetItem and BatchWriteItem take each table they name; ListTables,
 * DescribeLimits and DescribeEndpoints no resource ({@code *}). A transaction is authorized as the item actions it is
 * made of (DynamoDB Developer Guide, "Using IAM with DynamoDB transactions": TransactWriteItems needs PutItem,
 * UpdateItem, DeleteItem or ConditionCheckItem on each item's table, TransactGetItems GetItem). A TableName given as
 * an ARN is that ARN.
 */
final class DynamoDbAuthorization {

    /** An action ({@code dynamodb:<Operation>}) on a resource (an ARN, or {@code *}). */
    record Check(String action, String resource) {
    }

    private static final Set<String> NO_RESOURCE = Set.of("ListTables", "DescribeLimits", "DescribeEndpoints",
            "ListBackups", "ListGlobalTables", "ListStreams", "ListExports", "ListImports");
    private static final Map<String, String> TRANSACT_WRITE = Map.of("Put", "PutItem", "Update", "UpdateItem",
            "Delete", "DeleteItem", "ConditionCheck", "ConditionCheckItem");

    private final String region;
    private final String account;

    DynamoDbAuthorization(String region, String account) {
        this.region = region;
        this.account = account;
    }

    /** The checks a request of {@code operation} with JSON {@code body} needs. */
    List<Check> checks(String operation, JsonNode body) {
        List<Check> checks = new ArrayList<>();
        String action = "dynamodb:" + operation;
        if (NO_RESOURCE.contains(operation)) {
            checks.add(new Check(action, "*"));
        } else if (operation.equals("BatchGetItem") || operation.equals("BatchWriteItem")) {
            body.path("RequestItems").fieldNames().forEachRemaining(t -> checks.add(new Check(action, table(t))));
        } else if (operation.equals("TransactGetItems")) {
            body.path("TransactItems").forEach(item -> checks.add(new Check("dynamodb:GetItem",
                    table(item.path("Get").path("TableName").asText()))));
        } else if (operation.equals("TransactWriteItems")) {
            for (JsonNode item : body.path("TransactItems")) {
                item.fieldNames().forEachRemaining(kind -> checks.add(new Check("dynamodb:"
                        + TRANSACT_WRITE.getOrDefault(kind, kind), table(item.path(kind).path("TableName").asText()))));
            }
        } else if (body.has("ResourceArn")) {
            checks.add(new Check(action, body.get("ResourceArn").asText()));
        } else {
            String table = table(body.path("TableName").asText());
            boolean onIndex = (operation.equals("Query") || operation.equals("Scan")) && body.has("IndexName");
            checks.add(new Check(action, onIndex ? table + "/index/" + body.get("IndexName").asText() : table));
        }
        if (checks.isEmpty()) {
            checks.add(new Check(action, "*"));
        }
        return checks;
    }

    private String table(String nameOrArn) {
        return nameOrArn.startsWith("arn:") ? nameOrArn
                : "arn:aws:dynamodb:" + region + ":" + account + ":table/" + nameOrArn;
    }
}
