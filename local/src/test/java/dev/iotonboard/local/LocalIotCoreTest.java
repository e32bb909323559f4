package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: options, exit codes, and an in-process start on the fixture cloud assembly. */
class LocalIotCoreTest {

    private static String[] outErr(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = LocalIotCore.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void options_haveTheDocumentedDefaults() {
        LocalIotCore.Options options = LocalIotCore.Options.parse(new String[0]);
        assertEquals(Path.of("cdk.out"), options.cdkOut());
        assertEquals(4566, options.controlPort());
        assertEquals(8443, options.httpsPort());
        assertEquals(8883, options.mqttPort());
        assertEquals("us-east-1", options.region());
        assertEquals("000000000000", options.account());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), options.retryDelays());
        LocalIotCore.Options ports = LocalIotCore.Options.parse(new String[] {"--ports", "1,2", "--retry-delays",
                "0.5"});
        assertEquals(1, ports.controlPort());
        assertEquals(2, ports.httpsPort());
        assertEquals(List.of(Duration.ofMillis(500)), ports.retryDelays());
    }

    @Test
    void badArguments_exit2_help_exit0() {
        assertEquals("2", outErr("--bogus", "x")[0]);
        assertEquals("2", outErr("--account", "12")[0]);
        assertEquals("2", outErr("--cdk-out")[0]);
        String[] help = outErr("--help");
        assertEquals("0", help[0]);
        assertTrue(help[1].contains("--cdk-out DIR"));
    }

    @Test
    void missingAssembly_exit1_saysRunTheBuildFirst(@TempDir Path empty) {
        String[] result = outErr("--cdk-out", empty.toString());
        assertEquals("1", result[0]);
        assertTrue(result[2].contains("run the build first"), result[2]);
    }

    @Test
    void start_onTheFixtureAssembly_loadsPoliciesAndWritesTheServerCa(@TempDir Path state) throws Exception {
        LocalIotCore.Options options = LocalIotCore.Options.parse(new String[] {"--cdk-out",
                StackTemplateTest.assembly().toString(), "--ports", "0,0", "--mqtt-port", "0", "--state-dir",
                state.toString()});
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (LocalIotCore core = new LocalIotCore(options, new EventLog(new PrintStream(log, true,
                StandardCharsets.UTF_8)))) {
            assertTrue(core.controlPort() > 0 && core.httpsPort() > 0 && core.mqttPort() > 0);
            assertEquals("JitrPolicy", core.registry().policy("JitrPolicy").name());
            assertTrue(Files.readString(core.serverCaFile()).startsWith("-----BEGIN CERTIFICATE-----"));
            assertTrue(core.lambdas().has("Fn"));
        }
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("topic rule Rule"), log.toString());
    }
}
