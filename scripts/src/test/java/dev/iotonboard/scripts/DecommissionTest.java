package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.RecordedCall;
import dev.iotonboard.lambda.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * ops/decommission.sh with the real AWS CLI against the IoT model (the IoT double: AWS's refusals are the model's,
 * faults and late detachments are scripted on it) and, for the device registry table, a real dynalite. Each CLI call
 * is logged on its way (fakes/aws-logged), so the order of the script's calls across both can be checked. Local's
 * DecommissionIT runs the script against the local IoT Core, interrupted after each step.
 */
class DecommissionTest {
  static final String THING = "3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b";
  static final TestPki CA = TestPki.newCa("Decommission test CA");

  /** Started by the first test that needs it. */
  static RegistryTable table;

  @TempDir Path tmp;
  Sandbox sandbox;
  Path awsLog;
  IotDouble iot;
  IotClient client;
  final Set<String> policies = new HashSet<>();

  @BeforeEach
  void setUp() {
    iot = IotDouble.start();
    client = iot.client();
    awsLog = tmp.resolve("aws.log");
    sandbox = new Sandbox(tmp).realAws("aws-logged", awsLog);
  }

  @AfterEach
  void stop() {
    client.close();
    iot.close();
  }

  @AfterAll
  static void stopTable() {
    if (table != null) {
      table.close();
    }
  }

  /** The sandbox with the device registry table (in a real dynalite) as DEVICE_REGISTRY_TABLE. */
  RegistryTable withTable() {
    if (table == null) {
      table = RegistryTable.start();
    }
    sandbox.env("DEVICE_REGISTRY_TABLE", RegistryTable.NAME).env("AWS_ENDPOINT_URL_DYNAMODB", table.endpoint());
    return table;
  }

  /** The AWS calls in order, as "iot <subcommand>" or "dynamodb <subcommand> <key>". */
  List<String> callsWithTable() {
    return awsCalls().stream().map(c -> c.replaceAll("^.*? (iot [a-z-]+|dynamodb [a-z-]+).*$", "$1")
        + c.replaceAll("^.*\\b(cert#[0-9a-f]{64})\\b.*$|^.*$", " $1").stripTrailing()).toList();
  }

  /** The script against the double, with the arguments given. */
  Sandbox.Result decommission(String... args) {
    List<String> command = new ArrayList<>(List.of(args));
    if (!command.contains("--endpoint-url") && !command.contains("--help")) {
      command.addAll(List.of("--endpoint-url", iot.endpoint().toString()));
    }
    return sandbox.run("ops/decommission.sh", command.toArray(String[]::new));
  }

  List<String> awsCalls() {
    return Files.exists(awsLog) ? Sandbox.readLines(awsLog) : List.of();
  }

  /** The IoT subcommands called, in order. */
  List<String> operations() {
    return awsCalls().stream().map(c -> c.replaceAll("^.*? iot ([a-z-]+).*$", "$1")).toList();
  }

  /** Every call of the IoT operation fails with InternalFailureException (500), which the CLI does not retry. */
  void fail(String operation) {
    iot.failAlways(operation, Fault.INTERNAL_FAILURE);
    sandbox.env("AWS_MAX_ATTEMPTS", "1");
  }

  /** The thing, with these attributes and these certificates attached. */
  void thing(Map<String, String> attributes, String... certificateIds) {
    client.createThing(r -> r.thingName(THING).attributePayload(p -> p.attributes(attributes)));
    for (String id : certificateIds) {
      client.attachThingPrincipal(r -> r.thingName(THING).principal(iot.certificateArn(id)));
    }
  }

  /** A new certificate of the CA for the thing, in this status, with these policies attached; its id. */
  String certificate(String status, String... attached) {
    return certificate(CA.issue(THING), status, attached);
  }

  String certificate(TestPki.Issued issued, String status, String... attached) {
    String id = iot.addCertificate(issued.pem(), CA.caId(), status);
    for (String policy : attached) {
      if (policies.add(policy)) {
        iot.addPolicy(policy);
      }
      iot.attachPolicy(policy, iot.certificateArn(id));
    }
    return id;
  }

  String status(String id) {
    return iot.certificateStatus(id);
  }

