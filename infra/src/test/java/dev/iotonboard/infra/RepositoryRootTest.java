package dev.iotonboard.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryRootTest {

    @Test
    void find_walksUpToTheFolderHoldingCdkJson(@TempDir Path root) throws IOException {
        Files.writeString(root.resolve("cdk.json"), "{}");
        Path infra = Files.createDirectories(root.resolve("infra/src"));

        assertEquals(root.toRealPath(), RepositoryRoot.find(infra).toRealPath());
    }

    @Test
    void find_failsOutsideARepository(@TempDir Path dir) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RepositoryRoot.find(dir));
        assertTrue(e.getMessage().contains("No cdk.json"), e.getMessage());
    }

    @Test
    void fromWorkingDirectory_findsThisRepositoryFromTheModuleFolder() {
        assertTrue(Files.isDirectory(RepositoryRoot.fromWorkingDirectory().resolve("infra")));
    }
}
