package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.IotDouble;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
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
 * ops/device-status.sh without the device registry table: the real AWS CLI against the IoT model (the IoT double),
 * set up as provisioning with placement leaves a device. DeviceStatusRegistryTest covers the table's part.
 */
class DeviceStatusTest {
  static final String THING = "3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b";

  @TempDir Path tmp;
  Sandbox sandbox;
  IotDouble iot;
  IotClient client;
  String certificateId;
  String notAfter;

  @BeforeEach
  void setUp() {
    iot = IotDouble.start();
    client = iot.client();
    sandbox = new Sandbox(tmp).withCa();
    RegistryTable.cliEnv().forEach(sandbox::env);
    String caId = sandbox.run("ca/register-ca.sh", "--endpoint-url", iot.endpoint().toString()).assertExit(0)
        .stdout().trim();
    sandbox.createDevice("--key-type", "ec", "--thing-name", THING);
    Path pem = sandbox.certsDir.resolve("devices/" + THING + "/deviceCert.crt");
    certificateId = iot.addCertificate(Sandbox.read(pem), caId, "ACTIVE");
    notAfter = notAfter(pem);
    client.createThingType(r -> r.thingTypeName("sensor"));
    client.createThing(r -> r.thingName(THING).thingTypeName("sensor")
        .attributePayload(p -> p.attributes(Map.of("org", "Acme"))));
    for (String group : List.of("fleet", "eu-sensors")) {
      client.createThingGroup(r -> r.thingGroupName(group));
      client.addThingToThingGroup(r -> r.thingGroupName(group).thingName(THING));
    }
    iot.addPolicy("app-policy");
    iot.attachPolicy("app-policy", iot.certificateArn(certificateId));
    client.attachThingPrincipal(r -> r.thingName(THING).principal(iot.certificateArn(certificateId)));
    iot.clearCalls();
  }

  /** The certificate's end of validity as device-status.sh prints it: ISO 8601 in UTC, whole seconds. */
  static String notAfter(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      X509Certificate x509 = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      return x509.getNotAfter().toInstant().truncatedTo(ChronoUnit.SECONDS).toString();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterEach
  void stop() {
    client.close();
    iot.close();
  }

  Sandbox.Result status(String... args) {
    List<String> command = new ArrayList<>(List.of(args));
    command.addAll(List.of("--endpoint-url", iot.endpoint().toString()));
    return sandbox.run("ops/device-status.sh", command.toArray(String[]::new));
  }

  @Test
  void status_printsTheThingItsGroupsAndEachCertificateWithItsPolicies() {
    Sandbox.Result r = status("--thing-name", THING, "--region", IotDouble.REGION).assertExit(0);

    assertEquals("thing " + THING + "\n"
        + "  type: sensor\n"
        + "  version: 1\n"
        + "  attributes:\n"
        + "    org=Acme\n"
        + "groups: fleet eu-sensors\n"
        + "certificate " + certificateId + "\n"
        + "  status: ACTIVE\n"
        + "  ca: " + iot.certificate(certificateId).caCertificateId() + "\n"
        + "  notAfter: " + notAfter + "\n"
        + "  policies: app-policy\n", r.stdout());
    assertEquals(List.of("DescribeThing", "ListThingGroupsForThing", "ListThingPrincipals", "DescribeCertificate",
        "ListAttachedPolicies"), iot.operations(), "reads only, one call each");
  }

  @Test
  void status_aThingWithoutCertificates_saysSo() {
    client.detachThingPrincipal(r -> r.thingName(THING).principal(iot.certificateArn(certificateId)));

    Sandbox.Result r = status("--thing-name", THING).assertExit(0);

    assertTrue(r.stdout().endsWith("certificates: (none)\n"), r.stdout());
  }

  @Test
  void status_noSuchThing_exits3() {
    status("--thing-name", "0e6c1e3f-8d4a-4e5f-9a7b-1c2d3e4f5a6b").assertExit(3)
        .assertStderrContains("there is no thing named 0e6c1e3f-8d4a-4e5f-9a7b-1c2d3e4f5a6b");

    assertEquals(List.of("DescribeThing"), iot.operations());
  }

  @Test
  void status_aFailedCallIsAnError() {
    iot.failAlways("ListThingGroupsForThing", Fault.UNAUTHORIZED);

    status("--thing-name", THING).assertExit(1)
        .assertStderrContains("list-thing-groups-for-thing failed", "UnauthorizedException");
  }

  @ParameterizedTest
  @ValueSource(strings = {"--thing-name=a/b", "--thing-name=things/#", "--bogus=1", "--thing-name="})
  void status_badArgumentsGiveUsageBeforeAnyCall(String arg) {
    String[] kv = arg.split("=", 2);
    sandbox.run("ops/device-status.sh", kv[1].isEmpty() && kv[0].equals("--thing-name") ? new String[] {kv[0]}
        : new String[] {"--thing-name", THING, kv[0], kv[1]}).assertUsageError();

    assertEquals(List.of(), iot.operations());
  }

  @Test
  void status_withoutAThingName_isAUsageError() {
    sandbox.run("ops/device-status.sh").assertUsageError();
  }

  @Test
  void status_helpSaysWhatItShows() {
    Sandbox.Result r = sandbox.run("ops/device-status.sh", "--help").assertExit(0);

    assertTrue(r.stdout().contains("list-thing-groups-for-thing") && r.stdout().contains("Exit codes")
        && r.stdout().contains("3  no thing T"), r.stdout());
  }
}
