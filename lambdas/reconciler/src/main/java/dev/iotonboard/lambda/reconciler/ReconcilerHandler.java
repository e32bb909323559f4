package dev.iotonboard.lambda.reconciler;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.activation.ActivationConfig;
import dev.iotonboard.lambda.activation.ActivationService;
import dev.iotonboard.lambda.activation.CertificateChecks;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.reconciler.model.ReconcilerSummary;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.IntSupplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.reconciler.ReconcilerHandler::handleRequest}, run on a schedule.
 * Input: an EventBridge scheduled event (or {@code {}}; only logged); output: a {@link ReconcilerSummary}. The IoT
 * client carries a {@link RequestRateLimiter} ({@code MAX_REQUESTS_PER_SECOND} per operation) in front of every
 * request, and the event handlers' retry strategy. An IoT failure that outlasts the retries is rethrown.
 */
public final class ReconcilerHandler implements RequestStreamHandler {

    private static final JsonLogger LOG = JsonLogger.get(ReconcilerHandler.class);

    private final ReconcilerService service;

    /** Used by Lambda: one rate-limited IoT client and one configuration per container. */
    public ReconcilerHandler() {
        this(Env.system(), Clock.systemUTC(), (env, limiter) -> IotClients.fromEnvironment(env, List.of(limiter)));
    }

    /**
     * Used by tests: {@code clients} builds the IoT client from the environment and the rate limiter the
     * configuration asks for.
     */
    public ReconcilerHandler(Env env, Clock clock, BiFunction<Env, RequestRateLimiter, IotClient> clients) {
        ReconcilerConfig config = ReconcilerConfig.from(env);
        IotClient iot = clients.apply(env, new RequestRateLimiter(config.maxRequestsPerSecond()));
        ActivationService activation = new ActivationService(iot,
                new ActivationConfig(config.jitrPolicyName(), Optional.of(config.caCertificateId())),
                new CertificateChecks(clock));
        this.service = new ReconcilerService(iot, config, activation, clock);
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) {
        JsonLogger.startInvocation(context);
        byte[] bytes = Json.readAll(input);
        LOG.info("reconciler run started", "eventBytes", bytes.length, "eventId", field(bytes, "id"),
                "eventTime", field(bytes, "time"));
        IntSupplier remaining = context == null ? () -> Integer.MAX_VALUE : context::getRemainingTimeInMillis;
        ReconcilerSummary summary;
        try {
            summary = service.reconcile(remaining);
        } catch (SdkException e) {
            LOG.error("IoT call failed after the SDK retries; failing the run (the next scheduled run starts again)",
                    e);
            throw e;
        }
        Json.write(output, summary);
    }

    /** A text field of the scheduled event, for the log; null when absent or the input is not a JSON object. */
    private static String field(byte[] bytes, String name) {
        try {
            JsonNode node = Json.MAPPER.readTree(bytes);
            JsonNode value = node == null ? null : node.get(name);
            return value == null || !value.isValueNode() ? null : value.asText();
        } catch (IOException e) {
            return null;
        }
    }
}
