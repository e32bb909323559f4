package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ops/decommission.sh against a fake aws (src/test/resources/fakes/aws-decommission) holding things, certificates
 * and policies in a folder, with AWS's refusals. The real AWS CLI against the local IoT Core, interrupted after each
 * step, runs in local's DecommissionIT. The device registry table: the real AWS CLI against a real dynalite (the fake
 * hands dynamodb calls to it).
 */
class DecommissionTest {
  static final String THING = "3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b";
  static final String A = "a".repeat(64);
  static final String B = "b".repeat(64);
  static final String ARN = "arn:aws:iot:us-east-1:000000000000:cert/";

  /** Started by the first test that needs it. */
  static RegistryTable table;

  @TempDir Path tmp;
  Sandbox sandbox;
  Path awsLog;
  Path state;

  @BeforeEach
  void setUp() {
    awsLog = tmp.resolve("aws.log");
    state = tmp.resolve("aws-state");
    sandbox = new Sandbox(tmp).installFake("aws-decommission", "aws")
        .env("FAKE_AWS_LOG", awsLog.toString())
        .env("FAKE_AWS_STATE", state.toString());
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
    sandbox.env("FAKE_REAL_AWS", RegistryTable.AWS).env("DEVICE_REGISTRY_TABLE", RegistryTable.NAME)
        .env("AWS_ENDPOINT_URL_DYNAMODB", table.endpoint());
    RegistryTable.cliEnv().forEach(sandbox::env);
    return table;
  }

  /** The AWS calls in order, as "iot <subcommand>" or "dynamodb <subcommand> <key>". */
  List<String> callsWithTable() {
    return awsCalls().stream().map(c -> c.replaceAll("^.*? (iot [a-z-]+|dynamodb [a-z-]+).*$", "$1")
        + c.replaceAll("^.*\\b(cert#[0-9a-f]{4})[0-9a-f]{60}\\b.*$|^.*$", " $1").stripTrailing()).toList();
  }

  Sandbox.Result decommission(String... args) {
    return sandbox.run("ops/decommission.sh", args);
  }

  List<String> awsCalls() {
    return Files.exists(awsLog) ? Sandbox.readLines(awsLog) : List.of();
  }

  /** The IoT subcommands called, in order. */
  List<String> operations() {
    return awsCalls().stream().map(c -> c.replaceAll("^.*? iot ([a-z-]+).*$", "$1")).toList();
  }

  void thing(String attributes, String... certificateIds) {
    Path dir = state.resolve("things/" + THING);
    Sandbox.write(dir.resolve("attributes.json"), attributes + "\n");
    StringBuilder principals = new StringBuilder();
    for (String id : certificateIds) {
      principals.append(ARN).append(id).append('\n');
    }
    Sandbox.write(dir.resolve("principals"), principals.toString());
  }

  void certificate(String id, String status, String... policies) {
    Path dir = state.resolve("certs/" + id);
    Sandbox.write(dir.resolve("status"), status);
    Sandbox.write(dir.resolve("policies"), policies.length == 0 ? "" : String.join("\n", policies) + "\n");
  }

  String status(String id) {
    return Sandbox.read(state.resolve("certs/" + id + "/status"));
  }

  boolean exists(String relative) {
    return Files.exists(state.resolve(relative));
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
    decommission(args.isEmpty() ? new String[0] : args.split("\\|")).assertUsageError();
    assertTrue(awsCalls().isEmpty(), awsCalls()::toString);
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
    thing("{}", A);
    sandbox.env("FAKE_AWS_FAIL", "describe-thing");
    decommission("--thing-name", THING).assertExit(1)
        .assertStderrContains("(InternalFailureException)", "run the same command again to resume");
  }

