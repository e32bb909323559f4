package dev.iotonboard.infra;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reserved concurrency of the JITR functions, derived from the IoT request-rate quotas instead of guessed.
 *
 * <p>Every onboarded device costs a fixed chain of rate-limited IoT calls ({@link #ACTIVATION_CALLS} then
 * {@link #PROVISIONING_CALLS}). The account can therefore onboard at most R = min over operations of
 * quota / calls per device devices per second (the quota-bound onboarding rate; 7.5/s with the default quotas, bound
 * by AttachPolicy, called once by each function; DescribeCertificate is called once, by activation: provisioning
 * reads the device registry). An execution spends about one IoT call latency per call, so
 * sustaining R needs R x (calls per invocation) x latency concurrent executions of a function. More executions than
 * that cannot go faster: their extra calls are throttled by IoT, retried with backoff and count against the same
 * quota, while Lambda's asynchronous queue would have held the events at no cost. Hence each function's reserved
 * concurrency is max(1, ceil(R x calls per invocation x latency)). Raise a quota with {@value IotQuotas#CONTEXT_KEY}
 * when the account has it raised; the latency is an assumption ({@value #LATENCY_CONTEXT_KEY}).
 *
 * @param quotas        the account's request-rate quotas
 * @param callLatencyMs the assumed duration of one IoT control-plane call, in milliseconds
 */
public record ConcurrencySizing(IotQuotas quotas, int callLatencyMs) {
    public static final String LATENCY_CONTEXT_KEY = "iotCallLatencyMs";
    /** Typical in-region latency of an IoT control-plane call from Lambda; an assumption, not a measurement here. */
    public static final int DEFAULT_CALL_LATENCY_MS = 50;

    /*
     * The normal path of each handler, one call per entry. The same table, asserted against the handlers' real calls,
     * is lambdas/README.md "IoT calls per onboarded device": change both together.
     */
    /** certificate-activation, fresh certificate. */
    public static final Map<String, Integer> ACTIVATION_CALLS = calls(
            "DescribeCertificate", 1, "AttachPolicy", 1, "UpdateCertificate", 1);
    /** thing-provisioning, new thing. */
    public static final Map<String, Integer> PROVISIONING_CALLS = calls(
            "ListPrincipalThings", 1, "DescribeThing", 1, "CreateThing", 1,
            "AttachThingPrincipal", 1, "ListThingPrincipals", 1, "AttachPolicy", 1, "DetachPolicy", 1);

    private static final int SCALE = 9;
    private static final BigDecimal MS_PER_SECOND = BigDecimal.valueOf(1000);

    public ConcurrencySizing {
        if (callLatencyMs <= 0) {
            throw new IllegalArgumentException("callLatencyMs must be positive: " + callLatencyMs);
        }
    }

    /** Calls per onboarded device: both functions' calls added up per operation. */
    public static Map<String, Integer> callsPerDevice() {
        Map<String, Integer> total = new LinkedHashMap<>(ACTIVATION_CALLS);
        PROVISIONING_CALLS.forEach((operation, calls) -> total.merge(operation, calls, Integer::sum));
        return Collections.unmodifiableMap(total);
    }

    /** R: the devices per second the quotas allow, rounded down to {@value #SCALE} decimals. */
    public BigDecimal onboardingRate() {
        return callsPerDevice().entrySet().stream()
                .map(e -> quotas.of(e.getKey()).divide(BigDecimal.valueOf(e.getValue()), SCALE, RoundingMode.DOWN))
                .min(BigDecimal::compareTo)
                .orElseThrow();
    }

    public int activationConcurrency() {
        return reservedConcurrency(ACTIVATION_CALLS);
    }

    public int provisioningConcurrency() {
        return reservedConcurrency(PROVISIONING_CALLS);
    }

    /** With placement: one AddThingToThingGroup per thing group in each invocation (its rate does not set R here). */
    public int provisioningConcurrency(int thingGroups) {
        Map<String, Integer> calls = new LinkedHashMap<>(PROVISIONING_CALLS);
        if (thingGroups > 0) {
            calls.put("AddThingToThingGroup", thingGroups);
        }
        return reservedConcurrency(calls);
    }

    /**
     * max(1, ceil(R x calls x latency)), computed per operation as ceil(min(quota / callsPerDevice) x ...) without
     * rounding R first, so exact products (5 x 8 x 0.05 = 2) stay exact.
     */
    int reservedConcurrency(Map<String, Integer> callsPerInvocation) {
        int calls = callsPerInvocation.values().stream().mapToInt(Integer::intValue).sum();
        BigDecimal perRate = BigDecimal.valueOf((long) calls * callLatencyMs);
        BigDecimal executions = callsPerDevice().entrySet().stream()
                .map(e -> quotas.of(e.getKey()).multiply(perRate)
                        .divide(BigDecimal.valueOf(e.getValue()).multiply(MS_PER_SECOND), SCALE, RoundingMode.UP))
                .min(BigDecimal::compareTo)
                .orElseThrow();
        return Math.max(1, executions.setScale(0, RoundingMode.CEILING).intValueExact());
    }

    private static Map<String, Integer> calls(Object... operationAndCount) {
        Map<String, Integer> calls = new LinkedHashMap<>();
        for (int i = 0; i < operationAndCount.length; i += 2) {
            calls.put((String) operationAndCount[i], (Integer) operationAndCount[i + 1]);
        }
        return Collections.unmodifiableMap(calls);
    }
}
