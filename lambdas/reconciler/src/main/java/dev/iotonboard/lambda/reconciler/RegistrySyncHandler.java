package dev.iotonboard.lambda.reconciler;

import com.amazonaws.services.lambda.runtime.Context;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.core.IotHandler;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.reconciler.model.CloudTrailEvent;
import dev.iotonboard.lambda.reconciler.model.SyncResult;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.reconciler.RegistrySyncHandler::handleRequest}, invoked by an
 * EventBridge rule on "AWS API Call via CloudTrail" events of AWS IoT ({@link RegistrySyncService#EVENT_NAMES}).
 * Event: {@link CloudTrailEvent}; result: {@link SyncResult}; service: {@link RegistrySyncService}; IoT operations:
 * {@link #iotRequests}; the table: {@code DEVICE_REGISTRY_TABLE} (dynamodb:UpdateItem); the stack's CAs:
 * {@code CA_CERTIFICATE_IDS} (optional: a change to another CA is ignored; unset, every CA); the roles whose calls
 * are skipped: {@code REGISTRY_WRITER_ROLE_ARNS} (optional, comma-separated IAM role ARNs). A malformed event is
 * answered REJECTED (not retried); an IoT or DynamoDB failure that outlasts the SDK retries fails the invocation, so
 * Lambda retries it (and, after its retries, the event is lost: the reconciler repairs what it would have).
 * It lives in the reconciler jar: the same job (keep the table true to IoT) with the same clients.
 */
public final class RegistrySyncHandler extends IotHandler<CloudTrailEvent, SyncResult> {

    /** The environment variable naming the roles whose calls the sync skips. */
    public static final String WRITER_ROLE_ARNS = "REGISTRY_WRITER_ROLE_ARNS";
    private static final Pattern ROLE_ARN = Pattern.compile("^arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$");

    private final RegistrySyncService service;

    /** Used by Lambda: one IoT and one DynamoDB client per container, from the process environment. */
    public RegistrySyncHandler() {
        this(Env.system(), Clock.systemUTC(), IotClients::fromEnvironment);
    }

    /**
     * Used by Lambda and by tools that read the declarations (local's FunctionGrantsTest): the table is
     * {@code DEVICE_REGISTRY_TABLE}, its client built from {@code env} on first use.
     *
     * @throws IllegalStateException when DEVICE_REGISTRY_TABLE is unset
     */
    public RegistrySyncHandler(Env env, Clock clock, BiFunction<Env, List<ExecutionInterceptor>, IotClient> clients) {
        this(env, clock, clients, DeviceRegistry.fromEnvironment(env));
    }

    /**
     * Used by tests: {@code clients} builds the IoT client from the environment with the interceptors given (the
     * {@link IotPrimer}); {@code dynamo} is the table's client.
     *
     * @throws IllegalStateException when DEVICE_REGISTRY_TABLE is unset
     */
    public RegistrySyncHandler(Env env, Clock clock, BiFunction<Env, List<ExecutionInterceptor>, IotClient> clients,
            DynamoDbClient dynamo) {
        this(env, clock, clients, DeviceRegistry.fromEnvironment(env, dynamo));
    }

    private RegistrySyncHandler(Env env, Clock clock, BiFunction<Env, List<ExecutionInterceptor>, IotClient> clients,
            DeviceRegistry registry) {
        super(CloudTrailEvent.class, env, clock, clients);
        this.service = new RegistrySyncService(iot(), registry, clock, env.caCertificateIds(), writerRoleArns(env));
    }

    /**
     * {@value #WRITER_ROLE_ARNS}: the IAM role ARNs (comma-separated) of the functions that write the item after each
     * of their IoT writes; empty when unset.
     *
     * @throws IllegalStateException when an entry is not an IAM role ARN
     */
    static Set<String> writerRoleArns(Env env) {
        return Set.copyOf(env.list(WRITER_ROLE_ARNS, ROLE_ARN.asMatchPredicate(),
                "IAM role ARNs (arn:aws:iam::ACCOUNT:role/NAME)"));
    }

    /** The certificate's status, its things, the CA's status. */
    @Override
    protected List<Consumer<IotClient>> iotRequests() {
        return List.of(
                c -> c.describeCertificate(r -> r.certificateId(IotPrimer.CERTIFICATE_ID)),
                c -> c.listPrincipalThings(r -> r.principal(IotPrimer.CERTIFICATE_ARN)),
                c -> c.describeCACertificate(r -> r.certificateId(IotPrimer.CERTIFICATE_ID)));
    }

    /** The event, checked ({@link RegistrySyncService#validate}): a malformed one is answered REJECTED. */
    @Override
    protected CloudTrailEvent parse(byte[] event) {
        CloudTrailEvent parsed = super.parse(event);
        RegistrySyncService.validate(parsed);
        return parsed;
    }

    @Override
    protected SyncResult handle(CloudTrailEvent event, Context context) {
        return service.sync(event);
    }

    @Override
    protected SyncResult rejected(String detail) {
        return SyncResult.rejected(detail);
    }

    @Override
    protected Object[] logFields(CloudTrailEvent event) {
        return new Object[] {"eventId", event.id(), "eventName", event.detail() == null ? null
                : event.detail().eventName()};
    }

    @Override
    protected String primingEvent() {
        return "{\"id\":\"priming\",\"detail-type\":\"AWS API Call via CloudTrail\",\"source\":\"aws.iot\","
                + "\"detail\":{\"eventSource\":\"iot.amazonaws.com\",\"eventName\":\"UpdateCertificate\","
                + "\"eventTime\":\"1970-01-01T00:00:00Z\",\"requestParameters\":{\"certificateId\":\""
                + IotPrimer.CERTIFICATE_ID + "\",\"newStatus\":\"INACTIVE\"}}}";
    }

    @Override
    protected SyncResult primingAnswer() {
        return new SyncResult("UpdateCertificate", "SYNCED", "CERTIFICATE", IotPrimer.CERTIFICATE_ID, "INACTIVE",
                "priming", null);
    }
}
