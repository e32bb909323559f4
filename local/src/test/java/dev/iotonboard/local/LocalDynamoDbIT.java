package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.testing.AwsCli;
import dev.iotonboard.local.lambda.LambdaRunner;
import dev.iotonboard.local.tls.Pki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkSystemSetting;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateStatus;

/**
 * The local IoT Core on a stack with a DynamoDB table, an EventBridge rule on IoT's CloudTrail events and a trail
 * (src/test/resources/dynamo/Dyn.template.json), driven by the real SDK clients and the real AWS CLI: dynalite runs
 * with the template's table; the functions' DynamoDB calls are held to their roles' IAM policies (AccessDenied in
 * DynamoDB's shape) and otherwise reach dynalite; the IoT calls that write reach the rule's function as CloudTrail
 * events; dynalite ends with the tool.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalDynamoDbIT {
    private static final String TABLE = "Dyn-registry";
    private static final String TABLE_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/" + TABLE;
    private static final String WRITER_KEY = "LOCALWriter-1";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final List<AutoCloseable> clients = new ArrayList<>();
    private LocalIotCore core;
    private Path events;

    @BeforeAll
    void start() throws Exception {
        Path assembly = assembly(dir.resolve("cdk.out"));
        events = dir.resolve("events");
        core = new LocalIotCore(options(assembly, "--function-env", "EVENTS_DIR=" + events),
                new EventLog(new PrintStream(log, true, StandardCharsets.UTF_8)));
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable client : clients) {
            client.close();
        }
        if (core != null) {
            core.close();
        }
    }

    /** A cloud assembly of the fixture template, with the test handlers as the functions' jar. */
    static Path assembly(Path cdkOut) throws IOException, java.net.URISyntaxException {
        Files.createDirectories(cdkOut);
        try (var template = LocalDynamoDbIT.class.getResourceAsStream("/dynamo/Dyn.template.json")) {
            Files.copy(template, cdkOut.resolve("Dyn.template.json"));
        }
        Files.writeString(cdkOut.resolve("manifest.json"), """
                {"version": "54.0.0", "artifacts": {"Dyn": {"type": "aws:cloudformation:stack",
                  "environment": "aws://unknown-account/unknown-region",
                  "properties": {"templateFile": "Dyn.template.json"}}}}""");
        Path classes = Path.of(LocalDynamoDbIT.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path handlers = classes.resolve("dev/iotonboard/local/handlers");
        try (OutputStream out = Files.newOutputStream(cdkOut.resolve("handlers.jar"));
                JarOutputStream jar = new JarOutputStream(out); Stream<Path> files = Files.list(handlers)) {
            for (Path file : files.toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(file));
                jar.closeEntry();
            }
        }
        return cdkOut;
    }

    private Options options(Path assembly, String... extra) {
        List<String> args = new ArrayList<>(List.of("--cdk-out", assembly.toString(), "--stack", "Dyn", "--ports",
                "0,0", "--mqtt-port", "0", "--api-port", "0", "--state-dir", dir.resolve("state").toString(),
                "--retry-delays", "0.2,0.2"));
        args.addAll(List.of(extra));
        return Options.parse(args.toArray(String[]::new));
    }

    private URI endpoint() {
        return URI.create("http://127.0.0.1:" + core.controlPort());
    }

    private DynamoDbClient dynamo(String accessKeyId) {
        DynamoDbClient client = DynamoDbClient.builder().endpointOverride(endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, "s")))
                .httpClient(UrlConnectionHttpClient.create()).build();
        clients.add(client);
        return client;
    }

    private IotClient iot(String accessKeyId) {
        IotClient client = IotClient.builder().endpointOverride(endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, "s")))
                .httpClient(UrlConnectionHttpClient.create()).build();
        clients.add(client);
        return client;
    }

    private static Map<String, AttributeValue> key(String pk) {
        return Map.of("pk", AttributeValue.fromS(pk));
    }

    @Test
    void theTemplatesTable_isCreatedInDynalite_withItsKeysAndIndex() {
        TableDescription table = dynamo("operator").describeTable(b -> b.tableName(TABLE)).table();
        assertEquals("ACTIVE", table.tableStatusAsString());
        assertEquals("pk", table.keySchema().get(0).attributeName());
        assertEquals(1, table.globalSecondaryIndexes().size());
        assertEquals("byThing", table.globalSecondaryIndexes().get(0).indexName());
        assertEquals("thingName", table.globalSecondaryIndexes().get(0).keySchema().get(0).attributeName());
        assertEquals(List.of(TABLE), dynamo("operator").listTables().tableNames());
    }

    @Test
    void aFunctionsRole_allowsWhatItGrants() {
        DynamoDbClient writer = dynamo(WRITER_KEY);
        writer.updateItem(b -> b.tableName(TABLE).key(key("cert#granted"))
                .updateExpression("SET thingName = :t").expressionAttributeValues(Map.of(":t", AttributeValue.fromS(
                        "thing-granted"))));
        assertEquals("thing-granted", writer.getItem(b -> b.tableName(TABLE).key(key("cert#granted"))).item()
                .get("thingName").s());
        assertEquals(1, writer.query(b -> b.tableName(TABLE).indexName("byThing")
                .keyConditionExpression("thingName = :t")
                .expressionAttributeValues(Map.of(":t", AttributeValue.fromS("thing-granted")))).count());
    }

    @Test
    void aFunctionsRole_deniesTheRest_inDynamoDbsErrorShape_withoutEffect() {
        DynamoDbClient writer = dynamo(WRITER_KEY);
        AwsServiceException put = assertThrows(AwsServiceException.class, () -> writer.putItem(b -> b.tableName(TABLE)
                .item(Map.of("pk", AttributeValue.fromS("cert#denied")))));
        assertEquals(400, put.statusCode());
        assertEquals("AccessDeniedException", put.awsErrorDetails().errorCode());
        assertEquals("User: arn:aws:sts::000000000000:assumed-role/WriterRole/writer is not authorized to perform:"
                + " dynamodb:PutItem on resource: " + TABLE_ARN + " because no identity-based policy allows the"
                + " dynamodb:PutItem action", put.awsErrorDetails().errorMessage());
        assertTrue(dynamo("operator").getItem(b -> b.tableName(TABLE).key(key("cert#denied"))).item().isEmpty(),
                "a denied write never reaches the table");
        AwsServiceException query = assertThrows(AwsServiceException.class, () -> writer.query(b -> b.tableName(TABLE)
                .keyConditionExpression("pk = :p").expressionAttributeValues(Map.of(":p", AttributeValue.fromS("x")))));
        assertTrue(query.awsErrorDetails().errorMessage().contains("dynamodb:Query on resource: " + TABLE_ARN + " "),
                "Query on the table is not Query on the index: " + query.awsErrorDetails().errorMessage());
        AwsServiceException scan = assertThrows(AwsServiceException.class, () -> writer.scan(b -> b.tableName(TABLE)
                .indexName("byThing")));
        assertTrue(scan.awsErrorDetails().errorMessage().contains("dynamodb:Scan on resource: " + TABLE_ARN
                + "/index/byThing"), scan.awsErrorDetails().errorMessage());
        AwsServiceException sync = assertThrows(AwsServiceException.class, () -> dynamo("LOCALSync-3").getItem(
                b -> b.tableName(TABLE).key(key("cert#granted"))));
        assertTrue(sync.awsErrorDetails().errorMessage().startsWith(
                "User: arn:aws:sts::000000000000:assumed-role/SyncRole/sync is not authorized to perform:"
                        + " dynamodb:GetItem"), sync.awsErrorDetails().errorMessage());
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("[dynamodb] AccessDeniedException: User:"));
    }

    @Test
    void aFunction_reachesDynamodb_fromItsEnvironment_withItsOwnKey_heldToItsRole() throws Exception {
        LambdaRunner.Result updated = core.lambdas().invoke("Writer", """
                {"operation": "UpdateItem", "request": {"TableName": "%s", "Key": {"pk": {"S": "cert#fn"}},
                 "UpdateExpression": "SET thingName = :t", "ExpressionAttributeValues": {":t": {"S": "thing-fn"}}}}"""
                .formatted(TABLE));
        assertFalse(updated.error(), updated.body());
        JsonNode answer = JSON.readTree(updated.body());
        assertEquals(200, answer.path("status").asInt(), updated.body());
        assertEquals(TABLE, answer.path("table").asText(), "DEVICE_REGISTRY_TABLE is the table's Ref");
        assertEquals("thing-fn", dynamo("operator").getItem(b -> b.tableName(TABLE).key(key("cert#fn"))).item()
                .get("thingName").s());

        LambdaRunner.Result put = core.lambdas().invoke("Writer", """
                {"operation": "PutItem", "request": {"TableName": "%s", "Item": {"pk": {"S": "cert#fn-put"}}}}"""
                .formatted(TABLE));
        JsonNode denied = JSON.readTree(put.body());
        assertEquals(400, denied.path("status").asInt(), put.body());
        assertEquals("com.amazon.coral.service#AccessDeniedException", denied.path("body").path("__type").asText());
        assertTrue(denied.path("body").path("Message").asText().startsWith("User: arn:aws:sts::000000000000:"
                + "assumed-role/WriterRole/writer is not authorized to perform: dynamodb:PutItem"), put.body());
    }

    @Test
    void theAwsCli_reachesDynamodb_throughTheGateway_andAFunctionsKeyIsHeldToItsRole() throws Exception {
        String url = endpoint().toString();
        AwsCli.Result put = AwsCli.run(List.of("aws", "dynamodb", "put-item", "--endpoint-url", url, "--table-name",
                TABLE, "--item", "{\"pk\":{\"S\":\"allow#cli\"},\"kind\":{\"S\":\"ALLOW\"}}"));
        assertEquals(0, put.exit(), put.err());
        AwsCli.Result get = AwsCli.run(List.of("aws", "dynamodb", "get-item", "--endpoint-url", url, "--table-name",
                TABLE, "--key", "{\"pk\":{\"S\":\"allow#cli\"}}"));
        assertEquals(0, get.exit(), get.err());
        assertEquals("ALLOW", JSON.readTree(get.out()).path("Item").path("kind").path("S").asText(), get.out());
        AwsCli.Result denied = AwsCli.run(List.of("env", "AWS_ACCESS_KEY_ID=" + WRITER_KEY, "aws", "dynamodb",
                "delete-item", "--endpoint-url", url, "--table-name", TABLE, "--key", "{\"pk\":{\"S\":\"allow#cli\"}}"));
        assertNotEquals(0, denied.exit());
        assertTrue(denied.err().contains("(AccessDeniedException) when calling the DeleteItem operation: User:"
                + " arn:aws:sts::000000000000:assumed-role/WriterRole/writer is not authorized to perform:"
                + " dynamodb:DeleteItem"), denied.err());
    }

    @Test
    void iotCallsThatWrite_reachTheRulesFunction_asCloudTrailEvents() throws Exception {
        IotClient operator = iot("operator");
        Pki.Issued device = Pki.rootCa("cloudtrail-device", Duration.ofDays(1));
        String certificateId = operator.registerCertificateWithoutCA(b -> b.certificatePem(CertificateIds.toPem(
                device.certificate())).status(CertificateStatus.ACTIVE)).certificateId();
        operator.listCertificates(b -> { });
        operator.updateCertificate(b -> b.certificateId(certificateId).newStatus(CertificateStatus.REVOKED));
        JsonNode update = awaitEvent("UpdateCertificate");
        assertEquals("aws.iot", update.path("source").asText());
        assertEquals("AWS API Call via CloudTrail", update.path("detail-type").asText());
        assertEquals("000000000000", update.path("account").asText());
        assertEquals("us-east-1", update.path("region").asText());
        JsonNode detail = update.path("detail");
        assertEquals("iot.amazonaws.com", detail.path("eventSource").asText());
        assertEquals(JSON.readTree("{\"certificateId\":\"" + certificateId + "\",\"newStatus\":\"REVOKED\"}"),
                detail.path("requestParameters"));
        assertEquals("IAMUser", detail.path("userIdentity").path("type").asText());
        assertEquals("operator", detail.path("userIdentity").path("accessKeyId").asText());
        assertFalse(detail.has("errorCode"));

        String certificateArn = "arn:aws:iot:us-east-1:000000000000:cert/" + certificateId;
        AwsServiceException denied = assertThrows(AwsServiceException.class, () -> iot(WRITER_KEY)
                .detachThingPrincipal(b -> b.thingName("t1").principal(certificateArn)));
        assertEquals(403, denied.statusCode());
        JsonNode detach = awaitEvent("DetachThingPrincipal").path("detail");
        assertEquals(JSON.readTree("{\"thingName\":\"t1\",\"principal\":\"" + certificateArn + "\"}"),
                detach.path("requestParameters"));
        assertEquals("AccessDeniedException", detach.path("errorCode").asText());
        assertEquals("AssumedRole", detach.path("userIdentity").path("type").asText());
        assertEquals("arn:aws:sts::000000000000:assumed-role/WriterRole/writer",
                detach.path("userIdentity").path("arn").asText());
        assertEquals("arn:aws:iam::000000000000:role/WriterRole",
                detach.path("userIdentity").path("sessionContext").path("sessionIssuer").path("arn").asText());
        assertEquals(Map.of("IotChanges", 2L), core.cloudTrailEvents().delivered(),
                "RegisterCertificateWithoutCA is not in the pattern, ListCertificates only reads");
    }

    private JsonNode awaitEvent(String eventName) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(events)) {
                try (Stream<Path> files = Files.list(events)) {
                    for (Path file : files.toList()) {
                        JsonNode event = JSON.readTree(file.toFile());
                        if (event.path("detail").path("eventName").asText().equals(eventName)) {
                            return event;
                        }
                    }
                } catch (IOException partlyWritten) {
                    // read again
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no " + eventName + " event reached the rule's function; log:\n"
                + log.toString(StandardCharsets.UTF_8));
    }

    @Test
    void killingTheToolOutright_endsDynaliteToo() throws Exception {
        Path target = Path.of(LocalDynamoDbIT.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .getParent();
        Path assembly = assembly(dir.resolve("killed/cdk.out"));
        Process tool = new ProcessBuilder("java", "-jar", target.resolve("local-iot-core.jar").toString(),
                "--cdk-out", assembly.toString(), "--stack", "Dyn", "--ports", "0,0", "--mqtt-port", "0", "--api-port",
                "0", "--state-dir", dir.resolve("killed/state").toString()).redirectErrorStream(true).start();
        long dynalite = -1;
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(tool.getInputStream(),
                StandardCharsets.UTF_8))) {
            java.util.regex.Pattern pid = java.util.regex.Pattern.compile("\\[dynamodb] dynalite .* \\(pid (\\d+),");
            StringBuilder seen = new StringBuilder();
            for (String line; (line = out.readLine()) != null && !line.contains("[core] ready"); ) {
                seen.append(line).append('\n');
                java.util.regex.Matcher matcher = pid.matcher(line);
                if (matcher.find()) {
                    dynalite = Long.parseLong(matcher.group(1));
                }
            }
            assertTrue(dynalite > 0, "no dynalite pid in the log:\n" + seen);
            assertTrue(ProcessHandle.of(dynalite).map(ProcessHandle::isAlive).orElse(false));
            tool.destroyForcibly().waitFor();
        }
        ProcessHandle orphan = ProcessHandle.of(dynalite).orElse(null);
        if (orphan != null) {
            orphan.onExit().get(15, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void dynalite_endsWithTheTool_andAMissingOne_saysRunNpmCi(@TempDir Path other) throws Exception {
        Path assembly = assembly(other.resolve("cdk.out"));
        long pid;
        try (LocalIotCore second = new LocalIotCore(options(assembly, "--state-dir", other.resolve("s").toString()),
                new EventLog(new PrintStream(OutputStream.nullOutputStream())))) {
            pid = second.dynamoDb().orElseThrow().pid();
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "dynalite stopped with the tool");

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = LocalIotCore.run(new String[] {"--cdk-out", assembly.toString(), "--stack", "Dyn", "--ports", "0,0",
            "--mqtt-port", "0", "--api-port", "0", "--state-dir", other.resolve("s2").toString(), "--dynalite",
            other.resolve("nowhere").toString()}, new PrintStream(OutputStream.nullOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        assertEquals(1, exit);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("run `npm ci` at the repository root"),
                err.toString(StandardCharsets.UTF_8));
    }
}
