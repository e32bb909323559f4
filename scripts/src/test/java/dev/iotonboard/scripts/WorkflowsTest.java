package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The GitHub workflows (.github/workflows/ci.yml, deploy.yml), read as text: pinned actions, the Node version, no
 * expressions pasted into shell scripts, and in deploy.yml the order tests, CA id check, AWS credentials, deploy.
 * The CA id check's own script is run with good and bad ids.
 */
class WorkflowsTest {

  static final Path WORKFLOWS = Sandbox.REPO_ROOT.resolve(".github/workflows");
  static final Pattern USES = Pattern.compile("^\\s*(?:-\\s+)?uses:\\s*(\\S+)(.*)$");
  static final Pattern PINNED = Pattern.compile("[^@\\s]+@[0-9a-f]{40}");

  @TempDir Path tmp;

  /** One step of a job: its keys; run is the script (block or inline), env and with their entries. */
  record Step(String name, String uses, String run, Map<String, String> env, Map<String, String> with) {
    String label() {
      return name != null ? name : uses;
    }
  }

  static List<String> lines(String workflow) {
    return Sandbox.readLines(WORKFLOWS.resolve(workflow));
  }

  static int indent(String line) {
    int i = 0;
    while (i < line.length() && line.charAt(i) == ' ') {
      i++;
    }
    return i;
  }

  static String unquote(String value) {
    String v = value.replaceFirst("\\s+#.*$", "").trim();
    if (v.length() >= 2 && (v.startsWith("'") && v.endsWith("'") || v.startsWith("\"") && v.endsWith("\""))) {
      return v.substring(1, v.length() - 1);
    }
    return v;
  }

