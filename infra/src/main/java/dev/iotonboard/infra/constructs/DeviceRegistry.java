package dev.iotonboard.infra.constructs;

import java.util.List;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.dynamodb.Attribute;
import software.amazon.awscdk.services.dynamodb.AttributeType;
import software.amazon.awscdk.services.dynamodb.BillingMode;
import software.amazon.awscdk.services.dynamodb.GlobalSecondaryIndexProps;
import software.amazon.awscdk.services.dynamodb.PointInTimeRecoverySpecification;
import software.amazon.awscdk.services.dynamodb.ProjectionType;
import software.amazon.awscdk.services.dynamodb.Table;
import software.amazon.awscdk.services.dynamodb.TableEncryption;
import software.amazon.awscdk.services.iam.IGrantable;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.constructs.Construct;

/**
 * The device registry table: IoT's registry projected into DynamoDB for the functions to read at DynamoDB's scale
 * (docs/contracts.md, "Device registry"). One table, partition key {@code pk}, GSI {@value #BY_THING_INDEX} on
 * {@code thingName} and {@code pk}. On demand (onboarding comes in bursts), point-in-time recovery on, deletion
 * protection on, retained when the stack is deleted (it outlives a redeploy; IoT can repopulate it, but the
 * allow-list cannot be rebuilt from IoT). Encrypted with the AWS managed key {@code aws/dynamodb}: no key to
 * administer or pay for, and unlike the AWS owned key its use is visible in CloudTrail in the account.
 * Functions get exactly the actions they use through {@link #grant}; nobody gets {@code dynamodb:*}.
 */
public final class DeviceRegistry extends Construct {
    public static final String PARTITION_KEY = "pk";
    public static final String BY_THING_INDEX = "byThing";
    public static final String THING_NAME = "thingName";
    /** The environment variable functions read the table name from (lambda-core's DeviceRegistry). */
    public static final String TABLE_VARIABLE = "DEVICE_REGISTRY_TABLE";
    /** Certificate activation: reads the certificate item (duplicate events), writes the certificate and CA items. */
    public static final List<String> ACTIVATION_ACTIONS = List.of("dynamodb:GetItem", "dynamodb:UpdateItem");
    /** Thing provisioning: reads the certificate item, writes the binding (and a renewal's retired certificates). */
    public static final List<String> PROVISIONING_ACTIONS = List.of("dynamodb:GetItem", "dynamodb:UpdateItem");
    /** The API authorizer: reads the certificate and CA items, nothing else (and no IoT action at all). */
    public static final List<String> AUTHORIZER_ACTIONS = List.of("dynamodb:GetItem");

    private final Table table;

    public DeviceRegistry(Construct scope, String id) {
        super(scope, id);
        table = Table.Builder.create(this, "Table")
                .partitionKey(Attribute.builder().name(PARTITION_KEY).type(AttributeType.STRING).build())
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .pointInTimeRecoverySpecification(PointInTimeRecoverySpecification.builder()
                        .pointInTimeRecoveryEnabled(true).build())
                .deletionProtection(true)
                .encryption(TableEncryption.AWS_MANAGED)
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        table.addGlobalSecondaryIndex(GlobalSecondaryIndexProps.builder()
                .indexName(BY_THING_INDEX)
                .partitionKey(Attribute.builder().name(THING_NAME).type(AttributeType.STRING).build())
                .sortKey(Attribute.builder().name(PARTITION_KEY).type(AttributeType.STRING).build())
                .projectionType(ProjectionType.ALL)
                .build());
    }

    public Table getTable() {
        return table;
    }

    /** The ARN of the {@value #BY_THING_INDEX} index (Query on it is authorized on this ARN, not the table's). */
    public String getByThingIndexArn() {
        return table.getTableArn() + "/index/" + BY_THING_INDEX;
    }

    /** Gives {@code function} the table's name in {@value #TABLE_VARIABLE} and exactly {@code actions} on it. */
    public void use(JavaFunction function, List<String> actions) {
        function.getFunction().addEnvironment(TABLE_VARIABLE, table.getTableName());
        grant(function.getRole(), actions);
    }

    /**
     * Allows {@code grantee} exactly {@code actions} (e.g. {@code dynamodb:GetItem}) on the table; a
     * {@code dynamodb:Query} also on the {@value #BY_THING_INDEX} index.
     */
    public void grant(IGrantable grantee, List<String> actions) {
        for (String action : actions) {
            if (!action.startsWith("dynamodb:") || action.contains("*")) {
                throw new IllegalArgumentException("not one DynamoDB action: " + action);
            }
        }
        List<String> resources = actions.contains("dynamodb:Query")
                ? List.of(table.getTableArn(), getByThingIndexArn())
                : List.of(table.getTableArn());
        grantee.getGrantPrincipal().addToPrincipalPolicy(PolicyStatement.Builder.create()
                .actions(List.copyOf(actions))
                .resources(resources)
                .build());
    }
}
