package dev.iotonboard.iot.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The input table ({@code input-members.tsv}, read by {@link InputRules}) and the routes of {@link IotApi} against the
 * IoT service model Debian's awscli ships: every row equals the model's member (location, wire name, required, type,
 * min, max, pattern, enum), every input member of every served operation (nested ones included) has its row, and
 * every route is the model's method and requestUri. A failure prints the rows the model expects, to paste.
 */
class ServiceModelTest {
    /** Where Debian's awscli package puts the model ({@code dpkg -L awscli | grep iot/2015-05-28/service-2.json}). */
    static final Path SERVICE_MODEL =
            Path.of("/usr/lib/python3/dist-packages/awscli/botocore/data/iot/2015-05-28/service-2.json");

    private static JsonNode model;
    /**
     * A newer model for the operations Debian's (January 2023) lacks (ListThingPrincipalsV2, ListPrincipalThingsV2):
     * the botocore of the AWS CLI v1 that pip installs ({@code pip install awscli}), found through {@code python3};
     * null when there is none (those operations are then not compared, and say so).
     */
    private static JsonNode newerModel;
    private static final List<IotApi.Operation> SERVED =
            new IotApi(new Registry("eu-west-1", "123456789012", null), "iot.test", line -> { }).operations();

    @BeforeAll
    static void readModel() throws IOException {
        if (!Files.isRegularFile(SERVICE_MODEL)) {
            // The comparison is with the model of one package (Debian 12's awscli 2.9.19): another distribution's
            // AWS CLI ships another model version. On Debian, where CI runs, a missing model is a failure.
            boolean debian = Files.isRegularFile(Path.of("/etc/os-release"))
                    && Files.readAllLines(Path.of("/etc/os-release")).contains("ID=debian");
            Assumptions.assumeFalse(!debian, "not Debian: the model compared with is Debian's awscli package's");
            fail("The IoT service model " + SERVICE_MODEL + " is missing: install Debian's awscli (apt-get install"
                    + " awscli; CI installs it). This test compares iot-model's input table and routes with it.");
        }
        model = new ObjectMapper().readTree(SERVICE_MODEL.toFile());
        newerModel = readNewerModel();
    }

    private static JsonNode readNewerModel() {
        try {
            Process python = new ProcessBuilder("python3", "-c",
                    "import botocore, os; print(os.path.dirname(botocore.__file__))").redirectErrorStream(true)
                    .start();
            String dir = new String(python.getInputStream().readAllBytes()).trim();
            if (python.waitFor() != 0) {
                return null;
            }
            Path gz = Path.of(dir, "data", "iot", "2015-05-28", "service-2.json.gz");
            Path plain = Path.of(dir, "data", "iot", "2015-05-28", "service-2.json");
            if (Files.isRegularFile(gz)) {
                try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(gz))) {
                    return new ObjectMapper().readTree(in);
                }
            }
            return Files.isRegularFile(plain) ? new ObjectMapper().readTree(plain.toFile()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The model that declares {@code operation}: Debian's, else the newer one; null when neither does. */
    private static JsonNode modelOf(String operation) {
        if (model.path("operations").has(operation)) {
            return model;
        }
        return newerModel != null && newerModel.path("operations").has(operation) ? newerModel : null;
    }

    @Test
    void operationsNotInDebiansModel_areInTheNewerOne() {
        List<String> newer = SERVED.stream().map(IotApi.Operation::name)
                .filter(op -> !model.path("operations").has(op)).toList();
        assertEquals(List.of("ListThingPrincipalsV2", "ListPrincipalThingsV2"), newer,
                "only these operations come from a newer model than Debian's");
        // Their routes and members are compared with a newer model where one is installed (pip's botocore);
        // everywhere, lambda-testing's RegistryOperationsCliTest sends them through the AWS SDK for Java.
        if (newerModel != null) {
            newer.forEach(op -> assertTrue(newerModel.path("operations").has(op), op));
        }
    }

    @Test
    void everyRouteIsTheServiceModels() {
        List<String> differences = new ArrayList<>();
        for (IotApi.Operation op : SERVED) {
            JsonNode declaring = modelOf(op.name());
            if (declaring == null && newerModel == null && !model.path("operations").has(op.name())) {
                continue; // compared only where a newer model is installed: operationsNotInDebiansModel_...
            }
            JsonNode http = (declaring == null ? model : declaring).path("operations").path(op.name()).path("http");
            if (http.isMissingNode()) {
                differences.add(op.name() + " is not an operation of the service model");
                continue;
            }
            String expected = http.path("method").asText() + " " + http.path("requestUri").asText();
            if (!expected.equals(op.method() + " " + op.uri())) {
                differences.add(op.name() + ": model " + expected + ", IotApi " + op.method() + " " + op.uri());
            }
        }
        assertEquals(List.of(), differences);
        assertEquals(SERVED.size(), SERVED.stream().map(IotApi.Operation::name).distinct().count(),
                "each operation is served once");
    }

    @Test
    void theInputTableIsTheServiceModels_memberByMember() {
        List<InputRules.Member> table = InputRules.standard().members();
        List<String> differences = new ArrayList<>();
        for (IotApi.Operation op : SERVED) {
            if (modelOf(op.name()) == null && newerModel == null) {
                continue; // compared only where a newer model is installed: operationsNotInDebiansModel_...
            }
            List<InputRules.Member> expected = expected(op.name());
            List<InputRules.Member> actual = table.stream().filter(m -> m.operation().equals(op.name())).toList();
            if (!expected.equals(actual)) {
                differences.add(op.name() + ": the table has\n" + tsv(actual) + "the service model declares\n"
                        + tsv(expected));
            }
        }
        assertTrue(differences.isEmpty(), String.join("\n", differences));
    }

    @Test
    void theInputTableHasNoRowsForOperationsNotServed() {
        Set<String> served = SERVED.stream().map(IotApi.Operation::name).collect(Collectors.toSet());
        Set<String> stray = InputRules.standard().members().stream().map(InputRules.Member::operation)
                .filter(op -> !served.contains(op)).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of(), stray);
    }

