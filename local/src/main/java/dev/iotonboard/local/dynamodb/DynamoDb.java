package dev.iotonboard.local.dynamodb;

import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.Optional;

/**
 * The stack's DynamoDB: dynalite started, then each AWS::DynamoDB::Table of the template created in it with the
 * CreateTable request the template describes ({@link StackTemplate.Table}). A table that already exists (a LevelDB
 * store kept from an earlier run) is kept as it is. {@link #close()} stops dynalite.
 */
public final class DynamoDb implements AutoCloseable {
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

    private final Dynalite engine;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private DynamoDb(Dynalite engine) {
        this.engine = engine;
    }

    /**
     * Starts dynalite from {@code cli} and creates {@code tables} in it.
     *
     * @throws IllegalArgumentException when dynalite refuses a table (naming it and dynalite's answer)
     * @throws IllegalStateException    when dynalite cannot start
     */
    public static DynamoDb start(Path cli, Optional<Path> storeDir, Collection<StackTemplate.Table> tables,
            String region, EventLog log) {
        Dynalite engine = Dynalite.start(cli, storeDir);
        DynamoDb dynamo = new DynamoDb(engine);
        try {
            log.event("dynamodb", "dynalite " + cli + " at " + engine.endpoint() + " (pid " + engine.pid() + ", "
                    + storeDir.map(d -> "LevelDB store " + d).orElse("in memory") + ")");
            for (StackTemplate.Table table : tables) {
                HttpResponse<String> answer = dynamo.call("CreateTable", table.createTable(), region);
                if (answer.statusCode() == 200) {
                    log.event("dynamodb", "table " + table.name() + " (" + table.logicalId() + ") created");
                } else if (answer.body().contains("ResourceInUseException")) {
                    log.event("dynamodb", "table " + table.name() + " (" + table.logicalId() + ") kept from the store");
                } else {
                    throw new IllegalArgumentException(table.logicalId() + " (AWS::DynamoDB::Table): dynalite refused"
                            + " its CreateTable " + table.createTable() + ": " + answer.body());
                }
            }
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
        return dynamo;
    }

    /** The dynalite process's id. */
    public long pid() {
        return engine.pid();
    }

    /** Where dynalite listens (the gateway's DynamoDB API proxies to it). */
    public URI endpoint() {
        return engine.endpoint();
    }

    /** One DynamoDB JSON-protocol call to dynalite, signed with the tool's own (unchecked) credentials. */
    HttpResponse<String> call(String operation, String body, String region) {
        String date = ZonedDateTime.now(ZoneOffset.UTC).format(AMZ_DATE);
        HttpRequest request = HttpRequest.newBuilder(engine.endpoint())
                .header("Content-Type", "application/x-amz-json-1.0")
                .header("X-Amz-Target", DynamoDbApi.TARGET_PREFIX + operation)
                .header("X-Amz-Date", date)
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=local-iot-core/" + date.substring(0, 8) + "/"
                        + region + "/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("dynalite did not answer " + operation + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while calling dynalite");
        }
    }

    @Override
    public void close() {
        engine.close();
    }
}
