package dev.iotonboard.scripts;

import static dev.iotonboard.scripts.Sandbox.assertVerifies;
import static dev.iotonboard.scripts.Sandbox.subject;
import static dev.iotonboard.scripts.Sandbox.x509Text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.RecordedCall;
import dev.iotonboard.lambda.testing.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * register-ca.sh with the real AWS CLI against the IoT model (the IoT double), which checks the verification
 * certificate as IoT does (signed by the CA, CN = the registration code). Each CLI call is logged on its way
 * (fakes/aws-logged), so the arguments the script passes can be checked.
 */
class RegisterCaTest {

  @TempDir Path tmp;
  Sandbox sandbox;
  Path awsLog;
  IotDouble iot;
  String expectedId;

  @BeforeEach
  void setUp() {
    iot = IotDouble.start();
    awsLog = tmp.resolve("aws.log");
    sandbox = new Sandbox(tmp).withCa().realAws("aws-logged", awsLog);
    Path config = tmp.resolve("aws-config");
    Path credentials = tmp.resolve("aws-credentials");
    Sandbox.write(config, "[profile demo]\nregion = us-west-2\n[profile envprofile]\nregion = us-west-2\n");
    Sandbox.write(credentials, "[demo]\naws_access_key_id = AKIDDEMO\naws_secret_access_key = secret\n"
        + "[envprofile]\naws_access_key_id = AKIDENV\naws_secret_access_key = secret\n");
    sandbox.env("AWS_CONFIG_FILE", config.toString()).env("AWS_SHARED_CREDENTIALS_FILE", credentials.toString());
    expectedId = Sandbox.certificateId(sandbox.certsDir.resolve("rootCA.pem"));
  }

  @AfterEach
  void stop() {
    iot.close();
  }

  /** Endpoint, region and profile as a user passes them. */
  String[] awsOptions() {
    return new String[] {"--endpoint-url", iot.endpoint().toString(), "--region", "eu-west-1", "--profile", "demo"};
  }

  List<String> awsCalls() {
    return Files.exists(awsLog) ? Sandbox.readLines(awsLog) : List.of();
  }

  /** The script against the double: AWS_ENDPOINT_URL_IOT names it unless the test set the environment. */
  Sandbox.Result register(String... args) {
    if (!sandbox.env.containsKey("AWS_ENDPOINT_URL") && !sandbox.env.containsKey("AWS_ENDPOINT_URL_IOT")) {
      sandbox.env("AWS_ENDPOINT_URL_IOT", iot.endpoint().toString());
    }
    return sandbox.run("ca/register-ca.sh", args);
  }

  /** Every call the double received was signed with this access key for this region. */
  void assertSignedBy(String accessKeyId, String region) {
    assertFalse(iot.calls().isEmpty());
    for (RecordedCall call : iot.calls()) {
      String authorization = call.header("authorization");
      // the service name in the scope differs by CLI (IoT's model signs as execute-api; botocore as iot)
      assertTrue(authorization.matches(".*Credential=" + accessKeyId + "/\\d{8}/" + region + "/[a-z-]+/aws4_request.*"),
          authorization);
    }
  }

  @Test
  void registerCa_verificationCertificateCarriesTheRegistrationCodeAndTheIdIsSavedAndPrinted() {
    Sandbox.Result r = register(awsOptions()).assertExit(0);

    assertEquals(expectedId + "\n", r.stdout(), "stdout is the CA certificate id only");
    assertEquals("ACTIVE", iot.registry().caCertificates().get(expectedId).status());
    assertEquals("ENABLE", iot.registry().caCertificates().get(expectedId).autoRegistrationStatus());
    assertEquals(expectedId + "\n", Sandbox.read(sandbox.certsDir.resolve("caCertificateId")));
    r.assertStderrContains("caCertificateId=" + expectedId);

    Path verification = sandbox.certsDir.resolve("verificationCert.pem");
    String code = iot.registry().registrationCode();
    assertTrue(subject(verification).startsWith("CN=" + code + ","), subject(verification));
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
    iot.failAlways("RegisterCACertificate", Fault.UNAUTHORIZED);

    register().assertExit(1).assertStderrContains("register-ca-certificate failed");

    assertEquals(List.of(sandbox.certsDir.resolve("rootCA.key")), privateKeysUnder(tmp));
  }

  @Test
  void registerCa_passesEndpointRegionAndProfileToEveryAwsCall() {
    sandbox.env("AWS_ENDPOINT_URL", "http://general:1");
    register(awsOptions()).assertExit(0);
    register(awsOptions()).assertExit(0);
    Sandbox.write(sandbox.certsDir.resolve("caCertificateId"), "stale\n");
    register(awsOptions()).assertExit(0).assertStderrContains("holds 'stale', which is not a CA certificate id");
    assertEquals(expectedId + "\n", Sandbox.read(sandbox.certsDir.resolve("caCertificateId")));

    List<String> calls = awsCalls();
    assertTrue(calls.size() >= 5, calls::toString);
    for (String call : calls) {
      assertTrue(call.startsWith("--endpoint-url " + iot.endpoint() + " --region eu-west-1 --profile demo "), call);
    }
    assertSignedBy("AKIDDEMO", "eu-west-1");
  }

  @Test
  void registerCa_honoursTheAwsEnvironment() {
    sandbox.env("AWS_ENDPOINT_URL", iot.endpoint().toString()).env("AWS_REGION", "us-east-1")
        .env("AWS_PROFILE", "envprofile");

    register().assertExit(0);

    for (String call : awsCalls()) {
      assertTrue(call.startsWith("--endpoint-url " + iot.endpoint() + " --region us-east-1 --profile envprofile "),
          call);
    }
    assertSignedBy("AKIDENV", "us-east-1");
  }

  @Test
  void registerCa_serviceSpecificEndpointVariableWins() {
    sandbox.env("AWS_ENDPOINT_URL", "http://general:1").env("AWS_ENDPOINT_URL_IOT", iot.endpoint().toString());

    register().assertExit(0);

    assertTrue(awsCalls().stream().allMatch(c -> c.startsWith("--endpoint-url " + iot.endpoint() + " ")),
        awsCalls()::toString);
    assertTrue(iot.operations().contains("RegisterCACertificate"), iot.operations()::toString);
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
    iot.setCaStatus(TestPki.newCa("Another CA").caId(), "ACTIVE");
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
    iot.setCaStatus(expectedId, "INACTIVE");

    register().assertExit(3).assertStderrContains("INACTIVE", "update-ca-certificate");

    assertTrue(awsCalls().stream().noneMatch(c -> c.contains("update-ca-certificate")));
    assertEquals("INACTIVE", iot.registry().caCertificates().get(expectedId).status());
  }

  @Test
  void registerCa_awsFailureIsReportedAndNothingIsSaved() {
    iot.failAlways("GetRegistrationCode", Fault.UNAUTHORIZED);

    register().assertExit(1).assertStderrContains("(UnauthorizedException)", "get-registration-code failed");

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
    Sandbox empty = new Sandbox(tmp.resolve("empty")).realAws("aws-logged", awsLog)
        .env("AWS_ENDPOINT_URL_IOT", iot.endpoint().toString());

    empty.run("ca/register-ca.sh").assertExit(1).assertStderrContains("run scripts/ca/create-ca.sh");
    assertEquals(List.of(), awsCalls());
    assertEquals(List.of(), iot.calls());
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
