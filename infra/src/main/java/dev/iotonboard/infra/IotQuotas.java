package dev.iotonboard.infra;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AWS IoT request-rate quotas (requests per second, per account and region) that the stack sizes itself against:
 * the defaults of docs/contracts.md "Request-rate quotas", each overridable from the context key {@value #CONTEXT_KEY}
 * (a JSON object, operation to rate) when the account has a raised quota.
 */
public record IotQuotas(Map<String, BigDecimal> perSecond) {
    public static final String CONTEXT_KEY = "iotQuotas";

    /** docs/contracts.md "Request-rate quotas"; {@code connect} counts data-plane connections (HTTPS and MQTT). */
    public static final Map<String, BigDecimal> DEFAULTS = defaultRates();

    public IotQuotas {
        perSecond = Map.copyOf(perSecond);
    }

    public static IotQuotas defaults() {
        return new IotQuotas(DEFAULTS);
    }

    /** The quota of {@code operation}; every operation the stack sizes against has a default. */
    public BigDecimal of(String operation) {
        BigDecimal rate = perSecond.get(operation);
        if (rate == null) {
            throw new IllegalArgumentException("no request-rate quota for IoT operation " + operation);
        }
        return rate;
    }

    /** These quotas with every rate multiplied by {@code factor} (a quota increase across the board). */
    public IotQuotas scaledBy(BigDecimal factor) {
        Map<String, BigDecimal> scaled = new LinkedHashMap<>();
        perSecond.forEach((operation, rate) -> scaled.put(operation, rate.multiply(factor)));
        return new IotQuotas(scaled);
    }

    /**
     * The defaults with the overrides of context value {@code value} applied: a JSON object (cdk.json) or its text
     * ({@code -c iotQuotas='{"AttachPolicy":30}'}); null or blank means none. Problems are added to {@code problems}.
     */
    static IotQuotas fromContext(Object value, List<String> problems) {
        Map<String, BigDecimal> rates = new LinkedHashMap<>(DEFAULTS);
        JsonNode overrides = parse(value, problems);
        if (overrides == null) {
            return new IotQuotas(rates);
        }
        overrides.fields().forEachRemaining(entry -> {
            String operation = entry.getKey();
            JsonNode rate = entry.getValue();
            if (!DEFAULTS.containsKey(operation)) {
                problems.add(CONTEXT_KEY + ": unknown IoT operation '" + operation + "'; known: "
                        + String.join(", ", DEFAULTS.keySet()) + ".");
            } else if (!rate.isNumber() || rate.decimalValue().signum() <= 0) {
                problems.add(CONTEXT_KEY + ": the rate of " + operation + " must be a positive number of requests per "
                        + "second, not " + rate + ".");
            } else {
                rates.put(operation, rate.decimalValue());
            }
        });
        return new IotQuotas(rates);
    }

    private static Map<String, BigDecimal> defaultRates() {
        Map<String, BigDecimal> rates = new LinkedHashMap<>();
        for (String operation : List.of("UpdateCertificate", "DescribeCertificate", "RegisterCertificate",
                "ListPrincipalThings", "ListThingPrincipals")) {
            rates.put(operation, BigDecimal.valueOf(10));
        }
        rates.put("AttachPolicy", BigDecimal.valueOf(15));
        rates.put("DetachPolicy", BigDecimal.valueOf(15));
        rates.put("CreateThing", BigDecimal.valueOf(100));
        rates.put("AttachThingPrincipal", BigDecimal.valueOf(100));
        rates.put("DescribeThing", BigDecimal.valueOf(350));
        rates.put("connect", BigDecimal.valueOf(500));
        return Collections.unmodifiableMap(rates);
    }

    private static JsonNode parse(Object value, List<String> problems) {
        if (value == null || value.toString().isBlank()) {
            return null;
        }
        ObjectMapper mapper = new ObjectMapper();
        JsonNode node;
        try {
            node = value instanceof String text ? mapper.readTree(text) : mapper.valueToTree(value);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            node = null;
        }
        if (node == null || !node.isObject()) {
            problems.add(CONTEXT_KEY + ": must be a JSON object of IoT operation to requests per second, e.g. "
                    + "{\"DescribeCertificate\": 20}; got " + value + ".");
            return null;
        }
        return node;
    }
}
