package dev.iotonboard.lambda.activation;

import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ID;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.iotonboard.lambda.activation.model.ActivationResult;
import dev.iotonboard.lambda.activation.model.ActivationResult.Reason;
import dev.iotonboard.lambda.activation.model.RegisteredEvent;
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
 * Lambda entry point {@code dev.iotonboard.lambda.activation.CertificateActivationHandler::handleRequest}.
 * Input: the certificate-registered event; output: an {@link ActivationResult}. A malformed event is logged and
 * answered REJECTED (never retried); an IoT failure that outlasts the SDK retries is rethrown so Lambda retries the
 * event and, in the end, hands it to the on-failure destination.
 */
public final class CertificateActivationHandler implements RequestStreamHandler {

    private static final JsonLogger LOG = JsonLogger.get(CertificateActivationHandler.class);

    private static final byte[] PRIMING_EVENT = ("{\"certificateId\":\"" + CERTIFICATE_ID + "\",\"caCertificateId\":\""
            + CERTIFICATE_ID + "\",\"certificateStatus\":\"PENDING_ACTIVATION\"}").getBytes(StandardCharsets.UTF_8);

    private final ActivationService service;
    private final IotClient iot;
    private final ActivationConfig config;
    private final IotPrimer primer;
    private final SnapStartPriming snapStart;

    /**
     * Used by Lambda: one IoT client and one configuration per container; registers the SnapStart hook that primes
     * the client before the snapshot.
     */
    public CertificateActivationHandler() {
        this(new IotPrimer(), Env.system());
    }

    private CertificateActivationHandler(IotPrimer primer, Env env) {
        this(IotClients.fromEnvironment(env, List.of(primer)), primer, env, Clock.systemUTC());
    }

    /** Used by tests. */
    public CertificateActivationHandler(IotClient iot, Env env, Clock clock) {
        this(iot, null, env, clock);
    }

    /** Used by tests: {@code primer} must be installed on {@code iot}; null = no priming. */
    public CertificateActivationHandler(IotClient iot, IotPrimer primer, Env env, Clock clock) {
        this.config = ActivationConfig.from(env);
        this.service = new ActivationService(iot, config, clock);
        this.iot = iot;
        this.primer = primer;
        this.snapStart = primer == null ? null : SnapStartPriming.register(this::prime);
    }

    /**
     * Primes the handler without any network call (run by the SnapStart hook before the snapshot; public so a
     * benchmark can measure its effect): the event and answer through Jackson, and this function's IoT requests
     * through the SDK, each aborted before transmission ({@link IotPrimer}). Changes no state.
     *
     * @return the number of IoT requests primed
     * @throws IllegalStateException when the handler was built without a primer
     */
    public int prime() {
        if (primer == null) {
            throw new IllegalStateException("this handler was built without an IotPrimer");
        }
        Json.parse(PRIMING_EVENT, RegisteredEvent.class);
        Json.toJson(ActivationResult.activated(CERTIFICATE_ID));
        return primer.prime(iot, ActivationService.primingRequests(config.jitrPolicyName()));
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) {
        JsonLogger.startInvocation(context);
        byte[] bytes = Json.readAll(input);
        ActivationResult result;
        try {
            result = service.activate(Json.parse(bytes, RegisteredEvent.class));
        } catch (MalformedEventException e) {
            LOG.warn("certificate not activated", "reason", Reason.MALFORMED_EVENT.name(), "detail", e.getMessage(),
                    "eventBytes", bytes.length);
            result = ActivationResult.rejected(null, Reason.MALFORMED_EVENT, e.getMessage());
        } catch (SdkException e) {
            LOG.error("IoT call failed after the SDK retries; failing the invocation so Lambda retries it", e);
            throw e;
        }
        Json.write(output, result);
    }
}
