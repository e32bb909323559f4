package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * ops/teardown.sh with the real AWS CLI against the IoT model (the IoT double: the policies, their targets and the
 * refusals are the model's), through fakes/aws-cloudformation-stack: CloudFormation's DescribeStacks is the only call
 * faked, as there is no local CloudFormation.
 */
class TeardownTest {
  static final String JITR = "IotOnboarding-JitrPolicy-ABC";
  static final String APP = "IotOnboarding-AppPolicy-DEF";
  static final TestPki CA = TestPki.newCa("Teardown test CA");

  @TempDir Path tmp;
  Sandbox sandbox;
  Path awsLog;
  Path stackJson;
  IotDouble iot;
  IotClient client;
  String a;
  String b;
  String c;
  String group;

  @BeforeEach
  void setUp() {
    iot = IotDouble.start();
    client = iot.client();
    a = certificate();
    b = certificate();
    c = certificate();
    group = client.createThingGroup(r -> r.thingGroupName("fleet")).thingGroupArn();
    iot.addPolicy(JITR);
    iot.addPolicy(APP);
    awsLog = tmp.resolve("aws.log");
    stackJson = tmp.resolve("stack.json");
    sandbox = new Sandbox(tmp).realAws("aws-cloudformation-stack", awsLog)
        .env("FAKE_STACK_JSON", stackJson.toString());
  }

  @AfterEach
  void stop() {
    client.close();
    iot.close();
  }

  /** A registered certificate's ARN. */
  String certificate() {
    return iot.certificateArn(iot.addCertificate(CA.issue("device").pem(), CA.caId(), "ACTIVE"));
  }

  /** The script against the double (its endpoint, unless the arguments give one). */
  Sandbox.Result teardown(String... args) {
    List<String> command = new ArrayList<>(List.of(args));
    if (!command.contains("--endpoint-url") && !command.contains("--help")) {
      command.addAll(List.of("--endpoint-url", iot.endpoint().toString()));
    }
    return sandbox.run("ops/teardown.sh", command.toArray(String[]::new));
  }

  void stack() {
    Sandbox.write(stackJson, "{\"Stacks\":[{\"StackName\":\"IotOnboarding\",\"Outputs\":["
        + "{\"OutputKey\":\"ApiDomainName\",\"OutputValue\":\"devices.example.org\"},"
        + "{\"OutputKey\":\"JitrPolicyName\",\"OutputValue\":\"" + JITR + "\"},"
        + "{\"OutputKey\":\"AppPolicyName\",\"OutputValue\":\"" + APP + "\"}]}]}");
  }

  void attach(String policy, String... targets) {
    for (String target : targets) {
      iot.attachPolicy(policy, target);
    }
  }

  /** The policy's targets, as IoT lists them. */
  List<String> targetsOf(String policy) {
    return client.listTargetsForPolicy(r -> r.policyName(policy)).targets().stream().sorted().toList();
  }

  static List<String> sorted(String... arns) {
    return Arrays.stream(arns).sorted().toList();
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
    sandbox.run("ops/teardown.sh", args.split("\\|")).assertUsageError();
    assertTrue(awsCalls().isEmpty(), awsCalls()::toString);
  }

  @Test
  void byDefault_isADryRun_listingEveryTargetOfTheStacksPolicies_andDetachingNothing() {
    stack();
    attach(JITR, a);
    attach(APP, b, c, group);

    Sandbox.Result r = teardown().assertExit(0);

    r.assertStderrContains("stack IotOnboarding: policies " + JITR + " " + APP,
        "dry run: would detach " + JITR + " from " + a, "dry run: would detach " + APP + " from " + group,
        "dry run: 4 detachment(s) planned; run again with --yes");
    assertEquals(List.of(a), targetsOf(JITR));
    assertEquals(sorted(b, c, group), targetsOf(APP));
    assertTrue(awsCalls().stream().noneMatch(call -> call.contains("detach-policy")), awsCalls()::toString);
    assertTrue(awsCalls().get(0).contains("cloudformation describe-stacks --stack-name IotOnboarding"),
        awsCalls()::toString);
  }

  @Test
  void withYes_detachesEveryTargetOfBothPolicies_certificatesAndGroups() {
    stack();
    attach(JITR, a, b);
    attach(APP, b, c, group);

    Sandbox.Result r = teardown("--yes", "--region", IotDouble.REGION).assertExit(0);

    assertEquals(List.of(), targetsOf(JITR));
    assertEquals(List.of(), targetsOf(APP));
    assertEquals(List.of(), iot.policiesOf(b), "IoT lists no policy on the certificate any more");
    r.assertStderrContains("detached " + APP + " from " + group, JITR + ": no targets left",
        "5 detachment(s) done; now npx cdk destroy", "Certificates and things stay");
    assertTrue(awsCalls().stream().filter(call -> call.contains(" iot "))
        .allMatch(call -> call.startsWith("--endpoint-url " + iot.endpoint() + " --region " + IotDouble.REGION)),
        awsCalls()::toString);
    assertTrue(awsCalls().get(0).startsWith("--region " + IotDouble.REGION + " --output json cloudformation"),
        "CloudFormation without the IoT endpoint: " + awsCalls().get(0));
    assertEquals("ACTIVE", iot.certificateStatus(a.substring(a.lastIndexOf('/') + 1)), "certificates stay");
  }

  @Test
  void policyNames_replaceTheStack_andTheEndpointGoesToIotOnly() {
    iot.addPolicy("custom");
    attach("custom", a);

    teardown("--policy-name", "custom", "--yes").assertExit(0);

    assertEquals(List.of(), targetsOf("custom"));
    assertTrue(awsCalls().stream().noneMatch(call -> call.contains("cloudformation")), awsCalls()::toString);
    assertTrue(awsCalls().stream().allMatch(call -> call.startsWith("--endpoint-url " + iot.endpoint() + " ")),
        awsCalls()::toString);
  }

  @Test
  void aPolicyIotDoesNotKnow_exits1_namingTheCall() {
    teardown("--policy-name", "nope", "--yes").assertExit(1)
        .assertStderrContains("ResourceNotFoundException", "list-targets-for-policy --policy-name nope");
  }

  @Test
  void aMissingStack_exits3_namingTheWayOut() {
    teardown().assertExit(3).assertStderrContains("no stack IotOnboarding", "--policy-name");
  }

  @Test
  void aStackWithoutPolicyOutputs_exits3() {
    Sandbox.write(stackJson, "{\"Stacks\":[{\"StackName\":\"Other\",\"Outputs\":[]}]}");
    teardown("--stack-name", "Other").assertExit(3).assertStderrContains("has no outputs JitrPolicyName AppPolicyName");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ListTargetsForPolicy", "DetachPolicy", "DescribeStacks"})
  void aFailedAwsCall_exits1_withTheCallAndItsError_neverReportingSuccess(String failing) {
    stack();
    attach(JITR, a);
    attach(APP, b);
    if (failing.equals("DescribeStacks")) {
      sandbox.env("FAKE_CFN_FAIL", "1");
    } else {
      iot.failAlways(failing, Fault.UNAUTHORIZED);
    }
    String command = failing.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);

    Sandbox.Result r = teardown("--yes").assertExit(1).assertStderrContains(command,
        failing.equals("DescribeStacks") ? "AccessDenied" : "UnauthorizedException");
    assertTrue(!r.stderr().contains("detachment(s) done"), r.all());
    iot.clearFaults();
    assertEquals(List.of(a), targetsOf(JITR));
  }
}
