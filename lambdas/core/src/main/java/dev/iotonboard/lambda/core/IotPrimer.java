package dev.iotonboard.lambda.core;

import java.util.List;
import java.util.function.Consumer;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * Primes an {@link IotClient} without any network call, for SnapStart: requests run through the SDK (request
 * marshalling, endpoint resolution, credentials, SigV4 signing, the interceptor chain, the retry strategy) and are
 * aborted in {@link #beforeTransmission}, the last hook before the HTTP client. The classes they load and the code
 * they run are then in the snapshot instead of in the first real call after restore. Response unmarshalling is not
 * primed (there is no response).
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

    /** Stops a priming request before it is sent. */
    static final class Aborted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Aborted() {
            super("priming request aborted before transmission", null, false, false);
        }
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        if (priming.get()) {
            throw new Aborted();
        }
    }

    /**
     * Runs each request against {@code iot} and aborts it before transmission.
     *
     * @return how many requests were primed
     * @throws IllegalStateException when this primer is not installed on {@code iot} (the requests would be sent)
     */
    public int prime(IotClient iot, List<Consumer<IotClient>> requests) {
        if (!iot.serviceClientConfiguration().overrideConfiguration().executionInterceptors().contains(this)) {
            throw new IllegalStateException("the IotPrimer is not installed on this client: priming would send "
                    + "real requests");
        }
        priming.set(Boolean.TRUE);
        int primed = 0;
        try {
            for (Consumer<IotClient> request : requests) {
                try {
                    request.accept(iot);
                } catch (RuntimeException e) {
                    if (!abortedHere(e)) {
                        throw e;
                    }
                    primed++;
                    continue;
                }
                throw new IllegalStateException("a priming request was not aborted before transmission");
            }
        } finally {
            priming.remove();
        }
        LOG.debug("IoT client primed", "requests", primed);
        return primed;
    }

    private static boolean abortedHere(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof Aborted) {
                return true;
            }
        }
        return false;
    }
}
