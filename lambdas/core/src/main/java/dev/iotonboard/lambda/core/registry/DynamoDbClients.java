package dev.iotonboard.lambda.core.registry;

import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;

/**
 * Builds the {@link DynamoDbClient} a Lambda container uses for the device registry, the way {@link IotClients}
 * builds its IoT client (call once, from a handler's no-arg constructor).
 *
 * <ul>
 *   <li>HTTP: {@link UrlConnectionHttpClient} (no Netty, no Apache client in the jar), same connect and socket
 *       timeouts as the IoT client.</li>
 *   <li>Retries: the event handlers' {@link IotClients#retryStrategy()} (standard mode, 8 attempts, full jitter
 *       capped at 5 s; DynamoDB's throttling errors, {@code ProvisionedThroughputExceededException},
 *       {@code ThrottlingException} and {@code RequestLimitExceeded}, take the throttling backoff). An on-demand
 *       table throttles only past twice its previous peak; what survives fails the invocation so Lambda retries.
 *       The API authorizer ({@link #forApiRequests(Env, List)}): {@value #API_MAX_ATTEMPTS} attempts, backoff capped at
 *       {@link #API_MAX_BACKOFF}, each attempt cut off after {@link #API_CALL_ATTEMPT_TIMEOUT} and each call after
 *       {@link #API_CALL_TIMEOUT}: its {@value #API_CALLS_PER_AUTHORIZATION} reads end within
 *       {@link #apiAuthorizationBudget()}, well before the function's timeout, so it answers a Deny instead of
 *       timing out.</li>
 *   <li>Region: {@code AWS_REGION}, else {@code AWS_DEFAULT_REGION}.</li>
 *   <li>Endpoint override: {@code AWS_ENDPOINT_URL_DYNAMODB}, else {@code AWS_ENDPOINT_URL} (the local stand-in).</li>
 *   <li>Credentials: the Lambda environment variables when present, else the SDK's default chain.</li>
 * </ul>
 */
public final class DynamoDbClients {

    /** The service-specific endpoint variable (the AWS SDKs' convention). */
    public static final String ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB";
    /** Attempts per registry call for the API authorizer, first one included. */
    public static final int API_MAX_ATTEMPTS = 3;
    /** Longest wait between two attempts for the API authorizer. */
    public static final Duration API_MAX_BACKOFF = Duration.ofMillis(500);
    /** Longest single attempt of an authorizer read (an in-region GetItem takes a few milliseconds). */
    public static final Duration API_CALL_ATTEMPT_TIMEOUT = Duration.ofSeconds(1);
    /** Longest authorizer read, every attempt and backoff included (the SDK's apiCallTimeout). */
    public static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(2);
    /** Reads of one authorization on a cold cache: the certificate item and the CA item. */
    public static final int API_CALLS_PER_AUTHORIZATION = 2;

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(5);

    private DynamoDbClients() {
    }

    /** The client for an event handler's container, configured from the process environment. */
    public static DynamoDbClient fromEnvironment() {
        return fromEnvironment(Env.system());
    }

    /**
     * For a function that works with or without the device registry table: the event handlers' client when
     * {@code env} names the table ({@link DeviceRegistry#TABLE_VARIABLE}), else null (no table, no client).
     */
    public static DynamoDbClient ifRegistryNamed(Env env) {
        return env.optional(DeviceRegistry.TABLE_VARIABLE).isPresent() ? fromEnvironment(env) : null;
    }

    /** The client configured from {@code env} with the event handlers' retry strategy. */
    public static DynamoDbClient fromEnvironment(Env env) {
        return create(IotClients.region(env), endpointOverride(env), IotClients.credentials(env),
                IotClients.retryStrategy(), List.of(), null, null);
    }

    /** The API authorizer's client configured from {@code env}, with {@code interceptors}: fewer, shorter retries (a
     * caller is waiting). */
    public static DynamoDbClient forApiRequests(Env env, List<ExecutionInterceptor> interceptors) {
        return create(IotClients.region(env), endpointOverride(env), IotClients.credentials(env),
                IotClients.retryStrategy(API_MAX_ATTEMPTS, API_MAX_BACKOFF), interceptors,
                API_CALL_ATTEMPT_TIMEOUT, API_CALL_TIMEOUT);
    }

    /** The longest the API authorizer's reads can take together: calls x {@link #API_CALL_TIMEOUT}. */
    public static Duration apiAuthorizationBudget() {
        return API_CALL_TIMEOUT.multipliedBy(API_CALLS_PER_AUTHORIZATION);
    }

    /**
     * The endpoint override: {@code AWS_ENDPOINT_URL_DYNAMODB}, else {@code AWS_ENDPOINT_URL}, else none.
     *
     * @throws IllegalStateException when the value is not an absolute http(s) URL
     */
    public static Optional<URI> endpointOverride(Env env) {
        return IotClients.endpointOverride(env, ENDPOINT_VARIABLE);
    }

    /** A client with every setting explicit (tests pass a fast retry strategy and dynalite's endpoint). */
    public static DynamoDbClient create(Region region, Optional<URI> endpoint, AwsCredentialsProvider credentials,
            RetryStrategy retryStrategy) {
        return create(region, endpoint, credentials, retryStrategy, List.of(), null, null);
    }

    /** As above, with interceptors and the SDK's per-attempt and per-call (all attempts) timeouts; null for none. */
    public static DynamoDbClient create(Region region, Optional<URI> endpoint, AwsCredentialsProvider credentials,
            RetryStrategy retryStrategy, List<ExecutionInterceptor> interceptors, Duration attemptTimeout,
            Duration callTimeout) {
        DynamoDbClientBuilder builder = DynamoDbClient.builder()
                .region(region)
                .credentialsProvider(credentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(CONNECT_TIMEOUT)
                        .socketTimeout(SOCKET_TIMEOUT))
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