  boolean certificateExists(String id) {
    return iot.registry().certificates().find(id).isPresent();
  }

  List<String> policiesOf(String id) {
    return iot.policiesOf(iot.certificateArn(id));
  }

  @Test
  void help_printsUsageExitCodesAndThatRevokingCannotBeUndone_withoutCallingAws() {
    Sandbox.Result r = decommission("--help").assertExit(0);
    assertTrue(r.stdout().startsWith("Usage: scripts/ops/decommission.sh --thing-name T [--revoke] [--dry-run]"),
        r.all());
    assertTrue(r.stdout().contains("--revoke cannot be undone"), r.all());
    assertTrue(r.stdout().contains("use --revoke for a device that is lost, stolen or compromised"), r.all());
    assertTrue(r.stdout().contains("Exit codes:"), r.all());
    assertTrue(r.stdout().contains("--endpoint-url URL"), r.all());
    assertTrue(awsCalls().isEmpty());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "--revoke",
      "--thing-name",
      "--thing-name|--revoke",
      "--thing-name|3F2B6C1E-8D4A-4E5F-9A7B-1C2D3E4F5A6B",
      "--thing-name|my-thing",
      "--thing-name|" + THING + "/x",
      "--thing-name|" + THING + "|--detach-timeout|0",
      "--thing-name|" + THING + "|--detach-timeout|ten",
      "--thing-name|" + THING + "|--detach-timeout|10000",
      "--thing-name|" + THING + "|--endpoint-url",
      "--thing-name|" + THING + "|--bogus",
      "--thing-name|" + THING + "|--keep-revoked"})
  void badArguments_areUsageErrors_beforeAnyAwsCall(String args) {
    sandbox.run("ops/decommission.sh", args.isEmpty() ? new String[0] : args.split("\\|")).assertUsageError();
    assertTrue(awsCalls().isEmpty(), awsCalls()::toString);
    assertTrue(iot.calls().isEmpty());
  }

  @ParameterizedTest
  @ValueSource(strings = {"aws", "jq"})
  void missingTool_isNamedWithItsInstallHint(String tool) {
    sandbox.withoutTool(tool);
    decommission("--thing-name", THING).assertExit(1).assertStderrContains(tool + " is required but not installed");
  }

  @Test
  void aThingThatDoesNotExist_exits3_withAClearMessage() {
    Sandbox.Result r = decommission("--thing-name", THING).assertExit(3)
        .assertStderrContains("error: no thing " + THING + ": nothing to decommission");
    assertFalse(r.stderr().contains("An error occurred"), r.all());
    assertEquals(List.of("describe-thing"), operations());
  }

  @Test
  void anotherErrorOnTheThing_exits1_quotingIt() {
    String a = certificate("ACTIVE");
    thing(Map.of(), a);
    fail("DescribeThing");
    decommission("--thing-name", THING).assertExit(1)
        .assertStderrContains("(InternalFailureException)", "run the same command again to resume");
    assertEquals("ACTIVE", status(a));
  }

  @Test
  void twoCertificates_areStoppedFirst_thenRecorded_detached_andDeletedWithTheThing_butARevokedOneIsKept() {
    List<TestPki.Issued> two = twoInIdOrder();
    String a = certificate(two.get(0), "ACTIVE", "AppPolicy", "JitrPolicy");
    String b = certificate(two.get(1), "REVOKED");
    thing(Map.of("renewalCertificateId", b), a, b);
    iot.clearCalls();
    Path config = tmp.resolve("aws-config");
    Path credentials = tmp.resolve("aws-credentials");
    Sandbox.write(config, "[profile ops]\nregion = us-east-1\n");
    Sandbox.write(credentials, "[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = secret\n");
    sandbox.env("AWS_CONFIG_FILE", config.toString()).env("AWS_SHARED_CREDENTIALS_FILE", credentials.toString())
        .env("AWS_ACCESS_KEY_ID", "").env("AWS_SECRET_ACCESS_KEY", "");
    Sandbox.Result r = decommission("--thing-name", THING, "--endpoint-url", iot.endpoint().toString(), "--region",
        "eu-west-1", "--profile", "ops").assertExit(0);

    assertFalse(iot.thingExists(THING), r.all());
    assertFalse(certificateExists(a), r.all());
    assertEquals("REVOKED", status(b), "a REVOKED certificate is kept, so its key cannot register again");
    List<String> writes = operations().stream().filter(o -> !o.startsWith("describe-") && !o.startsWith("list-"))
        .toList();
    assertEquals(List.of("update-certificate", "update-thing", "detach-policy", "detach-policy",
        "detach-thing-principal", "detach-thing-principal", "delete-certificate", "delete-thing"), writes, r.all());
    assertTrue(awsCalls().stream().noneMatch(c -> c.contains("update-certificate --certificate-id " + b)),
        "a REVOKED certificate is never set INACTIVE: " + awsCalls());
    for (String call : awsCalls()) {
      assertTrue(call.startsWith("--endpoint-url " + iot.endpoint() + " --region eu-west-1 --profile ops"), call);
    }
    for (RecordedCall call : iot.calls()) {
      // the service name in the scope differs by CLI (IoT's model signs as execute-api; botocore as iot)
      assertTrue(call.header("authorization").matches(".*Credential=AKIDOPS/\\d{8}/eu-west-1/[a-z-]+/aws4_request.*"),
          call.header("authorization"));
    }
    r.assertStderrContains("set certificate " + a + " INACTIVE (was ACTIVE): done",
        "certificate " + b + ": already REVOKED",
        "its attributes {\"renewalCertificateId\":\"" + b + "\"} are replaced by the record",
        "record the certificates on thing " + THING + " (decommissionCertificateIds=" + a + "," + b + "): done",
        "detach policy AppPolicy from certificate " + a + ": done",
        "certificate " + b + ": no policy attached",
        "certificate " + b + ": kept, REVOKED",
        "up to 5 s", "thing " + THING + " decommissioned");
  }

  @Test
  void revoke_setsActiveAndInactiveCertificatesRevoked() {
    String a = certificate("ACTIVE");
    String b = certificate("INACTIVE");
    thing(Map.of(), a, b);
    fail("UpdateThing");
    decommission("--thing-name", THING, "--revoke").assertExit(1)
        .assertStderrContains("set certificate " + a + " REVOKED (was ACTIVE): done",
            "set certificate " + b + " REVOKED (was INACTIVE): done");
    assertEquals("REVOKED", status(a));
    assertEquals("REVOKED", status(b));
  }

  @Test
  void keepRevoked_isNoLongerAnOption() {
    String a = certificate("ACTIVE");
    thing(Map.of(), a);
    decommission("--thing-name", THING, "--keep-revoked").assertUsageError()
        .assertStderrContains("unknown argument: --keep-revoked");
    assertEquals("ACTIVE", status(a));
  }

  @Test
  void revoke_revokes_detaches_andDeletesTheThingButKeepsTheCertificates() {
    String a = certificate("ACTIVE", "AppPolicy");
    String b = certificate("INACTIVE", "AppPolicy", "JitrPolicy");
    thing(Map.of(), a, b);
    decommission("--thing-name", THING, "--revoke").assertExit(0)
        .assertStderrContains("set certificate " + a + " REVOKED (was ACTIVE): done",
            "set certificate " + b + " REVOKED (was INACTIVE): done",
            "5/6 keep the certificates, REVOKED (--revoke)",
            "certificate " + a + ": kept, REVOKED", "certificate " + b + ": kept, REVOKED");
    for (String id : List.of(a, b)) {
      assertEquals("REVOKED", status(id));
      assertEquals(List.of(), policiesOf(id));
    }
    assertFalse(iot.thingExists(THING));
    assertFalse(operations().contains("delete-certificate"), operations()::toString);
  }

  @Test
  void revoke_interruptedAfterDetaching_resumesFromTheRecord_andStillKeepsTheCertificate() {
    String a = certificate("ACTIVE", "AppPolicy");
    thing(Map.of(), a);
    fail("DeleteThing");
    decommission("--thing-name", THING, "--revoke").assertExit(1)
        .assertStderrContains("certificate " + a + ": kept, REVOKED", "delete thing " + THING + " failed");
    assertEquals(List.of(), iot.principalsOf(THING), "detached from the thing");

    iot.clearFaults();
    decommission("--thing-name", THING, "--revoke").assertExit(0)
        .assertStderrContains("a decommissioning is in progress (recorded: " + a + "); resuming",
            "certificate " + a + ": already REVOKED", "certificate " + a + ": not attached to thing " + THING,
            "certificate " + a + ": kept, REVOKED", "thing " + THING + " decommissioned");
    assertEquals("REVOKED", status(a));
    assertFalse(iot.thingExists(THING));
    assertFalse(operations().contains("delete-certificate"), operations()::toString);
  }

  @Test
  void dryRun_readsOnly_andPrintsThePlan() {
    String a = certificate("ACTIVE", "AppPolicy");
    thing(Map.of(), a);
    iot.clearCalls();
    Sandbox.Result r = decommission("--thing-name", THING, "--dry-run").assertExit(0);
    assertTrue(operations().stream().allMatch(o -> o.startsWith("describe-") || o.startsWith("list-")),
        operations()::toString);
    assertTrue(iot.operations().stream().allMatch(o -> o.startsWith("Describe") || o.startsWith("List")),
        iot.operations()::toString);
    assertEquals("ACTIVE", status(a));
    assertEquals(List.of(iot.certificateArn(a)), iot.principalsOf(THING));
    assertEquals(List.of("AppPolicy"), policiesOf(a));
    r.assertStderrContains("dry run: would set certificate " + a + " INACTIVE (was ACTIVE)",
        "dry run: would record the certificates", "dry run: would detach policy AppPolicy from certificate " + a,
        "dry run: would detach certificate " + a + " from thing " + THING, "dry run: would delete certificate " + a,
        "dry run: would delete thing " + THING);
  }

  @Test
  void dryRun_withRevoke_readsOnly_andPlansToKeepTheCertificate() {
    String a = certificate("INACTIVE", "AppPolicy");
    thing(Map.of(), a);
    iot.clearCalls();
    Sandbox.Result r = decommission("--thing-name", THING, "--dry-run", "--revoke").assertExit(0);
    assertTrue(iot.operations().stream().allMatch(o -> o.startsWith("Describe") || o.startsWith("List")),
        iot.operations()::toString);
    assertEquals("INACTIVE", status(a));
    assertTrue(iot.thingExists(THING));
    assertEquals(List.of("AppPolicy"), policiesOf(a));
    r.assertStderrContains("dry run: would set certificate " + a + " REVOKED (was INACTIVE)",
        "dry run: would record the certificates", "dry run: would detach policy AppPolicy from certificate " + a,
        "dry run: would detach certificate " + a + " from thing " + THING,
        "dry run: would keep certificate " + a + " (REVOKED at step 1; INACTIVE now)",
        "dry run: would delete thing " + THING);
    assertFalse(r.stderr().contains("would delete certificate"), r.all());
  }

  @Test
  void interruptedAfterDetaching_resumesFromTheRecordOnTheThing() {
    String a = certificate("ACTIVE", "AppPolicy");
    thing(Map.of(), a);
    fail("DeleteCertificate");
    decommission("--thing-name", THING).assertExit(1).assertStderrContains("delete certificate " + a + " failed");
    assertEquals(List.of(), iot.principalsOf(THING), "detached from the thing");
    assertTrue(certificateExists(a));

    iot.clearFaults();
    decommission("--thing-name", THING).assertExit(0)
        .assertStderrContains("a decommissioning is in progress (recorded: " + a + "); resuming",
            "certificate " + a + ": already INACTIVE", "certificate " + a + ": not attached to thing " + THING,
            "delete certificate " + a + ": done");
    assertFalse(certificateExists(a));
    assertFalse(iot.thingExists(THING));
  }

  @Test
  void detachmentThatShowsLate_isWaitedFor_andDeleteThingSucceeds() {
    String a = certificate("INACTIVE");
    thing(Map.of(), a);
    iot.detachPropagationDelay(Duration.ofSeconds(2));
    decommission("--thing-name", THING).assertExit(0)
        .assertStderrContains("waiting until thing " + THING + " no longer lists certificate " + a,
            "certificate " + a + ": detachment shows");
    assertFalse(iot.thingExists(THING));
    assertFalse(certificateExists(a));
  }

  @Test
  void detachmentThatNeverShows_exits4_sayingToRunAgain() {
    String a = certificate("INACTIVE");
    thing(Map.of(), a);
    iot.detachPropagationDelay(Duration.ofHours(1));
    decommission("--thing-name", THING, "--detach-timeout", "1").assertExit(4)
        .assertStderrContains("still not done after 1 s", "run the same command again to resume");
    assertTrue(certificateExists(a));
    assertFalse(operations().contains("delete-certificate"), operations()::toString);
  }

  @Test
  void aPrincipalThatIsNotACertificate_isNamed_andNothingIsChanged() {
    String a = certificate("ACTIVE");
    thing(Map.of(), a);
    String cognito = "us-east-1:12345678-1234-1234-1234-123456789012";
    client.attachThingPrincipal(r -> r.thingName(THING).principal(cognito));
    decommission("--thing-name", THING).assertExit(1)
        .assertStderrContains("principals that are not certificates (" + cognito + ")");
    assertEquals("ACTIVE", status(a));
    assertEquals(List.of(iot.certificateArn(a), cognito), iot.principalsOf(THING));
  }

  // ---- the device registry table ---------------------------------------------------------------------------------

  /** Two new certificates of the CA for the thing, in id order: the order the script takes them in. */
  static List<TestPki.Issued> twoInIdOrder() {
    return Stream.of(CA.issue(THING), CA.issue(THING)).sorted(Comparator.comparing(TestPki.Issued::id)).toList();
  }

  @Test
  void withTable_eachCertificateItemFollowsRightAfterEachIotWrite_untilDeleted() {
    withTable();
    List<TestPki.Issued> two = twoInIdOrder();
    String a = certificate(two.get(0), "ACTIVE", "AppPolicy");
    String b = certificate(two.get(1), "REVOKED");
    thing(Map.of(), a, b);
    table.putCertificate(a, THING, "ACTIVE", THING, "PROVISIONED", 1_000L);
    table.putCertificate(b, THING, "REVOKED", THING, "SYNCED", 1_000L);

    Sandbox.Result r = decommission("--thing-name", THING).assertExit(0);

    assertEquals("caCertificateId=" + "c".repeat(64) + " certificateId=" + a + " kind=CERTIFICATE pk=cert#" + a
        + " status=DELETED step=DECOMMISSIONED thingName=" + THING,
        table.item("cert#" + a).replaceFirst(" updatedAt=\\d{13}", ""), r.all());
    assertEquals("REVOKED", table.attribute("cert#" + b, "status"));
    assertEquals("", table.attribute("cert#" + b, "boundThing"), "detached");
    assertEquals("DECOMMISSIONED", table.attribute("cert#" + b, "step"));
    assertTrue(Long.parseLong(table.attribute("cert#" + a, "updatedAt")) > 1_000L);
    List<String> calls = callsWithTable().stream().filter(c -> !c.startsWith("iot describe-")
        && !c.startsWith("iot list-")).toList();
    assertEquals(List.of("iot update-certificate", "dynamodb update-item cert#" + a,
        "dynamodb update-item cert#" + b, "iot update-thing", "iot detach-policy",
        "iot detach-thing-principal", "dynamodb update-item cert#" + a,
        "iot detach-thing-principal", "dynamodb update-item cert#" + b,
        "iot delete-certificate", "dynamodb update-item cert#" + a, "iot delete-thing"), calls, r.all());
    assertTrue(awsCalls().stream().filter(c -> c.contains(" dynamodb "))
        .allMatch(c -> c.startsWith("--endpoint-url " + table.endpoint() + " ")), awsCalls()::toString);
    r.assertStderrContains("certificate " + a + ": recorded in table DeviceRegistry (status INACTIVE, step DECOMMISSIONED)",
        "certificate " + a + ": recorded in table DeviceRegistry (not bound, step DECOMMISSIONED)",
        "certificate " + a + ": recorded in table DeviceRegistry (status DELETED, step DECOMMISSIONED)");
  }

  @Test
  void withTable_revoke_recordsRevokedUnbound_andKeepsTheItem() {
    withTable();
    String a = certificate("ACTIVE");
    thing(Map.of(), a);
    table.putCertificate(a, THING, "ACTIVE", THING, "PROVISIONED", 1_000L);

    decommission("--thing-name", THING, "--revoke", "--table", RegistryTable.NAME).assertExit(0);

    assertEquals("REVOKED", table.attribute("cert#" + a, "status"));
    assertEquals("REVOKED", table.attribute("cert#" + a, "step"));
    assertEquals("", table.attribute("cert#" + a, "boundThing"));
    assertEquals(THING, table.attribute("cert#" + a, "thingName"));
  }

  @Test
  void withTable_aFailedTableWrite_stopsAfterTheIotWrite_andRunningAgainConverges() {
    withTable();
    String a = certificate("ACTIVE", "AppPolicy");
    thing(Map.of(), a);
    table.putCertificate(a, THING, "ACTIVE", THING, "PROVISIONED", 1_000L);
    sandbox.env("AWS_MAX_ATTEMPTS", "1"); // the CLI's retries of the refused connection would only take time

    decommission("--thing-name", THING, "--dynamodb-endpoint-url", "http://127.0.0.1:9").assertExit(1)
        .assertStderrContains("recording certificate " + a + " in table DeviceRegistry failed",
            "run the same command again to resume");
    assertEquals("INACTIVE", status(a), "IoT first");
    assertEquals("ACTIVE", table.attribute("cert#" + a, "status"));

    decommission("--thing-name", THING).assertExit(0)
        .assertStderrContains("certificate " + a + ": already INACTIVE",
            "certificate " + a + ": recorded in table DeviceRegistry (status INACTIVE, step DECOMMISSIONED)");
    assertEquals("DELETED", table.attribute("cert#" + a, "status"));
    assertEquals("", table.attribute("cert#" + a, "boundThing"));
  }

  @Test
  void withTable_newerStateInTheTable_isLeftAsItIs_andIsNoError() {
    withTable();
    String a = certificate("ACTIVE");
    thing(Map.of(), a);
    long future = System.currentTimeMillis() + 3_600_000L;
    table.putCertificate(a, THING, "REVOKED", THING, "SYNCED", future);

    decommission("--thing-name", THING).assertExit(0);

    assertEquals("SYNCED", table.attribute("cert#" + a, "step"));
    assertEquals(Long.toString(future), table.attribute("cert#" + a, "updatedAt"));
  }

  @Test
  void withTable_anItemTheTableLacks_isCreatedWithWhatTheScriptObserved() {
    withTable();
    String a = certificate("ACTIVE");
    thing(Map.of(), a);

    decommission("--thing-name", THING, "--revoke").assertExit(0);

    assertEquals("certificateId=" + a + " kind=CERTIFICATE pk=cert#" + a + " status=REVOKED step=REVOKED",
        table.item("cert#" + a).replaceFirst(" updatedAt=\\d{13}", ""));
  }

  @Test
  void withTable_dryRun_writesNothingToTheTable_andSaysWhatItWould() {
    withTable();
    String a = certificate("ACTIVE");
    thing(Map.of(), a);
    table.putCertificate(a, THING, "ACTIVE", THING, "PROVISIONED", 1_000L);

    decommission("--thing-name", THING, "--dry-run").assertExit(0)
        .assertStderrContains("dry run: would record certificate " + a
            + " in table DeviceRegistry (status INACTIVE, step DECOMMISSIONED)");

    assertTrue(awsCalls().stream().noneMatch(c -> c.contains(" dynamodb ")), awsCalls()::toString);
    assertEquals("PROVISIONED", table.attribute("cert#" + a, "step"));
  }

  @Test
  void withoutTable_warnsThatOnlyIotIsChanged() {
    String a = certificate("ACTIVE");
    thing(Map.of(), a);
    decommission("--thing-name", THING).assertExit(0)
        .assertStderrContains("no device registry table (--table or DEVICE_REGISTRY_TABLE): only IoT is changed");
    assertTrue(awsCalls().stream().noneMatch(c -> c.contains(" dynamodb ")), awsCalls()::toString);
    assertFalse(iot.thingExists(THING));
  }

  @Test
  void badTableName_isAUsageError() {
    decommission("--thing-name", THING, "--table", "a/b").assertUsageError();
    assertEquals(List.of(), awsCalls());
  }
}
