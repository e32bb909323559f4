package dev.iotonboard.local.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.local.LocalIotCore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StalenessTest {

    /** A repository with cdk.json, cdk.out (the fixture assembly) and lambdas/fn/target/fn.jar holding the handler. */
    private static Path repository(Path dir) throws IOException {
        return repository(dir, new byte[] {1, 2, 3});
    }

    private static Path repository(Path dir, byte[] handlerClass) throws IOException {
        Files.writeString(dir.resolve("cdk.json"), "{}");
        Path cdkOut = Files.createDirectories(dir.resolve("cdk.out"));
        try (Stream<Path> files = Files.list(StackTemplateTest.assembly())) {
            for (Path file : files.toList()) {
                Files.copy(file, cdkOut.resolve(file.getFileName()));
            }
        }
        jar(dir, "fn", handlerClass);
        return cdkOut;
    }

    /** lambdas/{module}/target/{module}.jar holding the fixture's handler class with these bytes. */
    private static Path jar(Path dir, String module, byte[] handlerClass) throws IOException {
        Path jar = Files.createDirectories(dir.resolve("lambdas/" + module + "/target")).resolve(module + ".jar");
        try (OutputStream out = Files.newOutputStream(jar); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("dev/example/Handler.class"));
            zip.write(handlerClass);
            zip.closeEntry();
        }
        return jar;
    }

    @Test
    void assetDifferentFromTheRebuiltJar_isStale(@TempDir Path dir) throws IOException {
        Path cdkOut = repository(dir);
        List<String> problems = Staleness.check(cdkOut, StackTemplate.load(cdkOut, "IotOnboarding", "000000000000",
                "us-east-1"));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("Fn: its asset asset.1111.jar differs from lambdas/fn/target/fn.jar"),
                problems.get(0));
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = LocalIotCore.run(new String[] {"--cdk-out", cdkOut.toString(), "--ports", "0,0", "--state-dir",
                dir.resolve("state").toString()}, new java.io.PrintStream(new java.io.ByteArrayOutputStream()),
                new java.io.PrintStream(err, true), false);
        assertEquals(1, code);
        assertTrue(err.toString().contains("is stale") && err.toString().contains("Run the build first"),
                err.toString());
    }

    @Test
    void identicalAsset_orNoRepository_isFresh(@TempDir Path dir) throws IOException {
        Path cdkOut = repository(dir);
        Files.copy(dir.resolve("lambdas/fn/target/fn.jar"), cdkOut.resolve("asset.1111.jar"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals(List.of(), Staleness.check(cdkOut, StackTemplate.load(cdkOut, "IotOnboarding", "000000000000",
                "us-east-1")));
        assertEquals(List.of(), Staleness.check(StackTemplateTest.assembly(), StackTemplate.load(
                StackTemplateTest.assembly(), "IotOnboarding", "000000000000", "us-east-1")),
                "no jar of this repository holds the fixture's handler class");
    }

    @Test
    void anotherJarBundlingTheHandler_doesNotMakeAFreshAssetStale(@TempDir Path dir) throws IOException {
        Path cdkOut = repository(dir);
        Files.copy(dir.resolve("lambdas/fn/target/fn.jar"), cdkOut.resolve("asset.1111.jar"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        jar(dir, "bundler", new byte[] {1, 2, 3, 4});
        StackTemplate stack = StackTemplate.load(cdkOut, "IotOnboarding", "000000000000", "us-east-1");

        assertEquals(List.of(), Staleness.check(cdkOut, stack), "the asset is fn.jar, as built");

        jar(dir, "fn", new byte[] {9});
        List<String> problems = Staleness.check(cdkOut, stack);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("Fn: its asset asset.1111.jar differs from"
                + " lambdas/bundler/target/bundler.jar and lambdas/fn/target/fn.jar"), problems.get(0));
    }
}
