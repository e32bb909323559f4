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
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CreateDeviceTest {

  static final Pattern UUID_V4 = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  static final String GIVEN = "3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b";

  @TempDir Path tmp;
  Sandbox sandbox;
  Path caPem;

  @BeforeEach
  void setUp() {
    sandbox = new Sandbox(tmp).withCa();
    caPem = sandbox.certsDir.resolve("rootCA.pem");
  }

  Path deviceDir(String thing) {
    return sandbox.certsDir.resolve("devices").resolve(thing);
  }

  @Test
  void createDevice_freshLowercaseUuidAndAClientCertificateSignedByTheCa() throws IOException {
    Sandbox.Result r = sandbox.run("device/create-device.sh").assertExit(0);

    String thing = r.stdout().trim();
    assertTrue(UUID_V4.matcher(thing).matches(), () -> "a lowercase v4 UUID on stdout, got <" + r.stdout() + ">");
    assertEquals(thing + "\n", r.stdout(), "stdout carries the thing name only");
    Path dir = deviceDir(thing);
    assertEquals(thing + "\n", Sandbox.read(dir.resolve("thingName")));
    assertEquals(thing + "\n", Sandbox.read(sandbox.certsDir.resolve("devices/latest")));
    assertOwnerOnly(dir.resolve("deviceCert.key"));
    assertTrue(Files.isRegularFile(dir.resolve("deviceCert.csr")));

    Path cert = dir.resolve("deviceCert.crt");
    assertVerifies(caPem, cert);
    String text = x509Text(cert);
    assertTrue(text.contains("X509v3 Basic Constraints: critical\n                CA:FALSE"), text);
    assertTrue(text.contains("X509v3 Key Usage: critical\n                Digital Signature\n"), text);
    assertTrue(text.contains("X509v3 Extended Key Usage: \n                TLS Web Client Authentication\n"), text);
    assertFalse(text.contains("Certificate Sign"), text);
    assertTrue(text.contains("Public-Key: (2048 bit)"), "RSA 2048 by default");
    assertTrue(text.contains("Signature Algorithm: ecdsa-with-SHA256"), "signed by the (EC) CA with SHA-256: " + text);
    assertTrue(text.contains("X509v3 Authority Key Identifier"), text);
    assertTrue(subject(cert).startsWith("CN=" + thing + ","), subject(cert));
    assertTrue(validInDays(cert, 364));
    assertFalse(validInDays(cert, 366));

    ByteArrayOutputStream chain = new ByteArrayOutputStream();
    chain.write(bytes(cert));
    chain.write(bytes(caPem));
    assertArrayEquals(chain.toByteArray(), bytes(dir.resolve("deviceCertAndCACert.crt")),
        "the chain file is the device certificate followed by the CA");
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(5, s.count(), "key, csr, crt, chain, thingName and nothing else");
    }
  }

  @Test
  void createDevice_usesTheGivenThingName() {
    assertEquals(GIVEN, sandbox.createDevice("--thing-name", GIVEN));

    assertTrue(subject(deviceDir(GIVEN).resolve("deviceCert.crt")).startsWith("CN=" + GIVEN + ","));
  }

  @Test
  void createDevice_manyDevicesCoexist() {
    String first = sandbox.createDevice();
    String second = sandbox.createDevice();

    assertNotEquals(first, second);
    assertVerifies(caPem, deviceDir(first).resolve("deviceCert.crt"));
    assertVerifies(caPem, deviceDir(second).resolve("deviceCert.crt"));
    assertEquals(second + "\n", Sandbox.read(sandbox.certsDir.resolve("devices/latest")));
  }

  @Test
  void createDevice_ecKeyAndValidityOnRequest() {
    sandbox.createDevice("--thing-name", GIVEN, "--key-type", "ec", "--days", "10");

    Path cert = deviceDir(GIVEN).resolve("deviceCert.crt");
    String text = x509Text(cert);
    assertTrue(text.contains("prime256v1"), text);
    assertTrue(validInDays(cert, 9));
    assertFalse(validInDays(cert, 11));
  }

  @Test
  void createDevice_refusesToOverwriteAnExistingDevice() {
    sandbox.createDevice("--thing-name", GIVEN);
    byte[] key = bytes(deviceDir(GIVEN).resolve("deviceCert.key"));

    sandbox.run("device/create-device.sh", "--thing-name", GIVEN).assertExit(1)
        .assertStderrContains("already exists");

    assertArrayEquals(key, bytes(deviceDir(GIVEN).resolve("deviceCert.key")));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "3F2B6C1E-8D4A-4E5F-9A7B-1C2D3E4F5A6B", // uppercase
      "3f2b6c1e8d4a4e5f9a7b1c2d3e4f5a6b", // no hyphens
      "{3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b}",
      "3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b0",
      "not-a-uuid",
      "../../etc",
      "thing/one"})
  void createDevice_rejectsThingNamesThatAreNotCanonicalLowercaseUuids(String name) {
    sandbox.run("device/create-device.sh", "--thing-name", name).assertUsageError()
        .assertStderrContains("canonical lowercase UUID");

    assertFalse(Files.exists(sandbox.certsDir.resolve("devices")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"--bogus", "--thing-name", "--key-type=ec", "--days"})
  void createDevice_badArgumentsGiveUsage(String arg) {
    sandbox.run("device/create-device.sh", arg).assertUsageError();
  }

  @ParameterizedTest
  @ValueSource(strings = {"1024", "4097", "8192", "99999999999999999999"})
  void createDevice_rsaBitsOutside2048To4096IsAUsageError(String bits) {
    sandbox.run("device/create-device.sh", "--rsa-bits", bits).assertUsageError()
        .assertStderrContains("--rsa-bits", "2048", "4096");

    assertFalse(Files.exists(sandbox.certsDir.resolve("devices")));
  }

  /** openssl's own reason, not a bare "could not sign": here a CA key that is no key at all. */
  @Test
  void createDevice_unreadableCaKeyShowsOpensslsReason() {
    sandbox.breakCaKey();

    Sandbox.Result r = sandbox.run("device/create-device.sh", "--key-type", "ec").assertExit(1)
        .assertStderrContains("could not sign", "CA private key");

    assertFalse(r.stderr().contains("self-signature ok"), "openssl's progress is not its reason: " + r.all());
    assertFalse(Files.exists(sandbox.certsDir.resolve("devices/latest")));
  }

  @Test
  void createDevice_needsTheCa() {
    Sandbox empty = new Sandbox(tmp.resolve("empty"));

    empty.run("device/create-device.sh").assertExit(1).assertStderrContains("run scripts/ca/create-ca.sh");
  }

  @Test
  void createDevice_missingOpensslGivesInstallHint() {
    sandbox.withoutTool("openssl").run("device/create-device.sh").assertExit(1)
        .assertStderrContains("openssl is required", "apt-get install openssl");
  }

  @Test
  void createDevice_helpPrintsUsage() {
    Sandbox.Result r = sandbox.run("device/create-device.sh", "-h").assertExit(0);

    assertTrue(r.stdout().startsWith("Usage: scripts/device/create-device.sh"));
    assertTrue(r.stdout().contains("deviceCertAndCACert.crt"));
  }
}
