package dev.iotonboard.local.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.AwsCli;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.gateway.Gateway;
import dev.iotonboard.local.iam.FunctionRoles;
import dev.iotonboard.local.iam.IamAuthorizer;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvalidRequestContentException;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.RequestTooLargeException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.ThrottleReason;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/**
 * Lambda Invoke on the real control-plane port (the gateway) with the SDK for Java 2.x and the AWS CLIs on this
 * machine; the invokers record what the runner would have been given.
 */
class LambdaApiTest {
    private static final String LOGICAL_ID = "RegistrationThingProvisioningFunction8854A690";
    private static final String ARN = "arn:aws:lambda:us-east-1:000000000000:function:" + LOGICAL_ID;

    private record Call(String logicalId, String payload, String source) {
    }

    private final List<Call> asyncCalls = new CopyOnWriteArrayList<>();
    private final List<Call> syncCalls = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> open = new ArrayList<>();
    private volatile LambdaRunner.Result answer = new LambdaRunner.Result(false, "{\"ok\":true}");
    private volatile boolean throttled;
    private Gateway gateway;
    private LambdaApi api;
    private LambdaClient lambda;

    @BeforeEach
    void start() throws IOException {
        EventLog log = new EventLog(new PrintStream(new ByteArrayOutputStream()));
        gateway = new Gateway(0);
        open.add(gateway);
        StackTemplate.Function provisioning = new StackTemplate.Function(LOGICAL_ID, LOGICAL_ID, "java21",
                "dev.iotonboard.Handler::handleRequest", Map.of(), 5, 30, 512, Path.of("fn.jar"), 2,
                "arn:aws:sqs:us-east-1:000000000000:Failures");
        StackTemplate.Function python = new StackTemplate.Function("Custom", "Custom", "nodejs20.x", "index.handler",
                Map.of(), null, 30, 128, null, 2, null);
        api = new LambdaApi("us-east-1", "000000000000", List.of(provisioning, python),
                (id, payload, source) -> {
                    asyncCalls.add(new Call(id, payload, source));
                    return "request-" + asyncCalls.size();
                },
                (id, payload) -> {
                    syncCalls.add(new Call(id, payload, null));
                    if (throttled) {
                        throw new LambdaRunner.Throttled();
                    }
                    return answer;
                }, log);
        gateway.addHandler(api);
        lambda = client("a");
    }

    /** A client signing with this access key id. */
    private LambdaClient client(String accessKeyId) {
        LambdaClient client = LambdaClient.builder().region(Region.US_EAST_1)
                .endpointOverride(URI.create("http://127.0.0.1:" + gateway.port()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, "b")))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        open.add(client);
        return client;
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private InvokeResponse invokeEvent(String functionName, String qualifier, String payload) {
        return lambda.invoke(r -> r.functionName(functionName).qualifier(qualifier)
                .invocationType(InvocationType.EVENT).payload(SdkBytes.fromUtf8String(payload)));
    }

    @Test
    void event_isQueuedAsynchronously_andAnswered202() {
        InvokeResponse response = invokeEvent(LOGICAL_ID, null, "{\"thingName\":\"t\",\"certificateId\":\"c\"}");

        assertEquals(202, response.statusCode());
        assertEquals(0, response.payload().asByteArray().length);
        assertEquals(List.of(new Call(LOGICAL_ID, "{\"thingName\":\"t\",\"certificateId\":\"c\"}", "lambda:Invoke")),
                asyncCalls);
        assertTrue(syncCalls.isEmpty());
    }

    @Test
    void functionName_mayBeTheNameOrArn_withQualifierLiveOrLatest() {
        invokeEvent(ARN, null, "{}");
        invokeEvent(ARN + ":live", null, "{}");
        invokeEvent(LOGICAL_ID, "live", "{}");
        invokeEvent(LOGICAL_ID + ":$LATEST", null, "{}");
        invokeEvent("000000000000:function:" + LOGICAL_ID, "$LATEST", "{}");
        assertEquals(5, asyncCalls.size());
        assertTrue(asyncCalls.stream().allMatch(c -> c.logicalId().equals(LOGICAL_ID)));
    }

    @Test
    void unknownFunctionOrQualifier_isResourceNotFound404() {
        ResourceNotFoundException unknown = assertThrows(ResourceNotFoundException.class,
                () -> invokeEvent("Nope", null, "{}"));
        assertEquals(404, unknown.statusCode());
        assertTrue(unknown.getMessage().contains("Function not found: arn:aws:lambda:us-east-1:000000000000:function:"
                + "Nope"), unknown.getMessage());
        assertThrows(ResourceNotFoundException.class, () -> invokeEvent(LOGICAL_ID, "7", "{}"));
        assertThrows(ResourceNotFoundException.class, () -> invokeEvent(
                "arn:aws:lambda:eu-west-1:000000000000:function:" + LOGICAL_ID, null, "{}"));
        assertThrows(ResourceNotFoundException.class, () -> invokeEvent("Custom", null, "{}"),
                "a function the runner cannot start is not invocable");
        assertTrue(asyncCalls.isEmpty());
    }

