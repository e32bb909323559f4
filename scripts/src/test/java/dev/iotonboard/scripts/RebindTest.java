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
 * ops/rebind.sh against a fake aws (src/test/resources/fakes/aws-rebind). The real AWS CLI against the local IoT
 * Core runs in local's RenewalIT.
 */
class RebindTest {
  static final String THING = "3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b";
  static final String ID = "ab".repeat(32);

  @TempDir Path tmp;
  Sandbox sandbox;
  Path awsLog;

  @BeforeEach
  void setUp() {
    awsLog = tmp.resolve("aws.log");
    sandbox = new Sandbox(tmp).installFake("aws-rebind", "aws")
        .env("FAKE_AWS_LOG", awsLog.toString())
        .env("FAKE_AWS_THINGS", THING);
  }

  List<String> awsCalls() {
    return Files.exists(awsLog) ? Sandbox.readLines(awsLog) : List.of();
  }

  @Test
  void rebind_recordsTheOverrideOnTheThing_andPrintsTheAuditLine() {
    Sandbox.Result r = sandbox.run("ops/rebind.sh", "--thing-name", THING, "--certificate-id", ID,
        "--reason", "key lost: \"flash wiped\"", "--endpoint-url", "http://127.0.0.1:4566", "--region", "eu-west-1")
        .assertExit(0);

    List<String> calls = awsCalls();
    assertEquals(3, calls.size(), calls::toString);
    assertEquals("--region eu-west-1 --output json sts get-caller-identity", calls.get(0),
        "STS without the IoT endpoint override");
    assertTrue(calls.get(1).contains("iot describe-thing --thing-name " + THING), calls.get(1));
    String update = calls.get(2);
    assertTrue(update.startsWith("--endpoint-url http://127.0.0.1:4566 --region eu-west-1 --output json iot "
        + "update-thing --thing-name " + THING + " --attribute-payload "), update);
    assertTrue(update.matches(".*\\{\"attributes\":\\{\"renewalAnnouncement\":\"" + ID + ":operator:[0-9]{10}\"}.*"),
        update);
    assertTrue(update.contains("\"merge\":true"), update);

    String audit = r.stdout();
    assertTrue(audit.startsWith("{\"audit\":true,\"action\":\"rebind\",\"thingName\":\"" + THING
        + "\",\"certificateId\":\"" + ID + "\",\"by\":\"arn:aws:iam::123456789012:user/alice\",\"at\":\""), audit);
    assertTrue(audit.endsWith("\"reason\":\"key lost: \\\"flash wiped\\\"\"}\n"), audit);
    assertEquals(1, audit.lines().count(), "stdout is the audit line only");
  }

  @Test
  void rebind_whenStsCannotSayWhoCalls_recordsUnknownWithAWarning() {
    sandbox.env("FAKE_AWS_FAIL", "get-caller-identity");

    Sandbox.Result r = sandbox.run("ops/rebind.sh", "--thing-name", THING, "--certificate-id", ID).assertExit(0)
        .assertStderrContains("get-caller-identity failed");

    assertTrue(r.stdout().contains("\"by\":\"unknown\""), r.stdout());
  }

  @Test
  void rebind_aThingThatDoesNotExist_isAClearError() {
    sandbox.run("ops/rebind.sh", "--thing-name", "0e6c1e3f-8d4a-4e5f-9a7b-1c2d3e4f5a6b", "--certificate-id", ID)
        .assertExit(1).assertStderrContains("there is no thing named 0e6c1e3f-8d4a-4e5f-9a7b-1c2d3e4f5a6b");

    assertTrue(awsCalls().stream().noneMatch(c -> c.contains("update-thing")));
  }

  @Test
  void rebind_aFailedUpdateIsAnError() {
    sandbox.env("FAKE_AWS_FAIL", "update-thing");

    Sandbox.Result r = sandbox.run("ops/rebind.sh", "--thing-name", THING, "--certificate-id", ID).assertExit(1)
        .assertStderrContains("update-thing failed", "AccessDenied");

    assertEquals("", r.stdout(), "no audit line for an override that was not recorded");
  }

  @ParameterizedTest
  @ValueSource(strings = {"--certificate-id=ABAB", "--certificate-id=" + "AB" + "ab", "--thing-name=a/b",
      "--thing-name=things/#", "--bogus=1"})
  void rebind_badArgumentsGiveUsageBeforeAnyCall(String arg) {
    String[] kv = arg.split("=", 2);
    List<String> args = new java.util.ArrayList<>(List.of("--thing-name", THING, "--certificate-id", ID));
    args.addAll(List.of(kv));

    sandbox.run("ops/rebind.sh", args.toArray(String[]::new)).assertUsageError();

    assertEquals(List.of(), awsCalls());
  }

  @Test
  void rebind_missingRequiredOptionsOrAControlCharacterInTheReason_areUsageErrors() {
    sandbox.run("ops/rebind.sh", "--thing-name", THING).assertUsageError();
    sandbox.run("ops/rebind.sh", "--certificate-id", ID).assertUsageError();
    sandbox.run("ops/rebind.sh", "--thing-name", THING, "--certificate-id", ID, "--reason", "a\nb")
        .assertUsageError();
    sandbox.run("ops/rebind.sh", "--thing-name", THING, "--certificate-id", ID, "--reason", "x".repeat(257))
        .assertUsageError();

    assertEquals(List.of(), awsCalls());
  }

  @Test
  void rebind_helpSaysWhatItDoes() {
    Sandbox.Result r = sandbox.run("ops/rebind.sh", "--help").assertExit(0);

    for (String part : new String[] {"--thing-name", "--certificate-id", "--reason", "get-caller-identity",
        "renewalAnnouncement=<ID>:operator:", "renewalWindowHours"}) {
      assertTrue(r.stdout().contains(part), part);
    }
  }
}
