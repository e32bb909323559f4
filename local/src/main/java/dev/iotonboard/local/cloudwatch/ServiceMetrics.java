package dev.iotonboard.local.cloudwatch;

import java.time.Instant;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The AWS metrics the stand-in's own rooms observe, recorded as the services publish them (one data point per
 * event, so Sum over a period counts the events); local/README.md "CloudWatch metrics and alarms" gives each one's
 * source and what is approximated.
 */
public final class ServiceMetrics {
    private final MetricStore store;
    private final Supplier<Instant> clock;

    public ServiceMetrics(MetricStore store, Supplier<Instant> clock) {
        this.store = store;
        this.clock = clock;
    }

    /** One attempt of a function: {@code AWS/Lambda} Invocations 1 and Errors 1 or 0, dimension FunctionName. */
    public void lambdaAttempt(String functionName, boolean error) {
        Instant now = clock.get();
        Map<String, String> dimensions = Map.of("FunctionName", functionName);
        store.put(Datum.of("AWS/Lambda", "Invocations", dimensions, now, 1, "Count", "lambda"));
        store.put(Datum.of("AWS/Lambda", "Errors", dimensions, now, error ? 1 : 0, "Count", "lambda"));
    }

    /** A synchronous call Lambda throttled: {@code AWS/Lambda} Throttles 1 (neither an invocation nor an error). */
    public void lambdaThrottle(String functionName) {
        store.put(Datum.of("AWS/Lambda", "Throttles", Map.of("FunctionName", functionName), clock.get(), 1, "Count",
                "lambda"));
    }

    /** One sample of a queue: {@code AWS/SQS} ApproximateNumberOfMessagesVisible, dimension QueueName. */
    public void queueDepth(String queueName, long visible) {
        store.put(Datum.of("AWS/SQS", "ApproximateNumberOfMessagesVisible", Map.of("QueueName", queueName),
                clock.get(), visible, "Count", "sqs"));
    }

    /** One API response: {@code AWS/ApiGateway} Count 1, 5XXError and 4XXError 1 or 0, dimensions ApiName, Stage. */
    public void apiResponse(String apiName, String stage, int status) {
        Instant now = clock.get();
        Map<String, String> dimensions = Map.of("ApiName", apiName, "Stage", stage);
        store.put(Datum.of("AWS/ApiGateway", "Count", dimensions, now, 1, "Count", "apigateway"));
        store.put(Datum.of("AWS/ApiGateway", "5XXError", dimensions, now, status >= 500 ? 1 : 0, "Count",
                "apigateway"));
        store.put(Datum.of("AWS/ApiGateway", "4XXError", dimensions, now, status >= 400 && status < 500 ? 1 : 0,
                "Count", "apigateway"));
    }

    /** A Basic Ingest message for a rule that does not exist or is disabled: {@code AWS/IoT} RuleNotFound 1, RuleName. */
    public void ruleNotFound(String ruleName) {
        store.put(Datum.of("AWS/IoT", "RuleNotFound", Map.of("RuleName", ruleName), clock.get(), 1, "Count", "iot"));
    }

    /** One topic rule action run: {@code AWS/IoT} Success or Failure 1, dimensions RuleName, ActionType. */
    public void ruleAction(String ruleName, String actionType, boolean failed) {
        store.put(Datum.of("AWS/IoT", failed ? "Failure" : "Success", Map.of("RuleName", ruleName,
                "ActionType", actionType), clock.get(), 1, "Count", "iot"));
    }
}
