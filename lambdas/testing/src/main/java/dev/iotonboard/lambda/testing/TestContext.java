package dev.iotonboard.lambda.testing;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.function.IntSupplier;

/** A Lambda {@link Context} for handler tests: 30 s remaining, unless built with {@link #withRemainingTime}. */
public final class TestContext implements Context {

    private final String requestId;
    private final IntSupplier remainingMillis;

    public TestContext() {
        this(() -> 30_000);
    }

    private TestContext(IntSupplier remainingMillis) {
        this(UUID.randomUUID().toString(), remainingMillis);
    }

    private TestContext(String requestId, IntSupplier remainingMillis) {
        this.requestId = requestId;
        this.remainingMillis = remainingMillis;
    }

    /** A context with this request id (as Lambda's retry of an asynchronous invocation keeps it) and 30 s left. */
    public static TestContext withRequestId(String requestId) {
        return new TestContext(requestId, () -> 30_000);
    }

    /** A context whose {@link #getRemainingTimeInMillis()} asks {@code remainingMillis} on every call. */
    public static TestContext withRemainingTime(IntSupplier remainingMillis) {
        return new TestContext(remainingMillis);
    }

    @Override
    public String getAwsRequestId() {
        return requestId;
    }

    @Override
    public String getLogGroupName() {
        return "/aws/lambda/test";
    }

    @Override
    public String getLogStreamName() {
        return "test";
    }

    @Override
    public String getFunctionName() {
        return "test";
    }

    @Override
    public String getFunctionVersion() {
        return "$LATEST";
    }

    @Override
    public String getInvokedFunctionArn() {
        return "arn:aws:lambda:" + IotDouble.REGION + ":" + IotDouble.ACCOUNT + ":function:test";
    }

    @Override
    public CognitoIdentity getIdentity() {
        return null;
    }

    @Override
    public ClientContext getClientContext() {
        return null;
    }

    @Override
    public int getRemainingTimeInMillis() {
        return remainingMillis.getAsInt();
    }

    @Override
    public int getMemoryLimitInMB() {
        return 512;
    }

    @Override
    public LambdaLogger getLogger() {
        return new LambdaLogger() {
            @Override
            public void log(String message) {
                System.out.println(message);
            }

            @Override
            public void log(byte[] message) {
                System.out.println(new String(message, StandardCharsets.UTF_8));
            }
        };
    }
}
