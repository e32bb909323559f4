package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.local.stack.StackTemplateTest;
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
        Options options = Options.parse(new String[0]);
        assertEquals(Path.of("cdk.out"), options.cdkOut());
        assertEquals(4566, options.controlPort());
        assertEquals(8443, options.httpsPort());
        assertEquals(8883, options.mqttPort());
        assertEquals("us-east-1", options.region());
        assertEquals("000000000000", options.account());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), options.retryDelays());
        Options ports = Options.parse(new String[] {"--ports", "1,2", "--retry-delays",
                "0.5"});
        assertEquals(1, ports.controlPort());
        assertEquals(2, ports.httpsPort());
        assertEquals(List.of(Duration.ofMillis(500)), ports.retryDelays());
    }

    @Test
    void detachDelay_defaultsToTwoSeconds_andIsValidated() {
        assertEquals(java.time.Duration.ofSeconds(2), Options.parse(new String[0]).detachDelay());
        assertEquals(java.time.Duration.ZERO, Options.parse(new String[] {"--detach-delay", "0"}).detachDelay());
        assertEquals("2", outErr("--detach-delay", "-1")[0]);
        assertEquals("2", outErr("--detach-delay", "soon")[0]);
    }

    @Test
    void dynamoDbAndCloudTrailOptions_defaultsAndValidation() {
        Options defaults = Options.parse(new String[0]);
        assertEquals(java.util.Optional.empty(), defaults.dynalite());
        assertEquals(java.util.Optional.empty(), defaults.dynamoDbDir());
        assertEquals(Options.CloudTrail.AUTO, defaults.cloudTrail());
        Options given = Options.parse(new String[] {"--dynalite", "/opt/dynalite/cli.js", "--dynamodb-dir", "db",
            "--cloudtrail", "on"});
        assertEquals(java.util.Optional.of(Path.of("/opt/dynalite/cli.js")), given.dynalite());
        assertEquals(java.util.Optional.of(Path.of("db")), given.dynamoDbDir());
        assertEquals(Options.CloudTrail.ON, given.cloudTrail());
        assertEquals(Options.CloudTrail.OFF, Options.parse(new String[] {"--cloudtrail", "off"}).cloudTrail());
        assertEquals(java.util.Optional.of(Path.of("state/registry.json.dynamodb")),
                Options.parse(new String[] {"--state-file", "state/registry.json"}).dynamoDbDir(),
                "a persisted registry keeps its tables next to it");
        assertEquals(java.util.Optional.of(Path.of("db")),
                Options.parse(new String[] {"--state-file", "state/registry.json", "--dynamodb-dir", "db"})
                        .dynamoDbDir());
        String[] bad = outErr("--cloudtrail", "yes");
        assertEquals("2", bad[0]);
        assertTrue(bad[2].contains("--cloudtrail is auto, on or off, not yes"), bad[2]);
    }

    @Test
    void iam_isOnByDefault_offOnRequest_andValidated() {
        assertTrue(Options.parse(new String[0]).iamEnabled());
        assertFalse(Options.parse(new String[] {"--iam", "off"}).iamEnabled());
        String[] bad = outErr("--iam", "maybe");
        assertEquals("2", bad[0]);
        assertTrue(bad[2].contains("--iam is on or off, not maybe"), bad[2]);
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
        Options options = Options.parse(new String[] {"--cdk-out",
                StackTemplateTest.assembly().toString(), "--ports", "0,0", "--mqtt-port", "0", "--state-dir",
                state.toString()});
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (LocalIotCore core = new LocalIotCore(options, new EventLog(new PrintStream(log, true,
                StandardCharsets.UTF_8)))) {
            assertTrue(core.controlPort() > 0 && core.httpsPort() > 0 && core.mqttPort() > 0);
            assertEquals("JitrPolicy", core.registry().policies().get("JitrPolicy").name());
            assertTrue(core.registry().topicRules().get("Rule").sql().startsWith("SELECT"),
                    "the stack's rules are served");
            assertTrue(Files.readString(core.serverCaFile()).startsWith("-----BEGIN CERTIFICATE-----"));
            assertTrue(core.lambdas().has("Fn"));
        }
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("topic rule Rule"), log.toString());
    }

    @Test
    void quotaAndFaultOptions_areParsed_quotasOnByDefault() {
        Options defaults = Options.parse(new String[0]);
        assertTrue(defaults.quotasEnabled());
        assertEquals(java.util.Map.of(), defaults.quotaRates());
        assertEquals(List.of(), defaults.faults());
        Options options = Options.parse(new String[] {"--quotas", "off", "--quota",
                "DescribeCertificate=20", "--quota", "connect=2.5", "--fault", "UpdateCertificate:2:503", "--fault",
                "crash:AttachPolicy:1"});
        assertTrue(!options.quotasEnabled());
        assertEquals(java.util.Map.of("DescribeCertificate", 20.0, "connect", 2.5), options.quotaRates());
        assertEquals(List.of("UpdateCertificate:2:503", "crash:AttachPolicy:1"), options.faults());
    }

    @Test
    void badQuotaOrFaultOptions_exit2_namingTheProblem(@TempDir Path state) {
        String[][] cases = {
            {"--quotas", "maybe"}, {"--quota", "DescribeCertificate"}, {"--quota", "Describe=5"},
            {"--quota", "CreateThing=0"}, {"--quota", "CreateThing=fast"}, {"--fault", "UpdateCertificate:1:418"},
        };
        String[] expected = {"on or off", "OPERATION=RATE", "unknown operation Describe", "positive number",
            "not a number", "unknown kind 418"};
        for (int i = 0; i < cases.length; i++) {
            String[] result = outErr(cases[i]);
            assertEquals("2", result[0], String.join(" ", cases[i]));
            assertTrue(result[2].contains(expected[i]), result[2]);
        }
        String[] drop = outErr("--cdk-out", StackTemplateTest.assembly().toString(), "--ports", "0,0", "--mqtt-port",
                "0", "--api-port", "0", "--state-dir", state.toString(), "--fault", "drop:NoSuchFunction:1");
        assertEquals("2", drop[0], drop[2]);
        assertTrue(drop[2].contains("no function NoSuchFunction (functions: Fn"), drop[2]);
    }

    @Test
    void start_withQuotasAndFaults_servesTheAdminRoutes(@TempDir Path state) throws Exception {
        Options options = Options.parse(new String[] {"--cdk-out",
                StackTemplateTest.assembly().toString(), "--ports", "0,0", "--mqtt-port", "0", "--api-port", "0",
                "--state-dir", state.toString(), "--quota", "GetPolicy=3", "--fault", "drop:F:every=2"});
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (LocalIotCore core = new LocalIotCore(options, new EventLog(new PrintStream(log, true,
                StandardCharsets.UTF_8)))) {
            java.net.http.HttpResponse<String> stats = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + core.controlPort()
                            + "/_local/stats")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, stats.statusCode());
            com.fasterxml.jackson.databind.JsonNode body = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(stats.body());
            assertTrue(body.path("quotasEnabled").asBoolean(), stats.body());
            assertEquals(0, body.path("functions").path("Fn").path("drops").asInt(), stats.body());
            assertEquals(0, body.path("connect").path("throttled").asInt(), stats.body());
            assertEquals(3.0, core.quotas().rates().get("GetPolicy"));
            assertEquals("Fn", core.faults().list().get(0).spec().target(), "the prefix names the function Fn");
        }
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("[core] fault drop:F:every=2 (function Fn)"),
                log.toString());
    }
}
