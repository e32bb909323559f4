package dev.iotonboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the benchmarks need from the synthesized stack (cdk.out): each Java function's handler and environment (with
 * {@code Ref}s to IoT policies resolved to the policy names the local IoT Core gives them), and the policy names.
 */
public final class StackInfo {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A Java function: logical id, handler, memory (MB), environment (plain values and resolved policy refs). */
    public record Function(String logicalId, String handler, int memoryMb, Map<String, String> environment) {
        public String handlerClass() {
            int separator = handler.indexOf("::");
            return separator < 0 ? handler : handler.substring(0, separator);
        }
    }

    private final List<Function> functions;

    private StackInfo(List<Function> functions) {
        this.functions = functions;
    }

    /** Reads the stack artifact {@code stackName} (id or display name) of {@code cdkOut}. */
    public static StackInfo read(Path cdkOut, String stackName) throws IOException {
        JsonNode manifest = JSON.readTree(cdkOut.resolve("manifest.json").toFile());
        String templateFile = null;
        for (Map.Entry<String, JsonNode> artifact : (Iterable<Map.Entry<String, JsonNode>>) manifest
                .path("artifacts")::fields) {
            JsonNode value = artifact.getValue();
            if ("aws:cloudformation:stack".equals(value.path("type").asText()) && (artifact.getKey().equals(stackName)
                    || stackName.equals(value.path("displayName").asText()))) {
                templateFile = value.path("properties").path("templateFile").asText(null);
            }
        }
        if (templateFile == null) {
            throw new IOException("no stack " + stackName + " in " + cdkOut.resolve("manifest.json"));
        }
        return fromTemplate(JSON.readTree(cdkOut.resolve(templateFile).toFile()));
    }

    static StackInfo fromTemplate(JsonNode template) {
        JsonNode resources = template.path("Resources");
        Map<String, String> policyNames = new LinkedHashMap<>();
        resources.fields().forEachRemaining(r -> {
            if ("AWS::IoT::Policy".equals(r.getValue().path("Type").asText())) {
                policyNames.put(r.getKey(), r.getValue().path("Properties").path("PolicyName").asText(r.getKey()));
            }
        });
        List<Function> functions = new ArrayList<>();
        resources.fields().forEachRemaining(r -> {
            JsonNode properties = r.getValue().path("Properties");
            if ("AWS::Lambda::Function".equals(r.getValue().path("Type").asText())
                    && properties.path("Runtime").asText().startsWith("java")) {
                Map<String, String> env = new LinkedHashMap<>();
                properties.path("Environment").path("Variables").fields().forEachRemaining(v -> {
                    if (v.getValue().isTextual()) {
                        env.put(v.getKey(), v.getValue().asText());
                    } else if (policyNames.containsKey(v.getValue().path("Ref").asText())) {
                        env.put(v.getKey(), policyNames.get(v.getValue().path("Ref").asText()));
                    }
                });
                functions.add(new Function(r.getKey(), properties.path("Handler").asText(),
                        properties.path("MemorySize").asInt(128), env));
            }
        });
        return new StackInfo(functions);
    }

    public List<Function> functions() {
        return functions;
    }

    /** The first function whose handler class is {@code handlerClass}. */
    public Optional<Function> function(String handlerClass) {
        return functions.stream().filter(f -> f.handlerClass().equals(handlerClass)).findFirst();
    }

    /** The value of environment variable {@code name} in the first function that sets it. */
    public Optional<String> env(String name) {
        return functions.stream().map(f -> f.environment().get(name)).filter(v -> v != null).findFirst();
    }
}
