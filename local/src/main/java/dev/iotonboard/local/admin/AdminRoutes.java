package dev.iotonboard.local.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.gateway.Gateway;
import dev.iotonboard.local.iot.control.ControlPlane;
import dev.iotonboard.local.lambda.LambdaRunner;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The tool's own routes on the control-plane port, under {@code /_local/} (no IoT API path starts so):
 * {@code GET /_local/stats}; {@code GET|POST|DELETE /_local/faults} (list, add one spec as {@code {"spec":"..."}}
 * or plain text, clear); {@code GET|PUT /_local/quotas} ({@code {"enabled":true|false,"rates":{"OP":rate}}}, both
 * members optional); {@code GET /_local/metrics[?namespace=N&metricName=M]} and {@code GET /_local/alarms} (the CloudWatch room's recorded
 * data points and the stack's alarms evaluated now). Answers JSON; a bad input is 400 {@code {"message": ...}} naming the problem.
 */
public final class AdminRoutes implements Gateway.Handler {
    public static final String PREFIX = "/_local/";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Quotas quotas;
    private final Faults faults;
    private final Supplier<Map<String, ControlPlane.OperationStats>> operations;
    private final Supplier<Map<String, LambdaRunner.FunctionStats>> functions;
    private final LongSupplier pendingAsync;
    private final LongSupplier connectThrottled;
    private final java.util.function.Function<Map<String, String>, JsonNode> metrics;
    private final Supplier<JsonNode> alarms;

    /**
     * @param quotas           the quotas it reads and changes
     * @param faults           the faults it lists, adds and clears
     * @param operations       the control plane's counters
     * @param functions        the Lambda runner's counters
     * @param pendingAsync     asynchronous events not finished, all functions
     * @param connectThrottled data-plane connections refused by the connect quota
     */
    public AdminRoutes(Quotas quotas, Faults faults, Supplier<Map<String, ControlPlane.OperationStats>> operations,
            Supplier<Map<String, LambdaRunner.FunctionStats>> functions, LongSupplier pendingAsync,
            LongSupplier connectThrottled) {
        this(quotas, faults, operations, functions, pendingAsync, connectThrottled, null, null);
    }

    /**
     * With the CloudWatch room's views as well.
     *
     * @param metrics {@code GET /_local/metrics}: the recorded data points, filtered by the query's {@code namespace}
     *                and {@code metricName} (null: not served)
     * @param alarms  {@code GET /_local/alarms}: the stack's alarms evaluated now (null: not served)
     */
    public AdminRoutes(Quotas quotas, Faults faults, Supplier<Map<String, ControlPlane.OperationStats>> operations,
            Supplier<Map<String, LambdaRunner.FunctionStats>> functions, LongSupplier pendingAsync,
            LongSupplier connectThrottled, java.util.function.Function<Map<String, String>, JsonNode> metrics,
            Supplier<JsonNode> alarms) {
        this.metrics = metrics;
        this.alarms = alarms;
        this.quotas = quotas;
        this.faults = faults;
        this.operations = operations;
        this.functions = functions;
        this.pendingAsync = pendingAsync;
        this.connectThrottled = connectThrottled;
    }

    @Override
    public boolean handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (!path.startsWith(PREFIX)) {
            return false;
        }
        String method = exchange.getRequestMethod();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        try {
            JsonNode answer = switch (path.substring(PREFIX.length()) + " " + method) {
                case "stats GET" -> stats();
                case "faults GET" -> listFaults();
                case "faults POST" -> addFault(body);
                case "faults DELETE" -> {
                    faults.clear();
                    yield listFaults();
                }
                case "quotas GET" -> showQuotas();
                case "quotas PUT" -> setQuotas(body);
                case "metrics GET" -> view(metrics == null ? null
                        : () -> metrics.apply(query(exchange.getRequestURI().getRawQuery(),
                                java.util.Set.of("namespace", "metricName"))), path);
                case "alarms GET" -> view(alarms, path);
                default -> throw new AdminError(404, "no admin route " + method + " " + path
                        + " (GET /_local/stats, GET|POST|DELETE /_local/faults, GET|PUT /_local/quotas,"
                        + " GET /_local/metrics, GET /_local/alarms)");
            };
            send(exchange, 200, answer);
        } catch (AdminError e) {
            send(exchange, e.status, JSON.createObjectNode().put("message", e.getMessage()));
        }
        return true;
    }

    private static final class AdminError extends RuntimeException {
        final int status;

        AdminError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** The query's parameters; one not in {@code allowed}, or given twice, is 400. */
    private static Map<String, String> query(String raw, java.util.Set<String> allowed) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return parameters;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (!allowed.contains(name) || parameters.put(name, value) != null) {
                throw new AdminError(400, "query parameter " + name + " is not one of " + new java.util.TreeSet<>(
                        allowed) + " or is given twice");
            }
        }
        return parameters;
    }

    private static JsonNode view(Supplier<JsonNode> view, String path) {
        if (view == null) {
            throw new AdminError(404, "no admin route GET " + path + " in this configuration");
        }
        return view.get();
    }

    private JsonNode stats() {
        ObjectNode out = JSON.createObjectNode();
        out.put("quotasEnabled", quotas.enabled());
        ObjectNode perOperation = out.putObject("operations");
        operations.get().forEach((name, s) -> perOperation.putObject(name).put("calls", s.calls())
                .put("throttled", s.throttled()).put("faults", s.faults()));
        ObjectNode perFunction = out.putObject("functions");
        functions.get().forEach((name, s) -> perFunction.putObject(name).put("invocations", s.invocations())
                .put("errors", s.errors()).put("drops", s.drops()).put("crashes", s.crashes())
                .put("queued", s.queued()).put("pendingAsync", s.pendingAsync()));
        out.put("pendingAsync", pendingAsync.getAsLong());
        out.putObject("connect").put("throttled", connectThrottled.getAsLong());
        return out;
    }

    private JsonNode listFaults() {
        ObjectNode out = JSON.createObjectNode();
        ArrayNode list = out.putArray("faults");
        for (Faults.Status status : faults.list()) {
            list.addObject().put("spec", status.spec().text()).put("target", status.spec().target())
                    .put("matched", status.matched()).put("injected", status.injected());
        }
        return out;
    }

    private JsonNode addFault(String body) {
        String spec = body.trim();
        if (spec.startsWith("{")) {
            JsonNode node = parse(body);
            if (!node.path("spec").isTextual()) {
                throw new AdminError(400, "the body is {\"spec\":\"...\"} or the spec as plain text");
            }
            spec = node.path("spec").asText();
        }
        try {
            faults.add(spec);
        } catch (IllegalArgumentException e) {
            throw new AdminError(400, e.getMessage());
        }
        return listFaults();
    }

    private JsonNode showQuotas() {
        ObjectNode out = JSON.createObjectNode();
        out.put("enabled", quotas.enabled());
        ObjectNode rates = out.putObject("rates");
        quotas.rates().forEach(rates::put);
        return out;
    }

    private JsonNode setQuotas(String body) {
        JsonNode node = parse(body);
        if (!node.isObject()) {
            throw new AdminError(400, "the body is {\"enabled\":true|false,\"rates\":{\"OPERATION\":rate}}");
        }
        JsonNode enabled = node.path("enabled");
        if (!enabled.isMissingNode() && !enabled.isBoolean()) {
            throw new AdminError(400, "enabled must be true or false");
        }
        JsonNode rates = node.path("rates");
        if (!rates.isMissingNode() && !rates.isObject()) {
            throw new AdminError(400, "rates must be an object of operation names to requests per second");
        }
        Map<String, Double> changes = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> rate : (Iterable<Map.Entry<String, JsonNode>>) rates::fields) {
            if (!rate.getValue().isNumber()) {
                throw new AdminError(400, "the rate of " + rate.getKey() + " must be a number");
            }
            try {
                Quotas.validate(rate.getKey(), rate.getValue().asDouble());
            } catch (IllegalArgumentException e) {
                throw new AdminError(400, e.getMessage());
            }
            changes.put(rate.getKey(), rate.getValue().asDouble());
        }
        changes.forEach(quotas::setRate);
        if (enabled.isBoolean()) {
            quotas.setEnabled(enabled.asBoolean());
        }
        return showQuotas();
    }

    private static JsonNode parse(String body) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null) {
                throw new AdminError(400, "empty body");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new AdminError(400, "the body is not JSON: " + e.getOriginalMessage());
        }
    }

    private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
