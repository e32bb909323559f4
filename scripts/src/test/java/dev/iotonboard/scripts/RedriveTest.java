package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ops/redrive.sh against a fake aws (src/test/resources/fakes/aws-redrive) holding an SQS queue in a folder and
 * recording Lambda invocations. The real AWS CLI against the local IoT Core runs in local's RedriveIT.
 */
class RedriveTest {
  static final String QUEUE_URL = "http://127.0.0.1:4566/000000000000/ProvisioningFailures";
  static final String FUNCTION = "ThingProvisioning";
  static final String FUNCTION_ARN = "arn:aws:lambda:us-east-1:000000000000:function:" + FUNCTION;

  @TempDir Path tmp;
  Sandbox sandbox;
  Path awsLog;
  Path state;

  @BeforeEach
  void setUp() {
    awsLog = tmp.resolve("aws.log");
    state = tmp.resolve("aws-state");
    sandbox = new Sandbox(tmp).installFake("aws-redrive", "aws")
        .env("FAKE_AWS_LOG", awsLog.toString())
        .env("FAKE_AWS_STATE", state.toString());
  }

  Sandbox.Result redrive(String... args) {
    return sandbox.run("ops/redrive.sh", args);
  }

  Sandbox.Result redriveQueue(String... extra) {
    String[] args = Stream.concat(Stream.of("--queue-url", QUEUE_URL, "--function", FUNCTION, "--wait-seconds", "0"),
        Stream.of(extra)).toArray(String[]::new);
    return redrive(args);
  }

  List<String> awsCalls() {
    return Files.exists(awsLog) ? Sandbox.readLines(awsLog) : List.of();
  }

  /** A destination record as Lambda sends it to the on-failure queue. */
  static String record(String functionArn, String payload) {
    return "{\"version\":\"1.0\",\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"requestContext\":{\"requestId\":\"r\","
        + "\"functionArn\":\"" + functionArn + "\",\"condition\":\"RetriesExhausted\",\"approximateInvokeCount\":3},"
        + "\"requestPayload\":" + payload + ",\"responseContext\":{\"statusCode\":200,\"executedVersion\":\"$LATEST\","
        + "\"functionError\":\"Unhandled\"},\"responsePayload\":{\"errorMessage\":\"Rate exceeded\"}}";
  }

  static String payload(String thing) {
    return "{\"thingName\":\"" + thing + "\",\"certificateId\":\"" + "c".repeat(64) + "\"}";
  }

  void message(int n, String body) {
    String escaped = body.replace("\\", "\\\\").replace("\"", "\\\"");
    Sandbox.write(state.resolve("queue/" + String.format("%03d", n) + ".json"),
        "{\"MessageId\":\"m-" + n + "\",\"ReceiptHandle\":\"rh-" + n + "\",\"Body\":\"" + escaped + "\"}\n");
  }

