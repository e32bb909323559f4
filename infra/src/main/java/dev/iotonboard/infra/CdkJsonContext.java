package dev.iotonboard.infra;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The "context" of cdk.json. The cdk CLI passes it to the app itself; reading it here as the app's defaults lets
 * `java`/`mvn exec:java` runs without the CLI see the same values (CLI context still wins).
 */
final class CdkJsonContext {
    private CdkJsonContext() {
    }

    static Map<String, Object> read(Path repositoryRoot) {
        Path cdkJson = repositoryRoot.resolve(RepositoryRoot.MARKER);
        try {
            ObjectMapper mapper = new ObjectMapper();
            JsonNode context = mapper.readTree(cdkJson.toFile()).path("context");
            return context.isObject() ? mapper.convertValue(context, new TypeReference<Map<String, Object>>() { }) : Map.of();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + cdkJson, e);
        }
    }
}
