package dev.iotonboard.lambda.provisioning;

import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ARN;
import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ID;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.core.Json;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.MalformedEventException;
import dev.iotonboard.lambda.core.SnapStartPriming;
import dev.iotonboard.lambda.provisioning.model.ProvisioningRequest;
import dev.iotonboard.lambda.provisioning.model.ProvisioningResult;
import dev.iotonboard.lambda.provisioning.model.ProvisioningResult.Reason;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.ThingPrincipalType;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.provisioning.ThingProvisioningHandler::handleRequest}.
 * Input: {@code {"thingName":"<uuid>","certificateId":"<principal()>"}} from the {@code jitr/request} rule;
 * output: a {@link ProvisioningResult}. Bad requests are logged and answered REJECTED (never retried); an IoT
 * failure that outlasts the SDK retries is rethrown so Lambda retries the event.
 */
public final class ThingProvisioningHandler implements RequestStreamHandler {

    private static final JsonLogger LOG = JsonLogger.get(ThingProvisioningHandler.class);

    private static final String PRIMING_THING = "00000000-0000-0000-0000-000000000000";
    private static final byte[] PRIMING_EVENT = ("{\"thingName\":\"" + PRIMING_THING + "\",\"certificateId\":\""
            + CERTIFICATE_ID + "\"}").getBytes(StandardCharsets.UTF_8);

    private final ProvisioningService service;
    private final IotClient iot;
    private final ProvisioningConfig config;
    private final IotPrimer primer;
    private final SnapStartPriming snapStart;

    /**
     * Used by Lambda: one IoT client and one configuration per container; registers the SnapStart hook that primes
     * the client before the snapshot.
     */
    public ThingProvisioningHandler() {
        this(new IotPrimer(), Env.system());
    }

    private ThingProvisioningHandler(IotPrimer primer, Env env) {
        this(IotClients.fromEnvironment(env, List.of(primer)), primer, env);
    }

    /** Used by tests. */
    public ThingProvisioningHandler(IotClient iot, Env env) {
        this(iot, null, env);
    }

    /** Used by tests: {@code primer} must be installed on {@code iot}; null = no priming. */
    public ThingProvisioningHandler(IotClient iot, IotPrimer primer, Env env) {
        this.config = ProvisioningConfig.from(env);
        this.service = new ProvisioningService(iot, config);
        this.iot = iot;
        this.primer = primer;
        this.snapStart = primer == null ? null : SnapStartPriming.register(this::prime);
    }

    /**
     * Primes the handler without any network call (run by the SnapStart hook before the snapshot; public so a
     * benchmark can measure its effect): the request and answer through Jackson, and this function's IoT requests
     * through the SDK, each aborted before transmission ({@link IotPrimer}). Changes no state.
     *
     * @return the number of IoT requests primed
     * @throws IllegalStateException when the handler was built without a primer
     */
    public int prime() {
        if (primer == null) {
            throw new IllegalStateException("this handler was built without an IotPrimer");
        }
        Json.parse(PRIMING_EVENT, ProvisioningRequest.class);
        Json.toJson(ProvisioningResult.provisioned(PRIMING_THING, CERTIFICATE_ID));
        return primer.prime(iot, List.of(
                c -> c.describeCertificate(r -> r.certificateId(CERTIFICATE_ID)),
                c -> c.listPrincipalThings(r -> r.principal(CERTIFICATE_ARN)),
                c -> c.describeThing(r -> r.thingName(PRIMING_THING)),
                c -> c.listThingPrincipals(r -> r.thingName(PRIMING_THING)),
                c -> c.createThing(r -> r.thingName(PRIMING_THING)),
                c -> c.attachThingPrincipal(r -> r.thingName(PRIMING_THING).principal(CERTIFICATE_ARN)
                        .thingPrincipalType(ThingPrincipalType.EXCLUSIVE_THING)),
                c -> c.attachPolicy(r -> r.policyName(config.appPolicyName()).target(CERTIFICATE_ARN)),
                c -> c.detachPolicy(r -> r.policyName(config.jitrPolicyName()).target(CERTIFICATE_ARN)),
                c -> c.updateCertificate(r -> r.certificateId(CERTIFICATE_ID).newStatus(CertificateStatus.INACTIVE))));
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
