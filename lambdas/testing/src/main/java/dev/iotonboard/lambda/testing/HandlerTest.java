package dev.iotonboard.lambda.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.DynamoDbClients;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Optional;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.provider.Arguments;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * The base of every handler test: around each test a fresh {@link IotDouble} holding the JITR and app policies, a
 * real SDK client aimed at it, the handler's log lines collected, a device registry table on demand
 * ({@link #registryTable()}); after each test, the check that the handler
 * declares every IoT operation the double received ({@link #declaredOperations()}) and every DynamoDB action its
 * registry client sent ({@link #declaredRegistryActions()}, through {@link #handlerRegistry()}), then everything
 * closed. Two CAs,
 * made once per JVM, issue the test certificates. A subclass's {@code @BeforeEach} methods run after this set-up, its
 * {@code @AfterEach} methods before these checks.
 */
public abstract class HandlerTest {

    protected static final String JITR = "jitr-policy";
    protected static final String APP = "app-policy";
    /** The CA the handler under test is configured with, and another one. */
    protected static final TestPki pki = TestPki.newCa("test-ca");
    protected static final TestPki otherPki = TestPki.newCa("other-ca");

    protected IotDouble iot;
    protected IotClient client;
    private RegistryTable registryTable;
    private DynamoDbClient handlerRegistryClient;
    private final List<String> registryOperations = Collections.synchronizedList(new ArrayList<>());
    protected final List<String> logs = new ArrayList<>();

    /** Every (operation, fault) pair, as arguments of a parameterized test. */
    protected static Stream<Arguments> eachWithEach(List<String> operations, Fault... faults) {
        return operations.stream().flatMap(operation -> Stream.of(faults).map(f -> Arguments.of(operation, f)));
    }

    /** The IoT operations the handler under test declares (its {@code iotOperations()}). */
    protected abstract Set<String> declaredOperations();

    @BeforeEach
    final void startIot() {
        iot = IotDouble.start();
        iot.addPolicy(JITR);
        iot.addPolicy(APP);
        client = iot.client();
        JsonLogger.redirect(logs::add);
    }

    /**
     * This test's device registry table, created on first use (a fresh, empty table in the JVM's
     * {@link SharedDynalite}).
     */
    protected RegistryTable registryTable() {
        if (registryTable == null) {
            registryTable = RegistryTable.on(SharedDynalite.get());
        }
        return registryTable;
    }

    /** The registry on {@link #registryTable()}, for the test's own set-up and assertions. */
    protected DeviceRegistry registry() {
        return registryTable().registry();
    }

    /**
     * The registry to give the handler under test: the same table through a client that records each DynamoDB
     * operation, which must be among {@link #declaredRegistryActions()}.
     */
    protected DeviceRegistry handlerRegistry() {
        return handlerRegistry(registryTable().name());
    }

    /** {@link #handlerRegistry()} on the table {@code tableName} (e.g. one that does not exist). */
    protected DeviceRegistry handlerRegistry(String tableName) {
        return new DeviceRegistry(handlerRegistryClient(), tableName);
    }

    /**
     * The client of {@link #handlerRegistry()}, for a handler that builds its registry itself from a client: it
     * records each DynamoDB operation, which must be among {@link #declaredRegistryActions()}.
     */
    protected DynamoDbClient handlerRegistryClient() {
        if (handlerRegistryClient == null) {
            handlerRegistryClient = registryClient(new ExecutionInterceptor() {
                @Override
                public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                    registryOperations.add("dynamodb:" + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
                }
            });
        }
        return handlerRegistryClient;
    }

    /**
     * A client of {@link #registryTable()} as the handlers build theirs (the SDK's DynamoDB client, fast retries),
     * with {@code interceptor}, e.g. one that lets another invocation run at a chosen call; the caller closes it.
     */
    protected DynamoDbClient registryClient(ExecutionInterceptor interceptor) {
        return DynamoDbClients.create(Region.of(IotDouble.REGION), Optional.of(registryTable().endpoint()),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")),
                IotDouble.fastRetries(), List.of(interceptor), null, null);
    }

    /**
     * The DynamoDB actions the handler under test sent through {@link #handlerRegistry()} so far, in order
     * ({@code dynamodb:GetItem}, ...).
     */
    protected List<String> registryOperations() {
        synchronized (registryOperations) {
            return List.copyOf(registryOperations);
        }
    }

    /** The DynamoDB actions the handler under test declares (its {@code registryActions()}); none by default. */
    protected Set<String> declaredRegistryActions() {
        return Set.of();
    }

    @AfterEach
    final void checkDeclarationAndStopIot() {
        JsonLogger.redirect(null);
        client.close();
        if (handlerRegistryClient != null) {
            handlerRegistryClient.close();
        }
        if (registryTable != null) {
            registryTable.close();
        }
        try {
            Set<String> undeclared = new TreeSet<>(iot.operationCounts().keySet());
            undeclared.removeAll(declaredOperations());
            assertEquals(Set.of(), undeclared, "IoT operations called but not declared by the handler");
            Set<String> undeclaredRegistry = new TreeSet<>(registryOperations);
            undeclaredRegistry.removeAll(declaredRegistryActions());
            assertEquals(Set.of(), undeclaredRegistry, "DynamoDB actions called but not declared by the handler");
        } finally {
            iot.close();
        }
    }
}
