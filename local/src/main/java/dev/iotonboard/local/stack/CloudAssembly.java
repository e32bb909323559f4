package dev.iotonboard.local.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A cloud assembly ({@code cdk.out}) on disk: {@code manifest.json}, the stack artifact it names (by id or display
 * name), the stack's template file and its asset manifest (asset object keys to the files under {@code cdk.out}). A
 * missing assembly, stack or template fails with what to run.
 */
final class CloudAssembly {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CloudAssembly() {
    }

    /**
     * Reads stack {@code stackName} from the cloud assembly {@code cdkOut} ({@code manifest.json}, the template and
     * its asset manifest).
     *
     * @throws IllegalArgumentException with what to run when the assembly or the stack is missing or a resource is
     *                                  not supported
     */
    static StackTemplate load(Path cdkOut, String stackName, String account, String region) {
        Path manifestFile = cdkOut.resolve("manifest.json");
        if (!Files.isRegularFile(manifestFile)) {
            throw new IllegalArgumentException("no cloud assembly at " + cdkOut.toAbsolutePath()
                    + " (manifest.json missing): run the build first (mvn package, then cdk synth or mvn -pl infra"
                    + " exec:java from the repository root)");
        }
        JsonNode manifest = readJson(manifestFile);
        JsonNode artifacts = manifest.path("artifacts");
        JsonNode stack = null;
        String stackId = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = artifacts.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> artifact = it.next();
            if (artifact.getValue().path("type").asText().equals("aws:cloudformation:stack")
                    && (artifact.getKey().equals(stackName)
                    || artifact.getValue().path("displayName").asText().equals(stackName))) {
                stack = artifact.getValue();
                stackId = artifact.getKey();
            }
        }
        if (stack == null) {
            throw new IllegalArgumentException("no stack " + stackName + " in " + manifestFile
                    + ": run the build first (is cdk.out from another app?)");
        }
        Path templateFile = cdkOut.resolve(stack.path("properties").path("templateFile").asText(stackId
                + ".template.json"));
        if (!Files.isRegularFile(templateFile)) {
            throw new IllegalArgumentException("the template " + templateFile
                    + " named by manifest.json is missing: run the build first");
        }
        Map<String, String> assetPaths = new LinkedHashMap<>();
        for (JsonNode dependency : stack.path("dependencies")) {
            JsonNode dep = artifacts.path(dependency.asText());
            if (dep.path("type").asText().equals("cdk:asset-manifest")) {
                JsonNode assets = readJson(cdkOut.resolve(dep.path("properties").path("file").asText()));
                for (Iterator<JsonNode> files = assets.path("files").elements(); files.hasNext();) {
                    JsonNode file = files.next();
                    String source = file.path("source").path("path").asText();
                    for (JsonNode destination : file.path("destinations")) {
                        assetPaths.put(destination.path("objectKey").asText(), source);
                    }
                }
            }
        }
        return new StackTemplate(stackName, readJson(templateFile), cdkOut, assetPaths, account, region);
    }

    static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
