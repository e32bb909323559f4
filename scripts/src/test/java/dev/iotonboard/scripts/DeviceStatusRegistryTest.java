package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.IotDouble;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ops/device-status.sh with the device registry table: the real AWS CLI against the IoT model (the IoT double) and
 * the table in a real dynalite, each on its own endpoint.
 */
class DeviceStatusRegistryTest {
  static RegistryTable table;
  @TempDir Path tmp;
  Sandbox sandbox;
  IotDouble iot;
  String caId;

  @BeforeAll
  static void startTable() {
    table = RegistryTable.start();
  }

  @AfterAll
  static void stopTable() {
    table.close();
  }

  @BeforeEach
  void setUp() {
    iot = IotDouble.start();
    sandbox = new Sandbox(tmp).withCa()
        .env("AWS_ENDPOINT_URL_IOT", iot.endpoint().toString())
        .env("DEVICE_REGISTRY_TABLE", RegistryTable.NAME)
        .env("AWS_ENDPOINT_URL_DYNAMODB", table.endpoint());
    RegistryTable.cliEnv().forEach(sandbox::env);
    caId = sandbox.run("ca/register-ca.sh").assertExit(0).stdout().trim();
  }

  @AfterEach
  void stop() {
    iot.close();
  }

  /** A device certificate of the CA (its CN a thing of its own) registered in IoT with the given status; its id. */
  String certificate(String status) {
    String made = sandbox.createDevice("--key-type", "ec", "--thing-name", newThing());
    return iot.addCertificate(Sandbox.read(sandbox.certsDir.resolve("devices/" + made + "/deviceCert.crt")), caId,
        status);
  }

  static int things;

  static String newThing() {
    return String.format("%08x-8d4a-4e5f-9a7b-1c2d3e4f5a6b", ++things + 0x7000);
  }

  Sandbox.Result status(String thing) {
    return sandbox.run("ops/device-status.sh", "--thing-name", thing);
  }

  String registryPart(Sandbox.Result r) {
    String out = r.stdout();
    return out.substring(out.indexOf("registry (table"));
  }

  @Test
  void agreeing_printsTheItems_noDifference_andTheLastStep() {
    String thing = newThing();
    String id = certificate("ACTIVE");
    iot.addThing(thing, iot.certificateArn(id));
    table.put("{\"pk\":{\"S\":\"allow#" + thing + "\"},\"kind\":{\"S\":\"ALLOW\"},\"thingName\":{\"S\":\"" + thing
        + "\"},\"usedBy\":{\"S\":\"" + id + "\"},\"updatedAt\":{\"N\":\"1700000000000\"}}");
    table.putCertificate(id, thing, "ACTIVE", thing, "PROVISIONED", 1_764_504_000_000L);

    Sandbox.Result r = status(thing).assertExit(0);

    assertTrue(r.stdout().startsWith("thing " + thing + "\n"), r.all());
    assertEquals("registry (table DeviceRegistry):\n"
        + "  allow-list: listed, used by " + id + "\n"
        + "  certificate " + id + "\n"
        + "    status: ACTIVE\n"
        + "    boundThing: " + thing + "\n"
        + "    step: PROVISIONED\n"
        + "    reason: (none)\n"
        + "    updatedAt: 2025-11-30T12:00:00Z\n"
        + "differences (table / IoT):\n"
        + "  (none)\n"
        + "last step: PROVISIONED at 2025-11-30T12:00:00Z (certificate " + id + ")\n", registryPart(r));
  }

  @Test
  void disagreeing_namesEachDifference_askingIotOfCertificatesTheThingDoesNotList() {
    String thing = newThing();
    String current = certificate("INACTIVE");
    iot.addThing(thing, iot.certificateArn(current));
    String retired = "0f".repeat(32);
    table.putCertificate(current, thing, "ACTIVE", thing, "RENEWED", 1_764_504_000_000L);
    table.putCertificate(retired, thing, "INACTIVE", null, "RETIRED", 1_764_504_000_000L - 1);
    String unlisted = "1f".repeat(32);

    Sandbox.Result r = status(thing).assertExit(0);

    String part = registryPart(r);
    // the differences come in the index's order, by item key, and the current certificate's id is random
    String differences = part.substring(part.indexOf("differences (table / IoT):\n"));
    List<String> lines = List.of(differences.split("\n"));
    assertEquals(Set.of("  certificate " + retired + ": status INACTIVE / DELETED",
        "  certificate " + current + ": status ACTIVE / INACTIVE"), Set.copyOf(lines.subList(1, 3)), r.all());
    assertEquals("last step: RENEWED at 2025-11-30T12:00:00Z (certificate " + current + ")", lines.get(3), r.all());
    assertEquals(4, lines.size(), r.all());
    assertFalse(part.contains(unlisted));
    assertTrue(iot.calls("DescribeCertificate").size() >= 2, "the retired certificate is asked of IoT");
  }

  @Test
  void aCertificateBoundElsewhereInIoT_andOneWithoutItem_areDifferences() {
    String thing = newThing();
    String other = newThing();
    String listed = certificate("ACTIVE");
    String moved = certificate("ACTIVE");
    iot.addThing(thing, iot.certificateArn(listed));
    iot.addThing(other, iot.certificateArn(moved));
    table.putCertificate(moved, thing, "ACTIVE", thing, "PROVISIONED", 1_000L);

    Sandbox.Result r = status(thing).assertExit(0);
    String part = registryPart(r);

    assertTrue(part.contains("  certificate " + listed + ": (no item)\n"), r.all());
    assertTrue(part.contains("  certificate " + moved + ": bound to " + thing + " / " + other + "\n"), part);
    assertTrue(part.contains("  certificate " + listed + ": no item in the table; IoT: ACTIVE\n"), part);
  }

  @Test
  void noThingInIot_stillPrintsWhatTheTableHolds_exit3() {
    String thing = newThing();
    String id = "2f".repeat(32);
    table.putCertificate(id, thing, "ACTIVE", null, "ACTIVATED", 1_764_504_000_000L);

    Sandbox.Result r = status(thing).assertExit(3).assertStderrContains("there is no thing named " + thing);

    assertTrue(r.stdout().startsWith("thing " + thing + ": (no such thing in IoT)\nregistry (table DeviceRegistry):\n"),
        r.all());
    assertTrue(r.stdout().contains("  certificate " + id + ": status ACTIVE / DELETED\n"), r.all());
    assertTrue(r.stdout().endsWith("last step: ACTIVATED at 2025-11-30T12:00:00Z (certificate " + id + ")\n"),
        r.all());
  }

  @Test
  void nothingInTheTable_saysSo() {
    String thing = newThing();
    iot.addThing(thing);

    String part = registryPart(status(thing).assertExit(0));

    assertEquals("registry (table DeviceRegistry):\n  certificates: (none)\ndifferences (table / IoT):\n  (none)\n"
        + "last step: (none)\n", part);
  }

  @Test
  void aFailedTableRead_isAnError() {
    String thing = newThing();
    iot.addThing(thing);

    sandbox.run("ops/device-status.sh", "--thing-name", thing, "--table", "NoSuchTable").assertExit(1)
        .assertStderrContains("aws dynamodb query failed", "ResourceNotFoundException");
  }
}
