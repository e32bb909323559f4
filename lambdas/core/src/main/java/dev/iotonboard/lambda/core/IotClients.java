package dev.iotonboard.lambda.core;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.IotClientBuilder;

/**
 * Builds the {@link IotClient} a Lambda container uses for its whole life (call once, from a handler's no-arg
 * constructor).
 *
 * <ul>
 *   <li>HTTP: {@link UrlConnectionHttpClient} (no Netty, no Apache client in the jar; fastest cold start), except
 *       PATCH (UpdateThing), which it cannot send: {@link PatchCapableHttpClient}.</li>
 *   <li>Retries: the SDK's standard strategy. IoT answers throttling with HTTP 400 {@code ThrottlingException};
 *       the SDK classifies that error code as throttling and retries it with the throttling backoff.
 *       Event handlers ({@link #fromEnvironment()}): {@value #MAX_ATTEMPTS} attempts, exponential backoff with
 *       full jitter capped at {@link #MAX_BACKOFF} (throttling from 500 ms, other errors from 100 ms): at most
 *       ~22 s of waiting per call, ~11 s on average, which rides out bursts against the 10 TPS quotas; whatever
 *       survives fails the invocation so Lambda retries the event. The SDK's own cap (20 s) would allow ~70 s.
 *       (The API authorizer calls no IoT: its short-budget client is {@code registry.DynamoDbClients}'.)</li>
 *   <li>Region: {@code AWS_REGION}, else {@code AWS_DEFAULT_REGION}.</li>
 *   <li>Endpoint override: {@code AWS_ENDPOINT_URL_IOT}, else {@code AWS_ENDPOINT_URL} (the local IoT Core).</li>
 *   <li>Credentials: the Lambda environment variables when present (skips the provider chain's probing), else the
 *       SDK's default chain.</li>
 * </ul>
 */
public final class IotClients {

    /** Attempts per IoT call for the event handlers, first one included. */
    public static final int MAX_ATTEMPTS = 8;
    /** Longest wait between two attempts for the event handlers. */
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(5);

    private IotClients() {
    }

    /** The client for an event handler's container, configured from the process environment. */
    public static IotClient fromEnvironment() {
        return fromEnvironment(Env.system());
    }


    /** The client configured from {@code env} with the event handlers' retry strategy. */
    public static IotClient fromEnvironment(Env env) {
        return fromEnvironment(env, List.of());
    }

    /**
     * The client configured from {@code env} with the event handlers' retry strategy and {@code interceptors}
     * (e.g. a client-side request-rate limiter, which then sees every attempt, retries included).
     */
    public static IotClient fromEnvironment(Env env, List<ExecutionInterceptor> interceptors) {
        return create(region(env), endpointOverride(env), credentials(env), retryStrategy(), interceptors);
    }

    /** The event handlers' retry strategy: standard mode, {@value #MAX_ATTEMPTS} attempts, 5 s backoff cap. */
    public static RetryStrategy retryStrategy() {
        return retryStrategy(MAX_ATTEMPTS, MAX_BACKOFF);
    }

