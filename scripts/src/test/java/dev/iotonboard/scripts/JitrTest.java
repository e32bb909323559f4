package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.IotDouble;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * jitr.sh's argument handling, backoff and exit codes against scripted fake curl and mosquitto_pub.
 * The real flow runs end to end against the local IoT Core.
 */
class JitrTest {

  static final String OK = "0 200 {\"message\":\"OK\",\"traceId\":\"t-1\"}";
  static final String EMPTY_REPLY = "52 000";

  @TempDir Path tmp;
  Sandbox sandbox;
  String thing;
  Path deviceDir;

  @BeforeEach
  void setUp() {
    sandbox = new Sandbox(tmp).withCa()
        .installFake("scripted", "curl")
        .installFake("scripted", "mosquitto_pub");
    thing = sandbox.createDevice("--key-type", "ec");
    deviceDir = sandbox.certsDir.resolve("devices").resolve(thing);
    Sandbox.write(sandbox.certsDir.resolve("AmazonRootCA1.pem"), "placeholder: the fake curl does not read it\n");
  }

  Sandbox.Result jitr(String... args) {
    List<String> all = new ArrayList<>(List.of("--endpoint", "localhost", "--initial-delay", "0", "--max-delay", "0"));
    all.addAll(List.of(args));
    return sandbox.run("device/jitr.sh", all.toArray(String[]::new));
  }

  @Test
  void jitr_onboardsAfterTheExpectedEmptyReply() {
    sandbox.script("curl", EMPTY_REPLY, OK, OK).script("mosquitto_pub", "5", "0");

    Sandbox.Result r = jitr().assertExit(0).assertStderrContains("empty reply (expected", "summary");

    assertEquals(thing + "\n", r.stdout());
    List<String> curl = sandbox.calls("curl");
    assertEquals(3, curl.size(), curl::toString);
    for (String call : curl.subList(0, 2)) {
      assertTrue(call.endsWith("https://localhost:8443/topics/jitr/start?qos=1"), call);
      assertTrue(call.contains("--data {}"), call);
    }
    String request = curl.get(2);
    assertTrue(request.endsWith("https://localhost:8443/topics/jitr/request?qos=1"), request);
    assertTrue(request.contains("--data {\"thingName\":\"" + thing + "\"}"), request);
    for (String call : curl) {
      assertTrue(call.contains("--cert " + deviceDir.resolve("deviceCertAndCACert.crt")), call);
      assertTrue(call.contains("--key " + deviceDir.resolve("deviceCert.key")), call);
      assertTrue(call.contains("--cacert " + sandbox.certsDir.resolve("AmazonRootCA1.pem")), call);
    }

    List<String> mqtt = sandbox.calls("mosquitto_pub");
    assertEquals(2, mqtt.size(), "retried until accepted: " + mqtt);
    String publish = mqtt.get(1);
    assertTrue(publish.startsWith("-h localhost -p 8883 "), publish);
    assertTrue(publish.contains("-i " + thing + " "), "client id = thing name: " + publish);
    assertTrue(publish.contains("-t things/" + thing + "/confirmation "), publish);
    assertTrue(publish.contains("--cafile " + sandbox.certsDir.resolve("AmazonRootCA1.pem")), publish);
    assertTrue(publish.contains("--key " + deviceDir.resolve("deviceCert.key")), publish);
    assertTrue(publish.contains("-q 1"), publish);
  }

  @Test
  void jitr_usesTheGivenPortsCacertAndThingName() {
    Path cacert = tmp.resolve("local-ca.pem");
    Sandbox.write(cacert, "local CA\n");
    sandbox.createDevice(); // "latest" now names another device
    sandbox.script("curl", OK).script("mosquitto_pub", "0");

    jitr("--thing-name", thing, "--port", "18443", "--mqtt-port", "18883", "--cacert", cacert.toString()).assertExit(0);

    assertTrue(sandbox.calls("curl").get(0).contains("--cert " + deviceDir.resolve("deviceCertAndCACert.crt")));
    assertTrue(sandbox.calls("curl").get(0).endsWith("https://localhost:18443/topics/jitr/start?qos=1"));
    assertTrue(sandbox.calls("curl").get(0).contains("--cacert " + cacert));
    assertTrue(sandbox.calls("mosquitto_pub").get(0).startsWith("-h localhost -p 18883 --cafile " + cacert));
  }