  @Test
  void twoCertificates_areStoppedFirst_thenRecorded_detached_andDeletedWithTheThing_butARevokedOneIsKept() {
    thing("{\"renewalCertificateId\":\"" + B + "\"}", A, B);
    certificate(A, "ACTIVE", "AppPolicy", "JitrPolicy");
    certificate(B, "REVOKED");
    Sandbox.Result r = decommission("--thing-name", THING, "--endpoint-url", "http://127.0.0.1:4566", "--region",
        "eu-west-1", "--profile", "ops").assertExit(0);

    assertFalse(exists("things/" + THING), r.all());
    assertFalse(exists("certs/" + A), r.all());
    assertEquals("REVOKED", status(B), "a REVOKED certificate is kept, so its key cannot register again");
    List<String> writes = operations().stream().filter(o -> !o.startsWith("describe-") && !o.startsWith("list-"))
        .toList();
    assertEquals(List.of("update-certificate", "update-thing", "detach-policy", "detach-policy",
        "detach-thing-principal", "detach-thing-principal", "delete-certificate", "delete-thing"), writes, r.all());
    assertTrue(awsCalls().stream().noneMatch(c -> c.contains("update-certificate --certificate-id " + B)),
        "a REVOKED certificate is never set INACTIVE: " + awsCalls());
    for (String call : awsCalls()) {
      assertTrue(call.startsWith("--endpoint-url http://127.0.0.1:4566 --region eu-west-1 --profile ops"), call);
    }
    r.assertStderrContains("set certificate " + A + " INACTIVE (was ACTIVE): done",
        "certificate " + B + ": already REVOKED",
        "its attributes {\"renewalCertificateId\":\"" + B + "\"} are replaced by the record",
        "record the certificates on thing " + THING + " (decommissionCertificateIds=" + A + "," + B + "): done",
        "detach policy AppPolicy from certificate " + A + ": done",
        "certificate " + B + ": no policy attached",
        "certificate " + B + ": kept, REVOKED",
        "up to 5 s", "thing " + THING + " decommissioned");
  }

  @Test
  void revoke_setsActiveAndInactiveCertificatesRevoked() {
    thing("{}", A, B);
    certificate(A, "ACTIVE");
    certificate(B, "INACTIVE");
    sandbox.env("FAKE_AWS_FAIL", "update-thing");
    decommission("--thing-name", THING, "--revoke").assertExit(1)
        .assertStderrContains("set certificate " + A + " REVOKED (was ACTIVE): done",
            "set certificate " + B + " REVOKED (was INACTIVE): done");
    assertEquals("REVOKED", status(A));
    assertEquals("REVOKED", status(B));
  }

  @Test
  void keepRevoked_isNoLongerAnOption() {
    thing("{}", A);
    certificate(A, "ACTIVE");
    decommission("--thing-name", THING, "--keep-revoked").assertUsageError()
        .assertStderrContains("unknown argument: --keep-revoked");
    assertEquals("ACTIVE", status(A));
  }

  @Test
  void revoke_revokes_detaches_andDeletesTheThingButKeepsTheCertificates() {
    thing("{}", A, B);
    certificate(A, "ACTIVE", "AppPolicy");
    certificate(B, "INACTIVE", "AppPolicy", "JitrPolicy");
    decommission("--thing-name", THING, "--revoke").assertExit(0)
        .assertStderrContains("set certificate " + A + " REVOKED (was ACTIVE): done",
            "set certificate " + B + " REVOKED (was INACTIVE): done",
            "5/6 keep the certificates, REVOKED (--revoke)",
            "certificate " + A + ": kept, REVOKED", "certificate " + B + ": kept, REVOKED");
    for (String id : List.of(A, B)) {
      assertEquals("REVOKED", status(id));
      assertEquals("", Sandbox.read(state.resolve("certs/" + id + "/policies")));
    }
    assertFalse(exists("things/" + THING));
    assertFalse(operations().contains("delete-certificate"), operations()::toString);
  }

  @Test
  void revoke_interruptedAfterDetaching_resumesFromTheRecord_andStillKeepsTheCertificate() {
    thing("{}", A);
    certificate(A, "ACTIVE", "AppPolicy");
    sandbox.env("FAKE_AWS_FAIL", "delete-thing");
    decommission("--thing-name", THING, "--revoke").assertExit(1)
        .assertStderrContains("certificate " + A + ": kept, REVOKED", "delete thing " + THING + " failed");
    assertEquals("", Sandbox.read(state.resolve("things/" + THING + "/principals")), "detached from the thing");

    sandbox.env("FAKE_AWS_FAIL", "none");
    decommission("--thing-name", THING, "--revoke").assertExit(0)
        .assertStderrContains("a decommissioning is in progress (recorded: " + A + "); resuming",
            "certificate " + A + ": already REVOKED", "certificate " + A + ": not attached to thing " + THING,
            "certificate " + A + ": kept, REVOKED", "thing " + THING + " decommissioned");
    assertEquals("REVOKED", status(A));
    assertFalse(exists("things/" + THING));
    assertFalse(operations().contains("delete-certificate"), operations()::toString);
  }

  @Test
  void dryRun_readsOnly_andPrintsThePlan() {
    thing("{}", A);
    certificate(A, "ACTIVE", "AppPolicy");
    Sandbox.Result r = decommission("--thing-name", THING, "--dry-run").assertExit(0);
    assertTrue(operations().stream().allMatch(o -> o.startsWith("describe-") || o.startsWith("list-")),
        operations()::toString);
    assertEquals("ACTIVE", status(A));
    assertTrue(exists("things/" + THING));
    assertEquals("AppPolicy\n", Sandbox.read(state.resolve("certs/" + A + "/policies")));
    r.assertStderrContains("dry run: would set certificate " + A + " INACTIVE (was ACTIVE)",
        "dry run: would record the certificates", "dry run: would detach policy AppPolicy from certificate " + A,
        "dry run: would detach certificate " + A + " from thing " + THING, "dry run: would delete certificate " + A,
        "dry run: would delete thing " + THING);
  }

