package dev.iotonboard.lambda.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * Primes an {@link IotClient} without any network call, for SnapStart: requests run through the SDK (request
 * marshalling, endpoint resolution, credentials, SigV4 signing, the interceptor chain, the retry strategy) and are
 * aborted in {@link #beforeTransmission}, the last hook before the HTTP client. The classes they load and the code
 * they run are then in the snapshot instead of in the first real call after restore. Response unmarshalling is not
 * primed (there is no response).
 *
 * <p>Each aborted request leaves the SDK's name of its operation ({@code DescribeCertificate}, the IAM action
 * without {@code iot:}), so the sample requests a handler declares ({@link IotHandler#iotRequests}) also name the
 * operations it calls: {@link #operationNames(List)}.
 *
 * <p>Install it on the client ({@link IotClients#fromEnvironment(Env, List)}); it aborts only requests made by
 * {@link #prime} on the priming thread, and every other request passes untouched.
 */
public final class IotPrimer implements ExecutionInterceptor {

    /** A certificate id for priming requests (they are never sent). */
    public static final String CERTIFICATE_ID = "0".repeat(64);
    /** The certificate ARN for priming requests. */
    public static final String CERTIFICATE_ARN = "arn:aws:iot:us-east-1:000000000000:cert/" + CERTIFICATE_ID;

    private static final JsonLogger LOG = JsonLogger.get(IotPrimer.class);

    private final ThreadLocal<Boolean> priming = ThreadLocal.withInitial(() -> Boolean.FALSE);

    /** Stops a priming request before it is sent; carries the SDK's name of the request's operation. */
    static final class Aborted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private final String operation;

        Aborted(String operation) {
            super("priming request aborted before transmission", null, false, false);
            this.operation = operation;
        }
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        if (priming.get()) {
            throw new Aborted(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
        }
    }

    /**
     * Runs each request against {@code iot} and aborts it before transmission.
     *
     * @return how many requests were primed
     * @throws IllegalStateException when this primer is not installed on {@code iot} (the requests would be sent)
     */
    public int prime(IotClient iot, List<Consumer<IotClient>> requests) {
        int primed = run(iot, requests).size();
        LOG.debug("IoT client primed", "requests", primed);
        return primed;
    }

    /**
     * The SDK operation names of {@code requests} (e.g. {@code DescribeCertificate}), sorted: each request runs
     * through a throw-away client with static fake credentials and is aborted before transmission, so nothing is
     * sent and no credential or region is looked up.
     */
    public static Set<String> operationNames(List<Consumer<IotClient>> requests) {
        IotPrimer primer = new IotPrimer();
        try (IotClient iot = IotClients.create(Region.US_EAST_1, Optional.empty(),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("priming", "priming")),
                IotClients.retryStrategy(), List.of(primer))) {
            return Collections.unmodifiableSet(new TreeSet<>(primer.run(iot, requests)));
        }
    }

    /** The primer installed on {@code iot}, if any. */
    public static Optional<IotPrimer> installedOn(IotClient iot) {
        return iot.serviceClientConfiguration().overrideConfiguration().executionInterceptors().stream()
                .filter(IotPrimer.class::isInstance).map(IotPrimer.class::cast).findFirst();
    }

    /** The operation name of each request, in order; every request aborted before transmission. */
    private List<String> run(IotClient iot, List<Consumer<IotClient>> requests) {
        if (!iot.serviceClientConfiguration().overrideConfiguration().executionInterceptors().contains(this)) {
            throw new IllegalStateException("the IotPrimer is not installed on this client: priming would send "
                    + "real requests");
        }
        priming.set(Boolean.TRUE);
        List<String> operations = new ArrayList<>();
        try {
            for (Consumer<IotClient> request : requests) {
                try {
                    request.accept(iot);
                } catch (RuntimeException e) {
                    operations.add(abortedHere(e).orElseThrow(() -> e).operation);
                    continue;
                }
                throw new IllegalStateException("a priming request was not aborted before transmission");
            }
        } finally {
            priming.remove();
        }
        return operations;
    }

    private static Optional<Aborted> abortedHere(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof Aborted aborted) {
                return Optional.of(aborted);
            }
        }
        return Optional.empty();
    }
}
