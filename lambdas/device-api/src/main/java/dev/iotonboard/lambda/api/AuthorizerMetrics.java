package dev.iotonboard.lambda.api;

import dev.iotonboard.lambda.core.EmbeddedMetrics;
import dev.iotonboard.lambda.core.EmbeddedMetrics.Record;
import dev.iotonboard.lambda.core.EmbeddedMetrics.Unit;
import java.util.List;

/**
 * The embedded-metric-format lines of one authorizer call (lambdas/README.md, "Metrics"): {@value #ALLOW}, or
 * {@value #DENY} in total and per {@code Reason} (the decision's stable code); and {@value #LATENCY}, the time to
 * decide in milliseconds, in total and per {@value #CACHE} ({@value #HIT} or {@value #MISS}).
 */
public final class AuthorizerMetrics {

    public static final String ALLOW = "AuthorizerAllow";
    public static final String DENY = "AuthorizerDeny";
    public static final String LATENCY = "AuthorizerLatency";
    public static final String CACHE = "Cache";
    public static final String HIT = "HIT";
    public static final String MISS = "MISS";

    private AuthorizerMetrics() {
    }

    /** A decision ({@code reason} is its stable code) taken in {@code millis}, from the cache or not. */
    public static List<Record> decided(boolean allowed, String reason, boolean cacheHit, double millis) {
        return List.of(allowed ? EmbeddedMetrics.count(ALLOW) : EmbeddedMetrics.countByReason(DENY, reason),
                EmbeddedMetrics.record().dimension(CACHE, cacheHit ? HIT : MISS).dimensionSet().dimensionSet(CACHE)
                        .metric(LATENCY, millis, Unit.MILLISECONDS));
    }

    /** A Deny answered without deciding (a malformed event): no latency. */
    public static List<Record> denied(String reason) {
        return List.of(EmbeddedMetrics.countByReason(DENY, reason));
    }
}
