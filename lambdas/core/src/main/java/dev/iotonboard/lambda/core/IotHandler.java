package dev.iotonboard.lambda.core;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * The one shape of a function that calls AWS IoT: event {@code E} in, result {@code R} out, through a service.
 *
 * <p>A handler says only what is its own:
 * <ul>
 *   <li>its event type (constructor) and {@link #handle} (the service call);</li>
 *   <li>{@link #iotRequests}: the IoT operations it calls, declared once as one sample request each. SnapStart
 *       priming runs them ({@link #prime}), {@link #iotOperations} names them, and the grants test holds the
 *       function's IAM policy to them;</li>
 *   <li>{@link #rejected}: its answer to a malformed event;</li>
 *   <li>{@link #metrics}: the EMF lines of an answer, if it counts its outcomes;</li>
 *   <li>{@link #primingEvent} and {@link #primingAnswer}: one event and one answer for Jackson priming.</li>
 * </ul>
 *
 * <p>This class owns the rest.
 * <ul>
 *   <li>Construction: Lambda's no-arg constructor builds one IoT client per container from the process
 *       environment, with an {@link IotPrimer} installed, and registers the SnapStart hook
 *       ({@link SnapStartPriming}); tests pass their own client (with an {@link IotPrimer} or without), {@link Env}
 *       and {@link Clock}. A handler that declares no IoT request may be built without any IoT client
 *       ({@link #IotHandler(Class, Env, Clock)}): building one costs cold-start time for nothing.</li>
 *   <li>{@link #prime}: refused without a primer; otherwise Jackson and {@link #iotRequests}, no network call;
 *       Jackson only for a handler without an IoT client.</li>
 *   <li>{@link #handleRequest}: the event is parsed; a {@link MalformedEventException} is logged at WARN and
 *       answered {@link #rejected} (the invocation succeeds: Lambda does not retry a permanent error); an
 *       {@link SdkException} that outlasted the SDK retries is logged at ERROR and rethrown (the invocation fails,
 *       so it is retried); otherwise the service's result is written. Before an answer is written, its
 *       {@link #metrics} lines are.</li>
 * </ul>
 *
 * <p>Subclasses build their configuration and service in field initializers from {@link #env()}, {@link #iot()}
 * and {@link #clock()}, which are set before them.
 *
 * @param <E> the event (a Jackson record of the function's {@code model/})
 * @param <R> the answer written back
 */
public abstract class IotHandler<E, R> implements RequestStreamHandler {

    private final JsonLogger log = JsonLogger.get(getClass());
    private final Class<E> eventType;
    private final IotClient iot;
    private final IotPrimer primer;
    private final Env env;
    private final Clock clock;
    /** Kept reachable: the CRaC context may hold resources weakly. */
    private final SnapStartPriming snapStart;

    /**
     * Used by Lambda, for an event handler: the process environment, the system clock, and the event handlers'
     * client ({@link IotClients#fromEnvironment(Env, List)}) with a new {@link IotPrimer} installed.
     */
    protected IotHandler(Class<E> eventType) {
        this(eventType, IotClients::fromEnvironment);
    }

    /**
     * Used by Lambda: the process environment, the system clock, and the client {@code clients} builds with a new
     * {@link IotPrimer} installed.
     */
    protected IotHandler(Class<E> eventType, BiFunction<Env, List<ExecutionInterceptor>, IotClient> clients) {
        this(eventType, Env.system(), Clock.systemUTC(), clients);
    }

    /**
     * The client {@code clients} builds from {@code env} with a new {@link IotPrimer} installed first (so aborted
     * priming requests never reach the {@code interceptors} after it).
     */
    protected IotHandler(Class<E> eventType, Env env, Clock clock,
            BiFunction<Env, List<ExecutionInterceptor>, IotClient> clients, ExecutionInterceptor... interceptors) {
        this(eventType, clients.apply(env, primerFirst(interceptors)), env, clock);
    }

    /**
     * For a handler that declares no IoT request ({@link #iotRequests} empty), e.g. one that reads only DynamoDB:
     * no IoT client at all ({@link #iot()} refuses); {@link #prime} primes Jackson only, and the SnapStart hook is
     * registered.
     */
    protected IotHandler(Class<E> eventType, Env env, Clock clock) {
        this.eventType = eventType;
        this.iot = null;
        this.primer = null;
        this.env = env;
        this.clock = clock;
        this.snapStart = SnapStartPriming.register(this::prime);
    }

    /**
     * Used by tests: primes through the {@link IotPrimer} installed on {@code iot}; without one, {@link #prime}
     * refuses and no SnapStart hook is registered.
     */
    protected IotHandler(Class<E> eventType, IotClient iot, Env env, Clock clock) {
        this.eventType = eventType;
        this.iot = iot;
        this.primer = IotPrimer.installedOn(iot).orElse(null);
        this.env = env;
        this.clock = clock;
        this.snapStart = primer == null ? null : SnapStartPriming.register(this::prime);
    }

    private static List<ExecutionInterceptor> primerFirst(ExecutionInterceptor... interceptors) {
        List<ExecutionInterceptor> all = new ArrayList<>(List.of(new IotPrimer()));
        all.addAll(List.of(interceptors));
        return all;
    }

    /**
     * The IoT operations this function calls, one sample request each, about {@link IotPrimer#CERTIFICATE_ID} and
     * {@link IotPrimer#CERTIFICATE_ARN}: what priming runs, and the one list of the function's operations (a handler
     * test checks that the function calls nothing else; the grants test that IAM allows each one).
     */
    protected abstract List<Consumer<IotClient>> iotRequests();

    /** The function's work: the service call. An {@link SdkException} it lets through fails the invocation. */
    protected abstract R handle(E event, Context context);

    /** The answer to a malformed event ({@code detail} says what is wrong; already logged). */
    protected abstract R rejected(String detail);

    /** An event for Jackson priming (never handled). */
    protected abstract String primingEvent();

    /** An answer for Jackson priming (never written). */
    protected abstract R primingAnswer();

    /** Parses the event; the default reads JSON into the event type. */
    protected E parse(byte[] event) {
        return Json.parse(event, eventType);
    }

    /**
     * The embedded-metric-format lines of an answer ({@link #handle}'s or {@link #rejected}'s), written before it;
     * none by default. An invocation that fails writes none.
     */
    protected List<EmbeddedMetrics.Record> metrics(R result) {
        return List.of();
    }

    /** What an AWS call's failure (IoT, the device registry) does to the invocation, for the ERROR line. */
    protected String iotFailureOutcome() {
        return "failing the invocation so Lambda retries it";
    }

    /** Fields of the event for the ERROR line (key, value, ...); none by default. Never the whole event. */
    protected Object[] logFields(E event) {
        return new Object[0];
    }

    /**
     * The IoT client.
     *
     * @throws IllegalStateException for a handler built without one ({@link #IotHandler(Class, Env, Clock)})
     */
    protected final IotClient iot() {
        if (iot == null) {
            throw new IllegalStateException("this handler was built without an IoT client (it declares no IoT "
                    + "request)");
        }
        return iot;
    }

    protected final Env env() {
        return env;
    }

    protected final Clock clock() {
        return clock;
    }

    /** The names of the IoT operations this function calls ({@link #iotRequests}), as IAM actions without "iot:". */
    public final Set<String> iotOperations() {
        return IotPrimer.operationNames(iotRequests());
    }

    /**
     * Primes the handler without any network call (run by the SnapStart hook before the snapshot; public so a
     * benchmark can measure its effect): the priming event and answer through Jackson, and {@link #iotRequests}
     * through the SDK, each aborted before transmission ({@link IotPrimer}). Changes no state.
     *
     * A handler without an IoT client primes Jackson only.
     *
     * @return the number of IoT requests primed (0 without an IoT client)
     * @throws IllegalStateException when the handler's client has no {@link IotPrimer}, or when a handler without
     *         an IoT client declares IoT requests
     */
    public final int prime() {
        if (iot == null) {
            if (!iotRequests().isEmpty()) {
                throw new IllegalStateException("this handler declares IoT requests but has no IoT client");
            }
            primeJackson();
            return 0;
        }
        if (primer == null) {
            throw new IllegalStateException("this handler's IoT client has no IotPrimer installed");
        }
        primeJackson();
        return primer.prime(iot, iotRequests());
    }

    private void primeJackson() {
        parse(primingEvent().getBytes(StandardCharsets.UTF_8));
        Json.toJson(primingAnswer());
    }

    @Override
    public final void handleRequest(InputStream input, OutputStream output, Context context) {
        JsonLogger.startInvocation(context);
        byte[] bytes = Json.readAll(input);
        E event;
        try {
            event = parse(bytes);
        } catch (MalformedEventException e) {
            log.warn("malformed event rejected", "reason", "MALFORMED_EVENT", "detail", e.getMessage(),
                    "eventBytes", bytes.length);
            answer(output, rejected(e.getMessage()));
            return;
        }
        R result;
        try {
            result = handle(event, context);
        } catch (SdkException e) {
            String service = serviceOf(e);
            Object[] fields = logFields(event);
            Object[] withService = Arrays.copyOf(fields, fields.length + 2);
            withService[fields.length] = "service";
            withService[fields.length + 1] = service;
            log.error(service + " call failed after the SDK retries; " + iotFailureOutcome(), e, withService);
            throw e;
        }
        answer(output, result);
    }

    /** The AWS service whose call failed (as the SDK names it: Iot, DynamoDb), or AWS when the SDK did not say. */
    static String serviceOf(SdkException e) {
        if (e instanceof AwsServiceException service && service.awsErrorDetails() != null
                && service.awsErrorDetails().serviceName() != null) {
            return service.awsErrorDetails().serviceName();
        }
        return "AWS";
    }

    private void answer(OutputStream output, R result) {
        metrics(result).forEach(line -> line.emit(clock.instant()));
        Json.write(output, result);
    }
}
