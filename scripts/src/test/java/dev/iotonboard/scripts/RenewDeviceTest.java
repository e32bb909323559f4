package dev.iotonboard.scripts;

import static dev.iotonboard.scripts.Sandbox.assertOwnerOnly;
import static dev.iotonboard.scripts.Sandbox.assertVerifies;
import static dev.iotonboard.scripts.Sandbox.bytes;
import static dev.iotonboard.scripts.Sandbox.subject;
import static dev.iotonboard.scripts.Sandbox.validInDays;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RenewDeviceTest {

  @TempDir Path tmp;
  Sandbox sandbox;
  String thing;
  Path dir;

  @BeforeEach
  void setUp() {
    sandbox = new Sandbox(tmp).withCa();
    thing = sandbox.createDevice("--key-type", "ec");
    dir = sandbox.certsDir.resolve("devices").resolve(thing);
  }

  @Test
  void renew_makesAFreshKeyAndACertificateWithTheSameCnInNext_andPrintsOnlyItsId() throws IOException {
    byte[] currentCert = bytes(dir.resolve("deviceCert.crt"));
    byte[] currentKey = bytes(dir.resolve("deviceCert.key"));

    Sandbox.Result r = sandbox.run("device/renew-device.sh", "--key-type", "ec", "--days", "30").assertExit(0);

    Path next = dir.resolve("next");
    Path cert = next.resolve("deviceCert.crt");
    assertEquals(Sandbox.certificateId(cert) + "\n", r.stdout(), "stdout is the new certificate id only");
    assertTrue(subject(cert).startsWith("CN=" + thing + ","), subject(cert));
    assertEquals(subject(dir.resolve("deviceCert.crt")), subject(cert), "the same subject");
    assertVerifies(sandbox.certsDir.resolve("rootCA.pem"), cert);
    assertTrue(validInDays(cert, 29));
    assertFalse(validInDays(cert, 31));
    assertOwnerOnly(next.resolve("deviceCert.key"));
    assertFalse(java.util.Arrays.equals(currentKey, bytes(next.resolve("deviceCert.key"))), "a fresh key");
    ByteArrayOutputStream chain = new ByteArrayOutputStream();
    chain.write(bytes(cert));
    chain.write(bytes(sandbox.certsDir.resolve("rootCA.pem")));
    assertArrayEquals(chain.toByteArray(), bytes(next.resolve("deviceCertAndCACert.crt")));
    assertArrayEquals(currentCert, bytes(dir.resolve("deviceCert.crt")), "the current identity is untouched");
    assertNotEquals(Sandbox.certificateId(dir.resolve("deviceCert.crt")), r.stdout().trim());
  }

  @Test
  void renew_byDeviceDir_readsTheThingName() {
    Sandbox.Result r = sandbox.run("device/renew-device.sh", "--device-dir", dir.toString(), "--key-type", "ec")
        .assertExit(0);

    assertEquals(Sandbox.certificateId(dir.resolve("next/deviceCert.crt")) + "\n", r.stdout());
  }

  @Test
  void renew_again_keepsTheIdentityAlreadyPrepared() {
    String first = sandbox.run("device/renew-device.sh", "--key-type", "ec").assertExit(0).stdout();

    Sandbox.Result again = sandbox.run("device/renew-device.sh", "--key-type", "ec").assertExit(0)
        .assertStderrContains("already", "remove it to make another");

    assertEquals(first, again.stdout());
  }

  @Test
  void renew_underAnotherCa_signsWithTheCaOfCaDir() {
    Path otherCerts = tmp.resolve("ca2");
    sandbox.env("CERTS_DIR", otherCerts.toString());
    sandbox.run("ca/create-ca.sh", "--key-type", "ec").assertExit(0);
    sandbox.env("CERTS_DIR", sandbox.certsDir.toString());

    sandbox.run("device/renew-device.sh", "--ca-dir", otherCerts.toString(), "--key-type", "ec").assertExit(0);

    assertVerifies(otherCerts.resolve("rootCA.pem"), dir.resolve("next/deviceCert.crt"));
    assertTrue(Sandbox.read(dir.resolve("next/deviceCertAndCACert.crt"))
        .endsWith(Sandbox.read(otherCerts.resolve("rootCA.pem"))), "the chain ends with the signing CA");
  }

  @Test
  void renew_aThingNameThatIsNotTheCurrentCertificatesCn_isABadArgument() throws IOException {
    String other = sandbox.createDevice("--key-type", "ec");
    Path otherDir = sandbox.certsDir.resolve("devices").resolve(other);

    sandbox.run("device/renew-device.sh", "--device-dir", otherDir.toString(), "--thing-name", thing)
        .assertExit(2).assertStderrContains("CN=" + other);

    assertFalse(Files.exists(otherDir.resolve("next")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"--thing-name=NOT-A-UUID", "--key-type=dsa", "--rsa-bits=1024", "--days=0", "--bogus=1",
      "--ca-dir="})
  void renew_badArgumentsGiveUsage(String arg) {
    String[] parts = arg.split("=", 2);
    String[] args = parts[1].isEmpty() ? new String[] {parts[0]} : parts;
    sandbox.run("device/renew-device.sh", args).assertUsageError();

    assertFalse(Files.exists(dir.resolve("next")));
  }

  @Test
  void renew_withoutTheCa_saysWhereItLooked() {
    sandbox.run("device/renew-device.sh", "--ca-dir", tmp.resolve("nowhere").toString())
        .assertExit(1).assertStderrContains("no CA in", "--ca-dir");
  }

  @Test
  void renew_aDeviceThatDoesNotExist_isAnError() {
    sandbox.run("device/renew-device.sh", "--thing-name", "3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b")
        .assertExit(1).assertStderrContains("no device folder");
  }

  @Test
  void renew_anIncompleteNext_isAnErrorSayingWhatToDo() throws IOException {
    Files.createDirectories(dir.resolve("next"));

    sandbox.run("device/renew-device.sh").assertExit(1).assertStderrContains("incomplete", "remove it");
  }

  @Test
  void renew_whileAPromotionIsUnderWay_refusesToTouchNext() throws IOException {
    sandbox.run("device/renew-device.sh", "--key-type", "ec").assertExit(0);
    Files.writeString(dir.resolve("next/.confirmed"), "");
    Files.delete(dir.resolve("next/deviceCert.crt"));

    sandbox.run("device/renew-device.sh").assertExit(1).assertStderrContains("being promoted", "jitr.sh --renew");

    assertTrue(Files.exists(dir.resolve("next/deviceCert.key")));
  }

  @Test
  void renew_helpDocumentsTheOptions() {
    Sandbox.Result r = sandbox.run("device/renew-device.sh", "--help").assertExit(0);

    for (String option : new String[] {"--device-dir", "--thing-name", "--ca-dir", "--key-type", "--rsa-bits",
        "--days", "jitr.sh --renew"}) {
      assertTrue(r.stdout().contains(option), option);
    }
  }
}
