package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jitr.sh --renew against scripted fake curl and mosquitto_pub: the announcement with the current certificate,
 * the onboarding of next/, the promotion and its resumption. The real flow runs end to end on the local IoT Core.
 */
class JitrRenewTest {

  static final String OK = JitrTest.OK;
  static final String FORBIDDEN = "0 403 {\"message\":\"Forbidden\"}";

  @TempDir Path tmp;
  Sandbox sandbox;
  String thing;
  Path dir;
  Path next;
  String newId;
  byte[] oldCert;
  byte[] newCert;
  byte[] newChain;
  byte[] newKey;

  @BeforeEach
  void setUp() {
    sandbox = new Sandbox(tmp).withCa()
        .installFake("scripted", "curl")
        .installFake("scripted", "mosquitto_pub");
    thing = sandbox.createDevice("--key-type", "ec");
    dir = sandbox.certsDir.resolve("devices").resolve(thing);
    newId = sandbox.run("device/renew-device.sh", "--key-type", "ec").assertExit(0).stdout().trim();
    next = dir.resolve("next");
    oldCert = Sandbox.bytes(dir.resolve("deviceCert.crt"));
    newCert = Sandbox.bytes(next.resolve("deviceCert.crt"));
    newChain = Sandbox.bytes(next.resolve("deviceCertAndCACert.crt"));
    newKey = Sandbox.bytes(next.resolve("deviceCert.key"));
    Sandbox.write(sandbox.certsDir.resolve("AmazonRootCA1.pem"), "placeholder: the fake curl does not read it\n");
  }

  Sandbox.Result renew(String... args) {
    List<String> all = new ArrayList<>(List.of("--renew", "--device-dir", dir.toString(), "--endpoint", "localhost",
        "--initial-delay", "0", "--max-delay", "0"));
    all.addAll(List.of(args));
    return sandbox.run("device/jitr.sh", all.toArray(String[]::new));
  }

  private void assertPromoted() {
    assertArrayEquals(newCert, Sandbox.bytes(dir.resolve("deviceCert.crt")), "the new certificate is current");
    assertArrayEquals(oldCert, Sandbox.bytes(dir.resolve("previous/deviceCert.crt")), "the old one in previous/");
    assertTrue(Files.isRegularFile(dir.resolve("previous/deviceCert.key")));
    assertFalse(Files.exists(next), "next/ is gone");
    assertArrayEquals(newChain, Sandbox.bytes(dir.resolve("deviceCertAndCACert.crt")));
    assertArrayEquals(newKey, Sandbox.bytes(dir.resolve("deviceCert.key")));
  }

  @Test
  void renew_announcesWithTheCurrentCertificate_onboardsTheNewOne_thenPromotesIt() {
    sandbox.script("curl", JitrTest.EMPTY_REPLY, OK, OK).script("mosquitto_pub", "0", "0");

    Sandbox.Result r = renew().assertExit(0).assertStderrContains("announcement", "promotion");

    assertEquals(thing + "\n", r.stdout());
    List<String> mqtt = sandbox.calls("mosquitto_pub");
    assertEquals(2, mqtt.size(), mqtt::toString);
    String announcement = mqtt.get(0);
    assertTrue(announcement.contains("-t things/" + thing + "/renewal "), announcement);
    assertTrue(announcement.contains("-i " + thing + " "), announcement);
    assertTrue(announcement.contains("--key " + dir.resolve("deviceCert.key") + " "), "the CURRENT key: "
        + announcement);
    assertTrue(announcement.contains("{\"certificateId\":\"" + newId + "\"}"), announcement);
    assertTrue(announcement.contains("-q 1"), announcement);
    String confirmation = mqtt.get(1);
    assertTrue(confirmation.contains("--key " + next.resolve("deviceCert.key")), "the NEW key: " + confirmation);
    for (String call : sandbox.calls("curl")) {
      assertTrue(call.contains("--key " + next.resolve("deviceCert.key")), "JITR with the new key: " + call);
    }
    assertTrue(sandbox.calls("curl").get(2).contains("--data {\"thingName\":\"" + thing + "\"}"));
    assertPromoted();
  }

  @Test
  void renew_refusedAnnouncementDoesNotStopTheRun_theNewCertificateDecides() {
    sandbox.script("curl", FORBIDDEN).script("mosquitto_pub", "5", "5", "5", "0");

    renew().assertExit(0).assertStderrContains("the current certificate was refused");

    assertPromoted();
  }

