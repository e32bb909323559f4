package dev.iotonboard.lambda.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real DynamoDB-compatible engine for tests: dynalite (npm, MIT licence; DynamoDB's API in memory), the version
 * pinned in the repository's {@code package.json} and installed by {@code npm ci} at the repository root
 * ({@code .ci/run} and {@code scripts/demo.sh} do it). Each instance is a {@code node} process on a free loopback
 * port with an empty in-memory store; tables become ACTIVE at once. {@link #close()} stops it.
 *
 * <pre>{@code
 * try (Dynalite dynamo = Dynalite.start()) {
 *     DynamoDbClient client = DynamoDbClient.builder().endpointOverride(dynamo.endpoint())...
 * }
 * }</pre>
 */
public final class Dynalite implements AutoCloseable {

    static final String CLI = "node_modules/dynalite/cli.js";

    private final Process process;
    private final URI endpoint;

    private Dynalite(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
    }

    /** Starts dynalite from the repository that contains the working directory. */
    public static Dynalite start() {
        return start(cli(Path.of("").toAbsolutePath()));
    }

    /** Starts the dynalite whose {@code cli.js} is {@code cli}. */
    public static Dynalite start(Path cli) {
        int port = freePort();
        ProcessBuilder builder = new ProcessBuilder(List.of("node", cli.toString(), "--host", "127.0.0.1",
                "--port", Integer.toString(port), "--createTableMs", "0", "--deleteTableMs", "0",
                "--updateTableMs", "0"));
        builder.redirectErrorStream(true);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("node cannot run: install Node.js (README prerequisites)", e);
        }
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // nothing was written to its input
        }
        awaitListening(process);
        return new Dynalite(process, URI.create("http://127.0.0.1:" + port));
    }

    /** dynalite's {@code cli.js} under the nearest ancestor of {@code from} that has it installed. */
    public static Path cli(Path from) {
        for (Path dir = from; dir != null; dir = dir.getParent()) {
            Path cli = dir.resolve(CLI);
            if (Files.isRegularFile(cli)) {
                return cli;
            }
            if (Files.isRegularFile(dir.resolve("package-lock.json")) && Files.exists(dir.resolve(".git"))) {
                break;
            }
        }
        throw new IllegalStateException("dynalite is not installed: run `npm ci` at the repository root (" + CLI
                + " not found above " + from + ")");
    }

    /** The endpoint to give the AWS SDK or CLI ({@code --endpoint-url}). */
    public URI endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitListening(Process process) {
        BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        CompletableFuture<String> listening = CompletableFuture.supplyAsync(() -> {
            StringBuilder seen = new StringBuilder();
            try {
                for (String line; (line = output.readLine()) != null; ) {
                    if (line.startsWith("Dynalite listening at")) {
                        return null;
                    }
                    seen.append(line).append('\n');
                }
            } catch (IOException e) {
                seen.append(e);
            }
            return seen.toString();
        });
        String failure;
        try {
            failure = listening.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("dynalite did not start within 30 s", e);
        }
        if (failure != null) {
            process.destroyForcibly();
            throw new IllegalStateException("dynalite exited before listening:\n" + failure);
        }
        CompletableFuture.runAsync(() -> drain(output));
    }

    private static void drain(BufferedReader output) {
        try {
            while (output.readLine() != null) {
                // dynalite logs nothing unless --verbose; keep its pipe from filling regardless
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }
}