    /** The rows of an operation's input members as the service model declares them, nested ones after their parent. */
    private static List<InputRules.Member> expected(String operation) {
        List<InputRules.Member> rows = new ArrayList<>();
        JsonNode declaring = modelOf(operation);
        if (declaring == null) {
            return rows;
        }
        JsonNode input = declaring.path("operations").path(operation).path("input").path("shape");
        if (input.isMissingNode()) {
            return rows;
        }
        current = declaring;
        JsonNode shape = shape(input.asText());
        Set<String> required = names(shape.path("required"));
        shape.path("members").fields().forEachRemaining(e -> walk(rows, operation, e.getKey(),
                e.getValue().path("location").asText("body"), e.getValue().path("locationName").asText(e.getKey()),
                required.contains(e.getKey()), e.getValue().path("shape").asText()));
        return rows;
    }

    private static void walk(List<InputRules.Member> rows, String operation, String path, String location,
            String wireName, boolean required, String shapeName) {
        JsonNode shape = shape(shapeName);
        String type = shape.path("type").asText();
        List<String> enums = new ArrayList<>();
        shape.path("enum").forEach(v -> enums.add(v.asText()));
        rows.add(new InputRules.Member(operation, path, location, wireName, required, type,
                shape.has("min") ? shape.get("min").asLong() : null, shape.has("max") ? shape.get("max").asLong() : null,
                shape.has("pattern") ? shape.get("pattern").asText() : null, enums));
        switch (type) {
            case "structure" -> {
                Set<String> members = names(shape.path("required"));
                shape.path("members").fields().forEachRemaining(e -> walk(rows, operation, path + "." + e.getKey(),
                        location, e.getValue().path("locationName").asText(e.getKey()), members.contains(e.getKey()),
                        e.getValue().path("shape").asText()));
            }
            case "list" -> walk(rows, operation, path + "[]", location, null, false,
                    shape.path("member").path("shape").asText());
            case "map" -> {
                walk(rows, operation, path + "{key}", location, null, false, shape.path("key").path("shape").asText());
                walk(rows, operation, path + "{value}", location, null, false,
                        shape.path("value").path("shape").asText());
            }
            default -> { }
        }
    }

    /** The model {@link #expected} walks now. */
    private static JsonNode current;

    private static JsonNode shape(String name) {
        JsonNode shape = current.path("shapes").path(name);
        assertTrue(shape.isObject(), "the service model has no shape " + name);
        return shape;
    }

    private static Set<String> names(JsonNode array) {
        Set<String> names = new TreeSet<>();
        array.forEach(n -> names.add(n.asText()));
        return names;
    }

    /** Rows as the table writes them. */
    private static String tsv(List<InputRules.Member> rows) {
        StringBuilder out = new StringBuilder();
        for (InputRules.Member m : rows) {
            out.append(String.join("\t", m.operation(), m.path(), m.location(), cell(m.wireName()),
                    m.required() ? "required" : "-", m.type(), cell(m.min()), cell(m.max()), cell(m.pattern()),
                    m.enumValues().isEmpty() ? "-" : String.join(",", m.enumValues()))).append('\n');
        }
        return out.toString();
    }

    private static String cell(Object value) {
        return value == null ? "-" : value.toString();
    }
}
