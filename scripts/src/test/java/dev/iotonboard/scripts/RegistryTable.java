package dev.iotonboard.scripts;

import dev.iotonboard.lambda.testing.Dynalite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The device registry table (docs/contracts.md) in a real dynalite, created and read with the real AWS CLI, as the
 * scripts' tests see it: table {@code pk} (S) with the {@code byThing} index (thingName, pk; projection ALL).
 */
final class RegistryTable implements AutoCloseable {
  static final String NAME = "DeviceRegistry";
  static final String REGION = "eu-west-1";
  /** The real AWS CLI on the original PATH (the sandbox's bin folder may hold a fake one). */
  static final String AWS = realAws();

  final Dynalite dynalite;

  private RegistryTable(Dynalite dynalite) {
    this.dynalite = dynalite;
  }

  /** Starts dynalite and creates the table in it. */
  static RegistryTable start() {
    RegistryTable table = new RegistryTable(Dynalite.start(Dynalite.cli(Sandbox.REPO_ROOT)));
    table.aws("create-table", "--table-name", NAME, "--billing-mode", "PAY_PER_REQUEST",
        "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=thingName,AttributeType=S",
        "--key-schema", "AttributeName=pk,KeyType=HASH", "--global-secondary-indexes",
        "[{\"IndexName\":\"byThing\",\"KeySchema\":[{\"AttributeName\":\"thingName\",\"KeyType\":\"HASH\"},"
            + "{\"AttributeName\":\"pk\",\"KeyType\":\"RANGE\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}}]")
        .assertExit(0);
    return table;
  }

  String endpoint() {
    return dynalite.endpoint().toString();
  }

  /** The environment the real CLI needs in a sandbox (credentials, region, no config files). */
  static Map<String, String> cliEnv() {
    return Map.of("AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret",
        "AWS_DEFAULT_REGION", REGION, "AWS_CONFIG_FILE", "/dev/null", "AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
  }

  /** aws dynamodb args... against this dynalite. */
  Sandbox.Result aws(String... args) {
    List<String> command = new ArrayList<>(List.of(AWS, "--endpoint-url", endpoint(), "--region", REGION,
        "--output", "json", "dynamodb"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(cliEnv());
    pb.environment().put("AWS_PAGER", "");
    return Sandbox.tool(pb);
  }

  /** Writes an item given as DynamoDB JSON. */
  void put(String itemJson) {
    aws("put-item", "--table-name", NAME, "--item", itemJson).assertExit(0);
  }

  /** A certificate item as the functions write it. */
  void putCertificate(String id, String thing, String status, String boundThing, String step, long updatedAt) {
    put("{\"pk\":{\"S\":\"cert#" + id + "\"},\"kind\":{\"S\":\"CERTIFICATE\"},\"certificateId\":{\"S\":\"" + id
        + "\"},\"caCertificateId\":{\"S\":\"" + "c".repeat(64) + "\"},\"thingName\":{\"S\":\"" + thing
        + "\"},\"status\":{\"S\":\"" + status + "\"}"
        + (boundThing == null ? "" : ",\"boundThing\":{\"S\":\"" + boundThing + "\"}")
        + ",\"step\":{\"S\":\"" + step + "\"},\"updatedAt\":{\"N\":\"" + updatedAt + "\"}}");
  }

  /**
   * The item of key pk as "name=value" pairs sorted by name, space-separated (numbers as their digits), or "" when
   * there is none.
   */
  String item(String pk) {
    String json = aws("get-item", "--table-name", NAME, "--key", "{\"pk\":{\"S\":\"" + pk + "\"}}").assertExit(0)
        .stdout();
    return jq(json, "(.Item // {}) | to_entries | sort_by(.key) | map(\"\\(.key)=\\(.value | .S // .N)\") | join(\" \")");
  }

  /** One attribute of the item of key pk ("" when absent). */
  String attribute(String pk, String name) {
    String json = aws("get-item", "--table-name", NAME, "--key", "{\"pk\":{\"S\":\"" + pk + "\"}}").assertExit(0)
        .stdout();
    return jq(json, ".Item[\"" + name + "\"] | .S // .N // \"\"");
  }

  private static String jq(String json, String filter) {
    try {
      Path in = Files.createTempFile("item", ".json");
      try {
        Files.writeString(in, json);
        return Sandbox.tool("jq", "-r", filter, in.toString()).assertExit(0).stdout().trim();
      } finally {
        Files.deleteIfExists(in);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    dynalite.close();
  }

  private static String realAws() {
    for (String dir : Sandbox.ORIGINAL_PATH.split(":")) {
      Path aws = Path.of(dir.isEmpty() ? "." : dir, "aws");
      if (Files.isExecutable(aws)) {
        return aws.toAbsolutePath().toString();
      }
    }
    throw new IllegalStateException("the AWS CLI is not installed (https://aws.amazon.com/cli/)");
  }
}
