package dev.iotonboard.lambda.testing;

import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.DynamoDbClients;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.waiters.DynamoDbWaiter;

/**
 * A device registry table in a real DynamoDB-compatible engine ({@link Dynalite}), shaped as infra's DeviceRegistry
 * construct makes it: partition key {@code pk} (S), GSI {@code byThing} on {@code thingName} (S) and {@code pk},
 * projection ALL. {@link #start()} runs its own dynalite; {@link #on(Dynalite)} adds a fresh table to a shared one
 * (one node process per test class instead of per test). {@link #close()} stops the dynalite it started.
 */
public final class RegistryTable implements AutoCloseable {
    private static final AtomicInteger TABLES = new AtomicInteger();

    private final Dynalite owned;
    private final URI endpoint;
    private final String name;
    private final DynamoDbClient client;

    private RegistryTable(Dynalite owned, URI endpoint, String name) {
        this.owned = owned;
        this.endpoint = endpoint;
        this.name = name;
        this.client = client(endpoint, IotDouble.fastRetries());
        create(client, name);
    }

    /** A table in a dynalite of its own. */
    public static RegistryTable start() {
        Dynalite dynamo = Dynalite.start();
        try {
            return new RegistryTable(dynamo, dynamo.endpoint(), nextName());
        } catch (RuntimeException e) {
            dynamo.close();
            throw e;
        }
    }

    /** A new, empty table in {@code dynamo} (which the caller closes). */
    public static RegistryTable on(Dynalite dynamo) {
        return new RegistryTable(null, dynamo.endpoint(), nextName());
    }

    /** A real SDK client aimed at {@code endpoint} with {@code retryStrategy}. */
    public static DynamoDbClient client(URI endpoint, RetryStrategy retryStrategy) {
        return DynamoDbClients.create(Region.of(IotDouble.REGION), Optional.of(endpoint),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")), retryStrategy);
    }

    /** Creates the registry table {@code name} as the infra construct declares it. */
    public static void create(DynamoDbClient client, String name) {
        client.createTable(table -> table
                .tableName(name)
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(
                        a -> a.attributeName("pk").attributeType(ScalarAttributeType.S),
                        a -> a.attributeName("thingName").attributeType(ScalarAttributeType.S))
                .keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH))
                .globalSecondaryIndexes(index -> index
                        .indexName(DeviceRegistry.BY_THING_INDEX)
                        .keySchema(k -> k.attributeName("thingName").keyType(KeyType.HASH),
                                k -> k.attributeName("pk").keyType(KeyType.RANGE))
                        .projection(p -> p.projectionType(ProjectionType.ALL))));
        // dynalite answers CREATING and turns ACTIVE a moment later; the SDK waiter's default first delay is 20 s.
        try (DynamoDbWaiter waiter = DynamoDbWaiter.builder().client(client)
                .overrideConfiguration(WaiterOverrideConfiguration.builder()
                        .backoffStrategyV2(BackoffStrategy.fixedDelayWithoutJitter(Duration.ofMillis(5)))
                        .maxAttempts(2_000)
                        .build())
                .build()) {
            waiter.waitUntilTableExists(request -> request.tableName(name));
        }
    }

    private static String nextName() {
        return "device-registry-" + TABLES.incrementAndGet();
    }

    /** The engine's endpoint (AWS_ENDPOINT_URL_DYNAMODB for a function under test). */
    public URI endpoint() {
        return endpoint;
    }

    /** The table name (DEVICE_REGISTRY_TABLE for a function under test). */
    public String name() {
        return name;
    }

    /** A client with the production attempt count and a 1 ms backoff. */
    public DynamoDbClient client() {
        return client;
    }

    /** The registry on this table, through {@link #client()}. */
    public DeviceRegistry registry() {
        return new DeviceRegistry(client, name);
    }

    @Override
    public void close() {
        client.close();
        if (owned != null) {
            owned.close();
        }
    }
}
