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
 * ops/teardown.sh against a fake aws (src/test/resources/fakes/aws-teardown) holding a stack's outputs and the
 * targets of IoT policies in a folder.
 */
class TeardownTest {
  static final String JITR = "IotOnboarding-JitrPolicy-ABC";
  static final String APP = "IotOnboarding-AppPolicy-DEF";
  static final String CERT = "arn:aws:iot:us-east-1:000000000000:cert/";
  static final String A = CERT + "a".repeat(64);
  static final String B = CERT + "b".repeat(64);
  static final String C = CERT + "c".repeat(64);
  static final String GROUP = "arn:aws:iot:us-east-1:000000000000:thinggroup/fleet";

  @TempDir Path tmp;
  Sandbox sandbox;
  Path awsLog;
  Path state;

  @BeforeEach
  void setUp() {
    awsLog = tmp.resolve("aws.log");
    state = tmp.resolve("aws-state");
    sandbox = new Sandbox(tmp).installFake("aws-teardown", "aws")
        .env("FAKE_AWS_LOG", awsLog.toString())
        .env("FAKE_AWS_STATE", state.toString());
  }

  Sandbox.Result teardown(String... args) {
    return sandbox.run("ops/teardown.sh", args);
  }

  void stack() {
    Sandbox.write(state.resolve("stack.json"), "{\"Stacks\":[{\"StackName\":\"IotOnboarding\",\"Outputs\":["
        + "{\"OutputKey\":\"ApiDomainName\",\"OutputValue\":\"devices.example.org\"},"
        + "{\"OutputKey\":\"JitrPolicyName\",\"OutputValue\":\"" + JITR + "\"},"
        + "{\"OutputKey\":\"AppPolicyName\",\"OutputValue\":\"" + APP + "\"}]}]}");
  }

  void targets(String policy, String... arns) {
    Sandbox.write(state.resolve("targets/" + policy), arns.length == 0 ? "" : String.join("\n", arns) + "\n");
  }

  List<String> targetsOf(String policy) {
    return Sandbox.readLines(state.resolve("targets/" + policy)).stream().filter(l -> !l.isEmpty()).toList();
  }

  List<String> awsCalls() {
    return Files.exists(awsLog) ? Sandbox.readLines(awsLog) : List.of();
  }

  @Test
  void help_saysWhatItLeaves_andTheExitCodes_withoutCallingAws() {
    Sandbox.Result r = teardown("--help").assertExit(0);
    assertTrue(r.stdout().startsWith("Usage: scripts/ops/teardown.sh"), r.all());
    assertTrue(r.stdout().contains("certificates and things stay") && r.stdout().contains("decommission.sh"), r.all());
    assertTrue(r.stdout().contains("Exit codes:") && r.stdout().contains("--endpoint-url URL"), r.all());
    assertTrue(awsCalls().isEmpty());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--stack-name", "--policy-name", "--bogus", "--stack-name|1stack", "--policy-name|a/b",
      "--stack-name|IotOnboarding|--policy-name|p", "--yes|--region"})
  void badArguments_areUsageErrors_beforeAnyAwsCall(String args) {
    teardown(args.split("\\|")).assertUsageError();
    assertTrue(awsCalls().isEmpty(), awsCalls()::toString);
  }

  @Test
  void byDefault_isADryRun_listingEveryTargetOfTheStacksPolicies_andDetachingNothing() {
    stack();
    targets(JITR, A);
    targets(APP, B, C, GROUP);

    Sandbox.Result r = teardown().assertExit(0);

    r.assertStderrContains("stack IotOnboarding: policies " + JITR + " " + APP,
        "dry run: would detach " + JITR + " from " + A, "dry run: would detach " + APP + " from " + GROUP,
        "dry run: 4 detachment(s) planned; run again with --yes");
    assertEquals(List.of(A), targetsOf(JITR));
    assertEquals(List.of(B, C, GROUP), targetsOf(APP));
    assertTrue(awsCalls().stream().noneMatch(c -> c.contains("detach-policy")), awsCalls()::toString);
    assertTrue(awsCalls().get(0).contains("cloudformation describe-stacks --stack-name IotOnboarding"),
        awsCalls()::toString);
  }

  @Test
  void withYes_detachesEveryTargetOfBothPolicies_pageAfterPage() {
    stack();
    targets(JITR, A, B);
    targets(APP, B, C, GROUP);
    sandbox.env("FAKE_PAGE_SIZE", "2");

    Sandbox.Result r = teardown("--yes", "--region", "eu-west-1").assertExit(0);

    assertEquals(List.of(), targetsOf(JITR));
    assertEquals(List.of(), targetsOf(APP));
    r.assertStderrContains("detached " + APP + " from " + GROUP, JITR + ": no targets left",
        "5 detachment(s) done; now npx cdk destroy", "Certificates and things stay");
    assertTrue(awsCalls().stream().allMatch(c -> c.startsWith("--region eu-west-1 ")), awsCalls()::toString);
  }

  @Test
  void policyNames_replaceTheStack_andTheEndpointGoesToIotOnly() {
    targets("custom", A);

    teardown("--policy-name", "custom", "--yes", "--endpoint-url", "http://127.0.0.1:4566").assertExit(0);

    assertEquals(List.of(), targetsOf("custom"));
    assertTrue(awsCalls().stream().noneMatch(c -> c.contains("cloudformation")), awsCalls()::toString);
    assertTrue(awsCalls().stream().allMatch(c -> c.startsWith("--endpoint-url http://127.0.0.1:4566 ")),
        awsCalls()::toString);
  }

  @Test
  void aMissingStack_exits3_namingTheWayOut() {
    teardown().assertExit(3).assertStderrContains("no stack IotOnboarding", "--policy-name");
  }

  @Test
  void aStackWithoutPolicyOutputs_exits3() {
    Sandbox.write(state.resolve("stack.json"), "{\"Stacks\":[{\"StackName\":\"Other\",\"Outputs\":[]}]}");
    teardown("--stack-name", "Other").assertExit(3).assertStderrContains("has no outputs JitrPolicyName AppPolicyName");
  }

  @ParameterizedTest
  @ValueSource(strings = {"list-targets-for-policy", "detach-policy", "describe-stacks"})
  void aFailedAwsCall_exits1_withTheCallAndItsError_neverReportingSuccess(String failing) {
    stack();
    targets(JITR, A);
    targets(APP, B);
    sandbox.env("FAKE_AWS_FAIL", failing);

    Sandbox.Result r = teardown("--yes").assertExit(1).assertStderrContains("AccessDeniedException", failing);
    assertTrue(!r.stderr().contains("detachment(s) done"), r.all());
    assertEquals(List.of(A), targetsOf(JITR));
  }
}
