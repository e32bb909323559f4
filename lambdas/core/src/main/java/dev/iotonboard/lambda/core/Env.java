package dev.iotonboard.lambda.core;

import java.util.Map;
import java.util.Optional;

/**
 * Read-only view of environment variables, so that handlers read their configuration once (in the no-arg
 * constructor) and tests pass a plain map instead.
 */
public final class Env {

    private final Map<String, String> values;
    private final boolean system;

    private Env(Map<String, String> values, boolean system) {
        this.values = Map.copyOf(values);
        this.system = system;
    }

    /** The process environment. */
    public static Env system() {
        return new Env(System.getenv(), true);
    }

    /** A fixed environment (tests, tools). */
    public static Env of(Map<String, String> values) {
        return new Env(values, false);
    }

    /** True for the process environment. */
    public boolean isSystem() {
        return system;
    }

    /** The value when set and not blank, trimmed. */
    public Optional<String> optional(String name) {
        String value = values.get(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    /**
     * A value that must be set.
     *
     * @throws IllegalStateException naming the variable when it is missing or blank
     */
    public String required(String name) {
        return optional(name).orElseThrow(() -> new IllegalStateException(
                "environment variable " + name + " is not set"));
    }

    /**
     * An integer value, or {@code defaultValue} when unset.
     *
     * @throws IllegalStateException when set but not an integer in [min, max]
     */
    public int integer(String name, int defaultValue, int min, int max) {
        Optional<String> raw = optional(name);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        int value;
        try {
            value = Integer.parseInt(raw.get());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("environment variable " + name + " is not an integer: " + raw.get(), e);
        }
        if (value < min || value > max) {
            throw new IllegalStateException(
                    "environment variable " + name + " must be between " + min + " and " + max + ": " + value);
        }
        return value;
    }

    /**
     * A certificate id (64 lowercase hex characters), or empty when unset.
     *
     * @throws IllegalStateException when set but not a certificate id
     */
    public Optional<String> certificateId(String name) {
        Optional<String> id = optional(name);
        if (id.isPresent() && !CertificateIds.isCertificateId(id.get())) {
            throw new IllegalStateException("environment variable " + name + " is not a certificate id (64 "
                    + "lowercase hex characters): " + id.get());
        }
        return id;
    }
}
