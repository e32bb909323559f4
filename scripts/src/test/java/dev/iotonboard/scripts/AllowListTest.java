package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ops/allow-list.sh with the real AWS CLI against the device registry table in a real dynalite. */
class AllowListTest {
  static final String FP = "0123456789abcdef".repeat(4);

  static RegistryTable table;
  @TempDir Path tmp;
  Sandbox sandbox;

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
    sandbox = new Sandbox(tmp).env("DEVICE_REGISTRY_TABLE", RegistryTable.NAME)
        .env("AWS_ENDPOINT_URL_DYNAMODB", table.endpoint());
    RegistryTable.cliEnv().forEach(sandbox::env);
  }

  static String thing(int i) {
    return String.format("%08x-8d4a-4e5f-9a7b-1c2d3e4f5a6b", i);
  }

  Path manifest(String... lines) {
    Path file = tmp.resolve("manifest-" + System.nanoTime() + ".csv");
    Sandbox.write(file, String.join("\n", lines) + "\n");
    return file;
  }

  Sandbox.Result allowList(String... args) {
    return sandbox.run("ops/allow-list.sh", args);
  }

  @Test
  void import_writesEveryRowInBatchesOf25_andImportingAgainChangesNothing() {
    List<String> rows = new ArrayList<>(List.of("thingName,fingerprint"));
    for (int i = 1; i <= 60; i++) {
      rows.add(thing(0x100 + i) + (i % 2 == 0 ? "," + FP : ""));
    }
    Path file = manifest(rows.toArray(String[]::new));

    Sandbox.Result first = allowList("import", "--file", file.toString()).assertExit(0)
        .assertStderrContains("written: 25 of 60", "written: 50 of 60", "written: 60 of 60");
    assertEquals("added=60 unchanged=0 conflicting=0\n", first.stdout());
    assertEquals("fingerprint=" + FP + " kind=ALLOW pk=allow#" + thing(0x102) + " thingName=" + thing(0x102),
        table.item("allow#" + thing(0x102)).replaceFirst(" updatedAt=\\d{13}$", ""));
    assertEquals("", table.attribute("allow#" + thing(0x101), "fingerprint"));

    table.aws("update-item", "--table-name", RegistryTable.NAME, "--key",
        "{\"pk\":{\"S\":\"allow#" + thing(0x101) + "\"}}", "--update-expression", "SET usedBy = :c",
        "--expression-attribute-values", "{\":c\":{\"S\":\"" + "e".repeat(64) + "\"}}").assertExit(0);
    Sandbox.Result again = allowList("import", "--file", file.toString()).assertExit(0);
    assertEquals("added=0 unchanged=60 conflicting=0\n", again.stdout());
    assertEquals("e".repeat(64), table.attribute("allow#" + thing(0x101), "usedBy"), "a used entry stays used");
  }

  @Test
  void import_anEntryListedWithAnotherFingerprint_isLeftUnchanged_andReported_exit3() {
    allowList("import", "--file", manifest(thing(0x201) + "," + FP).toString()).assertExit(0);

    Sandbox.Result r = allowList("import", "--file",
        manifest(thing(0x201) + "," + "f".repeat(64), thing(0x202)).toString()).assertExit(3)
        .assertStderrContains("line 1: thing " + thing(0x201) + " is listed with fingerprint " + FP,
            "remove it first");

    assertEquals("added=1 unchanged=0 conflicting=1\n", r.stdout());
    assertEquals(FP, table.attribute("allow#" + thing(0x201), "fingerprint"));
    assertEquals(thing(0x202), table.attribute("allow#" + thing(0x202), "thingName"));
  }

  @Test
  void import_fingerprintsWithColonsOrCapitals_areStoredAsLowercaseHex_andCrlfAndQuotesAreRead() {
    String colons = String.join(":", FP.toUpperCase().split("(?<=\\G..)"));
    allowList("import", "--file", manifest("\"" + thing(0x301) + "\",\"" + colons + "\"\r", "", thing(0x302) + "\r")
        .toString()).assertExit(0);

    assertEquals(FP, table.attribute("allow#" + thing(0x301), "fingerprint"));
    assertEquals(thing(0x302), table.attribute("allow#" + thing(0x302), "thingName"));
  }

  @Test
  void import_badRows_areAllNamedWithTheirLine_andNothingIsWritten() {
    Path file = manifest(thing(0x401), "not-a-uuid", thing(0x402) + ",abc", thing(0x401), "a,b,c",
        thing(0x403).toUpperCase());

    allowList("import", "--file", file.toString()).assertExit(2).assertStderrContains(
        file + ":2: the thing name must be a canonical lowercase UUID, not \"not-a-uuid\"",
        file + ":3: the fingerprint must be 64 hex digits",
        file + ":4: thing " + thing(0x401) + " is listed already on line 1",
        file + ":5: more than two fields",
        file + ":6: the thing name must be a canonical lowercase UUID",
        "has 5 bad row(s): nothing was written");

    assertEquals("", table.item("allow#" + thing(0x401)));
  }

  @Test
  void import_anEmptyManifest_isRefused() {
    allowList("import", "--file", manifest("thingName", "").toString()).assertExit(2)
        .assertStderrContains("lists no device");
  }

  @Test
  void list_printsTheEntriesSortedAfterAHeader_andNoCertificateItems() {
    allowList("import", "--file", manifest(thing(0x502) + "," + FP, thing(0x501)).toString()).assertExit(0);
    table.putCertificate("d".repeat(64), thing(0x501), "ACTIVE", thing(0x501), "PROVISIONED", 1_000L);

    List<String> lines = allowList("list").assertExit(0).stdout().lines()
        .filter(l -> l.startsWith("thingName") || l.startsWith(thing(0x501)) || l.startsWith(thing(0x502)))
        .toList();

    assertEquals(3, lines.size(), lines::toString);
    assertEquals("thingName\tfingerprint\tusedBy\tupdatedAt", lines.get(0));
    assertTrue(lines.get(1).matches(thing(0x501) + "\t-\t-\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), lines.get(1));
    assertTrue(lines.get(2).startsWith(thing(0x502) + "\t" + FP + "\t-\t"), lines.get(2));
    assertTrue(allowList("list").stdout().lines().noneMatch(l -> l.contains("d".repeat(64))));
  }

  @Test
  void remove_deletesTheEntry_andRemovingAgainSaysItWasNotListed() {
    allowList("import", "--file", manifest(thing(0x601)).toString()).assertExit(0);

    assertEquals("removed=1\n", allowList("remove", "--thing-name", thing(0x601)).assertExit(0).stdout());
    assertEquals("", table.item("allow#" + thing(0x601)));
    assertEquals("removed=0\n", allowList("remove", "--thing-name", thing(0x601)).assertExit(0)
        .assertStderrContains("was not listed").stdout());
  }

  @Test
  void optionsOverTheEnvironment_tableAndEndpoint() {
    sandbox.env("DEVICE_REGISTRY_TABLE", "Nope").env("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9");

    allowList("list", "--table", RegistryTable.NAME, "--endpoint-url", table.endpoint()).assertExit(0);
    allowList("list").assertExit(1).assertStderrContains("listing the entries failed (aws dynamodb scan)");
  }

  @Test
  void aMissingTable_isAnErrorQuotingDynamoDb() {
    allowList("list", "--table", "NoSuchTable").assertExit(1).assertStderrContains("ResourceNotFoundException");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "bogus", "import", "import --thing-name x", "remove", "remove --thing-name NOPE",
      "list --file x", "list remove", "list --table a", "import --file /no/such/file"})
  void badArguments_areUsageErrors(String args) {
    allowList(args.isEmpty() ? new String[0] : args.split(" ")).assertUsageError();
  }

  @Test
  void withoutATable_isAUsageError() {
    sandbox.env("DEVICE_REGISTRY_TABLE", "");
    allowList("list").assertUsageError().assertStderrContains("--table is required");
  }

  @Test
  void help_namesTheCommandsAndExitCodes() {
    String help = allowList("--help").assertExit(0).stdout();
    assertTrue(help.contains("import") && help.contains("BatchWriteItem") && help.contains("Exit codes"), help);
  }
}
