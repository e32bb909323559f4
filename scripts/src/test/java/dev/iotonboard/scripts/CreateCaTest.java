package dev.iotonboard.scripts;

import static dev.iotonboard.scripts.Sandbox.assertOwnerOnly;
import static dev.iotonboard.scripts.Sandbox.assertVerifies;
import static dev.iotonboard.scripts.Sandbox.bytes;
import static dev.iotonboard.scripts.Sandbox.subject;
import static dev.iotonboard.scripts.Sandbox.validInDays;
import static dev.iotonboard.scripts.Sandbox.x509Text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CreateCaTest {

  @TempDir Path tmp;
  Sandbox sandbox;
  Path key;
  Path pem;

  @BeforeEach
  void setUp() {
    sandbox = new Sandbox(tmp);
    key = sandbox.certsDir.resolve("rootCA.key");
    pem = sandbox.certsDir.resolve("rootCA.pem");
  }

  @Test
  void createCa_defaultsToSelfSignedRsa2048CaWithCaExtensions() {
    Sandbox.Result r = sandbox.createCa();

    assertEquals("", r.stdout(), "progress goes to stderr only");
    assertOwnerOnly(key);
    assertTrue(Sandbox.read(key).contains("BEGIN PRIVATE KEY"));
    assertVerifies(pem, pem);
    String text = x509Text(pem);
    assertTrue(text.contains("Public-Key: (2048 bit)"), text);
    assertTrue(text.contains("sha256WithRSAEncryption"), text);
    assertTrue(text.contains("X509v3 Basic Constraints: critical\n                CA:TRUE"), text);
    assertTrue(text.contains("X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign"), text);
    assertTrue(text.contains("X509v3 Subject Key Identifier"), text);
    assertTrue(subject(pem).contains("CN=IoT Onboarding Root CA"), subject(pem));
    assertTrue(validInDays(pem, 3649), "valid for ten years");
    assertFalse(validInDays(pem, 3651), "not longer than the default 3650 days");
    r.assertStderrContains("scripts/ca/register-ca.sh");
  }

  /** pathlen:0: the root signs end-entity certificates only; a CA it signs cannot sign anything that verifies. */
  @Test
  void createCa_pathLengthZero_soNoIntermediateCaItSignsCanIssueValidCertificates() {
    sandbox.createCa("--key-type", "ec");

    assertTrue(x509Text(pem).contains("CA:TRUE, pathlen:0"), x509Text(pem));
    Path ext = tmp.resolve("intermediate.ext");
    Sandbox.write(ext, "[ca]\nbasicConstraints = critical, CA:true\nkeyUsage = critical, keyCertSign\n"
        + "[leaf]\nbasicConstraints = critical, CA:false\nkeyUsage = critical, digitalSignature\n");
    Path interKey = issue("intermediate", "ca", pem, key, ext);
    Path interPem = tmp.resolve("intermediate.pem");
    issue("leaf", "leaf", interPem, interKey, ext);

    Sandbox.Result chain = Sandbox.tool("openssl", "verify", "-CAfile", pem.toString(),
        "-untrusted", interPem.toString(), tmp.resolve("leaf.pem").toString());
    assertFalse(chain.exitCode() == 0, chain::all);
    assertTrue(chain.all().contains("path length constraint exceeded"), chain::all);
  }

  /** An EC key and a certificate for it, signed by the given issuer with a section of ext; returns the key. */
  private Path issue(String name, String section, Path issuerPem, Path issuerKey, Path ext) {
    Path k = tmp.resolve(name + ".key");
    Path csr = tmp.resolve(name + ".csr");
    Sandbox.tool("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", k.toString())
        .assertExit(0);
    Sandbox.tool("openssl", "req", "-new", "-key", k.toString(), "-subj", "/CN=" + name, "-out", csr.toString())
        .assertExit(0);
    Sandbox.tool("openssl", "x509", "-req", "-in", csr.toString(), "-CA", issuerPem.toString(),
        "-CAkey", issuerKey.toString(), "-set_serial", "9", "-days", "1", "-extfile", ext.toString(),
        "-extensions", section, "-out", tmp.resolve(name + ".pem").toString()).assertExit(0);
    return k;
  }

  @Test
  void createCa_ecP256WhenAsked() {
    sandbox.createCa("--key-type", "ec");

    String text = x509Text(pem);
    assertTrue(text.contains("id-ecPublicKey"), text);
    assertTrue(text.contains("prime256v1"), text);
    assertTrue(text.contains("ecdsa-with-SHA256"), text);
    assertVerifies(pem, pem);
    assertOwnerOnly(key);
  }

  @Test
  void createCa_keyTypeAndRsaSizeFromEnvironment() {
    sandbox.env("CA_KEY_TYPE", "rsa").env("CA_RSA_BITS", "3072").createCa();

    assertTrue(x509Text(pem).contains("Public-Key: (3072 bit)"));
  }

  @Test
  void createCa_honoursDaysCommonNameAndSubjectEnvironment() {
    sandbox.env("CERT_O", "Acme Devices").env("CERT_C", "DE")
        .createCa("--key-type", "ec", "--days", "30", "--cn", "Acme Root CA");

    String subject = subject(pem);
    assertTrue(subject.contains("CN=Acme Root CA"), subject);
    assertTrue(subject.contains("O=Acme Devices"), subject);
    assertTrue(subject.contains("C=DE"), subject);
    assertTrue(validInDays(pem, 29));
    assertFalse(validInDays(pem, 31));
  }

  @Test
  void createCa_refusesToOverwriteAnExistingCa() {
    sandbox.createCa("--key-type", "ec");
    byte[] keyBefore = bytes(key);
    byte[] pemBefore = bytes(pem);

    sandbox.run("ca/create-ca.sh", "--key-type", "ec").assertExit(1)
        .assertStderrContains("already exists", "--force");

    assertArrayEquals(keyBefore, bytes(key));
    assertArrayEquals(pemBefore, bytes(pem));
  }

  @Test
  void createCa_forceReplacesTheCaAndKeepsTheOldOneInABackup() throws IOException {
    sandbox.createCa("--key-type", "ec");
    byte[] oldKey = bytes(key);
    Sandbox.write(sandbox.certsDir.resolve("caCertificateId"), "old-id\n");

    sandbox.createCa("--key-type", "ec", "--force").assertStderrContains("backup");

    assertFalse(java.util.Arrays.equals(oldKey, bytes(key)), "a new key");
    assertFalse(Files.exists(sandbox.certsDir.resolve("caCertificateId")), "the old CA's id no longer applies");
    List<Path> backups;
    try (Stream<Path> s = Files.list(sandbox.certsDir)) {
      backups = s.filter(p -> p.getFileName().toString().startsWith("backup-")).toList();
    }
    assertEquals(1, backups.size());
    assertArrayEquals(oldKey, bytes(backups.get(0).resolve("rootCA.key")));
    assertEquals("old-id\n", Sandbox.read(backups.get(0).resolve("caCertificateId")));
  }

  static Stream<List<String>> badArguments() {
    return Stream.of(
        List.of("--bogus"),
        List.of("extra"),
        List.of("--key-type", "dsa"),
        List.of("--key-type"),
        List.of("--rsa-bits", "1024"),
        List.of("--rsa-bits", "lots"),
        List.of("--rsa-bits", "4097"),
        List.of("--rsa-bits", "8192"),
        List.of("--rsa-bits", "18446744073709553664"),
        List.of("--cn", "Evil\nCN=other"),
        List.of("--cn", "tab\there"),
        List.of("--cn", "bell\u0007"),
        List.of("--cn", "del\u007f"),
        List.of("--cn", "trailing newline\n"),
        List.of("--days", "0"),
        List.of("--days", "-5"),
        List.of("--cn", ""));
  }

  @ParameterizedTest
  @MethodSource("badArguments")
  void createCa_badArgumentsGiveUsageAndWriteNothing(List<String> args) {
    sandbox.run("ca/create-ca.sh", args.toArray(String[]::new)).assertUsageError();

    assertFalse(Files.exists(key));
  }

  @Test
  void createCa_controlCharacterInTheCommonNameFromTheEnvironmentIsAUsageErrorNamingIt() {
    sandbox.env("CA_CN", "line one\nline two").run("ca/create-ca.sh", "--key-type", "ec").assertUsageError()
        .assertStderrContains("--cn", "control character");

    assertFalse(Files.exists(key));
  }

  @Test
  void createCa_rsaKeysUpTo4096BitsAreAccepted() {
    sandbox.createCa("--rsa-bits", "4096");

    assertTrue(x509Text(pem).contains("Public-Key: (4096 bit)"));
  }

  @Test
  void createCa_rsaBitsAboveTheBoundNameTheBound() {
    sandbox.env("CA_RSA_BITS", "16384").run("ca/create-ca.sh").assertUsageError()
        .assertStderrContains("--rsa-bits", "4096", "16384");
  }

  /** Makes rootCA.key a link to a file on a volume that is not there (not mounted); returns the link's target. */
  Path danglingKeyLink() throws IOException {
    Files.createDirectories(sandbox.certsDir);
    return Files.readSymbolicLink(Files.createSymbolicLink(key, tmp.resolve("offline-volume/rootCA.key")));
  }

  /** A rootCA.key that is a link to missing storage (an unmounted key volume) is a key that exists. */
  @Test
  void createCa_danglingKeyLinkCountsAsAnExistingKey_andIsNeverWrittenThroughOrReplaced() throws IOException {
    Path target = danglingKeyLink();

    sandbox.run("ca/create-ca.sh", "--key-type", "ec").assertExit(1)
        .assertStderrContains("already exists", "rootCA.key", "--force");

    assertTrue(Files.isSymbolicLink(key), "the link is left as it was");
    assertEquals(target, Files.readSymbolicLink(key));
    assertFalse(Files.exists(target), "nothing written through the link");
    assertFalse(Files.exists(pem), "no CA certificate without its key");
  }

  @Test
  void createCa_forceKeepsADanglingKeyLinkInTheBackup() throws IOException {
    Path target = danglingKeyLink();

    sandbox.createCa("--key-type", "ec", "--force").assertStderrContains("backup");

    assertFalse(Files.exists(target), "nothing written through the link");
    assertFalse(Files.isSymbolicLink(key), "a new key file");
    try (Stream<Path> s = Files.list(sandbox.certsDir)) {
      Path backup = s.filter(p -> p.getFileName().toString().startsWith("backup-")).findFirst().orElseThrow();
      assertEquals(target, Files.readSymbolicLink(backup.resolve("rootCA.key")), "the link itself is kept");
    }
  }

  @Test
  void createCa_helpPrintsUsage() {
    Sandbox.Result r = sandbox.run("ca/create-ca.sh", "--help").assertExit(0);

    assertTrue(r.stdout().startsWith("Usage: scripts/ca/create-ca.sh"), r.stdout());
    assertTrue(r.stdout().contains("--force"));
    assertTrue(r.stdout().contains("rootCA.key"));
  }

  @Test
  void createCa_missingOpensslGivesInstallHint() {
    sandbox.withoutTool("openssl").run("ca/create-ca.sh").assertExit(1)
        .assertStderrContains("openssl is required", "apt-get install openssl");
  }

  @Test
  void createCa_emptySubjectVariableIsRejectedWithAdvice() {
    sandbox.env("CERT_O", "").run("ca/create-ca.sh", "--key-type", "ec").assertExit(1)
        .assertStderrContains("CERT_O is set but empty");
    assertFalse(Files.exists(key));
  }

  @Test
  void createCa_writesIntoTheRepositoryCertsFolderWhateverTheWorkingDirectory() throws IOException {
    // A copy of the repository layout, so the real certs/ is never touched.
    Path repo = tmp.resolve("repo");
    copyTree(Sandbox.REPO_ROOT.resolve("scripts/lib"), repo.resolve("scripts/lib"));
    copyTree(Sandbox.REPO_ROOT.resolve("scripts/ca"), repo.resolve("scripts/ca"));
    Files.copy(Sandbox.REPO_ROOT.resolve("openssl.conf"), repo.resolve("openssl.conf"));
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    sandbox.env.remove("CERTS_DIR");

    Sandbox.Result r = sandbox.exec(elsewhere,
        List.of(repo.resolve("scripts/ca/create-ca.sh").toString(), "--key-type", "ec"));

    r.assertExit(0);
    assertTrue(Files.isRegularFile(repo.resolve("certs/rootCA.pem")), r::all);
    assertTrue(Files.isRegularFile(repo.resolve("certs/rootCA.key")));
    try (Stream<Path> s = Files.list(elsewhere)) {
      assertEquals(0, s.count(), "nothing written in the working directory");
    }
  }

  @Test
  void createCa_relativeCertsDirIsResolvedAgainstTheWorkingDirectory() throws IOException {
    Path cwd = Files.createDirectories(tmp.resolve("cwd"));
    sandbox.env("CERTS_DIR", "out");

    sandbox.runIn(cwd, "ca/create-ca.sh", "--key-type", "ec").assertExit(0);

    assertTrue(Files.isRegularFile(cwd.resolve("out/rootCA.pem")));
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
