package dev.iotonboard.local.chaos;

import dev.iotonboard.iot.model.IotApi;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Per-operation request-rate quotas: one token bucket per operation. A bucket holds at most one second of its rate
 * (capacity = rate, at least 1) and refills continuously. The burst size is an assumption: AWS publishes the rates,
 * not how much of a burst it lets through. Defaults: docs/contracts.md "Request-rate quotas"; an operation without a
 * rate is not limited. {@link #CONNECT} is the data plane's connection rate (HTTPS and MQTT).
 */
public final class Quotas {

    /** The data plane's connections (HTTPS and MQTT), not an API operation. */
    public static final String CONNECT = "connect";

    /** The contract's defaults, requests per second. */
    public static final Map<String, Double> DEFAULTS = defaults();

    /** The operations the control plane serves (its routes' service-model names). */
    public static final List<String> CONTROL_PLANE_OPERATIONS = IotApi.operationNames();

    /** Every name a rate may be set for: the control plane's operations, the defaults' names and connect. */
    public static final Set<String> KNOWN = known();

    private final LongSupplier nanoTime;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> throttled = new ConcurrentHashMap<>();
    private volatile boolean enabled;

    /** Quotas with the defaults, changed by {@code rates}, on or off. */
    public Quotas(boolean enabled, Map<String, Double> rates) {
        this(enabled, rates, System::nanoTime);
    }

    /** With a clock (nanoseconds, as {@link System#nanoTime()}) for tests. */
    public Quotas(boolean enabled, Map<String, Double> rates, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.enabled = enabled;
        DEFAULTS.forEach(this::setRate);
        rates.forEach(this::setRate);
    }

    /** Quotas that never throttle (tests of other behaviour). */
    public static Quotas off() {
        return new Quotas(false, Map.of());
    }

    /** Checks a rate setting: a known name and a positive finite number; the message names the problem. */
    public static void validate(String operation, double rate) {
        if (!KNOWN.contains(operation)) {
            throw new IllegalArgumentException("unknown operation " + operation + " (known: "
                    + String.join(", ", KNOWN) + ")");
        }
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("the rate of " + operation + " must be a positive number, not "
                    + rate);
        }
    }

    /** Takes one token of {@code operation}: false when the call is over its quota (and counts it). */
    public boolean tryAcquire(String operation) {
        if (!enabled) {
            return true;
        }
        Bucket bucket = buckets.get(operation);
        if (bucket == null || bucket.take(nanoTime.getAsLong())) {
            return true;
        }
        throttled.computeIfAbsent(operation, k -> new AtomicLong()).incrementAndGet();
        return false;
    }

    public boolean enabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** Sets (or replaces) the rate of a known operation; the new bucket starts full. */
    public void setRate(String operation, double rate) {
        validate(operation, rate);
        buckets.put(operation, new Bucket(rate, nanoTime.getAsLong()));
    }

    /** The current rates, sorted by name. */
    public Map<String, Double> rates() {
        Map<String, Double> rates = new TreeMap<>();
        buckets.forEach((operation, bucket) -> rates.put(operation, bucket.rate));
        return rates;
    }

    /** Calls refused so far, per operation. */
    public long throttled(String operation) {
        AtomicLong count = throttled.get(operation);
        return count == null ? 0 : count.get();
    }

    private static Map<String, Double> defaults() {
        Map<String, Double> defaults = new LinkedHashMap<>();
        defaults.put("UpdateCertificate", 10.0);
        defaults.put("DescribeCertificate", 10.0);
        defaults.put("RegisterCertificate", 10.0);
        defaults.put("ListPrincipalThings", 10.0);
        defaults.put("ListThingPrincipals", 10.0);
        defaults.put("AttachPolicy", 15.0);
        defaults.put("DetachPolicy", 15.0);
        defaults.put("CreateThing", 100.0);
        defaults.put("AttachThingPrincipal", 100.0);
        defaults.put("DescribeThing", 350.0);
        defaults.put(CONNECT, 500.0);
        return Collections.unmodifiableMap(defaults);
    }

    private static Set<String> known() {
        Set<String> known = new java.util.TreeSet<>(CONTROL_PLANE_OPERATIONS);
        known.addAll(DEFAULTS.keySet());
        return Collections.unmodifiableSet(known);
    }

    /** A token bucket: capacity one second of the rate (at least one token), continuous refill. */
    private static final class Bucket {
        private final double rate;
        private final double capacity;
        private double tokens;
        private long last;

        Bucket(double rate, long now) {
            this.rate = rate;
            this.capacity = Math.max(1.0, rate);
            this.tokens = capacity;
            this.last = now;
        }

        synchronized boolean take(long now) {
            if (now > last) {
                tokens = Math.min(capacity, tokens + (now - last) * rate / 1e9);
                last = now;
            }
            if (tokens >= 1.0) {
                tokens -= 1.0;
                return true;
            }
            return false;
        }
    }
}
