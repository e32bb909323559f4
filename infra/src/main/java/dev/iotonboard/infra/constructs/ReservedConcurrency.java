package dev.iotonboard.infra.constructs;

import java.util.List;
import software.amazon.awscdk.Annotations;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.lambda.CfnFunction;
import software.constructs.IConstruct;

/**
 * The {@code reservedConcurrency} context switch, applied to a whole stack once its functions exist, with a synthesis
 * warning that states the trade-off either way.
 *
 * <p>On (the default), the JITR functions' reservations (ConcurrencySizing) keep them within their share of the IoT
 * request-rate quotas, and reservation 1 keeps the reconciler and the expiry watch to one run at a time. Lambda refuses
 * CreateFunction and PutFunctionConcurrency when a reservation would leave the account's unreserved concurrency below
 * {@value #MIN_UNRESERVED}, so the account's concurrency quota must be at least the stack's total plus that.
 *
 * <p>Off, every reservation is removed. The JITR functions then scale with the account's unreserved pool: a burst runs
 * more executions than the IoT quotas can serve, the excess is throttled by IoT (SDK retries, then Lambda's retries,
 * then the failure queues and the reconciler). Nothing else enforces one run at a time: the reconciler's timeout (at most its interval)
 * and the expiry watch's (15 min, its interval is at least an hour), with no retries of a failed run, keep scheduled
 * runs from overlapping, but a late or duplicate scheduled delivery can still run twice at once, at twice the
 * configured request rate; both converge (their repairs and readings are idempotent).
 */
public final class ReservedConcurrency {
    public static final String CONTEXT_KEY = "reservedConcurrency";
    /** Lambda keeps at least this much of the account's concurrency unreserved. */
    public static final int MIN_UNRESERVED = 100;
    public static final String WARNING_ON = "iotonboard:reserved-concurrency";
    public static final String WARNING_OFF = "iotonboard:no-reserved-concurrency";

    private ReservedConcurrency() {
    }

    /** Keeps ({@code on}) or removes every function's reserved concurrency in {@code stack}, and says what it means. */
    public static void apply(Stack stack, boolean on) {
        List<CfnFunction> functions = stack.getNode().findAll().stream()
                .filter(CfnFunction.class::isInstance)
                .map(CfnFunction.class::cast)
                .toList();
        if (on) {
            int total = functions.stream()
                    .map(CfnFunction::getReservedConcurrentExecutions)
                    .filter(n -> n != null)
                    .mapToInt(Number::intValue)
                    .sum();
            Annotations.of(stack).addWarningV2(WARNING_ON, "reservedConcurrency=true: the functions reserve " + total
                    + " concurrent executions in total. Lambda refuses CreateFunction when a reservation would leave "
                    + "the account's UnreservedConcurrentExecutions below " + MIN_UNRESERVED + ", so the account's "
                    + "concurrency quota (ConcurrentExecutions, often 10 in new accounts) must be at least "
                    + (total + MIN_UNRESERVED) + " plus what its other functions reserve: check with `aws lambda "
                    + "get-account-settings` first (docs/operations.md \"Before deploying: the account's Lambda "
                    + "concurrency\"). The reservations keep the JITR functions within their share of the IoT quotas "
                    + "and the reconciler and expiry watch to one run at a time; -c " + CONTEXT_KEY
                    + "=false deploys without them.");
            return;
        }
        functions.forEach(function -> function.addPropertyDeletionOverride("ReservedConcurrentExecutions"));
        Annotations.of(stack).addWarningV2(WARNING_OFF, "reservedConcurrency=false: no function reserves "
                + "concurrency, so the stack deploys into an account whose concurrency quota is low, but: the JITR "
                + "functions are no longer held to their share of the IoT request-rate quotas (a burst is throttled by "
                + "IoT and retried, and takes quota from the API authorizer, whose calls then end in Deny), and the "
                + "reconciler and expiry watch are no longer one run at a time (their timeouts keep scheduled runs "
                + "apart; a late or duplicate delivery can overlap, at twice their request rate). Turn it on once the "
                + "account's ConcurrentExecutions quota is raised (docs/operations.md).");
    }
}
