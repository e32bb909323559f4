package dev.iotonboard.local.lambda;

import dev.iotonboard.local.stack.StackTemplate;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A warm container: a JVM running the runtime interface client ({@code AWSLambda <handler>}) on the function's jar,
 * with the function's environment, pointed at a {@link RuntimeApi} of its own, signing its AWS calls with its own
 * access key id ({@code LOCAL<name>}). One invocation at a time; the init timeout and the function's timeout kill it,
 * and an invocation running when the JVM exits fails as {@code Runtime.ExitError}.
 */
final class Container {
    private final ContainerPool pool;
    private final StackTemplate.Function function;
    private final ContainerHost host;
    private final String name;
    private final String accessKeyId;
    private final RuntimeApi api;
    private final Process process;
    private volatile boolean dead;

    Container(ContainerPool pool, String name) throws IOException {
        this.pool = pool;
        this.function = pool.function();
        this.host = pool.host();
        this.name = name;
        this.accessKeyId = accessKeyId(name);
        LambdaRunner.Settings settings = host.settings;
        api = new RuntimeApi(name, function, settings.functionArn(function), host.log,
                () -> dead || host.closed());
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:+UseSerialGC");
        command.add("-Xmx" + Math.max(64, function.memoryMb() * 85 / 100) + "m");
        if (host.nativeLibrary != null) {
            command.add("-Dcom.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI="
                    + host.nativeLibrary);
        }
        command.add("-cp");
        StringBuilder classpath = new StringBuilder(function.jar().toString());
        settings.runtimeClasspath().forEach(p -> classpath.append(File.pathSeparator).append(p));
        command.add(classpath.toString());
        command.add("com.amazonaws.services.lambda.runtime.api.client.AWSLambda");
        command.add(function.handler());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        environment(builder.environment(), settings);
        try {
            process = builder.start();
        } catch (IOException e) {
            api.stop();
            throw e;
        }
        host.byAccessKeyId.put(accessKeyId, this);
        host.log.event("lambda", "container " + name + " started (pid " + process.pid() + ", handler "
                + function.handler() + ")");
        Thread reader = new Thread(this::pumpOutput, "lambda-log-" + name);
        reader.setDaemon(true);
        reader.start();
        process.onExit().thenRun(this::exited);
    }

    /** Lambda's reserved variables, the function's own, and this container's credentials and Runtime API. */
    private void environment(Map<String, String> env, LambdaRunner.Settings settings) {
        String path = env.get("PATH");
        env.clear();
        if (path != null) {
            env.put("PATH", path);
        }
        env.put("LANG", "en_US.UTF-8");
        env.put("TZ", ":UTC");
        env.putAll(function.environment());
        env.put("AWS_REGION", settings.region());
        env.put("AWS_DEFAULT_REGION", settings.region());
        env.put("AWS_ACCESS_KEY_ID", accessKeyId);
        env.put("AWS_SECRET_ACCESS_KEY", "local-iot-core-secret");
        env.put("AWS_SESSION_TOKEN", "local-iot-core-session");
        env.put("AWS_ENDPOINT_URL_IOT", settings.iotEndpointUrl());
        // the same gateway serves DynamoDB (dynamodb.DynamoDbApi), so the functions' DynamoDB client goes there too
        env.put("AWS_ENDPOINT_URL_DYNAMODB", settings.iotEndpointUrl());
        env.put("AWS_LAMBDA_RUNTIME_API", api.address());
        env.put("_HANDLER", function.handler());
        env.put("AWS_EXECUTION_ENV", "AWS_Lambda_" + function.runtime());
        env.put("AWS_LAMBDA_FUNCTION_NAME", function.name());
        env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(function.memoryMb()));
        env.put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + function.name());
        env.put("AWS_LAMBDA_LOG_STREAM_NAME", name);
        env.put("LAMBDA_TASK_ROOT", function.jar().getParent().toString());
    }

    private void exited() {
        dead = true;
        host.byAccessKeyId.remove(accessKeyId, this);
        RuntimeApi.Invocation running = api.current();
        String reason = api.initError();
        if (running != null) {
            running.result().complete(LambdaRunner.Result.failed("Runtime.ExitError",
                    "the runtime exited with " + process.exitValue()
                            + (reason != null ? " after an init error: " + reason : "")));
            running.pickedUp().complete(null);
        }
        if (!host.closed()) {
            host.log.event("lambda", "container " + name + " exited with " + process.exitValue());
        }
    }

    /** The access key id the container {@code name} signs its AWS calls with. */
    static String accessKeyId(String name) {
        return "LOCAL" + name;
    }

    String name() {
        return name;
    }

    ContainerPool pool() {
        return pool;
    }

    boolean alive() {
        return !dead && process.isAlive();
    }

    /** Runs one event: waits (init timeout) for the runtime to take it, then (function timeout) for its answer. */
    LambdaRunner.Result invoke(String payload, String requestId) {
        RuntimeApi.Invocation invocation = new RuntimeApi.Invocation(requestId, payload, new CompletableFuture<>(),
                new CompletableFuture<>());
        api.setCurrent(invocation);
        if (!alive()) {
            api.finished(invocation);
            return LambdaRunner.Result.failed("Runtime.ExitError", "the container had exited");
        }
        api.queue(invocation);
        LambdaRunner.Settings settings = host.settings;
        try {
            try {
                invocation.pickedUp().get(settings.initTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                kill();
                return LambdaRunner.Result.failed("Runtime.InitTimeout", "the runtime did not ask for the event"
                        + " within " + settings.initTimeout().toSeconds() + " s");
            }
            try {
                return invocation.result().get(function.timeoutSeconds(), TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                kill();
                return LambdaRunner.Result.failed("Sandbox.Timedout", "Task timed out after "
                        + function.timeoutSeconds() + " seconds");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return LambdaRunner.Result.failed("Interrupted", "the local IoT Core is stopping");
        } catch (java.util.concurrent.ExecutionException e) {
            return LambdaRunner.Result.failed("Runtime.Unknown", String.valueOf(e.getCause()));
        } finally {
            api.finished(invocation);
        }
    }

    private void pumpOutput() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                host.log.event("fn " + name, line);
                host.observer.output(function, line);
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    private void kill() {
        dead = true;
        process.destroyForcibly();
    }

    /** Kills the JVM and waits (bounded) until it is gone and the running invocation has failed. */
    void crash() {
        kill();
        try {
            process.onExit().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            host.log.event("lambda", "container " + name + " did not exit after a crash fault: " + e);
        }
    }

    void close() {
        dead = true;
        process.destroy();
        try {
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        api.stop();
    }

    /** One line of at most 300 characters, for the log. */
    static String abbreviate(String text) {
        String oneLine = text == null ? "" : text.replaceAll("\\s+", " ");
        return oneLine.length() > 300 ? oneLine.substring(0, 300) + "..." : oneLine;
    }
}