  @Test
  void jitr_deviceDirOption() {
    sandbox.createDevice(); // "latest" now names another device
    sandbox.script("curl", OK).script("mosquitto_pub", "0");

    Sandbox.Result r = jitr("--device-dir", deviceDir.toString()).assertExit(0);

    assertEquals(thing + "\n", r.stdout());
  }

  /** A device folder without its thingName file must not borrow another device's name from devices/latest. */
  @Test
  void jitr_deviceDirWithoutThingNameFailsWithoutFallingBackToLatest() throws Exception {
    Files.delete(deviceDir.resolve("thingName"));
    String other = sandbox.createDevice(); // "latest" now names another device
    sandbox.script("curl", OK).script("mosquitto_pub", "0");

    jitr("--device-dir", deviceDir.toString()).assertExit(1)
        .assertStderrContains(deviceDir.resolve("thingName").toString(), "--thing-name");

    assertEquals(List.of(), sandbox.calls("curl"), "no request, least of all for " + other);
    assertEquals(List.of(), sandbox.calls("mosquitto_pub"));
  }

  @Test
  void jitr_deviceDirWithoutThingNameWorksWithTheThingNameGiven() throws Exception {
    Files.delete(deviceDir.resolve("thingName"));
    sandbox.createDevice();
    sandbox.script("curl", OK).script("mosquitto_pub", "0");

    Sandbox.Result r = jitr("--device-dir", deviceDir.toString(), "--thing-name", thing).assertExit(0);

    assertEquals(thing + "\n", r.stdout());
  }

  /** The identity rule, device side: the thing name is the certificate's CN; anything else is refused offline. */
  @Test
  void jitr_thingNameOtherThanTheCertificateCnIsRefusedBeforeAnyNetworkCall() {
    String other = sandbox.createDevice("--key-type", "ec");
    Path awsLog = tmp.resolve("aws.log");
    sandbox.realAws("aws-logged", awsLog).script("curl", OK).script("mosquitto_pub", "0");

    // No --endpoint: the endpoint lookup (an AWS call) must not happen either.
    sandbox.run("device/jitr.sh", "--thing-name", other, "--device-dir", deviceDir.toString(), "--initial-delay", "0")
        .assertExit(2).assertStderrContains("CN", thing, other, "deactivated");

    assertEquals(List.of(), sandbox.calls("curl"));
    assertEquals(List.of(), sandbox.calls("mosquitto_pub"));
    assertFalse(Files.exists(awsLog), "no AWS call");
  }

  @Test
  void jitr_aThingNameFileThatDiffersFromTheCertificateCnIsRefused() {
    String other = "3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b";
    Sandbox.write(deviceDir.resolve("thingName"), other + "\n");
    sandbox.script("curl", OK).script("mosquitto_pub", "0");

    jitr("--device-dir", deviceDir.toString()).assertExit(2).assertStderrContains("CN=" + thing, other);

    assertEquals(List.of(), sandbox.calls("curl"));
  }

  @Test
  void jitr_aDeviceCertificateThatCannotBeReadIsAnErrorSayingWhy() {
    Sandbox.write(deviceDir.resolve("deviceCertAndCACert.crt"), "not a certificate\n");
    sandbox.script("curl", OK).script("mosquitto_pub", "0");

    Sandbox.Result r = jitr().assertExit(1).assertStderrContains("deviceCertAndCACert.crt");

    assertTrue(r.stderr().toLowerCase(java.util.Locale.ROOT).contains("certificate"), r::all);
    assertEquals(List.of(), sandbox.calls("curl"));
  }

  @Test
  void jitr_timesOutWaitingForActivationWithinTheBound() {
    sandbox.script("curl", EMPTY_REPLY);

    long start = System.nanoTime();
    Sandbox.Result r = sandbox.run("device/jitr.sh", "--endpoint", "localhost",
        "--timeout", "2", "--initial-delay", "1", "--max-delay", "1");
    long seconds = (System.nanoTime() - start) / 1_000_000_000L;

    r.assertExit(3).assertStderrContains("timed out", "register-ca.sh");
    assertTrue(seconds < 8, "bounded by --timeout, took " + seconds + "s");
    List<String> curl = sandbox.calls("curl");
    assertTrue(curl.size() >= 2, "retried: " + curl);
    assertTrue(curl.stream().allMatch(c -> c.contains("jitr/start")), "never requested: " + curl);
    assertEquals(List.of(), sandbox.calls("mosquitto_pub"));
  }

