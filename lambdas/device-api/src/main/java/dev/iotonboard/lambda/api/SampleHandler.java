package dev.iotonboard.lambda.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.iotonboard.lambda.api.model.ProxyEvent;
import dev.iotonboard.lambda.api.model.ProxyResponse;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.MalformedEventException;
import dev.iotonboard.lambda.core.SnapStartPriming;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.api.SampleHandler::handleRequest}: {@code GET /sample} behind the
 * device authorizer. Answers {@code 200 {"message":"Good.","thingName":"<requestContext.authorizer.thingName>"}};
 * 403 when the authorizer context has no thing name (the API is then wired without the authorizer), 400 for an
 * event that is not a proxy event. Reads no environment and calls no AWS API.
 */
public final class SampleHandler implements RequestStreamHandler {

    private static final JsonLogger LOG = JsonLogger.get(SampleHandler.class);
    private static final byte[] PRIMING_EVENT = ("{\"httpMethod\":\"GET\",\"path\":\"/sample\",\"requestContext\":"
            + "{\"authorizer\":{\"thingName\":\"priming\"}}}").getBytes(StandardCharsets.UTF_8);

    private final SnapStartPriming snapStart;

    /** Used by Lambda; registers the SnapStart hook that primes Jackson before the snapshot. */
    public SampleHandler() {
        this.snapStart = SnapStartPriming.register(this::prime);
    }

    /**
     * Primes the handler (run by the SnapStart hook before the snapshot; public so a benchmark can measure its
     * effect): one proxy event and one answer through Jackson. No AWS call, no state.
     *
     * @return 0: this function makes no IoT request
     */
    public int prime() {
        Json.parse(PRIMING_EVENT, ProxyEvent.class);
        Json.toJson(ProxyResponse.json(200, Map.of("message", "Good.", "thingName", "priming")));
        return 0;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) {
        JsonLogger.startInvocation(context);
        ProxyResponse response;
        try {
            String thingName = Json.parse(Json.readAll(input), ProxyEvent.class).thingName();
            if (thingName == null || thingName.isBlank()) {
                LOG.warn("no thing name in the authorizer context");
                response = ProxyResponse.json(403, Map.of("message", "Forbidden"));
            } else {
                Map<String, String> body = new LinkedHashMap<>();
                body.put("message", "Good.");
                body.put("thingName", thingName);
                LOG.info("sample called", "thingName", thingName);
                response = ProxyResponse.json(200, body);
            }
        } catch (MalformedEventException e) {
            LOG.warn("not an API Gateway proxy event", "detail", e.getMessage());
            response = ProxyResponse.json(400, Map.of("message", "Bad request"));
        }
        Json.write(output, response);
    }
}
