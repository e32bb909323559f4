package dev.iotonboard.local.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding dynalite (or saying to run npm ci), and its process: two at once, and the guard that ends an orphan. */
class DynaliteTest {

    private static Path cli() {
        return Dynalite.find(Optional.empty(), List.of(Path.of("")));
    }

    @Test
    void found_aboveTheWorkingDirectory_orAtTheGivenPath() {
        Path cli = cli();
        assertTrue(cli.endsWith(Path.of(Dynalite.CLI)), cli.toString());
        Path root = cli.getParent().getParent().getParent();
        assertEquals(cli, Dynalite.find(Optional.of(root), List.of()));
        assertEquals(cli, Dynalite.find(Optional.of(cli.getParent()), List.of()));
        assertEquals(cli, Dynalite.find(Optional.of(cli), List.of()));
    }

    @Test
    void missing_saysRunNpmCi(@TempDir Path empty) {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> Dynalite.find(Optional.empty(), List.of(empty)));
        assertTrue(none.getMessage().startsWith("dynalite is not installed: run `npm ci` at the repository root"),
                none.getMessage());
        assertTrue(none.getMessage().contains("--dynalite PATH"), none.getMessage());
        IllegalArgumentException given = assertThrows(IllegalArgumentException.class,
                () -> Dynalite.find(Optional.of(empty), List.of(Path.of(""))));
        assertTrue(given.getMessage().contains("no dynalite cli.js there (run `npm ci`"), given.getMessage());
    }

    @Test
    void twoRunAtOnce_onPortsOfTheirOwn_andCloseEndsThem() {
        try (Dynalite one = Dynalite.start(cli(), Optional.empty());
                Dynalite two = Dynalite.start(cli(), Optional.empty())) {
            assertTrue(one.endpoint().getPort() != two.endpoint().getPort());
            long pid = one.pid();
            one.close();
            assertTrue(ProcessHandle.of(pid).isEmpty() || !ProcessHandle.of(pid).get().isAlive());
        }
    }

    @Test
    void anOrphan_endsWhenItsStandardInputCloses_asWhenTheToolIsKilled() throws Exception {
        try (Dynalite dynalite = Dynalite.start(cli(), Optional.empty())) {
            ProcessHandle process = ProcessHandle.of(dynalite.pid()).orElseThrow();
            dynalite.closeInput();
            process.onExit().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aStoreDirectory_isLevelDb(@TempDir Path store) {
        try (Dynalite dynalite = Dynalite.start(cli(), Optional.of(store.resolve("db")))) {
            assertTrue(Files.isDirectory(store.resolve("db")));
        }
    }
}