    /** Standard mode with full-jitter exponential backoff capped at {@code maxBackoff}. */
    public static RetryStrategy retryStrategy(int maxAttempts, Duration maxBackoff) {
        return AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(maxAttempts)
                .backoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(100), maxBackoff))
                .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(500), maxBackoff))
                .build();
    }

    /**
     * The region from {@code AWS_REGION}, else {@code AWS_DEFAULT_REGION}.
     *
     * @throws IllegalStateException when neither is set
     */
    public static Region region(Env env) {
        return Region.of(env.optional("AWS_REGION")
                .or(() -> env.optional("AWS_DEFAULT_REGION"))
                .orElseThrow(() -> new IllegalStateException("environment variable AWS_REGION is not set")));
    }

    /**
     * The endpoint override: {@code AWS_ENDPOINT_URL_IOT}, else {@code AWS_ENDPOINT_URL}, else none.
     *
     * @throws IllegalStateException when the value is not an absolute http(s) URL
     */
    public static Optional<URI> endpointOverride(Env env) {
        return endpointOverride(env, "AWS_ENDPOINT_URL_IOT");
    }

    /**
     * The endpoint override of one service: {@code serviceVariable} (e.g. {@code AWS_ENDPOINT_URL_DYNAMODB}), else
     * {@code AWS_ENDPOINT_URL}, else none.
     *
     * @throws IllegalStateException when the value is not an absolute http(s) URL
     */
    public static Optional<URI> endpointOverride(Env env, String serviceVariable) {
        Optional<String> name = env.optional(serviceVariable).isPresent()
                ? Optional.of(serviceVariable)
                : env.optional("AWS_ENDPOINT_URL").map(v -> "AWS_ENDPOINT_URL");
        if (name.isEmpty()) {
            return Optional.empty();
        }
        String raw = env.required(name.get());
        URI uri;
        try {
            uri = URI.create(raw);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("environment variable " + name.get() + " is not a URL: " + raw, e);
        }
        if (uri.getScheme() == null || uri.getHost() == null
                || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
            throw new IllegalStateException(
                    "environment variable " + name.get() + " must be an http(s) URL with a host: " + raw);
        }
        return Optional.of(uri);
    }

    /** The Lambda environment's credentials when {@code env} has them, else the SDK's default chain. */
    public static AwsCredentialsProvider credentials(Env env) {
        Optional<String> keyId = env.optional("AWS_ACCESS_KEY_ID");
        Optional<String> secret = env.optional("AWS_SECRET_ACCESS_KEY");
        if (keyId.isEmpty() || secret.isEmpty()) {
            return DefaultCredentialsProvider.builder().build();
        }
        if (env.isSystem()) {
            return EnvironmentVariableCredentialsProvider.create();
        }
        Optional<String> token = env.optional("AWS_SESSION_TOKEN");
        return StaticCredentialsProvider.create(token.isPresent()
                ? AwsSessionCredentials.create(keyId.get(), secret.get(), token.get())
                : AwsBasicCredentials.create(keyId.get(), secret.get()));
    }

    /** A client with every setting explicit (tests pass a fast retry strategy and the HTTP double's endpoint). */
    public static IotClient create(Region region, Optional<URI> endpoint, AwsCredentialsProvider credentials,
            RetryStrategy retryStrategy) {
        return create(region, endpoint, credentials, retryStrategy, List.of());
    }

    /** As {@link #create(Region, Optional, AwsCredentialsProvider, RetryStrategy)}, with execution interceptors. */
    public static IotClient create(Region region, Optional<URI> endpoint, AwsCredentialsProvider credentials,
            RetryStrategy retryStrategy, List<ExecutionInterceptor> interceptors) {
        return create(region, endpoint, credentials, retryStrategy, interceptors, null, null);
    }

    /** As above, with the SDK's per-attempt and per-call (all attempts) timeouts; null for none. */
    static IotClient create(Region region, Optional<URI> endpoint, AwsCredentialsProvider credentials,
            RetryStrategy retryStrategy, List<ExecutionInterceptor> interceptors, Duration attemptTimeout,
            Duration callTimeout) {
        IotClientBuilder builder = IotClient.builder()
                .region(region)
                .credentialsProvider(credentials)
                .httpClientBuilder(PatchCapableHttpClient.builder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(CONNECT_TIMEOUT)
                        .socketTimeout(SOCKET_TIMEOUT), CONNECT_TIMEOUT, SOCKET_TIMEOUT))
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        .retryStrategy(retryStrategy)
                        .executionInterceptors(List.copyOf(interceptors))
                        .apiCallAttemptTimeout(attemptTimeout)
                        .apiCallTimeout(callTimeout)
                        .build());
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }
}
