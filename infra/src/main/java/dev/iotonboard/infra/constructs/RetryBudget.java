package dev.iotonboard.infra.constructs;

import software.amazon.awscdk.Duration;

/**
 * A function timeout that covers the IoT client's whole retry budget (lambda-core's IotClients: 8 attempts per call,
 * full-jitter exponential backoff from 500 ms for throttling, capped at 5 s). One call may wait up to
 * 0.5 + 1 + 2 + 4 + 5 + 5 + 5 = {@value #WAIT_PER_CALL_SECONDS} s between its attempts and still succeed, so an
 * invocation of n calls needs n times that, plus {@value #MARGIN_SECONDS} s for the requests themselves, rounded up
 * to whole minutes. A shorter timeout would end an invocation that was about to succeed, and Lambda's retry would
 * start it over under the same throttling.
 */
public final class RetryBudget {
    public static final double WAIT_PER_CALL_SECONDS = 22.5;
    public static final int MARGIN_SECONDS = 30;

    /**
     * The API authorizer's device registry budget, mirrored from lambda-core's DynamoDbClients (change both
     * together): each of its {@value #AUTHORIZER_REGISTRY_READS} reads is cut off by the SDK after
     * {@value #AUTHORIZER_READ_TIMEOUT_SECONDS} s, every attempt (3, each at most 1 s) and backoff included. The
     * authorizer's function timeout must exceed it, so a registry outage ends in a logged Deny, not in a Lambda
     * timeout that API Gateway answers with 500.
     */
    public static final int AUTHORIZER_REGISTRY_READS = 2;
    public static final int AUTHORIZER_READ_TIMEOUT_SECONDS = 2;
    public static final Duration AUTHORIZER_BUDGET =
            Duration.seconds(AUTHORIZER_REGISTRY_READS * AUTHORIZER_READ_TIMEOUT_SECONDS);

    private RetryBudget() {
    }

    /** The timeout of a function that makes at most {@code iotCalls} IoT calls per invocation. */
    public static Duration timeout(int iotCalls) {
        double seconds = iotCalls * WAIT_PER_CALL_SECONDS + MARGIN_SECONDS;
        return Duration.minutes((int) Math.ceil(seconds / 60));
    }
}
