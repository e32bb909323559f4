package dev.iotonboard.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awscdk.Environment;

class OnboardingAppTest {
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void run_writesTheCloudAssemblyForTheRepository() {
        assertEquals(0, SynthesizedStack.exitCode());
        assertTrue(Files.isRegularFile(SynthesizedStack.outdir().resolve(OnboardingApp.STACK_NAME + ".template.json")));
        assertTrue(Files.isRegularFile(SynthesizedStack.outdir().resolve("manifest.json")));
    }

    @Test
    void run_failsWithOneMessageNamingEveryBadKey(@TempDir Path root, @TempDir Path outdir) throws IOException {
        Files.writeString(root.resolve("cdk.json"),
                "{\"context\":{\"domainName\":\"Not A Domain\",\"caCertificateId\":\"ABC\",\"jitrRequestTopic\":\"jitr/#\"}}");

        int exit = OnboardingApp.run(root, outdir, Map.of(), Environment.builder().build(), stderr());

        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, exit);
        for (String key : new String[] {"domainName", "certificateArn", "caCertificateId", "jitrRequestTopic",
                "truststorePath", "scripts/ca/create-ca.sh", "-c key=value"}) {
            assertTrue(message.contains(key), key + " missing from: " + message);
        }
    }

    @Test
    void run_asksToBuildTheLambdasWhenTheirJarsAreMissing(@TempDir Path root, @TempDir Path outdir) throws IOException {
        Files.copy(SynthesizedStack.ROOT.resolve("cdk.json"), root.resolve("cdk.json"));

        int exit = OnboardingApp.run(root, outdir, Map.of(OnboardingConfig.TRUSTSTORE_PATH, TestCa.pem().toString(),
                OnboardingConfig.CA_CERTIFICATE_ID, SynthesizedStack.CA_CERTIFICATE_ID), Environment.builder().build(),
                stderr());

        assertEquals(1, exit);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("build the lambda modules first"), err.toString());
    }

    private PrintStream stderr() {
        return new PrintStream(err, true, StandardCharsets.UTF_8);
    }
}
