package dev.iotonboard.lambda.provisioning;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.MalformedEventException;
import dev.iotonboard.lambda.provisioning.model.ProvisioningRequest;
import dev.iotonboard.lambda.provisioning.model.ProvisioningResult;
import dev.iotonboard.lambda.provisioning.model.ProvisioningResult.Reason;
import java.io.InputStream;
import java.io.OutputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.provisioning.ThingProvisioningHandler::handleRequest}.
 * Input: {@code {"thingName":"<uuid>","certificateId":"<principal()>"}} from the {@code jitr/request} rule;
 * output: a {@link ProvisioningResult}. Bad requests are logged and answered REJECTED (never retried); an IoT
 * failure that outlasts the SDK retries is rethrown so Lambda retries the event.
 */
public final class ThingProvisioningHandler implements RequestStreamHandler {

    private static final JsonLogger LOG = JsonLogger.get(ThingProvisioningHandler.class);

    private final ProvisioningService service;

    /** Used by Lambda: one IoT client and one configuration per container. */
    public ThingProvisioningHandler() {
        this(IotClients.fromEnvironment(), Env.system());
    }

    /** Used by tests. */
    public ThingProvisioningHandler(IotClient iot, Env env) {
        this.service = new ProvisioningService(iot, ProvisioningConfig.from(env));
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) {
        JsonLogger.startInvocation(context);
        byte[] bytes = Json.readAll(input);
        ProvisioningResult result;
        try {
            result = service.provision(Json.parse(bytes, ProvisioningRequest.class));
        } catch (MalformedEventException e) {
            LOG.warn("thing not provisioned", "reason", Reason.MALFORMED_EVENT.name(), "detail", e.getMessage(),
                    "eventBytes", bytes.length);
            result = ProvisioningResult.rejected(null, null, Reason.MALFORMED_EVENT, e.getMessage());
        } catch (SdkException e) {
            LOG.error("IoT call failed after the SDK retries; failing the invocation so Lambda retries it", e);
            throw e;
        }
        Json.write(output, result);
    }
}