    @Test
    void badPayloads_areRefused() {
        assertThrows(InvalidRequestContentException.class, () -> invokeEvent(LOGICAL_ID, null, "not json"));
        RequestTooLargeException large = assertThrows(RequestTooLargeException.class, () -> invokeEvent(LOGICAL_ID,
                null, "\"" + "x".repeat(LambdaApi.MAX_ASYNC_PAYLOAD) + "\""));
        assertEquals(413, large.statusCode());
        assertTrue(asyncCalls.isEmpty());
    }

    @Test
    void requestResponse_answersTheFunctionsResult_andMarksFunctionErrors() {
        InvokeResponse ok = lambda.invoke(r -> r.functionName(LOGICAL_ID)
                .payload(SdkBytes.fromUtf8String("{\"a\":1}")));
        assertEquals(200, ok.statusCode());
        assertEquals("{\"ok\":true}", ok.payload().asUtf8String());
        assertNull(ok.functionError());
        assertEquals("$LATEST", ok.executedVersion());
        assertEquals(List.of(new Call(LOGICAL_ID, "{\"a\":1}", null)), syncCalls);

        answer = new LambdaRunner.Result(true, "{\"errorMessage\":\"boom\",\"errorType\":\"IllegalStateException\"}");
        InvokeResponse failed = lambda.invoke(r -> r.functionName(LOGICAL_ID).payload(SdkBytes.fromUtf8String("{}")));
        assertEquals(200, failed.statusCode());
        assertEquals("Unhandled", failed.functionError());
        assertTrue(failed.payload().asUtf8String().contains("boom"));
    }

    @Test
    void requestResponse_beyondTheReservedConcurrency_isTooManyRequests429_whichTheSdkRetries() {
        throttled = true;
        try (LambdaClient once = LambdaClient.builder().region(Region.US_EAST_1)
                .endpointOverride(URI.create("http://127.0.0.1:" + gateway.port()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())).build()) {
            TooManyRequestsException e = assertThrows(TooManyRequestsException.class,
                    () -> once.invoke(r -> r.functionName(LOGICAL_ID).payload(SdkBytes.fromUtf8String("{}"))));
            assertEquals(429, e.statusCode());
            assertEquals("TooManyRequestsException", e.awsErrorDetails().errorCode());
            assertEquals("Rate Exceeded.", e.awsErrorDetails().errorMessage());
            assertEquals(ThrottleReason.RESERVED_FUNCTION_CONCURRENT_INVOCATION_LIMIT_EXCEEDED, e.reason());
            assertEquals("User", e.type());
            assertTrue(e.isThrottlingException());
        }
        assertEquals(1, syncCalls.size());

        syncCalls.clear();
        assertThrows(TooManyRequestsException.class,
                () -> lambda.invoke(r -> r.functionName(LOGICAL_ID).payload(SdkBytes.fromUtf8String("{}"))));
        assertTrue(syncCalls.size() > 1, "the SDK's default strategy retries a throttle: " + syncCalls.size());

        throttled = false;
        assertEquals(200, lambda.invoke(r -> r.functionName(LOGICAL_ID).payload(SdkBytes.fromUtf8String("{}")))
                .statusCode());
    }

