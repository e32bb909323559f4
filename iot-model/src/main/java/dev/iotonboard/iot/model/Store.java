package dev.iotonboard.iot.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.iotonboard.iot.model.Registry.CaCertificate;
import dev.iotonboard.iot.model.Registry.Certificate;
import dev.iotonboard.iot.model.Registry.Policy;
import dev.iotonboard.iot.model.Registry.RegistrationConfig;
import dev.iotonboard.iot.model.Registry.Thing;
import dev.iotonboard.iot.model.Registry.ThingGroup;
import dev.iotonboard.iot.model.Registry.ThingPrincipal;
import dev.iotonboard.iot.model.Registry.ThingType;
import dev.iotonboard.iot.model.Registry.TopicRule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the registry holds, shared by its resource classes ({@link CaCertificates}, {@link Certificates},
 * {@link Things}, {@link ThingPrincipals}, {@link Policies}, {@link TopicRules}, {@link Seed}). Each of them reads and
 * changes it only while holding {@link #lock}, the one lock of the registry, so an operation that touches several
 * resources is atomic. Saved to the state file after each change ({@link #save()}) and read back at start.
 */
final class Store {

    /**
     * What the registry holds, as saved to the state file (topicRules, thingTypes, thingGroups, groupThings and
     * registrationConfigs: null in files of older versions).
     */
    record State(String registrationCode, List<CaCertificate> caCertificates, List<Certificate> certificates,
            List<Thing> things, List<Policy> policies, Map<String, List<String>> targetPolicies,
            List<ThingPrincipal> thingPrincipals, List<TopicRule> topicRules, List<ThingType> thingTypes,
            List<ThingGroup> thingGroups, Map<String, List<String>> groupThings,
            Map<String, RegistrationConfig> registrationConfigs) {
    }

    final Object lock;
    final Arns arns;
    final Clock clock;
    private final Path stateFile;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    Duration detachPropagationDelay = Duration.ZERO;
    String registrationCode;
    final Map<String, CaCertificate> caCertificates = new LinkedHashMap<>();
    final Map<String, Certificate> certificates = new LinkedHashMap<>();
    final Map<String, Thing> things = new LinkedHashMap<>();
    final Map<String, Policy> policies = new LinkedHashMap<>();
    /** The policies attached to each target, in attachment order. */
    final Map<String, Set<String>> targetPolicies = new LinkedHashMap<>();
    private final List<ThingPrincipal> thingPrincipals = new ArrayList<>();
    final Map<String, TopicRule> topicRules = new LinkedHashMap<>();
    final Map<String, ThingType> thingTypes = new LinkedHashMap<>();
    final Map<String, ThingGroup> thingGroups = new LinkedHashMap<>();
    /** The things of each static thing group, in the order they were added. */
    final Map<String, Set<String>> groupThings = new LinkedHashMap<>();
    /** The registrationConfig of each CA certificate that has one, by CA certificate id. */
    final Map<String, RegistrationConfig> registrationConfigs = new LinkedHashMap<>();

    /** @param stateFile read now when it exists, written after each change; null: memory only */
    Store(Object lock, Arns arns, Path stateFile, Clock clock) {
        this.lock = lock;
        this.arns = arns;
        this.stateFile = stateFile;
        this.clock = clock;
        this.registrationCode = randomHex(32);
        if (stateFile != null && Files.isRegularFile(stateFile)) {
            load();
        }
    }

    /** The clock's time in epoch seconds, as the service model's timestamps. */
    double now() {
        return clock.millis() / 1000.0;
    }

    /**
     * The thing-principal attachments (the list itself, to change), without the detachments whose propagation delay
     * has passed: those are dropped here.
     */
    List<ThingPrincipal> attachments() {
        long now = clock.millis();
        if (thingPrincipals.removeIf(tp -> tp.detachAt() != null && tp.detachAt() <= now)) {
            save();
        }
        return thingPrincipals;
    }

    /** The entry of {@code key}, or ResourceNotFoundException naming it ({@code what} + key + " does not exist"). */
    static <T> T existing(Map<String, T> entries, String key, String what) {
        T entry = entries.get(key);
        if (entry == null) {
            throw IotException.notFound(what + key + " does not exist");
        }
        return entry;
    }

    void save() {
        if (stateFile == null) {
            return;
        }
        State state = new State(registrationCode, List.copyOf(caCertificates.values()),
                List.copyOf(certificates.values()), List.copyOf(things.values()), List.copyOf(policies.values()),
                targetPolicies.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                        e -> List.copyOf(e.getValue()), (a, b) -> a, LinkedHashMap::new)),
                List.copyOf(thingPrincipals), List.copyOf(topicRules.values()), List.copyOf(thingTypes.values()),
                List.copyOf(thingGroups.values()), groupThings.entrySet().stream().collect(Collectors.toMap(
                        Map.Entry::getKey, e -> List.copyOf(e.getValue()), (a, b) -> a, LinkedHashMap::new)),
                new LinkedHashMap<>(registrationConfigs));
        try {
            Files.createDirectories(stateFile.toAbsolutePath().getParent());
            Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
            json.writeValue(tmp.toFile(), state);
            Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the registry to " + stateFile, e);
        }
    }

    private void load() {
        try {
            State state = json.readValue(stateFile.toFile(), State.class);
            registrationCode = state.registrationCode();
            state.caCertificates().forEach(c -> caCertificates.put(c.id(), c));
            state.certificates().forEach(c -> certificates.put(c.id(), c));
            state.things().forEach(t -> things.put(t.name(), t));
            state.policies().forEach(p -> policies.put(p.name(), p.versions() == null ? Policy.of(p.name(),
                    p.document(), p.creationDate()) : p));
            state.targetPolicies().forEach((k, v) -> targetPolicies.put(k, new LinkedHashSet<>(v)));
            thingPrincipals.addAll(state.thingPrincipals());
            if (state.topicRules() != null) {
                state.topicRules().forEach(r -> topicRules.put(r.name(), r));
            }
            if (state.thingTypes() != null) {
                state.thingTypes().forEach(t -> thingTypes.put(t.name(), t));
                state.thingGroups().forEach(g -> thingGroups.put(g.name(), g));
                state.groupThings().forEach((k, v) -> groupThings.put(k, new LinkedHashSet<>(v)));
                registrationConfigs.putAll(state.registrationConfigs());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the registry state " + stateFile
                    + " (delete it to start empty)", e);
        }
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
