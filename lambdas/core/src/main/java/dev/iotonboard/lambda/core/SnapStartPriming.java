package dev.iotonboard.lambda.core;

import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;

/**
 * A SnapStart runtime hook: before Lambda takes the snapshot of an initialized container, runs the handler's
 * priming (its public {@code prime()} method: the IoT client through {@link IotPrimer}, the event and answer types
 * through Jackson), so that work is not repeated by the first invocation after each restore. Priming is an
 * optimization: a failure is logged and the snapshot goes ahead. Without SnapStart (or without a CRaC JVM) the
 * hook is never called.
 *
 * <p>The CRaC context may hold resources weakly: the handler keeps the returned object in a field.
 */
public final class SnapStartPriming implements Resource {

    private static final JsonLogger LOG = JsonLogger.get(SnapStartPriming.class);

    private final Runnable prime;

    private SnapStartPriming(Runnable prime) {
        this.prime = prime;
    }

    /** Registers {@code prime} to run before the checkpoint; keep the result reachable. */
    public static SnapStartPriming register(Runnable prime) {
        SnapStartPriming resource = new SnapStartPriming(prime);
        Core.getGlobalContext().register(resource);
        return resource;
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) {
        try {
            prime.run();
            LOG.info("primed before the SnapStart snapshot");
        } catch (RuntimeException e) {
            LOG.warn("priming before the SnapStart snapshot failed; the snapshot goes ahead unprimed",
                    "error", e.toString());
        }
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        // nothing to redo: priming opened no connection, and the Lambda credentials are read per request
    }
}
