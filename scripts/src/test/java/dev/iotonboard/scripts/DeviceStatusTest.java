package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ops/device-status.sh against a fake aws (src/test/resources/fakes/aws-device-status). The real AWS CLI against the
 * local IoT Core runs in local's PlacementIT.
 */
class DeviceStatusTest {
  static final String THING = "3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b";
  static final String CERT = "ab".repeat(32);

  @TempDir Path tmp;
  Sandbox sandbox;
  Path awsLog;

  @BeforeEach
  void setUp() {
    awsLog = tmp.resolve("aws.log");
    sandbox = new Sandbox(tmp).installFake("aws-device-status", "aws")
        .env("FAKE_AWS_LOG", awsLog.toString())
        .env("FAKE_AWS_THING", THING)
        .env("FAKE_AWS_CERT", CERT);
  }

  List<String> awsCalls() {
    return Files.exists(awsLog) ? Sandbox.readLines(awsLog) : List.of();
  }

  @Test
  void status_printsTheThingItsGroupsAndEachCertificateWithItsPolicies() {
    Sandbox.Result r = sandbox.run("ops/device-status.sh", "--thing-name", THING, "--endpoint-url",
        "http://127.0.0.1:4566", "--region", "eu-west-1").assertExit(0);

    assertEquals("thing " + THING + "\n"
        + "  type: sensor\n"
        + "  version: 3\n"
        + "  attributes:\n"
        + "    org=Acme\n"
        + "    certNotAfter=2027-11-30T12:00:00Z\n"
        + "groups: fleet eu-sensors\n"
        + "certificate " + CERT + "\n"
        + "  status: ACTIVE\n"
        + "  ca: " + "c".repeat(64) + "\n"
        + "  notAfter: 2027-11-30T12:00:00+00:00\n"
        + "  policies: app-policy\n", r.stdout());
    List<String> calls = awsCalls();
    assertEquals(5, calls.size(), calls::toString);
    assertTrue(calls.get(0).startsWith("--endpoint-url http://127.0.0.1:4566 --region eu-west-1 --output json iot "
        + "describe-thing --thing-name " + THING), calls.get(0));
    assertTrue(calls.get(1).contains("iot list-thing-groups-for-thing --thing-name " + THING), calls.get(1));
    assertTrue(calls.get(2).contains("iot list-thing-principals --thing-name " + THING), calls.get(2));
    assertTrue(calls.get(3).contains("iot describe-certificate --certificate-id " + CERT), calls.get(3));
    assertTrue(calls.get(4).contains("iot list-attached-policies --target arn:aws:iot:eu-west-1:123456789012:cert/"
        + CERT), calls.get(4));
  }

  @Test
  void status_aThingWithoutCertificates_saysSo() {
    sandbox.env("FAKE_AWS_CERT", "");

    Sandbox.Result r = sandbox.run("ops/device-status.sh", "--thing-name", THING).assertExit(0);

    assertTrue(r.stdout().endsWith("certificates: (none)\n"), r.stdout());
  }

  @Test
  void status_noSuchThing_exits3() {
    sandbox.run("ops/device-status.sh", "--thing-name", "0e6c1e3f-8d4a-4e5f-9a7b-1c2d3e4f5a6b").assertExit(3)
        .assertStderrContains("there is no thing named 0e6c1e3f-8d4a-4e5f-9a7b-1c2d3e4f5a6b");

    assertEquals(1, awsCalls().size());
  }

  @Test
  void status_aFailedCallIsAnError() {
    sandbox.env("FAKE_AWS_FAIL", "list-thing-groups-for-thing");

    sandbox.run("ops/device-status.sh", "--thing-name", THING).assertExit(1)
        .assertStderrContains("list-thing-groups-for-thing failed", "AccessDenied");
  }

  @ParameterizedTest
  @ValueSource(strings = {"--thing-name=a/b", "--thing-name=things/#", "--bogus=1", "--thing-name="})
  void status_badArgumentsGiveUsageBeforeAnyCall(String arg) {
    String[] kv = arg.split("=", 2);
    sandbox.run("ops/device-status.sh", kv[1].isEmpty() && kv[0].equals("--thing-name") ? new String[] {kv[0]}
        : new String[] {"--thing-name", THING, kv[0], kv[1]}).assertUsageError();

    assertEquals(List.of(), awsCalls());
  }

  @Test
  void status_withoutAThingName_isAUsageError() {
    sandbox.run("ops/device-status.sh").assertUsageError();
  }

  @Test
  void status_helpSaysWhatItShows() {
    Sandbox.Result r = sandbox.run("ops/device-status.sh", "--help").assertExit(0);

    assertTrue(r.stdout().contains("list-thing-groups-for-thing") && r.stdout().contains("Exit codes")
        && r.stdout().contains("3  no thing T"), r.stdout());
  }
}
