package dev.iotonboard.lambda.reconciler;

import com.amazonaws.services.lambda.runtime.Context;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.IotHandler;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.DynamoDbClients;
import dev.iotonboard.lambda.reconciler.model.ExpiryReport;
import dev.iotonboard.lambda.reconciler.model.ScheduledEvent;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.reconciler.ExpiryWatchHandler::handleRequest}, run on a schedule,
 * the reconciler's sibling in the same jar. Event: any input ({@link ScheduledEvent}, only logged); result: an
 * {@link ExpiryReport} (also logged); service: {@link ExpiryWatchService}, which also writes the CloudWatch
 * embedded-metric-format lines; IoT operations: {@link #iotRequests}. The IoT client carries a
 * {@link RequestRateLimiter} ({@code MAX_REQUESTS_PER_SECOND} per operation) and the event handlers' retry strategy.
 * An IoT failure that outlasts the retries is rethrown.
 */
public final class ExpiryWatchHandler extends IotHandler<ScheduledEvent, ExpiryReport> {

    private static final JsonLogger LOG = JsonLogger.get(ExpiryWatchHandler.class);

    private final ExpiryWatchConfig config;
    private final ExpiryWatchService service;

    /**
     * Used by Lambda: one rate-limited IoT client (with an {@link IotPrimer}), one configuration and, when
     * {@code DEVICE_REGISTRY_TABLE} is set, one DynamoDB client per container.
     */
    public ExpiryWatchHandler() {
        this(Env.system(), Clock.systemUTC(), IotClients::fromEnvironment,
                DynamoDbClients.ifRegistryNamed(Env.system()));
    }

    /**
     * Used by tests: {@code clients} builds the IoT client from the environment with the interceptors given (the
     * {@link IotPrimer}, then the {@link RequestRateLimiter}). A bad configuration fails before any client is built.
     */
    public ExpiryWatchHandler(Env env, Clock clock, BiFunction<Env, List<ExecutionInterceptor>, IotClient> clients) {
        this(env, clock, clients, null);
    }

    /**
     * Used by tests: as above, and with {@code dynamo} (null: none) the validity of ACTIVE certificates is read from
     * the device registry table that {@code DEVICE_REGISTRY_TABLE} names.
     */
    public ExpiryWatchHandler(Env env, Clock clock, BiFunction<Env, List<ExecutionInterceptor>, IotClient> clients,
            DynamoDbClient dynamo) {
        this(ExpiryWatchConfig.from(env), env, clock, clients, dynamo);
    }

    private ExpiryWatchHandler(ExpiryWatchConfig config, Env env, Clock clock,
            BiFunction<Env, List<ExecutionInterceptor>, IotClient> clients, DynamoDbClient dynamo) {
        super(ScheduledEvent.class, env, clock, clients, new RequestRateLimiter(config.maxRequestsPerSecond()));
        this.config = config;
        Optional<DeviceRegistry> registry = DeviceRegistry.ifNamed(env, dynamo);
        this.service = new ExpiryWatchService(iot(), config, clock, registry);
    }

    /** The DynamoDB actions this function sends to the device registry. */
    public Set<String> registryActions() {
        return ExpiryWatchService.REGISTRY_ACTIONS;
    }

    /** The CA's expiry, the listing of its certificates, each ACTIVE one's expiry. */
    @Override
    protected List<Consumer<IotClient>> iotRequests() {
        String ca = config.caCertificateIds().get(0);
        return List.of(
                c -> c.describeCACertificate(r -> r.certificateId(ca)),
                c -> c.listCertificatesByCA(r -> r.caCertificateId(ca).ascendingOrder(true)
                        .pageSize(ExpiryWatchService.PAGE_SIZE)),
                c -> c.describeCertificate(r -> r.certificateId(IotPrimer.CERTIFICATE_ID)));
    }

    /** Any input is a run: it is only logged. */
    @Override
    protected ScheduledEvent parse(byte[] event) {
        return ScheduledEvent.of(event);
    }

    @Override
    protected ExpiryReport handle(ScheduledEvent event, Context context) {
        LOG.info("expiry scan started", "eventBytes", event.bytes(), "eventId", event.id(), "eventTime", event.time(),
                "caCertificateIds", config.caCertificateIds(), "warningDays", config.warningDays());
        IntSupplier remaining = context == null ? () -> Integer.MAX_VALUE : context::getRemainingTimeInMillis;
        return service.scan(remaining);
    }

    /** Never called: {@link #parse} accepts any input. */
    @Override
    protected ExpiryReport rejected(String detail) {
        throw new IllegalStateException("the expiry watch accepts any input: " + detail);
    }

    @Override
    protected String iotFailureOutcome() {
        return "failing the run (no metrics this time; the next scheduled run starts again)";
    }

    @Override
    protected String primingEvent() {
        return "{\"id\":\"priming\",\"time\":\"1970-01-01T00:00:00Z\"}";
    }

    @Override
    protected ExpiryReport primingAnswer() {
        return new ExpiryReport(config.warningDays(), true, List.of(new ExpiryReport.CaExpiry(IotPrimer.CERTIFICATE_ID,
                "ACTIVE", "1970-01-01T00:00:00Z", 0L, 0, 0, 0, true)), List.of(new ExpiryReport.ExpiringDevice(
                "priming", IotPrimer.CERTIFICATE_ID, IotPrimer.CERTIFICATE_ID, "1970-01-01T00:00:00Z", 0)));
    }
}
