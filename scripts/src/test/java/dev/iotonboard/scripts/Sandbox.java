package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A per-test sandbox for the shell scripts: a temporary CERTS_DIR, a bin folder placed first in PATH
 * for fake executables, and a hermetic environment (no AWS, CERT_, IOT_, API_, JITR_ variables from
 * the developer's shell). Nothing is written to the repository's certs/.
 */
final class Sandbox {

  static final Path REPO_ROOT = repoRoot();
  static final String ORIGINAL_PATH = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
  private static final List<String> SCRUBBED_PREFIXES =
      List.of("AWS_", "CERT_", "CA_", "DEVICE_", "IOT_", "API_", "JITR_", "FAKE_", "CERTS_DIR");

  final Path root;
  final Path certsDir;
  final Path bin;
  final Path fakeDir;
  final Map<String, String> env = new HashMap<>();
  private String path;

  record Result(int exitCode, String stdout, String stderr) {
    String all() {
      return "exit " + exitCode + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
    }

    Result assertExit(int expected) {
      assertEquals(expected, exitCode, () -> "unexpected exit code\n" + all());
      return this;
    }

    Result assertStderrContains(String... parts) {
      for (String part : parts) {
        assertTrue(stderr.contains(part), () -> "stderr lacks <" + part + ">\n" + all());
      }
      return this;
    }

    Result assertUsageError() {
      assertExit(2);
      return assertStderrContains("error:", "Usage: scripts/");
    }
  }

  Sandbox(Path root) {
    this.root = root;
    this.certsDir = root.resolve("certs");
    this.bin = root.resolve("bin");
    this.fakeDir = root.resolve("fake");
    try {
      Files.createDirectories(bin);
      Files.createDirectories(fakeDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.getenv().forEach((k, v) -> {
      if (SCRUBBED_PREFIXES.stream().noneMatch(k::startsWith)) {
        env.put(k, v);
      }
    });
    env.put("CERTS_DIR", certsDir.toString());
    env.put("FAKE_DIR", fakeDir.toString());
    path = bin + ":" + ORIGINAL_PATH;
  }

  private static Path repoRoot() {
    String prop = System.getProperty("repo.root");
    Path p = prop != null ? Path.of(prop) : Path.of("").toAbsolutePath().getParent();
    try {
      p = p.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!Files.isRegularFile(p.resolve("openssl.conf")) || !Files.isDirectory(p.resolve("scripts/lib"))) {
      throw new IllegalStateException("not the repository root: " + p);
    }
    return p;
  }

  /**
   * The real AWS CLI as {@code aws}, behind {@code wrapper} (fakes/aws-logged, or a wrapper that fakes one service)
   * logging each call to {@code log}; with the test credentials and region and no config files
   * ({@link RegistryTable#cliEnv}).
   */
  Sandbox realAws(String wrapper, Path log) {
    installFake(wrapper, "aws").env("FAKE_AWS_LOG", log.toString()).env("FAKE_REAL_AWS", RegistryTable.AWS);
    RegistryTable.cliEnv().forEach(this::env);
    return this;
  }

  /** Installs a fake executable from src/test/resources/fakes under the given name. */
  Sandbox installFake(String resource, String name) {
    try (InputStream in = Sandbox.class.getResourceAsStream("/fakes/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("no fake " + resource);
      }
      Path target = bin.resolve(name);
      Files.write(target, in.readAllBytes());
      target.toFile().setExecutable(true);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Scripted answers for a fake curl or mosquitto_pub: one "EXIT HTTP_CODE BODY" line per call. */
  Sandbox script(String name, String... lines) {
    write(fakeDir.resolve(name + ".script"), String.join("\n", lines) + "\n");
    return this;
  }

  /** The lines the fake executable recorded, one per call. */
  List<String> calls(String name) {
    Path log = fakeDir.resolve(name + ".log");
    return Files.exists(log) ? readLines(log) : List.of();
  }

  /** Makes PATH lack one tool: a folder of links to every other executable on the original PATH. */
  Sandbox withoutTool(String tool) {
    try {
      // Outside the @TempDir, whose cleanup warns about every link to a file outside it.
      Path dir = Files.createTempDirectory("path-without-" + tool);
      LINK_DIRS.add(dir);
      Set<String> seen = new LinkedHashSet<>();
      List<String> dirs = new ArrayList<>();
      dirs.add(bin.toString());
      dirs.addAll(List.of(ORIGINAL_PATH.split(":")));
      for (String d : dirs) {
        Path folder = Path.of(d.isEmpty() ? "." : d);
        if (!Files.isDirectory(folder)) {
          continue;
        }
        try (Stream<Path> files = Files.list(folder)) {
          for (Path f : (Iterable<Path>) files::iterator) {
            String name = f.getFileName().toString();
            if (name.equals(tool) || !seen.add(name) || !Files.isExecutable(f) || Files.isDirectory(f)) {
              continue;
            }
            Files.createSymbolicLink(dir.resolve(name), f.toAbsolutePath());
          }
        }
      }
      path = dir.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  private static final List<Path> LINK_DIRS = java.util.Collections.synchronizedList(new ArrayList<>());

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (Path dir : LINK_DIRS) {
        try (Stream<Path> links = Files.list(dir)) {
          for (Path link : (Iterable<Path>) links::iterator) {
            Files.deleteIfExists(link); // removes the link, never its target
          }
          Files.deleteIfExists(dir);
        } catch (IOException ignored) {
          // best effort: it is a temporary folder of links
        }
      }
    }));
  }

  Sandbox env(String name, String value) {
    env.put(name, value);
    return this;
  }

  /** Runs scripts/&lt;script&gt; from the sandbox root. */
  Result run(String script, String... args) {
    return runIn(root, script, args);
  }

  Result runIn(Path cwd, String script, String... args) {
    List<String> command = new ArrayList<>();
    command.add(REPO_ROOT.resolve("scripts").resolve(script).toString());
    command.addAll(List.of(args));
    return exec(cwd, command);
  }

  Result exec(Path cwd, List<String> command) {
    ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    pb.environment().put("PATH", path);
    return execute(pb, 180);
  }

  /** Runs a tool with the test JVM's own environment (e.g. openssl to inspect a certificate). */
  static Result tool(String... command) {
    return execute(new ProcessBuilder(command), 60);
  }

  /** Runs a prepared process (its own environment), like {@link #tool}. */
  static Result tool(ProcessBuilder pb) {
    return execute(pb, 60);
  }

  private static Result execute(ProcessBuilder pb, int timeoutSeconds) {
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      CompletableFuture<String> out = drain(p.getInputStream());
      CompletableFuture<String> err = drain(p.getErrorStream());
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("timed out after " + timeoutSeconds + "s: " + pb.command() + "\n" + err.getNow(""));
      }
      return new Result(p.exitValue(), out.get(), err.get());
    } catch (IOException e) {
      throw new UncheckedIOException("could not run " + pb.command(), e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static CompletableFuture<String> drain(InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  // --- helpers for assertions ---

  Result createCa(String... args) {
    return run("ca/create-ca.sh", args).assertExit(0);
  }

  /** Creates an EC CA (fast) for tests that need one. */
  Sandbox withCa() {
    createCa("--key-type", "ec");
    return this;
  }

  /** Replaces the CA key with a PEM block that is no key, as a corrupt or half-copied key file is. */
  Sandbox breakCaKey() {
    write(certsDir.resolve("rootCA.key"), "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
    return this;
  }

  String createDevice(String... args) {
    return run("device/create-device.sh", args).assertExit(0).stdout().trim();
  }

  static String x509Text(Path cert) {
    Result r = tool("openssl", "x509", "-in", cert.toString(), "-noout", "-text");
    r.assertExit(0);
    return r.stdout();
  }

  static String subject(Path cert) {
    return tool("openssl", "x509", "-in", cert.toString(), "-noout", "-subject", "-nameopt", "RFC2253")
        .assertExit(0).stdout().trim().replaceFirst("^subject=", "");
  }

  static void assertVerifies(Path caPem, Path cert) {
    Result r = tool("openssl", "verify", "-CAfile", caPem.toString(), cert.toString());
    assertEquals(0, r.exitCode(), r::all);
    assertTrue(r.stdout().contains(": OK"), r::all);
  }

  /** openssl x509 -checkend: true when the certificate is still valid in that many days. */
  static boolean validInDays(Path cert, long days) {
    Result r = tool("openssl", "x509", "-in", cert.toString(), "-noout", "-checkend", String.valueOf(days * 86400));
    return r.exitCode() == 0;
  }

  static void assertOwnerOnly(Path file) {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), perms,
          () -> file + " should be mode 600");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The certificate id AWS IoT gives a certificate: hex SHA-256 of its DER encoding. */
  static String certificateId(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] bytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> readLines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void write(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