  @Test
  void renew_newCertificateRefusedOnMqtt_keepsTheCurrentIdentity() {
    sandbox.script("curl", OK).script("mosquitto_pub", "0", "5");

    renew("--mqtt-timeout", "1", "--resend-after", "0").assertExit(5)
        .assertStderrContains("not onboarded", "Run this again to resume");

    assertArrayEquals(oldCert, Sandbox.bytes(dir.resolve("deviceCert.crt")));
    assertArrayEquals(newCert, Sandbox.bytes(next.resolve("deviceCert.crt")));
    assertFalse(Files.exists(dir.resolve("previous")));
  }

  @Test
  void renew_afterTheNewCertificateWasAccepted_onlyPromotes() throws IOException {
    Files.writeString(next.resolve(".confirmed"), "");
    sandbox.script("curl", OK).script("mosquitto_pub", "0");

    renew().assertExit(0);

    assertEquals(List.of(), sandbox.calls("curl"), "no network call");
    assertEquals(List.of(), sandbox.calls("mosquitto_pub"));
    assertPromoted();
  }

  @Test
  void renew_interruptedInThePromotion_resumesWithoutLosingTheOldIdentity() throws IOException {
    // The state a crash leaves after the old files were saved and the new certificate moved in.
    Files.writeString(next.resolve(".confirmed"), "");
    Files.createDirectories(dir.resolve("previous"));
    for (String f : List.of("deviceCert.key", "deviceCert.csr", "deviceCert.crt", "deviceCertAndCACert.crt")) {
      Files.copy(dir.resolve(f), dir.resolve("previous").resolve(f));
    }
    Files.writeString(next.resolve(".previous-saved"), "");
    Files.move(next.resolve("deviceCert.crt"), dir.resolve("deviceCert.crt"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    renew().assertExit(0);

    assertPromoted();
    assertFalse(java.util.Arrays.equals(newKey, Sandbox.bytes(dir.resolve("previous/deviceCert.key"))),
        "the old key is kept in previous/");
  }

  @Test
  void renew_afterPromotion_isAnOnboardedDevice() {
    sandbox.script("curl", JitrTest.EMPTY_REPLY, OK, OK).script("mosquitto_pub", "0", "0");
    renew().assertExit(0);
    sandbox.script("curl", FORBIDDEN).script("mosquitto_pub", "0");
    int before = sandbox.calls("mosquitto_pub").size();

    renew().assertExit(0).assertStderrContains("completed before");

    List<String> mqtt = sandbox.calls("mosquitto_pub");
    assertEquals(before + 1, mqtt.size());
    assertTrue(mqtt.get(mqtt.size() - 1).contains("/confirmation"), "no announcement: " + mqtt);
    assertArrayEquals(newCert, Sandbox.bytes(dir.resolve("deviceCert.crt")));
  }

  @Test
  void renew_withoutANewIdentity_saysHowToMakeOne() throws IOException {
    for (String f : List.of("deviceCert.key", "deviceCert.csr", "deviceCert.crt", "deviceCertAndCACert.crt")) {
      Files.delete(next.resolve(f));
    }
    Files.delete(next);

    renew().assertExit(1).assertStderrContains("renew-device.sh");

    assertEquals(List.of(), sandbox.calls("mosquitto_pub"));
  }

  @Test
  void renew_aNewCertificateOfAnotherCn_isRefusedBeforeAnyNetworkCall() throws IOException {
    String other = sandbox.createDevice("--key-type", "ec");
    Path otherDir = sandbox.certsDir.resolve("devices").resolve(other);
    for (String f : List.of("deviceCert.key", "deviceCert.crt", "deviceCertAndCACert.crt")) {
      Files.copy(otherDir.resolve(f), next.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    renew().assertExit(2).assertStderrContains("CN=" + other);

    assertEquals(List.of(), sandbox.calls("mosquitto_pub"));
    assertEquals(List.of(), sandbox.calls("curl"));
  }

  @Test
  void help_documentsRenew() {
    Sandbox.Result r = sandbox.run("device/jitr.sh", "--help").assertExit(0);

    assertTrue(r.stdout().contains("--renew"));
    assertTrue(r.stdout().contains("things/<thingName>/renewal"));
  }
}