  /**
   * The backoff, the same algorithm as the benchmark's simulated devices: retry k waits a uniformly random time
   * between half of --initial-delay and min(--max-delay, --initial-delay * 2^k) (full jitter above a floor).
   */
  @Test
  void jitr_backoffIsFullJitterAboveHalfTheInitialDelay_upToTheCap() {
    String[] answers = new String[42];
    java.util.Arrays.fill(answers, EMPTY_REPLY);
    answers[40] = OK;
    answers[41] = OK;
    sandbox.installFake("scripted", "sleep").script("sleep", "0");
    sandbox.script("curl", answers).script("mosquitto_pub", "0");

    sandbox.run("device/jitr.sh", "--endpoint", "localhost", "--initial-delay", "2", "--max-delay", "4",
        "--timeout", "600").assertExit(0);

    List<Double> waits = sandbox.calls("sleep").stream().map(Double::parseDouble).toList();
    assertEquals(40, waits.size(), "one wait per retry of jitr/start: " + waits);
    assertTrue(waits.get(0) >= 1 && waits.get(0) <= 2, "the first between half and all of --initial-delay: " + waits);
    assertTrue(waits.stream().allMatch(w -> w >= 1 && w <= 4), "between 1 s and --max-delay: " + waits);
    // Full jitter: later waits cover [1, 4], not only the upper half of the ceiling (equal jitter: [2, 4]).
    assertTrue(waits.stream().skip(1).anyMatch(w -> w < 2), "some below half the ceiling: " + waits);
    assertTrue(waits.stream().skip(1).anyMatch(w -> w > 3), "some near the cap: " + waits);
  }

  @Test
  void jitr_keepsRetryingWhileResetOrDropped() {
    sandbox.script("curl", EMPTY_REPLY, "35 000", "56 000", EMPTY_REPLY, OK, OK).script("mosquitto_pub", "0");

    jitr().assertExit(0);

    assertEquals(6, sandbox.calls("curl").size());
  }

  /** 403 on jitr/start: the certificate is active without the JITR policy, which provisioning detaches last. */
  @Test
  void jitr_forbiddenStartMeansOnboardedBefore_skipsTheRequestAndGoesOnToMqtt() {
    sandbox.script("curl", EMPTY_REPLY, "0 403 {\"message\":\"Forbidden\",\"traceId\":\"t\"}")
        .script("mosquitto_pub", "0");

    Sandbox.Result r = jitr("--timeout", "3").assertExit(0)
        .assertStderrContains("HTTP 403", "onboarded before", "skipped");

    assertEquals(thing + "\n", r.stdout());
    List<String> curl = sandbox.calls("curl");
    assertEquals(2, curl.size(), "no retry after the 403 and no request: " + curl);
    assertTrue(curl.stream().allMatch(c -> c.endsWith("/topics/jitr/start?qos=1")), curl::toString);
    assertEquals(1, sandbox.calls("mosquitto_pub").size());
  }

  /** Should the 403 have been a policy not yet seen everywhere, the request still goes out while MQTT refuses. */
  @Test
  void jitr_afterAForbiddenStartTheRequestIsSentWhenMqttKeepsRefusing() {
    sandbox.script("curl", "0 403 {\"message\":\"Forbidden\"}", OK).script("mosquitto_pub", "5", "5", "5", "0");

    jitr("--resend-after", "1", "--mqtt-timeout", "30", "--initial-delay", "1", "--max-delay", "1").assertExit(0)
        .assertStderrContains("sent it again (accepted)");

    List<String> curl = sandbox.calls("curl");
    assertTrue(curl.size() >= 2, curl::toString);
    for (String call : curl.subList(1, curl.size())) {
      assertTrue(call.endsWith("/topics/jitr/request?qos=1"), call);
    }
  }

  @Test
  void jitr_requestRejected() {
    sandbox.script("curl", OK, "0 403 {\"message\":\"Forbidden\",\"traceId\":\"t\"}").script("mosquitto_pub", "0");

    jitr().assertExit(4).assertStderrContains("rejected", "HTTP 403");

    assertEquals(2, sandbox.calls("curl").size(), "a 403 is not retried");
    assertEquals(List.of(), sandbox.calls("mosquitto_pub"));
  }

