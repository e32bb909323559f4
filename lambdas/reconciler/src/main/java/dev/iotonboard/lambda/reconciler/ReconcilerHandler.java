package dev.iotonboard.lambda.reconciler;

import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ARN;
import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ID;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.activation.ActivationConfig;
import dev.iotonboard.lambda.activation.ActivationService;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.SnapStartPriming;
import dev.iotonboard.lambda.reconciler.model.ReconcilerSummary;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.reconciler.ReconcilerHandler::handleRequest}, run on a schedule.
 * Input: an EventBridge scheduled event (or {@code {}}; only logged); output: a {@link ReconcilerSummary}. The IoT
 * client carries a {@link RequestRateLimiter} ({@code MAX_REQUESTS_PER_SECOND} per operation) in front of every
 * request, and the event handlers' retry strategy. An IoT failure that outlasts the retries is rethrown.
 */
public final class ReconcilerHandler implements RequestStreamHandler {

    private static final JsonLogger LOG = JsonLogger.get(ReconcilerHandler.class);

    private static final byte[] PRIMING_EVENT = "{\"id\":\"priming\",\"time\":\"1970-01-01T00:00:00Z\"}"
            .getBytes(StandardCharsets.UTF_8);

    private final ReconcilerService service;
    private final ReconcilerConfig config;
    private final IotClient iot;
    private final IotPrimer primer = new IotPrimer();
    private final SnapStartPriming snapStart;

    /**
     * Used by Lambda: one rate-limited IoT client and one configuration per container; registers the SnapStart hook
     * that primes the client before the snapshot.
     */
    public ReconcilerHandler() {
        this(Env.system(), Clock.systemUTC(), IotClients::fromEnvironment);
    }

    /**
     * Used by tests: {@code clients} builds the IoT client from the environment with the interceptors given: the
     * SnapStart {@link IotPrimer}, then the {@link RequestRateLimiter} the configuration asks for (in that order,
     * so aborted priming requests never reach the limiter).
     */
    public ReconcilerHandler(Env env, Clock clock, BiFunction<Env, List<ExecutionInterceptor>, IotClient> clients) {
        this.config = ReconcilerConfig.from(env);
        this.iot = clients.apply(env, List.of(primer, new RequestRateLimiter(config.maxRequestsPerSecond())));
        ActivationService activation = new ActivationService(iot,
                new ActivationConfig(config.jitrPolicyName(), Optional.of(config.caCertificateId()),
                        config.thingNames(), config.caStatusTtl()), clock);
        this.service = new ReconcilerService(iot, config, activation, clock);
        this.snapStart = SnapStartPriming.register(this::prime);
    }

    /**
     * Primes the handler without any network call (run by the SnapStart hook before the snapshot; public so a
     * benchmark can measure its effect): Jackson on an event and a summary, and this function's IoT requests through
     * the SDK, each aborted before transmission ({@link IotPrimer}). Changes no state.
     *
     * @return the number of IoT requests primed
     */
    public int prime() {
        field(PRIMING_EVENT, "id");
        Json.toJson(new ReconcilerSummary(CERTIFICATE_ID, 0, 0, 0, List.of(), List.of(), List.of(), true));
        List<Consumer<IotClient>> requests = new ArrayList<>(List.of(
                c -> c.listCertificatesByCA(r -> r.caCertificateId(config.caCertificateId()).ascendingOrder(false)
                        .pageSize(ReconcilerService.PAGE_SIZE)),
                c -> c.listPrincipalThings(r -> r.principal(CERTIFICATE_ARN))));
        requests.addAll(ActivationService.primingRequests(config.jitrPolicyName()));
        return primer.prime(iot, requests);
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
