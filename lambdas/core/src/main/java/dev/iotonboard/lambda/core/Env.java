package dev.iotonboard.lambda.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Read-only view of environment variables, so that handlers read their configuration once (in the no-arg
 * constructor) and tests pass a plain map instead.
 */
public final class Env {
    /** The CA ids a function trusts, comma-separated. */
    public static final String CA_CERTIFICATE_IDS = "CA_CERTIFICATE_IDS";
    /** The single CA id of deployments before CA rotation; read when CA_CERTIFICATE_IDS is unset. */
    public static final String CA_CERTIFICATE_ID = "CA_CERTIFICATE_ID";

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

    /**
     * A comma-separated list of certificate ids (blanks around each id are ignored), or an empty list when unset.
     *
     * @throws IllegalStateException when an entry is empty or not a certificate id, or an id is repeated
     */
    public List<String> certificateIds(String name) {
        List<String> ids = list(name, CertificateIds::isCertificateId,
                "certificate ids (64 lowercase hex characters each)");
        for (int i = 0; i < ids.size(); i++) {
            if (ids.subList(0, i).contains(ids.get(i))) {
                throw new IllegalStateException("environment variable " + name + " names " + ids.get(i) + " twice");
            }
        }
        return ids;
    }

    /**
     * A comma-separated list (blanks around each entry are ignored) whose every entry is {@code valid}, in order, or
     * an empty list when unset.
     *
     * @param expected what a valid entry is, for the message
     * @throws IllegalStateException when an entry is empty or not valid, naming the variable and the entry
     */
    public List<String> list(String name, Predicate<String> valid, String expected) {
        Optional<String> raw = optional(name);
        if (raw.isEmpty()) {
            return List.of();
        }
        List<String> entries = new ArrayList<>();
        for (String part : raw.get().split(",", -1)) {
            String entry = part.trim();
            if (!valid.test(entry)) {
                throw new IllegalStateException("environment variable " + name + " is not a comma-separated list of "
                        + expected + ": '" + entry + "'");
            }
            entries.add(entry);
        }
        return List.copyOf(entries);
    }

    /**
     * The CA ids a function trusts: {@code CA_CERTIFICATE_IDS} (comma-separated), or the single
     * {@code CA_CERTIFICATE_ID} of earlier deployments; empty when neither is set.
     *
     * @throws IllegalStateException when malformed, or when both are set and differ
     */
    public List<String> caCertificateIds() {
        List<String> ids = certificateIds(CA_CERTIFICATE_IDS);
        Optional<String> single = certificateId(CA_CERTIFICATE_ID);
        if (single.isEmpty()) {
            return ids;
        }
        if (!ids.isEmpty() && !ids.equals(List.of(single.get()))) {
            throw new IllegalStateException("environment variables " + CA_CERTIFICATE_IDS + " and "
                    + CA_CERTIFICATE_ID + " are both set and differ; set " + CA_CERTIFICATE_IDS + " only");
        }
        return List.of(single.get());
    }
}