  @Test
  void jitr_requestRetriesServerErrorsThenGivesUp() {
    sandbox.script("curl", OK, "0 503 {}").script("mosquitto_pub", "0");

    jitr().assertExit(4);

    assertEquals(4, sandbox.calls("curl").size(), "one activation call and three request attempts");
  }

  @Test
  void jitr_mqttRefused() {
    sandbox.script("curl", OK).script("mosquitto_pub", "5");

    long start = System.nanoTime();
    Sandbox.Result r = jitr("--mqtt-timeout", "2", "--initial-delay", "1", "--max-delay", "1");
    long seconds = (System.nanoTime() - start) / 1_000_000_000L;

    r.assertExit(5).assertStderrContains("MQTT publish", "still refused");
    assertTrue(seconds < 8, "bounded by --mqtt-timeout, took " + seconds + "s");
    assertTrue(sandbox.calls("mosquitto_pub").size() >= 2);
  }

  @Test
  void jitr_sendsTheRequestAgainWhileMqttKeepsRefusing_waitingTwiceAsLongEachTime() {
    sandbox.script("curl", OK).script("mosquitto_pub", "5", "5", "5", "5", "5", "5", "5", "5", "5", "5", "0");

    jitr("--resend-after", "1", "--mqtt-timeout", "30", "--initial-delay", "1", "--max-delay", "1")
        .assertExit(0).assertStderrContains("MQTT refused for 1s since the request: sent it again (accepted)",
            "MQTT refused for 2s since the request: sent it again (accepted)", "sent again");

    List<String> curl = sandbox.calls("curl");
    assertTrue(curl.size() >= 3, "start, request, then at least one more request: " + curl);
    for (String call : curl.subList(1, curl.size())) {
      assertTrue(call.endsWith("/topics/jitr/request?qos=1"), call);
      assertTrue(call.contains("--data {\"thingName\":\"" + thing + "\"}"), call);
    }
    assertTrue(curl.size() - 1 <= sandbox.calls("mosquitto_pub").size() - 1,
        "at most one request per refused MQTT attempt: " + curl);
  }

  @Test
  void jitr_aForbiddenResentRequestDoesNotEndTheWait() {
    sandbox.script("curl", OK, OK, "0 403 {\"message\":\"Forbidden\",\"traceId\":\"t-2\"}")
        .script("mosquitto_pub", "5", "5", "5", "0");

    jitr("--resend-after", "1", "--mqtt-timeout", "30", "--initial-delay", "1", "--max-delay", "1")
        .assertExit(0).assertStderrContains("sent it again (HTTP 403");
  }

  @Test
  void jitr_resendAfterZeroSendsTheRequestOnce() {
    sandbox.script("curl", OK).script("mosquitto_pub", "5", "5", "5", "0");

    jitr("--resend-after", "0", "--mqtt-timeout", "30", "--initial-delay", "1", "--max-delay", "1").assertExit(0);

    assertEquals(2, sandbox.calls("curl").size(), sandbox.calls("curl")::toString);
  }

  @Test
  void jitr_untrustedServerCertificateFailsAtOnce() {
    sandbox.script("curl", "60 000");

    jitr().assertExit(1).assertStderrContains("not trusted", "--cacert");

    assertEquals(1, sandbox.calls("curl").size());
  }

  /** Real curl against a server whose CA is not --cacert: curl's reason, not its closing advice, and a hint. */
  @Test
  void jitr_untrustedServerCertificateShowsCurlsReason() throws Exception {
    Files.delete(sandbox.bin.resolve("curl")); // the real one
    Sandbox other = new Sandbox(tmp.resolve("other")).withCa();
    try (TlsServer server = TlsServer.start(tmp, sandbox.certsDir.resolve("rootCA.pem"),
        sandbox.certsDir.resolve("rootCA.key"), false)) {
      Sandbox.Result r = jitr("--port", server.portArg(), "--cacert", other.certsDir.resolve("rootCA.pem").toString())
          .assertExit(1).assertStderrContains("not trusted", "SSL certificate problem", "--cacert");

      assertFalse(r.stderr().contains("how to fix it"), r::all);
    }
  }

