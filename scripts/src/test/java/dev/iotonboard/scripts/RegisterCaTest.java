package dev.iotonboard.scripts;

import static dev.iotonboard.scripts.Sandbox.assertVerifies;
import static dev.iotonboard.scripts.Sandbox.subject;
import static dev.iotonboard.scripts.Sandbox.x509Text;
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

/** register-ca.sh against a fake aws that records its arguments and keeps the registered CA. */
class RegisterCaTest {

  static final String CODE = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
  static final String[] AWS_OPTIONS = {"--endpoint-url", "http://127.0.0.1:4566", "--region", "eu-west-1", "--profile", "demo"};

  @TempDir Path tmp;
  Sandbox sandbox;
  Path awsLog;
  String expectedId;

  @BeforeEach
  void setUp() {
    sandbox = new Sandbox(tmp).withCa().installFake("aws", "aws");
    awsLog = tmp.resolve("aws.log");
    sandbox.env("FAKE_AWS_LOG", awsLog.toString())
        .env("FAKE_AWS_STATE", tmp.resolve("aws-state").toString())
        .env("FAKE_AWS_REGISTRATION_CODE", CODE);
    expectedId = Sandbox.certificateId(sandbox.certsDir.resolve("rootCA.pem"));
  }

  List<String> awsCalls() {
    return Files.exists(awsLog) ? Sandbox.readLines(awsLog) : List.of();
  }

  Sandbox.Result register(String... args) {
    return sandbox.run("ca/register-ca.sh", args);
  }

  @Test
  void registerCa_verificationCertificateCarriesTheRegistrationCodeAndTheIdIsSavedAndPrinted() {
    Sandbox.Result r = register(AWS_OPTIONS).assertExit(0);

    assertEquals(expectedId + "\n", r.stdout(), "stdout is the CA certificate id only");
    assertEquals(expectedId + "\n", Sandbox.read(sandbox.certsDir.resolve("caCertificateId")));
    r.assertStderrContains("caCertificateId=" + expectedId);

    Path verification = sandbox.certsDir.resolve("verificationCert.pem");
    assertTrue(subject(verification).startsWith("CN=" + CODE + ","), subject(verification));
    assertVerifies(sandbox.certsDir.resolve("rootCA.pem"), verification);
    assertTrue(x509Text(verification).contains("CA:FALSE"));
    assertFalse(r.stderr().contains("PRIVATE KEY"), "no key material printed");
    assertEquals(List.of(sandbox.certsDir.resolve("rootCA.key")), privateKeysUnder(tmp),
        "the verification key is deleted once the CA is registered: it must never serve to connect");

    List<String> calls = awsCalls();
    assertTrue(calls.stream().anyMatch(c -> c.endsWith("iot get-registration-code")), calls::toString);
    String registerCall = calls.stream().filter(c -> c.contains("iot register-ca-certificate")).findFirst().orElseThrow();
    assertTrue(registerCall.contains("--ca-certificate file://" + sandbox.certsDir.resolve("rootCA.pem")), registerCall);
    assertTrue(registerCall.contains("--verification-certificate file://" + verification), registerCall);
    assertTrue(registerCall.contains("--set-as-active"), registerCall);
    assertTrue(registerCall.contains("--allow-auto-registration"), registerCall);
  }

