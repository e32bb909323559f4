package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every shell script (and the test fakes) must be shellcheck clean. CI installs shellcheck. */
class ShellcheckTest {

  @Test
  void everyScriptIsShellcheckClean() throws IOException {
    Path scripts = Sandbox.REPO_ROOT.resolve("scripts");
    List<String> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(scripts)) {
      walk.filter(p -> p.toString().endsWith(".sh"))
          .filter(p -> !scripts.relativize(p).startsWith("target"))
          .map(Path::toString)
          .sorted()
          .forEach(files::add);
    }
    try (Stream<Path> fakes = Files.list(scripts.resolve("src/test/resources/fakes"))) {
      fakes.map(Path::toString).sorted().forEach(files::add);
    }
    assertTrue(files.stream().anyMatch(f -> f.endsWith("scripts/device/jitr.sh")), () -> "scripts not found: " + files);

    List<String> command = new ArrayList<>(List.of("shellcheck", "--severity=style", "--external-sources"));
    command.addAll(files);
    Sandbox.Result result;
    try {
      result = Sandbox.tool(command.toArray(String[]::new));
    } catch (RuntimeException e) {
      fail("shellcheck is not installed: apt-get install shellcheck (macOS: brew install shellcheck). "
          + "The script tests need it; CI installs it. (" + e.getMessage() + ")");
      return;
    }
    assertEquals(0, result.exitCode(), () -> "shellcheck found problems:\n" + result.stdout() + result.stderr());
  }
}
