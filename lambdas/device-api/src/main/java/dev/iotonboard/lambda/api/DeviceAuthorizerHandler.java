package dev.iotonboard.lambda.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.iotonboard.lambda.api.model.AuthorizerEvent;
import dev.iotonboard.lambda.api.model.AuthorizerResponse;
import dev.iotonboard.lambda.api.model.Decision;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.MalformedEventException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.api.DeviceAuthorizerHandler::handleRequest}: the REST API REQUEST
 * authorizer. Input: the authorizer event ({@code methodArn}, {@code requestContext.identity.clientCert}); output:
 * an Allow policy with {@code principalId} and {@code context.thingName} = the certificate's thing, or a Deny
 * policy. An IoT failure that outlasts the SDK retries is rethrown: API Gateway answers 500 and nothing is cached.
 */
public final class DeviceAuthorizerHandler implements RequestStreamHandler {

    private static final JsonLogger LOG = JsonLogger.get(DeviceAuthorizerHandler.class);
    private static final String ANONYMOUS = "anonymous";

    private final AuthorizerService service;

    /**
     * Used by Lambda: one IoT client (with {@link IotClients#API_MAX_ATTEMPTS} attempts: a caller is waiting), one
     * configuration and one cache per container.
     */
    public DeviceAuthorizerHandler() {
        this(IotClients.forApiRequests(), Env.system(), Clock.systemUTC());
    }

    /** Used by tests. */
    public DeviceAuthorizerHandler(IotClient iot, Env env, Clock clock) {
        AuthorizerConfig config = AuthorizerConfig.from(env);
        this.service = new AuthorizerService(iot, config,
                new DecisionCache(config.cacheTtl(), config.cacheSize(), clock), clock);
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) {
        JsonLogger.startInvocation(context);
        byte[] bytes = Json.readAll(input);
        AuthorizerEvent event;
        try {
            event = Json.parse(bytes, AuthorizerEvent.class);
        } catch (MalformedEventException e) {
            LOG.warn("API call denied", "reason", "MALFORMED_EVENT", "detail", e.getMessage());
            Json.write(output, AuthorizerResponse.deny(ANONYMOUS, "*"));
            return;
        }
        String methodArn = event.methodArn() == null || event.methodArn().isBlank() ? "*" : event.methodArn();
        AuthorizerService.Outcome outcome;
        try {
            outcome = service.decide(event.clientCertPem());
        } catch (SdkException e) {
            LOG.error("IoT call failed after the SDK retries; failing the authorization (API Gateway answers 500)",
                    e, "methodArn", methodArn);
            throw e;
        }
        Decision decision = outcome.decision();
        if (decision.allowed()) {
            LOG.info("API call allowed", "certificateId", decision.certificateId(), "thingName",
                    decision.thingName(), "methodArn", methodArn, "cacheHit", outcome.cacheHit());
            Json.write(output, AuthorizerResponse.allow(decision.thingName(), methodArn));
        } else {
            LOG.warn("API call denied", "certificateId", decision.certificateId(), "reason", decision.reason(),
                    "methodArn", methodArn, "cacheHit", outcome.cacheHit());
            Json.write(output, AuthorizerResponse.deny(
                    decision.certificateId() == null ? ANONYMOUS : decision.certificateId(), methodArn));
        }
    }
}
