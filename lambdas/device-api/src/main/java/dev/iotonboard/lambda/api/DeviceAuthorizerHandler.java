package dev.iotonboard.lambda.api;

import com.amazonaws.services.lambda.runtime.Context;
import dev.iotonboard.lambda.api.model.AuthorizerEvent;
import dev.iotonboard.lambda.api.model.AuthorizerResponse;
import dev.iotonboard.lambda.api.model.Decision;
import dev.iotonboard.lambda.core.EmbeddedMetrics;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotHandler;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.DynamoDbClients;
import dev.iotonboard.lambda.core.JsonLogger;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.api.DeviceAuthorizerHandler::handleRequest}: the REST API REQUEST
 * authorizer. Event: {@link AuthorizerEvent} ({@code methodArn}, {@code requestContext.identity.clientCert});
 * result: an {@link AuthorizerResponse}, an Allow policy with {@code principalId} and {@code context.thingName} = the
 * certificate's thing, or a Deny policy (also for a malformed event); service: {@link AuthorizerService}, which
 * reads the device registry (DynamoDB) and makes no IoT call ({@link #iotRequests} is empty, and the function has no
 * IoT grant). A registry failure that outlasts the SDK retries (bounded by
 * {@link DynamoDbClients#apiAuthorizationBudget()}, inside the function's timeout) is answered with a Deny, logged at
 * ERROR with reason {@value #REGISTRY_UNAVAILABLE}, and not cached: the device gets 403 and may retry, instead of a
 * Lambda timeout that API Gateway would turn into a 500. Each call writes its {@link AuthorizerMetrics} lines (a
 * malformed event: a Deny with reason {@value #MALFORMED_EVENT}).
 */
public final class DeviceAuthorizerHandler extends IotHandler<AuthorizerEvent, AuthorizerResponse> {

    private static final JsonLogger LOG = JsonLogger.get(DeviceAuthorizerHandler.class);
    private static final String ANONYMOUS = "anonymous";
    /** The logged reason of a Deny answered because the registry failed past the SDK's retry budget. */
    public static final String REGISTRY_UNAVAILABLE = "REGISTRY_UNAVAILABLE";
    /** The metrics' reason of a Deny answered to a malformed event. */
    public static final String MALFORMED_EVENT = "MALFORMED_EVENT";

    private final AuthorizerConfig config = AuthorizerConfig.from(env());
    private final AuthorizerService service;

    /**
     * Used by Lambda: one DynamoDB client ({@link DynamoDbClients#forApiRequests}: few, short attempts, a caller
     * is waiting), one configuration and one cache per container; the registry table is
     * {@code DEVICE_REGISTRY_TABLE}. No IoT client is built (the function makes no IoT call); SnapStart priming
     * primes Jackson.
     */
    public DeviceAuthorizerHandler() {
        this(Env.system());
    }

    private DeviceAuthorizerHandler(Env env) {
        this(DeviceRegistry.fromEnvironment(env, DynamoDbClients.forApiRequests(env, List.of())), env,
                Clock.systemUTC());
    }

    /** Without an IoT client, as Lambda builds it, on {@code registry}. */
    public DeviceAuthorizerHandler(DeviceRegistry registry, Env env, Clock clock) {
        super(AuthorizerEvent.class, env, clock);
        service = service(registry);
    }

    /**
     * Used by tools that read the declarations (local's FunctionGrantsTest): the registry is
     * {@code DEVICE_REGISTRY_TABLE}, its client built from {@code env} on first use.
     */
    public DeviceAuthorizerHandler(IotClient iot, Env env, Clock clock) {
        this(iot, DeviceRegistry.fromEnvironment(env), env, clock);
    }

    /** Used by tests. */
    public DeviceAuthorizerHandler(IotClient iot, DeviceRegistry registry, Env env, Clock clock) {
        super(AuthorizerEvent.class, iot, env, clock);
        service = service(registry);
    }

    private AuthorizerService service(DeviceRegistry registry) {
        return new AuthorizerService(registry, config,
                new DecisionCache(config.cacheTtl(), config.cacheSize(), clock()), clock());
    }

    /** None: the decision comes from the device registry. */
    @Override
    protected List<Consumer<IotClient>> iotRequests() {
        return List.of();
    }

    /** The DynamoDB actions this function sends to the device registry. */
    public Set<String> registryActions() {
        return AuthorizerService.REGISTRY_ACTIONS;
    }

    @Override
    protected AuthorizerResponse handle(AuthorizerEvent event, Context context) {
        String methodArn = methodArn(event);
        long start = System.nanoTime();
        AuthorizerService.Outcome outcome;
        try {
            outcome = service.decide(event.clientCertPem());
        } catch (SdkException e) {
            LOG.error("API call denied: the device registry failed past the retry budget", e, "reason",
                    REGISTRY_UNAVAILABLE, "methodArn", methodArn);
            emit(AuthorizerMetrics.decided(false, REGISTRY_UNAVAILABLE, false, millisSince(start)));
            return AuthorizerResponse.deny(ANONYMOUS, methodArn);
        }
        Decision decision = outcome.decision();
        emit(AuthorizerMetrics.decided(decision.allowed(), decision.reason(), outcome.cacheHit(), millisSince(start)));
        if (decision.allowed()) {
            LOG.info("API call allowed", "certificateId", decision.certificateId(), "thingName",
                    decision.thingName(), "methodArn", methodArn, "cacheHit", outcome.cacheHit());
            return AuthorizerResponse.allow(decision.thingName(), methodArn);
        }
        LOG.warn("API call denied", "certificateId", decision.certificateId(), "reason", decision.reason(),
                "security", decision.securityEvent(), "methodArn", methodArn, "cacheHit", outcome.cacheHit());
        return AuthorizerResponse.deny(decision.certificateId() == null ? ANONYMOUS : decision.certificateId(),
                methodArn);
    }

    @Override
    protected AuthorizerResponse rejected(String detail) {
        emit(AuthorizerMetrics.denied(MALFORMED_EVENT));
        return AuthorizerResponse.deny(ANONYMOUS, "*");
    }

    @Override
    protected Object[] logFields(AuthorizerEvent event) {
        return new Object[] {"methodArn", methodArn(event)};
    }

    @Override
    protected String primingEvent() {
        return "{\"type\":\"REQUEST\",\"methodArn\":\"*\",\"requestContext\":"
                + "{\"identity\":{\"clientCert\":{\"clientCertPem\":\"\",\"validity\":{}}}}}";
    }

    @Override
    protected AuthorizerResponse primingAnswer() {
        return AuthorizerResponse.deny(ANONYMOUS, "*");
    }

    private void emit(List<EmbeddedMetrics.Record> lines) {
        lines.forEach(line -> line.emit(clock().instant()));
    }

    private static double millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    private static String methodArn(AuthorizerEvent event) {
        return event.methodArn() == null || event.methodArn().isBlank() ? "*" : event.methodArn();
    }
}