  @Test
  void dryRun_withRevoke_readsOnly_andPlansToKeepTheCertificate() {
    thing("{}", A);
    certificate(A, "INACTIVE", "AppPolicy");
    Sandbox.Result r = decommission("--thing-name", THING, "--dry-run", "--revoke").assertExit(0);
    assertTrue(operations().stream().allMatch(o -> o.startsWith("describe-") || o.startsWith("list-")),
        operations()::toString);
    assertEquals("INACTIVE", status(A));
    assertTrue(exists("things/" + THING));
    assertEquals("AppPolicy\n", Sandbox.read(state.resolve("certs/" + A + "/policies")));
    r.assertStderrContains("dry run: would set certificate " + A + " REVOKED (was INACTIVE)",
        "dry run: would record the certificates", "dry run: would detach policy AppPolicy from certificate " + A,
        "dry run: would detach certificate " + A + " from thing " + THING,
        "dry run: would keep certificate " + A + " (REVOKED at step 1; INACTIVE now)",
        "dry run: would delete thing " + THING);
    assertFalse(r.stderr().contains("would delete certificate"), r.all());
  }

  @Test
  void interruptedAfterDetaching_resumesFromTheRecordOnTheThing() {
    thing("{}", A);
    certificate(A, "ACTIVE", "AppPolicy");
    sandbox.env("FAKE_AWS_FAIL", "delete-certificate");
    decommission("--thing-name", THING).assertExit(1).assertStderrContains("delete certificate " + A + " failed");
    assertEquals("", Sandbox.read(state.resolve("things/" + THING + "/principals")), "detached from the thing");
    assertTrue(exists("certs/" + A));

    sandbox.env("FAKE_AWS_FAIL", "none");
    decommission("--thing-name", THING).assertExit(0)
        .assertStderrContains("a decommissioning is in progress (recorded: " + A + "); resuming",
            "certificate " + A + ": already INACTIVE", "certificate " + A + ": not attached to thing " + THING,
            "delete certificate " + A + ": done");
    assertFalse(exists("certs/" + A));
    assertFalse(exists("things/" + THING));
  }

  @Test
  void detachmentThatShowsLate_isWaitedFor_andDeleteThingSucceeds() {
    thing("{}", A);
    certificate(A, "INACTIVE");
    sandbox.env("FAKE_DETACH_LAG", "2");
    decommission("--thing-name", THING).assertExit(0)
        .assertStderrContains("waiting until thing " + THING + " no longer lists certificate " + A,
            "certificate " + A + ": detachment shows");
    assertFalse(exists("things/" + THING));
  }

  @Test
  void detachmentThatNeverShows_exits4_sayingToRunAgain() {
    thing("{}", A);
    certificate(A, "INACTIVE");
    sandbox.env("FAKE_DETACH_LAG", "never");
    decommission("--thing-name", THING, "--detach-timeout", "1").assertExit(4)
        .assertStderrContains("still not done after 1 s", "run the same command again to resume");
    assertTrue(exists("certs/" + A));
    assertFalse(operations().contains("delete-certificate"), operations()::toString);
  }

  @Test
  void aPrincipalThatIsNotACertificate_isNamed_andNothingIsChanged() {
    thing("{}", A);
    certificate(A, "ACTIVE");
    Sandbox.write(state.resolve("things/" + THING + "/principals"), ARN + A + "\nus-east-1:1234abcd-cognito\n");
    decommission("--thing-name", THING).assertExit(1)
        .assertStderrContains("principals that are not certificates (us-east-1:1234abcd-cognito)");
    assertEquals("ACTIVE", status(A));
  }

  // ---- the device registry table ---------------------------------------------------------------------------------

