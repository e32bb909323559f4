package dev.iotonboard.lambda.api;

import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ARN;
import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ID;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.iotonboard.lambda.api.model.AuthorizerEvent;
import dev.iotonboard.lambda.api.model.AuthorizerResponse;
import dev.iotonboard.lambda.api.model.Decision;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.MalformedEventException;
import dev.iotonboard.lambda.core.SnapStartPriming;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
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

    private static final byte[] PRIMING_EVENT = ("{\"type\":\"REQUEST\",\"methodArn\":\"*\",\"requestContext\":"
            + "{\"identity\":{\"clientCert\":{\"clientCertPem\":\"\",\"validity\":{}}}}}")
            .getBytes(StandardCharsets.UTF_8);

    private final AuthorizerService service;
    private final IotClient iot;
    private final IotPrimer primer;
    private final SnapStartPriming snapStart;

    /**
     * Used by Lambda: one IoT client (with {@link IotClients#API_MAX_ATTEMPTS} attempts: a caller is waiting), one
     * configuration and one cache per container; registers the SnapStart hook that primes the client before the
     * snapshot.
     */
    public DeviceAuthorizerHandler() {
        this(new IotPrimer());
    }

    private DeviceAuthorizerHandler(IotPrimer primer) {
        this(IotClients.forApiRequests(List.of(primer)), primer, Env.system(), Clock.systemUTC());
    }

    /** Used by tests. */
    public DeviceAuthorizerHandler(IotClient iot, Env env, Clock clock) {
        this(iot, null, env, clock);
    }

    /** Used by tests: {@code primer} must be installed on {@code iot}; null = no priming. */
    public DeviceAuthorizerHandler(IotClient iot, IotPrimer primer, Env env, Clock clock) {
        AuthorizerConfig config = AuthorizerConfig.from(env);
        this.service = new AuthorizerService(iot, config,
                new DecisionCache(config.cacheTtl(), config.cacheSize(), clock), clock);
        this.iot = iot;
        this.primer = primer;
        this.snapStart = primer == null ? null : SnapStartPriming.register(this::prime);
    }

    /**
     * Primes the handler without any network call (run by the SnapStart hook before the snapshot; public so a
     * benchmark can measure its effect): the event and answer through Jackson, and the authorizer's IoT requests
     * through the SDK, each aborted before transmission ({@link IotPrimer}). Caches nothing.
     *
     * @return the number of IoT requests primed
     * @throws IllegalStateException when the handler was built without a primer
     */
    public int prime() {
        if (primer == null) {
            throw new IllegalStateException("this handler was built without an IotPrimer");
        }
        Json.parse(PRIMING_EVENT, AuthorizerEvent.class);
        Json.toJson(AuthorizerResponse.deny(ANONYMOUS, "*"));
        return primer.prime(iot, List.of(
                c -> c.describeCertificate(r -> r.certificateId(CERTIFICATE_ID)),
                c -> c.listPrincipalThings(r -> r.principal(CERTIFICATE_ARN))));
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
                    "security", decision.securityEvent(), "methodArn", methodArn, "cacheHit", outcome.cacheHit());
            Json.write(output, AuthorizerResponse.deny(
                    decision.certificateId() == null ? ANONYMOUS : decision.certificateId(), methodArn));
        }
    }
}
