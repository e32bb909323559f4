package dev.iotonboard.iot.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.lambda.testing.AwsCli;
import dev.iotonboard.lambda.testing.IotDouble;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real AWS CLI against the IoT model served by an IoT double, for the CLI tests of the model: which CLIs there
 * are, {@code aws iot} runs, and what they gave.
 */
final class IotCli {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DEBIAN_CLI = "/usr/bin/aws";

    private IotCli() {
    }

    /** A CLI's exit code and output. */
    record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + out + err, e);
            }
        }

        /** Asserts the CLI failed with this error code ("An error occurred (Code) when calling ..."). */
        Run failedWith(String errorCode) {
            assertNotEquals(0, exit, out);
            assertTrue(err.contains("An error occurred (" + errorCode + ")"), err);
            return this;
        }

        Run succeeded() {
            assertEquals(0, exit, err);
            return this;
        }
    }

    /**
     * Each distinct AWS CLI here, by version: Debian's v2 ({@code /usr/bin/aws}, required: {@code apt-get install
     * awscli}), then {@code aws} on the PATH if it is another version.
     */
    static List<String> clis() throws IOException, InterruptedException {
        if (!new File(DEBIAN_CLI).canExecute()) {
            throw new IllegalStateException(DEBIAN_CLI + " is missing: install Debian's awscli (apt-get install"
                    + " awscli; CI installs it)");
        }
        Map<String, String> byVersion = new LinkedHashMap<>();
        for (String cli : List.of(DEBIAN_CLI, "aws")) {
            Run version = run(List.of(cli, "--version"));
            if (version.exit() == 0) {
                byVersion.putIfAbsent((version.out() + version.err()).trim().split(" ")[0], cli);
            }
        }
        return List.copyOf(byVersion.values());
    }

    /** {@code aws iot <args>} against the double, with any credentials, in eu-west-1, JSON output. */
    static Run aws(IotDouble iot, String cli, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(cli, "--endpoint-url", iot.endpoint().toString(), "--region",
                IotDouble.REGION, "--output", "json", "iot"));
        command.addAll(List.of(args));
        return run(command);
    }

    private static Run run(List<String> command) throws IOException, InterruptedException {
        AwsCli.Result result = AwsCli.run(command);
        return new Run(result.exit(), result.out(), result.err());
    }

    static List<String> texts(JsonNode array) {
        return names(array, null);
    }

    static List<String> names(JsonNode array, String field) {
        List<String> names = new ArrayList<>();
        array.forEach(n -> names.add(field == null ? n.asText() : n.path(field).asText()));
        return names;
    }
}
