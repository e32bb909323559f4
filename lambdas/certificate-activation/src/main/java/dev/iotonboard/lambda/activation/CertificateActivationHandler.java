package dev.iotonboard.lambda.activation;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.iotonboard.lambda.activation.model.ActivationResult;
import dev.iotonboard.lambda.activation.model.ActivationResult.Reason;
import dev.iotonboard.lambda.activation.model.RegisteredEvent;
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
 * Lambda entry point {@code dev.iotonboard.lambda.activation.CertificateActivationHandler::handleRequest}.
 * Input: the certificate-registered event; output: an {@link ActivationResult}. A malformed event is logged and
 * answered REJECTED (never retried); an IoT failure that outlasts the SDK retries is rethrown so Lambda retries the
 * event and, in the end, hands it to the on-failure destination.
 */
public final class CertificateActivationHandler implements RequestStreamHandler {

    private static final JsonLogger LOG = JsonLogger.get(CertificateActivationHandler.class);

    private final ActivationService service;

    /** Used by Lambda: one IoT client and one configuration per container. */
    public CertificateActivationHandler() {
        this(IotClients.fromEnvironment(), Env.system(), Clock.systemUTC());
    }

    /** Used by tests. */
    public CertificateActivationHandler(IotClient iot, Env env, Clock clock) {
        this.service = new ActivationService(iot, ActivationConfig.from(env), new CertificateChecks(clock));
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
