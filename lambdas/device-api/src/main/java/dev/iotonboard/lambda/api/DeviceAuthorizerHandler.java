package dev.iotonboard.lambda.api;

import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ARN;
import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ID;

import com.amazonaws.services.lambda.runtime.Context;
import dev.iotonboard.lambda.api.model.AuthorizerEvent;
import dev.iotonboard.lambda.api.model.AuthorizerResponse;
import dev.iotonboard.lambda.api.model.Decision;
import dev.iotonboard.lambda.core.EmbeddedMetrics;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.IotHandler;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.core.JsonLogger;
import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.api.DeviceAuthorizerHandler::handleRequest}: the REST API REQUEST
 * authorizer. Event: {@link AuthorizerEvent} ({@code methodArn}, {@code requestContext.identity.clientCert});
 * result: an {@link AuthorizerResponse}, an Allow policy with {@code principalId} and {@code context.thingName} = the
 * certificate's thing, or a Deny policy (also for a malformed event); service: {@link AuthorizerService}; IoT
 * operations: {@link #iotRequests}. An IoT failure that outlasts the SDK retries (bounded by
 * {@link IotClients#apiAuthorizationBudget()}, inside the function's timeout) is answered with a Deny, logged at ERROR
 * with reason {@value #IOT_UNAVAILABLE}, and not cached: the device gets 403 and may retry, instead of a Lambda
 * timeout that API Gateway would turn into a 500. Each call writes its {@link AuthorizerMetrics} lines (a malformed
 * event: a Deny with reason {@value #MALFORMED_EVENT}).
 */
public final class DeviceAuthorizerHandler extends IotHandler<AuthorizerEvent, AuthorizerResponse> {

    private static final JsonLogger LOG = JsonLogger.get(DeviceAuthorizerHandler.class);
    private static final String ANONYMOUS = "anonymous";
    /** The logged reason of a Deny answered because IoT failed past the SDK's retry budget. */
    public static final String IOT_UNAVAILABLE = "IOT_UNAVAILABLE";
    /** The metrics' reason of a Deny answered to a malformed event. */
    public static final String MALFORMED_EVENT = "MALFORMED_EVENT";

    private final AuthorizerConfig config = AuthorizerConfig.from(env());
    private final AuthorizerService service = new AuthorizerService(iot(), config,
            new DecisionCache(config.cacheTtl(), config.cacheSize(), clock()), clock());

    /**
     * Used by Lambda: one IoT client (with {@link IotClients#API_MAX_ATTEMPTS} attempts: a caller is waiting, and
     * an {@link IotPrimer}), one configuration and one cache per container.
     */
    public DeviceAuthorizerHandler() {
        super(AuthorizerEvent.class, IotClients::forApiRequests);
    }

    /** Used by tests: primes only through an {@link IotPrimer} installed on {@code iot}. */
    public DeviceAuthorizerHandler(IotClient iot, Env env, Clock clock) {
        super(AuthorizerEvent.class, iot, env, clock);
    }

    /** Is the certificate ACTIVE, and which thing is it attached to. */
    @Override
    protected List<Consumer<IotClient>> iotRequests() {
        return List.of(
                c -> c.describeCertificate(r -> r.certificateId(CERTIFICATE_ID)),
                c -> c.listPrincipalThings(r -> r.principal(CERTIFICATE_ARN)));
    }

    @Override
    protected AuthorizerResponse handle(AuthorizerEvent event, Context context) {
        String methodArn = methodArn(event);
        long start = System.nanoTime();
        AuthorizerService.Outcome outcome;
        try {
            outcome = service.decide(event.clientCertPem());
        } catch (SdkException e) {
            LOG.error("API call denied: IoT failed past the retry budget", e, "reason", IOT_UNAVAILABLE,
                    "methodArn", methodArn);
            emit(AuthorizerMetrics.decided(false, IOT_UNAVAILABLE, false, millisSince(start)));
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