  /** The steps of the workflow's jobs, in order (plain line parsing: one mapping per "- " item under steps:). */
  static List<Step> steps(String workflow) {
    List<String> all = lines(workflow);
    List<Step> steps = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      if (!all.get(i).trim().equals("steps:")) {
        continue;
      }
      int stepsIndent = indent(all.get(i));
      int itemIndent = -1;
      List<String> item = null;
      for (i = i + 1; i < all.size(); i++) {
        String line = all.get(i);
        if (line.isBlank() || line.trim().startsWith("#")) {
          continue;
        }
        if (indent(line) <= stepsIndent) {
          i--;
          break;
        }
        if (line.trim().startsWith("- ") && (itemIndent < 0 || indent(line) == itemIndent)) {
          itemIndent = indent(line);
          if (item != null) {
            steps.add(step(item, itemIndent + 2));
          }
          item = new ArrayList<>();
          line = " ".repeat(itemIndent) + "  " + line.trim().substring(2);
        }
        item.add(line);
      }
      if (item != null) {
        steps.add(step(item, itemIndent + 2));
      }
    }
    return steps;
  }

  private static Step step(List<String> item, int keyIndent) {
    Map<String, String> scalars = new LinkedHashMap<>();
    Map<String, Map<String, String>> maps = new LinkedHashMap<>();
    for (int i = 0; i < item.size(); i++) {
      String line = item.get(i);
      if (indent(line) != keyIndent || !line.contains(":")) {
        continue;
      }
      String key = line.trim().substring(0, line.trim().indexOf(':'));
      String value = line.trim().substring(line.trim().indexOf(':') + 1).trim();
      List<String> body = new ArrayList<>();
      while (i + 1 < item.size() && (item.get(i + 1).isBlank() || indent(item.get(i + 1)) > keyIndent)) {
        body.add(item.get(++i));
      }
      if (value.matches("[|>][+-]?")) {
        int blockIndent = body.stream().filter(l -> !l.isBlank()).mapToInt(WorkflowsTest::indent).min().orElse(0);
        scalars.put(key, String.join("\n", body.stream()
            .map(l -> l.length() >= blockIndent ? l.substring(blockIndent) : "").toList()));
      } else if (value.isEmpty()) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String entry : body) {
          if (entry.contains(":") && !entry.trim().startsWith("#")) {
            map.put(entry.trim().substring(0, entry.trim().indexOf(':')),
                unquote(entry.trim().substring(entry.trim().indexOf(':') + 1)));
          }
        }
        maps.put(key, map);
      } else {
        scalars.put(key, key.equals("run") ? value : unquote(value));
      }
    }
    return new Step(scalars.get("name"), scalars.get("uses"), scalars.get("run"),
        maps.getOrDefault("env", Map.of()), maps.getOrDefault("with", Map.of()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ci.yml", "deploy.yml"})
  void everyActionIsPinnedToAFullCommitShaWithItsTagInAComment(String workflow) {
    List<String> uses = lines(workflow).stream().filter(l -> USES.matcher(l).matches()).toList();
    assertFalse(uses.isEmpty(), workflow);
    for (String line : uses) {
      Matcher m = USES.matcher(line);
      assertTrue(m.matches());
      assertTrue(PINNED.matcher(m.group(1)).matches(), workflow + ": not pinned to a 40-hex commit SHA: " + line);
      assertTrue(m.group(2).matches("\\s+#\\s*v\\d+(\\.\\d+)*\\b.*"), workflow + ": no tag comment: " + line);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ci.yml", "deploy.yml"})
  void nodeIs22(String workflow) {
    List<Step> setupNode = steps(workflow).stream()
        .filter(s -> s.uses() != null && s.uses().startsWith("actions/setup-node@")).toList();
    assertFalse(setupNode.isEmpty(), workflow + " sets up Node (the CDK library runs on it)");
    for (Step s : setupNode) {
      assertEquals("22", s.with().get("node-version"), workflow + ": " + s);
    }
  }

  /** The deploy runs the CDK CLI that package.json pins and package-lock.json locks, installed by npm ci. */
  @Test
  void deploy_runsThePinnedCdkCli_installedByNpmCiBeforeAnyCredentials() throws IOException {
    List<Step> steps = steps("deploy.yml");
    int install = indexOf(steps, s -> s.run() != null && s.run().startsWith("npm ci"), "npm ci");
    int deploy = deployStep(steps);
    assertTrue(install < credentialsStep(steps) && install < deploy, steps.toString());
    assertTrue(steps.get(deploy).run().contains("npx --no-install cdk deploy "), steps.get(deploy).run());

    String pkg = Files.readString(Sandbox.REPO_ROOT.resolve("package.json"));
    Matcher pinned = Pattern.compile("\"aws-cdk\":\\s*\"(\\d+\\.\\d+\\.\\d+)\"").matcher(pkg);
    assertTrue(pinned.find(), "package.json pins aws-cdk to an exact version: " + pkg);
    String lock = Files.readString(Sandbox.REPO_ROOT.resolve("package-lock.json"));
    assertTrue(lock.contains("\"node_modules/aws-cdk\": {\n      \"version\": \"" + pinned.group(1) + "\""),
        "package-lock.json locks the same aws-cdk version");
    assertTrue(Files.readAllLines(Sandbox.REPO_ROOT.resolve(".gitignore")).contains("node_modules/"));
  }

  /** A run: script gets repository variables and secrets through env:, never pasted in (script injection). */
  @ParameterizedTest
  @ValueSource(strings = {"ci.yml", "deploy.yml"})
  void noExpressionInsideARunScript(String workflow) {
    List<Step> runs = steps(workflow).stream().filter(s -> s.run() != null).toList();
    assertFalse(runs.isEmpty(), workflow);
    for (Step s : runs) {
      assertFalse(s.run().contains("${{"), workflow + ": step '" + s.label() + "' has an expression in run:\n" + s.run());
    }
  }

  static int indexOf(List<Step> steps, java.util.function.Predicate<Step> which, String what) {
    int[] found = IntStream.range(0, steps.size()).filter(i -> which.test(steps.get(i))).toArray();
    assertEquals(1, found.length, "exactly one step: " + what + " in " + steps);
    return found[0];
  }

  static int testStep(List<Step> steps) {
    return indexOf(steps, s -> s.run() != null && s.run().contains(".ci/run"), "the tests (.ci/run)");
  }

  static int credentialsStep(List<Step> steps) {
    return indexOf(steps, s -> s.uses() != null && s.uses().startsWith("aws-actions/configure-aws-credentials@"),
        "configure-aws-credentials");
  }

  static int deployStep(List<Step> steps) {
    return indexOf(steps, s -> s.run() != null && s.run().contains("cdk") && s.run().contains(" deploy "),
        "cdk deploy");
  }

  static int caIdCheckStep(List<Step> steps) {
    return indexOf(steps, s -> s.run() != null && s.run().contains("::error")
        && s.env().containsKey("CA_CERTIFICATE_ID"), "the CA certificate id check");
  }

  @Test
  void deploy_credentialsOnlyAfterTheTestsAndTheCaIdCheck_rightBeforeTheDeploy() {
    List<Step> steps = steps("deploy.yml");
    int test = testStep(steps);
    int check = caIdCheckStep(steps);
    int credentials = credentialsStep(steps);
    int deploy = deployStep(steps);

    assertTrue(test < credentials, "the tests run before any AWS credentials exist: " + steps);
    assertTrue(check < deploy, "the CA id is checked before the deploy: " + steps);
    assertTrue(check < credentials, "and before the role is assumed: " + steps);
    assertEquals(deploy - 1, credentials, "the credentials serve the deploy step alone: " + steps);
    assertEquals(steps.size() - 1, deploy, "nothing runs after the deploy with the credentials: " + steps);
  }

  @Test
  void deploy_passesTheCaIdAndTheOtherVariablesThroughEnv() {
    Step deploy = steps("deploy.yml").get(deployStep(steps("deploy.yml")));

    assertEquals("${{ vars.CA_CERTIFICATE_ID }}", deploy.env().get("CA_CERTIFICATE_ID"), deploy.toString());
    assertTrue(deploy.run().contains("-c caCertificateId=\"$CA_CERTIFICATE_ID\""), deploy.run());
    for (String context : List.of("domainName", "certificateArn")) {
      Matcher m = Pattern.compile("-c " + context + "=\"\\$(\\w+)\"").matcher(deploy.run());
      assertTrue(m.find(), context + " from an env variable: " + deploy.run());
      assertTrue(deploy.env().get(m.group(1)).startsWith("${{ vars."), deploy.env().toString());
    }
  }

  /**
   * The check step's own script, run with bash as the runner runs it (bash -eo pipefail), in a workspace whose
   * certs/rootCA.pem is a CA made by create-ca.sh.
   */
  Sandbox.Result runCaIdCheck(String caCertificateId) {
    Sandbox workspace = new Sandbox(tmp).withCa();
    Step check = steps("deploy.yml").get(caIdCheckStep(steps("deploy.yml")));
    workspace.env("CA_CERTIFICATE_ID", caCertificateId.replace("<the CA's id>",
        Sandbox.certificateId(workspace.certsDir.resolve("rootCA.pem"))));
    return workspace.exec(workspace.root, List.of("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", check.run()));
  }

  @Test
  void deploy_caIdCheckAcceptsTheIdOfTheBundledCa() {
    Sandbox.Result r = runCaIdCheck("<the CA's id>");

    r.assertExit(0);
    assertFalse(r.stdout().contains("::error") || r.stdout().contains("::warning"), r.all());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "abc", "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
      " 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"})
  void deploy_caIdCheckFailsOnAnythingButSixtyFourLowercaseHexCharacters(String id) {
    Sandbox.Result r = runCaIdCheck(id);

    assertNotEquals(0, r.exitCode(), r.all());
    assertTrue(r.stdout().startsWith("::error"), r.all());
    assertTrue(r.stdout().contains("64 lowercase hex"), r.all());
  }

  @Test
  void deploy_caIdCheckWarnsWhenNoBundledCaHasThatId() {
    Sandbox.Result r = runCaIdCheck("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

    r.assertExit(0);
    assertTrue(r.stdout().contains("::warning"), r.all());
  }
}
