package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.IotDouble;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * ops/rebind.sh with the real AWS CLI against the IoT model (the IoT double: its refusals are the model's, faults are
 * scripted on it), through fakes/aws-sts-identity: STS's caller identity is the only call faked, because the CLI that
 * CI installs cannot point STS at a local endpoint. Local's RenewalIT runs the script against the local IoT Core.
 */
class RebindTest {
  static final String THING = "3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b";
  static final String ID = "ab".repeat(32);

  @TempDir Path tmp;
  Sandbox sandbox;
  Path awsLog;
  IotDouble iot;
  IotClient client;

  @BeforeEach
  void setUp() {
    iot = IotDouble.start();
    client = iot.client();
    client.createThing(r -> r.thingName(THING).attributePayload(p -> p.attributes(Map.of("site", "plant-7"))));
    awsLog = tmp.resolve("aws.log");
    sandbox = new Sandbox(tmp).realAws("aws-sts-identity", awsLog);
  }

  @AfterEach
  void stop() {
    client.close();
    iot.close();
  }

  List<String> awsCalls() {
    return Files.exists(awsLog) ? Sandbox.readLines(awsLog) : List.of();
  }

  /** The script against the double, with these arguments after the thing and the certificate id. */
  Sandbox.Result rebind(String thingName, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("--thing-name", thingName, "--certificate-id", ID,
        "--endpoint-url", iot.endpoint().toString()));
    args.addAll(List.of(more));
    return sandbox.run("ops/rebind.sh", args.toArray(String[]::new));
  }

  Map<String, String> attributes() {
    return client.describeThing(r -> r.thingName(THING)).attributes();
  }

  @Test
  void rebind_recordsTheOverrideOnTheThing_keepingItsAttributes_andPrintsTheAuditLine() {
    long before = System.currentTimeMillis() / 1000;
    Sandbox.Result r = rebind(THING, "--reason", "key lost: \"flash wiped\"", "--region", "eu-west-1").assertExit(0);

    List<String> calls = awsCalls();
    assertEquals(3, calls.size(), calls::toString);
    assertEquals("--region eu-west-1 --output json sts get-caller-identity", calls.get(0),
        "STS without the IoT endpoint override");
    assertTrue(calls.get(1).contains("iot describe-thing --thing-name " + THING), calls.get(1));
    assertTrue(calls.get(2).startsWith("--endpoint-url " + iot.endpoint() + " --region eu-west-1 --output json iot "
        + "update-thing --thing-name " + THING + " --attribute-payload "), calls.get(2));
    Map<String, String> attributes = attributes();
    assertEquals("plant-7", attributes.get("site"), "merged: the thing's other attributes stay");
    String announcement = attributes.get("renewalAnnouncement");
    assertTrue(announcement.matches(ID + ":operator:[0-9]{10}"), announcement);
    long at = Long.parseLong(announcement.substring(announcement.lastIndexOf(':') + 1));
    assertTrue(at >= before && at <= System.currentTimeMillis() / 1000 + 1, announcement);

    String audit = r.stdout();
    assertTrue(audit.startsWith("{\"audit\":true,\"action\":\"rebind\",\"thingName\":\"" + THING
        + "\",\"certificateId\":\"" + ID + "\",\"by\":\"arn:aws:iam::123456789012:user/alice\",\"at\":\""), audit);
    assertTrue(audit.endsWith("\"reason\":\"key lost: \\\"flash wiped\\\"\"}\n"), audit);
    assertEquals(1, audit.lines().count(), "stdout is the audit line only");
  }

  @Test
  void rebind_again_recordsTheAnnouncementAgain() {
    client.updateThing(r -> r.thingName(THING).attributePayload(p -> p.attributes(
        Map.of("renewalAnnouncement", "cd".repeat(32) + ":operator:1700000000")).merge(true)));

    rebind(THING).assertExit(0);

    assertTrue(attributes().get("renewalAnnouncement").startsWith(ID + ":operator:"), attributes()::toString);
    assertEquals(2, attributes().size(), attributes()::toString);
  }

  @Test
  void rebind_whenStsCannotSayWhoCalls_recordsUnknownWithAWarning() {
    sandbox.env("FAKE_STS_FAIL", "1");

    Sandbox.Result r = rebind(THING).assertExit(0).assertStderrContains("get-caller-identity failed");

    assertTrue(r.stdout().contains("\"by\":\"unknown\""), r.stdout());
    assertTrue(attributes().containsKey("renewalAnnouncement"));
  }

  @Test
  void rebind_aThingThatDoesNotExist_isAClearError() {
    rebind("0e6c1e3f-8d4a-4e5f-9a7b-1c2d3e4f5a6b").assertExit(1)
        .assertStderrContains("there is no thing named 0e6c1e3f-8d4a-4e5f-9a7b-1c2d3e4f5a6b");

    assertTrue(awsCalls().stream().noneMatch(c -> c.contains("update-thing")));
  }

  @Test
  void rebind_aThingWithThreeOtherAttributesAlready_isRefusedByIot_andNothingIsRecorded() {
    client.updateThing(r -> r.thingName(THING).attributePayload(p -> p.attributes(
        Map.of("site", "plant-7", "line", "4", "batch", "2026-48"))));

    Sandbox.Result r = rebind(THING).assertExit(1).assertStderrContains("update-thing failed", "InvalidRequest");

    assertEquals("", r.stdout(), "no audit line for an override that was not recorded");
    assertEquals(Map.of("site", "plant-7", "line", "4", "batch", "2026-48"), attributes());
  }

  @Test
  void rebind_aFailedUpdateIsAnError() {
    iot.failAlways("UpdateThing", Fault.INTERNAL_FAILURE);
    sandbox.env("AWS_MAX_ATTEMPTS", "1");

    Sandbox.Result r = rebind(THING).assertExit(1).assertStderrContains("update-thing failed", "InternalFailure");

    assertEquals("", r.stdout(), "no audit line for an override that was not recorded");
    assertEquals(Map.of("site", "plant-7"), attributes());
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
