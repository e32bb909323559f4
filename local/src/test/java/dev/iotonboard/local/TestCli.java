package dev.iotonboard.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the real AWS CLI for the unit tests: dummy credentials, no pager, no user configuration; bounded. */
public final class TestCli {
    private TestCli() {
    }

    /** The command's exit code, stdout and stderr, in that order. */
    public static String[] run(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("AWS_ACCESS_KEY_ID", "a");
        builder.environment().put("AWS_SECRET_ACCESS_KEY", "b");
        builder.environment().put("AWS_DEFAULT_REGION", "us-east-1");
        builder.environment().put("AWS_PAGER", "");
        builder.environment().put("AWS_CONFIG_FILE", "/dev/null");
        builder.environment().put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("the AWS CLI (aws) is needed: apt-get install awscli (.ci/run does)", e);
        }
        process.getOutputStream().close();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return process.getErrorStream().readAllBytes();
            } catch (IOException e) {
                return new byte[0];
            }
        });
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(command.get(0) + " did not finish in 60 s");
        }
        return new String[] {Integer.toString(process.exitValue()), new String(out, StandardCharsets.UTF_8),
                new String(err.join(), StandardCharsets.UTF_8)};
    }
}
