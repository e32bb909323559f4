package dev.iotonboard.local.dynamodb;

import dev.iotonboard.local.Threads;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dynalite process: {@code node_modules/dynalite/cli.js} (pinned by the repository's package.json and
 * package-lock.json, installed by {@code npm ci}) on a free loopback port, in memory unless given a directory for its
 * LevelDB store. Tables become ACTIVE at once. It ends with the tool: {@link #close()} stops it, and since node runs it
 * under a guard that exits when its standard input closes, it also ends when the tool's JVM is killed outright.
 */
public final class Dynalite implements AutoCloseable {

    /** Where {@code npm ci} installs dynalite's command line, relative to the repository root. */
    public static final String CLI = "node_modules/dynalite/cli.js";

    /** Runs cli.js (argv[1]) with the rest of the arguments, and exits once standard input ends (the tool is gone). */
    private static final String GUARD = "process.stdin.on('end',()=>process.exit(0));"
            + "process.stdin.on('error',()=>process.exit(0));process.stdin.resume();require(process.argv[1]);";
    private static final Pattern LISTENING = Pattern.compile("Dynalite listening at: https?://[^:]+:(\\d+)");

    private final Process process;
    private final URI endpoint;

    private Dynalite(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
    }

    /**
     * dynalite's cli.js: {@code option} when given (the file, or a directory holding {@code cli.js} or
     * {@link #CLI}), else the first {@link #CLI} found in one of {@code searchFrom} or their ancestors.
     *
     * @throws IllegalArgumentException saying to run {@code npm ci} when there is none
     */
    public static Path find(Optional<Path> option, List<Path> searchFrom) {
        if (option.isPresent()) {
            Path given = option.get().toAbsolutePath().normalize();
            for (Path candidate : List.of(given, given.resolve("cli.js"), given.resolve(CLI))) {
                if (Files.isRegularFile(candidate)) {
                    return candidate;
                }
            }
            throw new IllegalArgumentException("--dynalite " + option.get() + ": no dynalite cli.js there (run `npm ci`"
                    + " at the repository root, which installs " + CLI + ")");
        }
        List<Path> searched = new ArrayList<>();
        for (Path from : searchFrom) {
            for (Path dir = from.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
                Path cli = dir.resolve(CLI);
                if (Files.isRegularFile(cli)) {
                    return cli;
                }
            }
            searched.add(from.toAbsolutePath().normalize());
        }
        throw new IllegalArgumentException("dynalite is not installed: run `npm ci` at the repository root (" + CLI
                + " is not in " + searched + " or their parents), or give its path with --dynalite PATH");
    }

    /**
     * Starts {@code cli}, in memory, or on the LevelDB store in {@code storeDir} when given.
     *
     * @throws IllegalStateException when node cannot run or dynalite does not listen within 30 s
     */
    public static Dynalite start(Path cli, Optional<Path> storeDir) {
        for (int attempt = 1; ; attempt++) {
            try {
                return start(cli, storeDir, freePort());
            } catch (IllegalStateException e) {
                // another process took the free port between the probe and dynalite's listen: try another
                if (attempt == 3 || e.getMessage() == null || !e.getMessage().contains("EADDRINUSE")) {
                    throw e;
                }
            }
        }
    }

    private static Dynalite start(Path cli, Optional<Path> storeDir, int port) {
        // dynalite reads --port 0 as its default port 4567, so the free port is chosen here
        List<String> command = new ArrayList<>(List.of("node", "-e", GUARD, cli.toString(), "--host", "127.0.0.1",
                "--port", Integer.toString(port), "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs",
                "0"));
        if (storeDir.isPresent()) {
            try {
                Files.createDirectories(storeDir.get());
            } catch (IOException e) {
                throw new IllegalStateException("cannot create the DynamoDB store " + storeDir.get() + ": " + e);
            }
            command.addAll(List.of("--path", storeDir.get().toAbsolutePath().toString()));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("node cannot run, so dynalite cannot start: install Node.js (README"
                    + " prerequisites): " + e.getMessage());
        }
        int listening = awaitListening(process);
        return new Dynalite(process, URI.create("http://127.0.0.1:" + listening));
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free loopback port for dynalite: " + e.getMessage());
        }
    }

    /** Where dynalite listens. */
    public URI endpoint() {
        return endpoint;
    }

    /** The node process's id (tests: it ends with the tool). */
    public long pid() {
        return process.pid();
    }

    /** Closes dynalite's standard input, as the operating system does when the tool's JVM dies (tests). */
    void closeInput() throws IOException {
        process.getOutputStream().close();
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

    /** Its port, from the line it prints once listening; anything else it prints first is the failure. */
    private static int awaitListening(Process process) {
        BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        StringBuffer seen = new StringBuffer();
        Thread reader = Threads.daemon("dynalite-output").newThread(() -> {
            try {
                for (String line; (line = output.readLine()) != null; ) {
                    Matcher matcher = LISTENING.matcher(line);
                    if (!listening.isDone() && matcher.find()) {
                        listening.complete(Integer.parseInt(matcher.group(1)));
                    } else if (!listening.isDone()) {
                        seen.append(line).append('\n');
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
            listening.completeExceptionally(new IllegalStateException("dynalite exited before listening:\n" + seen));
        });
        reader.start();
        try {
            return listening.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            process.destroyForcibly();
            throw new IllegalStateException(e.getCause().getMessage());
        } catch (TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException("dynalite did not listen within 30 s:\n" + seen);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting dynalite");
        }
    }
}