  @Test
  void withTable_eachCertificateItemFollowsRightAfterEachIotWrite_untilDeleted() {
    withTable();
    String a = "1a".repeat(32);
    String b = "1b".repeat(32);
    thing("{}", a, b);
    certificate(a, "ACTIVE", "AppPolicy");
    certificate(b, "REVOKED");
    table.putCertificate(a, THING, "ACTIVE", THING, "PROVISIONED", 1_000L);
    table.putCertificate(b, THING, "REVOKED", THING, "SYNCED", 1_000L);

    Sandbox.Result r = decommission("--thing-name", THING, "--endpoint-url", "http://127.0.0.1:4566").assertExit(0);

    assertEquals("caCertificateId=" + "c".repeat(64) + " certificateId=" + a + " kind=CERTIFICATE pk=cert#" + a
        + " status=DELETED step=DECOMMISSIONED thingName=" + THING,
        table.item("cert#" + a).replaceFirst(" updatedAt=\\d{13}", ""), r.all());
    assertEquals("REVOKED", table.attribute("cert#" + b, "status"));
    assertEquals("", table.attribute("cert#" + b, "boundThing"), "detached");
    assertEquals("DECOMMISSIONED", table.attribute("cert#" + b, "step"));
    assertTrue(Long.parseLong(table.attribute("cert#" + a, "updatedAt")) > 1_000L);
    List<String> calls = callsWithTable().stream().filter(c -> !c.startsWith("iot describe-")
        && !c.startsWith("iot list-")).toList();
    assertEquals(List.of("iot update-certificate", "dynamodb update-item cert#1a1a", "dynamodb update-item cert#1b1b",
        "iot update-thing", "iot detach-policy",
        "iot detach-thing-principal", "dynamodb update-item cert#1a1a",
        "iot detach-thing-principal", "dynamodb update-item cert#1b1b",
        "iot delete-certificate", "dynamodb update-item cert#1a1a", "iot delete-thing"), calls, r.all());
    assertTrue(awsCalls().stream().filter(c -> c.contains(" dynamodb "))
        .allMatch(c -> c.startsWith("--endpoint-url " + table.endpoint() + " ")), awsCalls()::toString);
    r.assertStderrContains("certificate " + a + ": recorded in table DeviceRegistry (status INACTIVE, step DECOMMISSIONED)",
        "certificate " + a + ": recorded in table DeviceRegistry (not bound, step DECOMMISSIONED)",
        "certificate " + a + ": recorded in table DeviceRegistry (status DELETED, step DECOMMISSIONED)");
  }

  @Test
  void withTable_revoke_recordsRevokedUnbound_andKeepsTheItem() {
    withTable();
    String a = "2a".repeat(32);
    thing("{}", a);
    certificate(a, "ACTIVE");
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
    String a = "3a".repeat(32);
    thing("{}", a);
    certificate(a, "ACTIVE", "AppPolicy");
    table.putCertificate(a, THING, "ACTIVE", THING, "PROVISIONED", 1_000L);

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
    String a = "4a".repeat(32);
    thing("{}", a);
    certificate(a, "ACTIVE");
    long future = System.currentTimeMillis() + 3_600_000L;
    table.putCertificate(a, THING, "REVOKED", THING, "SYNCED", future);

    decommission("--thing-name", THING).assertExit(0);

    assertEquals("SYNCED", table.attribute("cert#" + a, "step"));
    assertEquals(Long.toString(future), table.attribute("cert#" + a, "updatedAt"));
  }

  @Test
  void withTable_anItemTheTableLacks_isCreatedWithWhatTheScriptObserved() {
    withTable();
    String a = "5a".repeat(32);
    thing("{}", a);
    certificate(a, "ACTIVE");

    decommission("--thing-name", THING, "--revoke").assertExit(0);

    assertEquals("certificateId=" + a + " kind=CERTIFICATE pk=cert#" + a + " status=REVOKED step=REVOKED",
        table.item("cert#" + a).replaceFirst(" updatedAt=\\d{13}", ""));
  }

  @Test
  void withTable_dryRun_writesNothingToTheTable_andSaysWhatItWould() {
    withTable();
    String a = "6a".repeat(32);
    thing("{}", a);
    certificate(a, "ACTIVE");
    table.putCertificate(a, THING, "ACTIVE", THING, "PROVISIONED", 1_000L);

    decommission("--thing-name", THING, "--dry-run").assertExit(0)
        .assertStderrContains("dry run: would record certificate " + a
            + " in table DeviceRegistry (status INACTIVE, step DECOMMISSIONED)");

    assertTrue(awsCalls().stream().noneMatch(c -> c.contains(" dynamodb ")), awsCalls()::toString);
    assertEquals("PROVISIONED", table.attribute("cert#" + a, "step"));
  }

  @Test
  void withoutTable_warnsThatOnlyIotIsChanged() {
    thing("{}", A);
    certificate(A, "ACTIVE");
    decommission("--thing-name", THING).assertExit(0)
        .assertStderrContains("no device registry table (--table or DEVICE_REGISTRY_TABLE): only IoT is changed");
    assertTrue(awsCalls().stream().noneMatch(c -> c.contains(" dynamodb ")), awsCalls()::toString);
  }

  @Test
  void badTableName_isAUsageError() {
    decommission("--thing-name", THING, "--table", "a/b").assertUsageError();
    assertEquals(List.of(), awsCalls());
  }
}
