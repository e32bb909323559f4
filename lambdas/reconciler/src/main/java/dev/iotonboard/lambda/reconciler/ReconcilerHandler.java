package dev.iotonboard.lambda.reconciler;

import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ARN;
import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ID;

import com.amazonaws.services.lambda.runtime.Context;
import dev.iotonboard.lambda.activation.ActivationConfig;
import dev.iotonboard.lambda.activation.ActivationService;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.IotHandler;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.RecentlyDone;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.DynamoDbClients;
import dev.iotonboard.lambda.reconciler.model.ReconcilerSummary;
import dev.iotonboard.lambda.reconciler.model.ScheduledEvent;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.reconciler.ReconcilerHandler::handleRequest}, run on a schedule.
 * Event: any input ({@link ScheduledEvent}, only logged); result: a {@link ReconcilerSummary}; service:
 * {@link ReconcilerService}; IoT operations: {@link #iotRequests}. The IoT client carries a
 * {@link RequestRateLimiter} ({@code MAX_REQUESTS_PER_SECOND} per operation) in front of every request, and the
 * event handlers' retry strategy. An IoT failure that outlasts the retries is rethrown.
 */
public final class ReconcilerHandler extends IotHandler<ScheduledEvent, ReconcilerSummary> {

    private static final JsonLogger LOG = JsonLogger.get(ReconcilerHandler.class);

    private final ReconcilerConfig config;
    private final ReconcilerService service;

    /**
     * Used by Lambda: one rate-limited IoT client (with an {@link IotPrimer}), one configuration and, when
     * {@code DEVICE_REGISTRY_TABLE} is set, one DynamoDB client per container.
     */
    public ReconcilerHandler() {
        this(Env.system(), Clock.systemUTC(), IotClients::fromEnvironment,
                DynamoDbClients.ifRegistryNamed(Env.system()));
    }

    /**
     * Used by tests: {@code clients} builds the IoT client from the environment with the interceptors given: the
     * SnapStart {@link IotPrimer}, then the {@link RequestRateLimiter} the configuration asks for (in that order,
     * so aborted priming requests never reach the limiter). A bad configuration fails before any client is built.
     */
    public ReconcilerHandler(Env env, Clock clock, BiFunction<Env, List<ExecutionInterceptor>, IotClient> clients) {
        this(env, clock, clients, null);
    }

    /**
     * Used by tests: as above, and with {@code dynamo} (null: none) the device registry table that
     * {@code DEVICE_REGISTRY_TABLE} names is compared with IoT on every run.
     */
    public ReconcilerHandler(Env env, Clock clock, BiFunction<Env, List<ExecutionInterceptor>, IotClient> clients,
            DynamoDbClient dynamo) {
        this(ReconcilerConfig.from(env), env, clock, clients, dynamo);
    }

    private ReconcilerHandler(ReconcilerConfig config, Env env, Clock clock,
            BiFunction<Env, List<ExecutionInterceptor>, IotClient> clients, DynamoDbClient dynamo) {
        super(ScheduledEvent.class, env, clock, clients, new RequestRateLimiter(config.maxRequestsPerSecond()));
        this.config = config;
        Optional<DeviceRegistry> registry = DeviceRegistry.ifNamed(env, dynamo);
        // With the table, an activation the reconciler completes is recorded as the activation function records it.
        ActivationService activation = new ActivationService(iot(), registry,
                new ActivationConfig(config.jitrPolicyName(), config.caCertificateIds(),
                        config.thingNames(), config.caStatusTtl(), ActivationConfig.allowList(env)), clock,
                RecentlyDone.DEFAULT_CAPACITY);
        this.service = new ReconcilerService(iot(), config, activation, clock, registry);
    }

    /** The scan of a CA's certificates and the checks of ACTIVE ones, plus the activation path. */
    @Override
    protected List<Consumer<IotClient>> iotRequests() {
        List<Consumer<IotClient>> requests = new ArrayList<>(List.of(
                c -> c.listCertificatesByCA(r -> r.caCertificateId(config.caCertificateIds().get(0)).ascendingOrder(false)
                        .pageSize(ReconcilerService.PAGE_SIZE)),
                c -> c.listPrincipalThings(r -> r.principal(CERTIFICATE_ARN))));
        requests.addAll(ActivationService.iotRequests(config.jitrPolicyName()));
        return requests;
    }

    /** Any input is a run: it is only logged. */
    @Override
    protected ScheduledEvent parse(byte[] event) {
        return ScheduledEvent.of(event);
    }

    @Override
    protected ReconcilerSummary handle(ScheduledEvent event, Context context) {
        LOG.info("reconciler run started", "eventBytes", event.bytes(), "eventId", event.id(),
                "eventTime", event.time());
        IntSupplier remaining = context == null ? () -> Integer.MAX_VALUE : context::getRemainingTimeInMillis;
        return service.reconcile(remaining);
    }

    /** Never called: {@link #parse} accepts any input. */
    @Override
    protected ReconcilerSummary rejected(String detail) {
        throw new IllegalStateException("the reconciler accepts any input: " + detail);
    }

    @Override
    protected String iotFailureOutcome() {
        return "failing the run (the next scheduled run starts again)";
    }

    @Override
    protected String primingEvent() {
        return "{\"id\":\"priming\",\"time\":\"1970-01-01T00:00:00Z\"}";
    }

    @Override
    protected ReconcilerSummary primingAnswer() {
        return new ReconcilerSummary(List.of(CERTIFICATE_ID), 0, 0, 0, List.of(), List.of(), List.of(), true,
                ReconcilerSummary.RegistryDrift.NONE);
    }
}
