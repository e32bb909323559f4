package dev.iotonboard.lambda.activation;

import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ID;

import com.amazonaws.services.lambda.runtime.Context;
import dev.iotonboard.lambda.activation.model.ActivationResult;
import dev.iotonboard.lambda.activation.model.ActivationResult.Reason;
import dev.iotonboard.lambda.activation.model.RegisteredEvent;
import dev.iotonboard.lambda.core.EmbeddedMetrics;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotHandler;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.DynamoDbClients;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.activation.CertificateActivationHandler::handleRequest}.
 * Event: the certificate-registered event ({@link RegisteredEvent}); result: an {@link ActivationResult}; service:
 * {@link ActivationService}; IoT operations: {@link ActivationService#iotRequests}. A malformed event is answered
 * REJECTED (never retried); an IoT failure that outlasts the SDK retries fails the invocation, so Lambda retries the
 * event and, in the end, hands it to the on-failure destination ({@link IotHandler}).
 */
public final class CertificateActivationHandler extends IotHandler<RegisteredEvent, ActivationResult> {

    private final ActivationConfig config = ActivationConfig.from(env());
    private final ActivationService service;

    /**
     * Used by Lambda: one IoT client (with an {@link IotPrimer}), one DynamoDB client and one configuration per
     * container; the registry table is {@code DEVICE_REGISTRY_TABLE}.
     */
    public CertificateActivationHandler() {
        super(RegisteredEvent.class);
        service = new ActivationService(iot(),
                DeviceRegistry.fromEnvironment(env(), DynamoDbClients.fromEnvironment(env())), config, clock());
    }

    /**
     * Used by tools that read the declarations (local's FunctionGrantsTest): the registry is
     * {@code DEVICE_REGISTRY_TABLE}, its client built from {@code env} on first use.
     */
    public CertificateActivationHandler(IotClient iot, Env env, Clock clock) {
        this(iot, DeviceRegistry.fromEnvironment(env), env, clock);
    }

    /** Used by tests: primes only through an {@link IotPrimer} installed on {@code iot}. */
    public CertificateActivationHandler(IotClient iot, DeviceRegistry registry, Env env, Clock clock) {
        super(RegisteredEvent.class, iot, env, clock);
        service = new ActivationService(iot, registry, config, clock);
    }

    @Override
    protected List<Consumer<IotClient>> iotRequests() {
        return ActivationService.iotRequests(config.jitrPolicyName());
    }

    /** The DynamoDB actions this function sends to the device registry. */
    public Set<String> registryActions() {
        return ActivationService.REGISTRY_ACTIONS;
    }

    @Override
    protected ActivationResult handle(RegisteredEvent event, Context context) {
        return context == null ? service.activate(event)
                : service.activate(event, Duration.ofMillis(context.getRemainingTimeInMillis()),
                        context.getAwsRequestId());
    }

    @Override
    protected ActivationResult rejected(String detail) {
        return ActivationResult.rejected(null, Reason.MALFORMED_EVENT, detail);
    }

    /** Every event and its outcome ({@link ActivationMetrics}). */
    @Override
    protected List<EmbeddedMetrics.Record> metrics(ActivationResult result) {
        return ActivationMetrics.of(result);
    }

    @Override
    protected String primingEvent() {
        return "{\"certificateId\":\"" + CERTIFICATE_ID + "\",\"caCertificateId\":\"" + CERTIFICATE_ID
                + "\",\"certificateStatus\":\"PENDING_ACTIVATION\"}";
    }

    @Override
    protected ActivationResult primingAnswer() {
        return ActivationResult.activated(CERTIFICATE_ID);
    }
}