    /**
     * A function's credentials are held to its role: the caller's role allows the unqualified function only (an
     * unqualified ARN in a policy does not cover an alias), the other function's role allows nothing; anyone else
     * keeps full access.
     */
    @Test
    void aFunctionsCredentials_needLambdaInvokeFunction_onTheArnTheRequestNames() {
        String unqualified = "arn:aws:lambda:us-east-1:000000000000:function:" + LOGICAL_ID;
        FunctionRoles roles = new FunctionRoles(Map.of(
                "Caller", new FunctionRoles.Role("Caller", "caller-fn", "CallerRole", List.of("""
                        {"Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "%s"}]}"""
                        .formatted(unqualified)), List.of()),
                "Other", new FunctionRoles.Role("Other", "other-fn", "OtherRole", List.of("{\"Statement\": []}"),
                        List.of())));
        api.iam(new IamAuthorizer(roles, key -> key.startsWith("LOCALCaller-") ? Optional.of("Caller")
                : key.startsWith("LOCALOther-") ? Optional.of("Other") : Optional.empty(), "000000000000"));
        LambdaClient caller = client("LOCALCaller-1");
        LambdaClient other = client("LOCALOther-1");

        assertEquals(202, caller.invoke(r -> r.functionName(LOGICAL_ID).invocationType(InvocationType.EVENT)
                .payload(SdkBytes.fromUtf8String("{}"))).statusCode());
        LambdaException alias = assertThrows(LambdaException.class, () -> caller.invoke(r -> r
                .functionName(LOGICAL_ID).qualifier("live").invocationType(InvocationType.EVENT)
                .payload(SdkBytes.fromUtf8String("{}"))));
        assertEquals(403, alias.statusCode());
        assertEquals("AccessDeniedException", alias.awsErrorDetails().errorCode());
        assertEquals("User: arn:aws:sts::000000000000:assumed-role/CallerRole/caller-fn is not authorized to perform:"
                + " lambda:InvokeFunction on resource: " + unqualified + ":live because no identity-based policy"
                + " allows the lambda:InvokeFunction action", alias.awsErrorDetails().errorMessage());

        for (String name : List.of(LOGICAL_ID, "Nope")) {
            LambdaException denied = assertThrows(LambdaException.class, () -> other.invoke(r -> r
                    .functionName(name).payload(SdkBytes.fromUtf8String("{}"))));
            assertEquals(403, denied.statusCode(), "IAM comes before the lookup: " + name);
            assertTrue(denied.awsErrorDetails().errorMessage().startsWith("User: arn:aws:sts::000000000000:"
                    + "assumed-role/OtherRole/other-fn is not authorized to perform: lambda:InvokeFunction on"
                    + " resource: arn:aws:lambda:us-east-1:000000000000:function:"), denied.getMessage());
        }
        assertEquals(1, asyncCalls.size(), "only the allowed call ran");
        assertTrue(syncCalls.isEmpty());
        assertEquals(200, lambda.invoke(r -> r.functionName(LOGICAL_ID).qualifier("live")
                .payload(SdkBytes.fromUtf8String("{}"))).statusCode(), "an operator's key is not restricted");
    }

    @Test
    void dryRun_checksTheFunctionOnly() {
        assertEquals(204, lambda.invoke(r -> r.functionName(LOGICAL_ID).invocationType(InvocationType.DRY_RUN))
                .statusCode());
        assertTrue(asyncCalls.isEmpty() && syncCalls.isEmpty());
    }

    /**
     * {@code aws lambda invoke} with each AWS CLI here (v2 needs --cli-binary-format): an Event is 202, a throttled
     * RequestResponse retried and then reported.
     */
    @Test
    void awsCli_invokeEvent_is202_andAThrottledCallIsRetriedThenReported(@TempDir Path dir) throws Exception {
        Path payload = dir.resolve("payload.json");
        Files.writeString(payload, "{\"thingName\":\"cli\"}");
        List<String> clis = new ArrayList<>(List.of("aws"));
        if (new java.io.File("/usr/bin/aws").canExecute()) {
            clis.add("/usr/bin/aws");
        }
        for (String cli : clis) {
            List<String> command = new ArrayList<>(List.of(cli, "--endpoint-url", "http://127.0.0.1:" + gateway.port(),
                    "--output", "json", "lambda", "invoke", "--function-name", LOGICAL_ID, "--qualifier", "live",
                    "--invocation-type", "Event", "--payload", "file://" + payload));
            if (majorVersion(cli) >= 2) {
                command.addAll(List.of("--cli-binary-format", "raw-in-base64-out"));
            }
            command.add(dir.resolve("out.json").toString());
            AwsCli.Result run = AwsCli.run(command);
            assertEquals(0, run.exit(), cli + ": " + run.err());
            assertTrue(run.out().contains("\"StatusCode\": 202"), cli + ": " + run.out());
            assertEquals(new Call(LOGICAL_ID, "{\"thingName\":\"cli\"}", "lambda:Invoke"),
                    asyncCalls.get(asyncCalls.size() - 1));

            List<String> missing = new ArrayList<>(command);
            missing.set(missing.indexOf(LOGICAL_ID), "Nope");
            AwsCli.Result notFound = AwsCli.run(missing);
            assertNotEquals(0, notFound.exit());
            assertTrue(notFound.err().contains("ResourceNotFoundException"), cli + ": " + notFound.err());

            List<String> requestResponse = new ArrayList<>(command);
            requestResponse.set(requestResponse.indexOf("Event"), "RequestResponse");
            throttled = true;
            syncCalls.clear();
            AwsCli.Result throttle = AwsCli.run(requestResponse);
            throttled = false;
            assertNotEquals(0, throttle.exit());
            assertTrue(throttle.err().contains("TooManyRequestsException") && throttle.err().contains("Rate Exceeded."),
                    cli + ": " + throttle.err());
            assertTrue(syncCalls.size() > 1, cli + " retries a throttle: " + syncCalls.size() + " call(s)");
        }
    }

    private static int majorVersion(String cli) throws Exception {
        AwsCli.Result version = AwsCli.run(List.of(cli, "--version"));
        String text = (version.out() + version.err()).trim();
        return Integer.parseInt(text.substring("aws-cli/".length(), text.indexOf('.')));
    }
}