  /** Every file under root that holds a private key (PEM), whatever its name. */
  static List<Path> privateKeysUnder(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).filter(p -> Sandbox.read(p).contains("PRIVATE KEY")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void registerCa_removesAVerificationKeyLeftByAnEarlierRun() {
    Path stale = sandbox.certsDir.resolve("verificationCert.key");
    Sandbox.write(stale, "-----BEGIN PRIVATE KEY-----\nleft by an older version\n-----END PRIVATE KEY-----\n");

    register().assertExit(0).assertStderrContains("verificationCert.key");

    assertFalse(Files.exists(stale), "deleted");
    register().assertExit(0);
    assertEquals(List.of(sandbox.certsDir.resolve("rootCA.key")), privateKeysUnder(tmp));
  }

  @Test
  void registerCa_failedRegistrationLeavesNoVerificationKey() {
    sandbox.env("FAKE_AWS_FAIL", "register-ca-certificate");

    register().assertExit(1).assertStderrContains("register-ca-certificate failed");

    assertEquals(List.of(sandbox.certsDir.resolve("rootCA.key")), privateKeysUnder(tmp));
  }

  @Test
  void registerCa_passesEndpointRegionAndProfileToEveryAwsCall() {
    register(AWS_OPTIONS).assertExit(0);
    register(AWS_OPTIONS).assertExit(0);
    Sandbox.write(sandbox.certsDir.resolve("caCertificateId"), "stale\n");
    register(AWS_OPTIONS).assertExit(0);

    List<String> calls = awsCalls();
    assertTrue(calls.size() >= 5, calls::toString);
    for (String call : calls) {
      assertTrue(call.startsWith("--endpoint-url http://127.0.0.1:4566 --region eu-west-1 --profile demo "), call);
    }
  }

  @Test
  void registerCa_honoursTheAwsEnvironment() {
    sandbox.env("AWS_ENDPOINT_URL", "http://localhost:4567").env("AWS_REGION", "us-east-1").env("AWS_PROFILE", "envprofile");

    register().assertExit(0);

    for (String call : awsCalls()) {
      assertTrue(call.startsWith("--endpoint-url http://localhost:4567 --region us-east-1 --profile envprofile "), call);
    }
  }

  @Test
  void registerCa_serviceSpecificEndpointVariableWins() {
    sandbox.env("AWS_ENDPOINT_URL", "http://general:1").env("AWS_ENDPOINT_URL_IOT", "http://iot:2");

    register().assertExit(0);

    assertTrue(awsCalls().stream().allMatch(c -> c.startsWith("--endpoint-url http://iot:2 ")), awsCalls()::toString);
  }

  @Test
  void registerCa_isIdempotentWhenTheCaIsAlreadyRegistered() {
    register().assertExit(0);
    int before = awsCalls().size();

    Sandbox.Result again = register().assertExit(0).assertStderrContains("already registered");

    assertEquals(expectedId + "\n", again.stdout());
    List<String> second = awsCalls().subList(before, awsCalls().size());
    assertTrue(second.stream().noneMatch(c -> c.contains("register-ca-certificate") || c.contains("get-registration-code")),
        second::toString);
  }

  @Test
  void registerCa_findsTheRegisteredCaThroughListCaCertificatesWhenTheIdFileIsGone() throws Exception {
    register().assertExit(0);
    Files.delete(sandbox.certsDir.resolve("caCertificateId"));
    int before = awsCalls().size();

    register().assertExit(0);

    List<String> second = awsCalls().subList(before, awsCalls().size());
    assertTrue(second.stream().anyMatch(c -> c.endsWith("iot list-ca-certificates")), second::toString);
    assertTrue(second.stream().noneMatch(c -> c.contains("register-ca-certificate")), second::toString);
    assertEquals(expectedId + "\n", Sandbox.read(sandbox.certsDir.resolve("caCertificateId")));
  }

  @Test
  void registerCa_inactiveCaIsReportedNotReactivated() {
    register().assertExit(0);
    Sandbox.write(tmp.resolve("aws-state/status"), "INACTIVE");

    register().assertExit(3).assertStderrContains("INACTIVE", "update-ca-certificate");

    assertTrue(awsCalls().stream().noneMatch(c -> c.contains("update-ca-certificate")));
  }

  @Test
  void registerCa_awsFailureIsReportedAndNothingIsSaved() {
    sandbox.env("FAKE_AWS_FAIL", "get-registration-code");

    register().assertExit(1).assertStderrContains("AccessDeniedException", "get-registration-code failed");

    assertFalse(Files.exists(sandbox.certsDir.resolve("caCertificateId")));
  }

  @Test
  void registerCa_unreadableCaKeyShowsOpensslsReasonAndRegistersNothing() {
    sandbox.breakCaKey();

    register().assertExit(1).assertStderrContains("could not sign", "CA private key");

    assertTrue(awsCalls().stream().noneMatch(c -> c.contains("register-ca-certificate")), awsCalls()::toString);
    assertFalse(Files.exists(sandbox.certsDir.resolve("caCertificateId")));
  }

  @Test
  void registerCa_needsTheCaBeforeAnyAwsCall() {
    Sandbox empty = new Sandbox(tmp.resolve("empty")).installFake("aws", "aws")
        .env("FAKE_AWS_LOG", awsLog.toString()).env("FAKE_AWS_STATE", tmp.resolve("s2").toString());

    empty.run("ca/register-ca.sh").assertExit(1).assertStderrContains("run scripts/ca/create-ca.sh");
    assertEquals(List.of(), awsCalls());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--bogus", "--region", "--endpoint-url", "--days", "positional"})
  void registerCa_badArgumentsGiveUsageBeforeAnyAwsCall(String arg) {
    register(arg).assertUsageError();

    assertEquals(List.of(), awsCalls());
  }

  @Test
  void registerCa_helpWorksWithoutTheAwsCli() {
    Sandbox.Result r = sandbox.withoutTool("aws").run("ca/register-ca.sh", "--help").assertExit(0);

    assertTrue(r.stdout().contains("--endpoint-url"));
    assertTrue(r.stdout().contains("caCertificateId"));
  }

  @Test
  void registerCa_missingAwsCliGivesInstallHint() {
    sandbox.withoutTool("aws").run("ca/register-ca.sh").assertExit(1)
        .assertStderrContains("aws is required", "install the AWS CLI");
  }

  @Test
  void registerCa_missingJqGivesInstallHint() {
    sandbox.withoutTool("jq").run("ca/register-ca.sh").assertExit(1)
        .assertStderrContains("jq is required", "apt-get install jq");
  }
}
