package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.IotDouble;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * rotate-ca.sh and ca-report.sh with the real AWS CLI against the IoT model (the IoT double): the current CA made by
 * create-ca.sh and registered by register-ca.sh, devices made by create-device.sh and registered in the model as
 * ACTIVE with their thing, as onboarding leaves them.
 */
class RotateCaTest {

  @TempDir Path tmp;
  Sandbox sandbox;
  IotDouble iot;
  String oldId;
  Path newCaDir;
  Path stateDir;

  @BeforeEach
  void setUp() {
    iot = IotDouble.start();
    sandbox = new Sandbox(tmp).withCa()
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_REGION", IotDouble.REGION)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_ENDPOINT_URL_IOT", iot.endpoint().toString());
    oldId = sandbox.run("ca/register-ca.sh").assertExit(0).stdout().trim();
    newCaDir = tmp.resolve("new-ca");
    stateDir = sandbox.certsDir.resolve("rotation");
  }

  @AfterEach
  void stop() {
    iot.close();
  }

  Sandbox.Result rotate(String... args) {
    return sandbox.run("ca/rotate-ca.sh", args);
  }

  /** A device of the current CA, registered ACTIVE and attached to its thing; returns its certificate id. */
  String onboardedDevice() {
    String thing = sandbox.createDevice("--key-type", "ec");
    String pem = Sandbox.read(sandbox.certsDir.resolve("devices/" + thing + "/deviceCert.crt"));
    String id = iot.addCertificate(pem, oldId, "ACTIVE");
    iot.addThing(thing, iot.certificateArn(id));
    return id;
  }

  String newId() {
    return Sandbox.read(newCaDir.resolve("caCertificateId")).trim();
  }

  // ---- arguments -------------------------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"bogus", "--bogus", "new-ca --key-type dsa", "renew --state-dir", "finish --new-ca-dir"})
  void badArguments_areUsageErrors(String args) {
    rotate(args.split(" ")).assertUsageError();
  }

  @Test
  void help_namesEveryStepInOrder() {
    String help = rotate("--help").assertExit(0).stdout();
    int last = -1;
    for (String step : List.of("new-ca", "deploy-both", "renew", "report", "finish")) {
      int at = help.indexOf("  " + step + " ");
      assertTrue(at > last, step + " in order in\n" + help);
      last = at;
    }
  }

  @Test
  void status_withoutARotation_printsTheFirstStep() {
    rotate().assertExit(0).assertStderrContains("no rotation under way", "next: scripts/ca/rotate-ca.sh new-ca");
  }

  @Test
  void laterSteps_beforeNewCa_sayWhatToRunFirst() {
    rotate("deploy-both", "--new-ca-dir", newCaDir.toString()).assertExit(1)
        .assertStderrContains("rotate-ca.sh new-ca first");
  }

  // ---- 1. new-ca ---------------------------------------------------------------------------------------------------

  @Test
  void newCa_createsAndRegistersTheNewCa_andRunsAgainWithoutChange() {
    rotate("new-ca", "--new-ca-dir", newCaDir.toString(), "--key-type", "ec", "--cn", "Next CA").assertExit(0)
        .assertStderrContains("new CA registered: ", "next: scripts/ca/rotate-ca.sh deploy-both");
    String newId = newId();
    assertEquals(Sandbox.certificateId(newCaDir.resolve("rootCA.pem")), newId);
    assertTrue(Sandbox.subject(newCaDir.resolve("rootCA.pem")).contains("CN=Next CA"));
    assertEquals("ACTIVE", iot.registry().caCertificates().get(newId).status());
    assertEquals("ENABLE", iot.registry().caCertificates().get(newId).autoRegistrationStatus());

    String key = Sandbox.read(newCaDir.resolve("rootCA.key"));
    rotate("new-ca").assertExit(0).assertStderrContains("not created again");
    assertEquals(key, Sandbox.read(newCaDir.resolve("rootCA.key")), "the new CA is kept");
    assertEquals(newId, newId());
    assertEquals(2, iot.registry().caCertificates().list().size());
    String state = Sandbox.read(stateDir.resolve("state"));
    assertTrue(state.contains("old_ca_id=" + oldId) && state.contains("new_ca_id=" + newId), state);
  }

  @Test
  void aRotationUnderWay_isNotRedirectedToAnotherNewCa() {
    rotate("new-ca", "--new-ca-dir", newCaDir.toString(), "--key-type", "ec").assertExit(0);

    rotate("new-ca", "--new-ca-dir", tmp.resolve("other-ca").toString()).assertExit(2)
        .assertStderrContains("the rotation under way", "new_ca_dir=" + newCaDir);
    assertFalse(Files.exists(tmp.resolve("other-ca")));
  }

  // ---- 2. deploy-both ----------------------------------------------------------------------------------------------

  @Test
  void deployBoth_printsTheDeployCommandWithBothCasAndWritesTheirBundle() {
    rotate("new-ca", "--new-ca-dir", newCaDir.toString(), "--key-type", "ec").assertExit(0);

    String command = rotate("deploy-both").assertExit(0).assertStderrContains("next: once the deploy command ran")
        .stdout();

    Path bundle = stateDir.resolve("truststore-both.pem");
    assertEquals("cdk deploy -c caCertificateId= -c caCertificateIds=" + oldId + "," + newId()
        + " -c truststorePath=" + bundle + "\n", command);
    assertEquals(Sandbox.read(sandbox.certsDir.resolve("rootCA.pem")) + Sandbox.read(newCaDir.resolve("rootCA.pem")),
        Sandbox.read(bundle));
    assertEquals(command, rotate("deploy-both").assertExit(0).stdout(), "the same again");
  }

  // ---- 3. renew ----------------------------------------------------------------------------------------------------

  @Test
  void renew_printsTheCommandsOfEachDeviceOfTheOldCaOnly() throws Exception {
    onboardedDevice();
    onboardedDevice();
    rotate("new-ca", "--new-ca-dir", newCaDir.toString(), "--key-type", "ec").assertExit(0);
    Sandbox renewed = new Sandbox(tmp.resolve("renewed")).env("CERTS_DIR", newCaDir.toString());
    String done = renewed.createDevice("--key-type", "ec");
    Files.move(newCaDir.resolve("devices/" + done), sandbox.certsDir.resolve("devices/" + done));

    Sandbox.Result r = rotate("renew").assertExit(0)
        .assertStderrContains("2 device(s) to renew", "1 already under the new CA");

    List<String> expected = new ArrayList<>();
    try (var dirs = Files.list(sandbox.certsDir.resolve("devices"))) {
      dirs.filter(Files::isDirectory).filter(d -> !d.getFileName().toString().equals(done)).sorted()
          .forEach(d -> expected.add("scripts/device/renew-device.sh --device-dir " + d + " --ca-dir " + newCaDir
              + " && scripts/device/jitr.sh --renew --device-dir " + d));
    }
    assertEquals(expected, r.stdout().lines().toList());
  }

  // ---- 4. report, ca-report.sh -------------------------------------------------------------------------------------

  @Test
  void report_countsActiveCertificatesAndDevicesPerCa() {
    onboardedDevice();
    String retired = onboardedDevice();
    onboardedDevice();
    iot.setCertificateStatus(retired, "INACTIVE");
    String thingless = sandbox.createDevice("--key-type", "ec");
    iot.addCertificate(Sandbox.read(sandbox.certsDir.resolve("devices/" + thingless + "/deviceCert.crt")), oldId,
        "ACTIVE"); // activated, not provisioned yet: no thing
    rotate("new-ca", "--new-ca-dir", newCaDir.toString(), "--key-type", "ec").assertExit(0);

    Sandbox.Result r = rotate("report").assertExit(0)
        .assertStderrContains("old CA " + oldId + ": 2 device(s) still hold ACTIVE certificates of it",
            "(3 ACTIVE certificate(s))");

    List<String> lines = r.stdout().lines().toList();
    assertEquals("caCertificateId\tstatus\tcaNotAfter\tactiveCertificates\tdevices\tsoonestExpiry", lines.get(0));
    String[] old = lines.get(1).split("\t");
    assertEquals(List.of(oldId, "ACTIVE", "3", "2"), List.of(old[0], old[1], old[3], old[4]));
    assertTrue(old[2].matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), old[2]);
    assertTrue(old[5].compareTo(old[2]) < 0, "a device (365 days) expires before its CA (3650 days)");
    String[] fresh = lines.get(2).split("\t");
    assertEquals(List.of(newId(), "ACTIVE", "0", "0", "-"), List.of(fresh[0], fresh[1], fresh[3], fresh[4], fresh[5]));
  }

  @Test
  void caReport_withoutIds_reportsEveryRegisteredCa_andRefusesBadIds() {
    sandbox.run("ca/ca-report.sh").assertExit(0);
    assertEquals(2, sandbox.run("ca/ca-report.sh").stdout().lines().count(), "header and the one CA");
    sandbox.run("ca/ca-report.sh", "--ca-certificate-id", "ABC").assertUsageError();
    sandbox.run("ca/ca-report.sh", "--ca-certificate-id", "f".repeat(64)).assertExit(1)
        .assertStderrContains("AWS IoT has no such resource");
  }

  // ---- 5. finish ---------------------------------------------------------------------------------------------------

  @Test
  void finish_refusesWhileOldCertificatesAreActive_thenRetiresTheOldCa_andRunsAgain() {
    String device = onboardedDevice();
    rotate("new-ca", "--new-ca-dir", newCaDir.toString(), "--key-type", "ec").assertExit(0);

    rotate("finish").assertExit(3).assertStderrContains("1 ACTIVE certificate(s) of the old CA", "--force");
    assertEquals("ACTIVE", iot.registry().caCertificates().get(oldId).status(), "nothing changed");

    iot.setCertificateStatus(device, "INACTIVE"); // what provisioning does to the old certificate on renewal
    Path bundle = stateDir.resolve("truststore-new.pem");
    String command = rotate("finish").assertExit(0).assertStderrContains("setting the old CA", "done:").stdout();

    assertEquals("INACTIVE", iot.registry().caCertificates().get(oldId).status());
    assertEquals("cdk deploy -c caCertificateId= -c caCertificateIds=" + newId() + " -c truststorePath=" + bundle
        + "\n", command);
    assertEquals(Sandbox.read(newCaDir.resolve("rootCA.pem")), Sandbox.read(bundle));
    rotate("finish").assertExit(0).assertStderrContains("is INACTIVE already");
    rotate().assertExit(0).assertStderrContains("last step done: finish", "done:");
  }

  @Test
  void finish_withForce_retiresTheOldCaDespiteActiveCertificates() {
    onboardedDevice();
    rotate("new-ca", "--new-ca-dir", newCaDir.toString(), "--key-type", "ec").assertExit(0);

    rotate("finish", "--force").assertExit(0).assertStderrContains("--force: 1 ACTIVE certificate(s)");

    assertEquals("INACTIVE", iot.registry().caCertificates().get(oldId).status());
  }
}
