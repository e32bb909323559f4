package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Runs the README's "try it" command, scripts/demo.sh, unmodified: every step must report ok and it must exit 0. */
class DemoScriptIT {

    private static final List<String> STEPS = List.of("Build", "DynamoDB engine (dynalite)", "Create the root CA",
            "Synthesize the CDK stack", "Start the local IoT Core", "Register the CA", "Create a device", "Onboard it",
            "Call the API with the device certificate", "Call the API without a certificate",
            "Revoke the certificate");

    @Test
    void demo_runsTheWholeFlowAndPasses() throws Exception {
        Path root = Path.of(System.getProperty("repo.root", "..")).toAbsolutePath().normalize();
        // inside the repository, as the default .local/demo: the tool then checks the assets against the built jars
        Path work = Files.createTempDirectory(Files.createDirectories(root.resolve("local/target")), "demo-it");
        Path log = root.resolve("local/target/demo-it.log");
        ProcessBuilder builder = new ProcessBuilder(root.resolve("scripts/demo.sh").toString(), "--no-build")
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_") || k.equals("CERTS_DIR"));
        env.put("DEMO_DIR", work.resolve("demo").toString());
        env.put("LOCAL_CONTROL_PORT", Integer.toString(E2eFixture.freePort()));
        env.put("LOCAL_HTTPS_PORT", Integer.toString(E2eFixture.freePort()));
        env.put("LOCAL_MQTT_PORT", Integer.toString(E2eFixture.freePort()));
        env.put("LOCAL_API_PORT", Integer.toString(E2eFixture.freePort()));
        Process demo = builder.start();
        demo.getOutputStream().close();
        try {
            boolean ended = demo.waitFor(8, TimeUnit.MINUTES);
            String output = Files.readString(log);
            assertTrue(ended, "scripts/demo.sh did not finish in 8 minutes:\n" + output);
            assertEquals(0, demo.exitValue(), "scripts/demo.sh failed:\n" + output);
            for (String step : STEPS) {
                assertTrue(output.contains("] " + step), "step '" + step + "' missing:\n" + output);
            }
            assertEquals(STEPS.size(), output.lines().filter(l -> l.startsWith("    ok: ")).count(),
                    "every step reports ok:\n" + output);
            assertTrue(output.contains("Demo passed"), output);
        } finally {
            demo.descendants().forEach(ProcessHandle::destroyForcibly);
            demo.destroyForcibly();
            try (Stream<Path> paths = Files.walk(work)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