  /** The real AWS CLI against the IoT model (the IoT double), each call logged on its way (fakes/aws-logged). */
  @Test
  void jitr_endpointFromDescribeEndpointThroughTheGivenAwsEndpoint() {
    Path awsLog = tmp.resolve("aws.log");
    sandbox.realAws("aws-logged", awsLog).script("curl", OK).script("mosquitto_pub", "0");

    try (IotDouble iot = IotDouble.start()) {
      sandbox.run("device/jitr.sh", "--endpoint-url", iot.endpoint().toString(), "--region", "eu-west-1",
          "--initial-delay", "0").assertExit(0);

      assertEquals(List.of("--endpoint-url " + iot.endpoint() + " --region eu-west-1 --output json iot"
          + " describe-endpoint --endpoint-type iot:Data-ATS"), Sandbox.readLines(awsLog));
      assertEquals(List.of("DescribeEndpoint"), iot.operations());
    }
    assertTrue(sandbox.calls("curl").get(0).endsWith("https://iot-double.localhost:8443/topics/jitr/start?qos=1"),
        sandbox.calls("curl")::toString);
    assertTrue(sandbox.calls("mosquitto_pub").get(0).startsWith("-h iot-double.localhost -p 8883 "),
        sandbox.calls("mosquitto_pub")::toString);
  }

  @Test
  void jitr_endpointFromEnvironment() {
    sandbox.env("IOT_ENDPOINT", "envhost").env("IOT_HTTPS_PORT", "1443").script("curl", OK).script("mosquitto_pub", "0");

    sandbox.run("device/jitr.sh", "--initial-delay", "0").assertExit(0);

    assertTrue(sandbox.calls("curl").get(0).endsWith("https://envhost:1443/topics/jitr/start?qos=1"));
  }

  @Test
  void jitr_warnsThatAnIpAddressEndpointSendsNoSni() {
    sandbox.script("curl", OK).script("mosquitto_pub", "0");

    sandbox.run("device/jitr.sh", "--endpoint", "127.0.0.1", "--initial-delay", "0").assertExit(0)
        .assertStderrContains("no TLS SNI");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "--port=0", "--port=abc", "--port=70000", "--mqtt-port=-1", "--endpoint=https://host", "--endpoint=host:8443",
      "--endpoint=host/path", "--thing-name=3F2B6C1E-8D4A-4E5F-9A7B-1C2D3E4F5A6B", "--timeout=0", "--timeout=1.5",
      "--initial-delay=x", "--resend-after=-1", "--resend-after=x", "--bogus", "--port"})
  void jitr_badArgumentsGiveUsageBeforeAnyCall(String arg) {
    String[] args = arg.contains("=") ? arg.split("=", 2) : new String[] {arg};
    sandbox.script("curl", OK).script("mosquitto_pub", "0");

    sandbox.run("device/jitr.sh", args).assertUsageError();

    assertEquals(List.of(), sandbox.calls("curl"));
  }

  @Test
  void jitr_helpDocumentsOptionsAndExitCodes() {
    Sandbox.Result r = sandbox.run("device/jitr.sh", "--help").assertExit(0);

    for (String part : List.of("--endpoint", "--port", "--mqtt-port", "--cacert", "--timeout", "--resend-after",
        "--endpoint-url",
        "3  timed out waiting for activation", "4  request rejected", "5  MQTT refused")) {
      assertTrue(r.stdout().contains(part), part);
    }
  }

  @Test
  void jitr_missingCacertSaysWhereToGetIt() {
    sandbox.script("curl", OK);

    sandbox.run("device/jitr.sh", "--endpoint", "localhost", "--cacert", tmp.resolve("nope.pem").toString())
        .assertExit(1).assertStderrContains("nope.pem");
    java.io.File root = sandbox.certsDir.resolve("AmazonRootCA1.pem").toFile();
    assertTrue(root.delete());
    sandbox.run("device/jitr.sh", "--endpoint", "localhost").assertExit(1)
        .assertStderrContains("https://www.amazontrust.com/repository/AmazonRootCA1.pem");
  }

  @Test
  void jitr_noDeviceSaysHowToCreateOne() {
    Sandbox empty = new Sandbox(tmp.resolve("empty"));

    empty.run("device/jitr.sh", "--endpoint", "localhost").assertExit(1).assertStderrContains("create-device.sh");
  }

  @Test
  void jitr_missingMosquittoGivesInstallHint() {
    sandbox.withoutTool("mosquitto_pub").run("device/jitr.sh", "--endpoint", "localhost").assertExit(1)
        .assertStderrContains("mosquitto_pub is required", "apt-get install mosquitto-clients");
  }
}