  List<String> queued() {
    try (Stream<Path> files = Files.list(state.resolve("queue"))) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  List<String> invokedPayloads() {
    Path dir = state.resolve("invoked");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.sorted().map(p -> Sandbox.read(p).trim()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void help_printsUsageAndExitCodes_withoutCallingAws() {
    Sandbox.Result r = redrive("--help").assertExit(0);
    assertTrue(r.stdout().startsWith("Usage: scripts/ops/redrive.sh --queue-url URL --function NAME"), r.all());
    assertTrue(r.stdout().contains("Exit codes:"), r.all());
    assertTrue(r.stdout().contains("redriven=N left=N malformed=N"), r.all());
    assertTrue(awsCalls().isEmpty());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "--function|ThingProvisioning",
      "--queue-url|" + QUEUE_URL,
      "--queue-url|not-a-url|--function|f",
      "--queue-url|" + QUEUE_URL + "|--function|f|--max|0",
      "--queue-url|" + QUEUE_URL + "|--function|f|--max|ten",
      "--queue-url|" + QUEUE_URL + "|--function|f|--visibility-timeout|43201",
      "--queue-url|" + QUEUE_URL + "|--function|f|--wait-seconds|21",
      "--queue-url|" + QUEUE_URL + "|--function|f b",
      "--queue-url|" + QUEUE_URL + "|--function|f|--qualifier|a/b",
      "--queue-url|" + QUEUE_URL + "|--function",
      "--queue-url|" + QUEUE_URL + "|--function|f|--bogus"})
  void badArguments_areUsageErrors_beforeAnyAwsCall(String args) {
    redrive(args.split("\\|")).assertUsageError();
    assertTrue(awsCalls().isEmpty(), awsCalls()::toString);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aws", "jq"})
  void missingTool_isNamedWithItsInstallHint(String tool) {
    sandbox.withoutTool(tool);
    redriveQueue().assertExit(1).assertStderrContains(tool + " is required but not installed");
  }

  @Test
  void records_areResubmittedAsEvents_andDeletedOnlyOnceAccepted_othersLeft() {
    message(1, record(FUNCTION_ARN + ":live", payload("a")));
    message(2, "not json at all");
    message(3, "{\"requestPayload\":{\"thingName\":\"no-context\"}}");
    message(4, record("arn:aws:lambda:us-east-1:000000000000:function:CertificateActivation", payload("b")));
    message(5, record(FUNCTION_ARN, payload("c")));

    Sandbox.Result r = redriveQueue().assertExit(3);

    assertEquals("redriven=2 left=3 malformed=2\n", r.stdout(), r.all());
    assertEquals(List.of(payload("a"), payload("c")), invokedPayloads());
    assertEquals(List.of("002.json", "003.json", "004.json"), queued(), "only re-submitted records are deleted");
    r.assertStderrContains("message m-2 left in the queue: not a Lambda destination record",
        "message m-4 left in the queue: the record is for arn:aws:lambda:us-east-1:000000000000:function:"
            + "CertificateActivation, not ThingProvisioning");
    List<String> invokes = awsCalls().stream().filter(c -> c.contains("lambda invoke")).toList();
    assertEquals(2, invokes.size(), invokes::toString);
    assertTrue(invokes.get(0).contains("--function-name ThingProvisioning --invocation-type Event --qualifier live"
        + " --payload fileb://"), "the record's alias, raw payload bytes for CLI v1 and v2: " + invokes.get(0));
    assertFalse(invokes.get(1).contains("--qualifier"),
        "an unqualified record is invoked unqualified: " + invokes.get(1));
  }

  @Test
  void allRecordsRedriven_exits0_andPassesTheAwsOptionsToEveryCall() {
    message(1, record(FUNCTION_ARN, payload("a")));
    message(2, record(FUNCTION_ARN, payload("b")));
    sandbox.env("AWS_ENDPOINT_URL_IOT", "http://iot.invalid");

    Sandbox.Result r = redriveQueue("--endpoint-url", "http://127.0.0.1:4566", "--region", "eu-west-1",
        "--profile", "ops").assertExit(0);

    assertEquals("redriven=2 left=0 malformed=0\n", r.stdout(), r.all());
    assertTrue(queued().isEmpty());
    List<String> calls = awsCalls();
    assertEquals(2 + 2 + 2, calls.size(), "two receives (the second empty), two invokes, two deletes: " + calls);
    for (String call : calls) {
      assertTrue(call.startsWith("--endpoint-url http://127.0.0.1:4566 --region eu-west-1 --profile ops --output json"),
          call);
    }
    assertTrue(calls.get(0).contains("sqs receive-message --queue-url " + QUEUE_URL + " --max-number-of-messages 10"
        + " --visibility-timeout 300 --wait-time-seconds 0"), calls.get(0));
    assertTrue(calls.stream().anyMatch(c -> c.contains("sqs delete-message --queue-url " + QUEUE_URL
        + " --receipt-handle rh-1")), calls::toString);
  }

  @Test
  void iotEndpointVariable_isNotUsedForSqsAndLambda_butAwsEndpointUrlIs() {
    sandbox.env("AWS_ENDPOINT_URL_IOT", "http://iot.invalid");
    redriveQueue().assertExit(0);
    assertFalse(awsCalls().get(0).contains("--endpoint-url"), awsCalls().get(0));
    sandbox.env("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
    redriveQueue().assertExit(0);
    assertTrue(awsCalls().get(1).startsWith("--endpoint-url http://127.0.0.1:4566 "), awsCalls().get(1));
  }

  @Test
  void emptyQueue_exits0() {
    Sandbox.Result r = redriveQueue().assertExit(0);
    assertEquals("redriven=0 left=0 malformed=0\n", r.stdout(), r.all());
  }

  @Test
  void invokeNotAccepted_leavesTheMessage() {
    message(1, record(FUNCTION_ARN, payload("a")));
    sandbox.env("FAKE_INVOKE_STATUS", "200");
    Sandbox.Result r = redriveQueue().assertExit(3);
    assertEquals("redriven=0 left=1 malformed=0\n", r.stdout(), r.all());
    assertEquals(List.of("001.json"), queued());
    r.assertStderrContains("Lambda did not accept the event");
  }

  @Test
  void invokeFailure_stopsWithExit1_andDeletesNothing() {
    message(1, record(FUNCTION_ARN, payload("a")));
    message(2, record(FUNCTION_ARN, payload("b")));
    sandbox.env("FAKE_AWS_FAIL", "invoke");
    Sandbox.Result r = redriveQueue().assertExit(1)
        .assertStderrContains("AccessDeniedException", "aws lambda invoke failed for message m-1");
    assertEquals("redriven=0 left=0 malformed=0\n", r.stdout(), r.all());
    assertEquals(List.of("001.json", "002.json"), queued());
    assertTrue(awsCalls().stream().noneMatch(c -> c.contains("delete-message")), awsCalls()::toString);
  }

  @Test
  void deleteFailure_stopsWithExit1_sayingTheEventWasResubmitted() {
    message(1, record(FUNCTION_ARN, payload("a")));
    sandbox.env("FAKE_AWS_FAIL", "delete-message");
    Sandbox.Result r = redriveQueue().assertExit(1)
        .assertStderrContains("message m-1 was re-submitted but aws sqs delete-message failed");
    assertEquals("redriven=1 left=1 malformed=0\n", r.stdout(), r.all());
  }

  @Test
  void receiveFailure_exits1() {
    sandbox.env("FAKE_AWS_FAIL", "receive-message");
    redriveQueue().assertExit(1).assertStderrContains("aws sqs receive-message failed");
  }

  @Test
  void dryRun_invokesAndDeletesNothing() {
    message(1, record(FUNCTION_ARN, payload("a")));
    message(2, record(FUNCTION_ARN, payload("b")));
    Sandbox.Result r = redriveQueue("--dry-run").assertExit(0);
    assertEquals("redriven=2 left=0 malformed=0\n", r.stdout(), r.all());
    r.assertStderrContains("dry run: would re-submit message m-1 (record of " + FUNCTION_ARN + "): " + payload("a"));
    assertTrue(invokedPayloads().isEmpty());
    assertEquals(List.of("001.json", "002.json"), queued());
    assertTrue(awsCalls().stream().noneMatch(c -> c.contains("lambda invoke") || c.contains("delete-message")),
        awsCalls()::toString);
  }

  /** "Look first, then run": the dry run must not leave the messages hidden for the visibility timeout. */
  @Test
  void dryRun_thenARealRun_redrivesEveryRecord() {
    message(1, record(FUNCTION_ARN, payload("a")));
    message(2, "not json at all");
    message(3, record(FUNCTION_ARN, payload("c")));

    redriveQueue("--dry-run").assertExit(3);
    Sandbox.Result run = redriveQueue().assertExit(3);

    assertEquals("redriven=2 left=1 malformed=1\n", run.stdout(), run.all());
    assertEquals(List.of(payload("a"), payload("c")), invokedPayloads());
    assertEquals(List.of("002.json"), queued());
  }

  @Test
  void dryRun_twiceShowsTheSameMessages() {
    message(1, record(FUNCTION_ARN, payload("a")));

    redriveQueue("--dry-run").assertExit(0);
    Sandbox.Result again = redriveQueue("--dry-run").assertExit(0);

    assertEquals("redriven=1 left=0 malformed=0\n", again.stdout(), again.all());
  }

  @Test
  void dryRun_thatCannotMakeTheMessagesVisibleAgainSaysForHowLongTheyStayHidden() {
    message(1, record(FUNCTION_ARN, payload("a")));
    sandbox.env("FAKE_AWS_FAIL", "change-message-visibility");

    Sandbox.Result r = redriveQueue("--dry-run", "--visibility-timeout", "120").assertExit(1)
        .assertStderrContains("AccessDeniedException", "hidden", "120", "sqs:ChangeMessageVisibility");

    assertEquals("redriven=1 left=0 malformed=0\n", r.stdout(), r.all());
  }

  @Test
  void max_limitsTheMessagesReceived() {
    for (int i = 1; i <= 3; i++) {
      message(i, record(FUNCTION_ARN, payload("t" + i)));
    }
    Sandbox.Result r = redriveQueue("--max", "2").assertExit(0);
    assertEquals("redriven=2 left=0 malformed=0\n", r.stdout(), r.all());
    assertEquals(List.of("003.json"), queued());
    assertTrue(awsCalls().get(0).contains("--max-number-of-messages 2"), awsCalls().get(0));
    assertEquals(1, awsCalls().stream().filter(c -> c.contains("receive-message")).count(), "no receive after --max");
  }

  @Test
  void qualifier_optionWins_andAQualifiedFunctionGetsNoQualifier() {
    message(1, record(FUNCTION_ARN + ":live", payload("a")));
    redriveQueue("--qualifier", "7").assertExit(0);
    assertTrue(awsCalls().get(1).contains("--qualifier 7 "), awsCalls().get(1));

    message(2, record(FUNCTION_ARN + ":live", payload("b")));
    redrive("--queue-url", QUEUE_URL, "--function", FUNCTION + ":live", "--wait-seconds", "0").assertExit(0);
    String invoke = awsCalls().stream().filter(c -> c.contains("lambda invoke")).reduce((a, b) -> b).orElseThrow();
    assertTrue(invoke.contains("--function-name ThingProvisioning:live --invocation-type Event --payload"), invoke);
  }
}
