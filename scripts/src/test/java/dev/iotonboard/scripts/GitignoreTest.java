package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The repository's .gitignore, asked through git itself (git check-ignore) in a scratch repository that holds only
 * a copy of it, so the answer does not depend on the files of this checkout.
 */
class GitignoreTest {

  @TempDir Path tmp;

  @BeforeEach
  void setUp() throws Exception {
    Files.copy(Sandbox.REPO_ROOT.resolve(".gitignore"), tmp.resolve(".gitignore"));
    Sandbox.tool("git", "init", "-q", tmp.toString()).assertExit(0);
  }

  /** git check-ignore's answer (the user's global excludes left out): 0 ignored, 1 not ignored. */
  int checkIgnore(String path) {
    Sandbox.Result r = Sandbox.tool("git", "-C", tmp.toString(), "-c", "core.excludesFile=/dev/null", "check-ignore", "--no-index", "-q", path);
    if (r.exitCode() > 1) {
      throw new IllegalStateException(r.all());
    }
    return r.exitCode();
  }

  @ParameterizedTest
  @ValueSource(strings = {"x.key", "some/dir/x.key", "certs/devices/u/deviceCert.key", "certs/rootCA.key",
      "local/src/test/resources/server.key", "certs/rootCA.pem", "certs/caCertificateId"})
  void privateKeysAnywhereAndGeneratedCertificateMaterialAreIgnored(String path) {
    assertEquals(0, checkIgnore(path), path + " must be ignored");
  }

  @ParameterizedTest
  @ValueSource(strings = {"certs/README.md", "scripts/ca/create-ca.sh", "openssl.conf", "docs/keys.md"})
  void sourcesAndTheCertsReadmeAreNotIgnored(String path) {
    assertEquals(1, checkIgnore(path), path + " must not be ignored");
  }
}
