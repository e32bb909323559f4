package dev.iotonboard.iot.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.ThingNameRule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The IoT registry: CA certificates, device certificates, things, policies and their attachments, with AWS's state
 * rules and error shapes (IotException). The local IoT Core holds one, and so does each handler test's IoT double. Thread-safe (every method synchronizes on the registry). Optionally saved to a JSON file after each
 * change and read back at start.
 */
public final class Registry {

    /** Certificate statuses of the service model ({@code CertificateStatus}). */
    public static final Set<String> CERTIFICATE_STATUSES = Set.of("ACTIVE", "INACTIVE", "REVOKED",
            "PENDING_TRANSFER", "REGISTER_INACTIVE", "PENDING_ACTIVATION");
    private static final Pattern THING_NAME = Pattern.compile("[a-zA-Z0-9:_-]{1,128}");
    /** The service model's CertificateId pattern (64 hex characters, optionally 0x-prefixed). */
    private static final Pattern CERTIFICATE_ID = Pattern.compile("(0x)?[a-fA-F0-9]{64}");
    private static final Pattern POLICY_NAME = Pattern.compile("[\\w+=,.@-]{1,128}");

    /** A registered CA certificate. */
    public record CaCertificate(String id, String pem, String status, String autoRegistrationStatus,
            double creationDate, double lastModifiedDate, int generation) {
        CaCertificate with(String newStatus, String newAuto) {
            return new CaCertificate(id, pem, newStatus, newAuto, creationDate, now(), generation + 1);
        }
    }

    /** A registered device certificate. */
    public record Certificate(String id, String pem, String caCertificateId, String status, double creationDate,
            double lastModifiedDate, int generation) {
        Certificate withStatus(String newStatus) {
            return new Certificate(id, pem, caCertificateId, newStatus, creationDate, now(), generation + 1);
        }
    }

    /** A thing. */
    public record Thing(String name, String id, Map<String, String> attributes, long version) {
    }

    /** A policy (one version, the default). */
    public record Policy(String name, String document, double creationDate) {
    }

    /** A thing-principal attachment. */
    public record ThingPrincipal(String thingName, String principal, String type) {
    }

    /** What the registry holds, as saved to the state file. */
    public record State(String registrationCode, List<CaCertificate> caCertificates, List<Certificate> certificates,
            List<Thing> things, List<Policy> policies, Map<String, List<String>> targetPolicies,
            List<ThingPrincipal> thingPrincipals) {
    }

    private final String region;
    private final String account;
    private final Path stateFile;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private String registrationCode;
    private final Map<String, CaCertificate> caCertificates = new LinkedHashMap<>();
    private final Map<String, Certificate> certificates = new LinkedHashMap<>();
    private final Map<String, Thing> things = new LinkedHashMap<>();
    private final Map<String, Policy> policies = new LinkedHashMap<>();
    private final Map<String, Set<String>> targetPolicies = new LinkedHashMap<>();
    private final List<ThingPrincipal> thingPrincipals = new ArrayList<>();

    /**
     * @param stateFile where to save the registry after each change (read at start when it exists); null: memory only
     */
    public Registry(String region, String account, Path stateFile) {
        this.region = region;
        this.account = account;
        this.stateFile = stateFile;
        this.registrationCode = randomHex(32);
        if (stateFile != null && Files.isRegularFile(stateFile)) {
            load();
        }
    }

    public String region() {
        return region;
    }

    public String account() {
        return account;
    }

    public String certificateArn(String id) {
        return "arn:aws:iot:" + region + ":" + account + ":cert/" + id;
    }

    public String caCertificateArn(String id) {
        return "arn:aws:iot:" + region + ":" + account + ":cacert/" + id;
    }

    public String thingArn(String name) {
        return "arn:aws:iot:" + region + ":" + account + ":thing/" + name;
    }

    public String policyArn(String name) {
        return "arn:aws:iot:" + region + ":" + account + ":policy/" + name;
    }

    public synchronized String registrationCode() {
        return registrationCode;
    }

    /** What tests and a saved state put in place directly, without the operations' rules (see {@link Seed}). */
    public Seed seed() {
        return new Seed();
    }

    /**
     * State put in place directly: a CA certificate as if registered, a certificate as if registered by JITR or an
     * operator (with any status and registration time), a status set by hand. For test set-up only: every operation
     * a client can call goes through the registry's methods and their rules.
     */
    public final class Seed {
        private Seed() {
        }

        /** A CA certificate registered with this status (ACTIVE or INACTIVE) and auto-registration on. */
        public CaCertificate caCertificate(X509Certificate ca, String status) {
            synchronized (Registry.this) {
                String id = CertificateIds.fromCertificate(ca);
                double now = now();
                CaCertificate record = new CaCertificate(id, CertificateIds.toPem(ca), status, "ENABLE", now, now, 1);
                caCertificates.put(id, record);
                save();
                return record;
            }
        }

        /** A device certificate of a registered CA, with this status, registered at {@code registered}. */
        public Certificate certificate(String pem, String caId, String status, Instant registered) {
            synchronized (Registry.this) {
                Registry.this.caCertificate(caId);
                if (!CERTIFICATE_STATUSES.contains(status)) {
                    throw new IllegalArgumentException("not a certificate status: " + status);
                }
                X509Certificate device = parse(pem, "certificatePem");
                String id = CertificateIds.fromCertificate(device);
                double at = registered.toEpochMilli() / 1000.0;
                Certificate record = new Certificate(id, CertificateIds.toPem(device), caId, status, at, at, 1);
                certificates.put(id, record);
                save();
                return record;
            }
        }

        /** The status an operator or another client left a certificate in. */
        public void status(String id, String status) {
            synchronized (Registry.this) {
                if (!CERTIFICATE_STATUSES.contains(status)) {
                    throw new IllegalArgumentException("not a certificate status: " + status);
                }
                certificates.put(id, Registry.this.certificate(id).withStatus(status));
                save();
            }
        }

        /** When IoT registered the certificate (ListCertificatesByCA orders by it). */
        public void registered(String id, Instant registered) {
            synchronized (Registry.this) {
                Certificate c = Registry.this.certificate(id);
                double at = registered.toEpochMilli() / 1000.0;
                certificates.put(id, new Certificate(c.id(), c.pem(), c.caCertificateId(), c.status(), at,
                        c.lastModifiedDate(), c.generation()));
                save();
            }
        }
    }

    // ---- CA certificates ----

    /** RegisterCACertificate: checks the verification certificate (signed by the CA, CN = registration code). */
    public synchronized CaCertificate registerCaCertificate(String caPem, String verificationPem, boolean setAsActive,
            boolean allowAutoRegistration) {
        X509Certificate ca = parse(caPem, "caCertificate");
        if (ca.getBasicConstraints() < 0) {
            throw IotException.certificateValidation("caCertificate is not a CA certificate (basicConstraints CA:false)");
        }
        try {
            ca.checkValidity();
        } catch (java.security.cert.CertificateException e) {
            throw IotException.certificateValidation("caCertificate is expired or not yet valid");
        }
        if (verificationPem == null || verificationPem.isBlank()) {
            throw IotException.invalidRequest("verificationCertificate is required (certificateMode DEFAULT)");
        }
        X509Certificate verification = parse(verificationPem, "verificationCertificate");
        try {
            verification.verify(ca.getPublicKey());
        } catch (java.security.GeneralSecurityException e) {
            throw IotException.certificateValidation("the verification certificate is not signed by the CA certificate");
        }
        List<String> cn = ThingNameRule.commonNames(verification.getSubjectX500Principal());
        if (!cn.equals(List.of(registrationCode))) {
            throw IotException.registrationCode("the verification certificate's CN (" + String.join(", ", cn)
                    + ") is not this account's registration code");
        }
        String id = CertificateIds.fromCertificate(ca);
        if (caCertificates.containsKey(id)) {
            throw IotException.alreadyExists("the CA certificate is already registered", id);
        }
        double now = now();
        CaCertificate record = new CaCertificate(id, CertificateIds.toPem(ca), setAsActive ? "ACTIVE" : "INACTIVE",
                allowAutoRegistration ? "ENABLE" : "DISABLE", now, now, 1);
        caCertificates.put(id, record);
        save();
        return record;
    }

    public synchronized CaCertificate caCertificate(String id) {
        return existing(caCertificates, certificateId(id, "caCertificateId"), "CA certificate ");
    }

    public synchronized Optional<CaCertificate> findCaCertificate(String id) {
        return Optional.ofNullable(caCertificates.get(id));
    }

    public synchronized List<CaCertificate> caCertificates() {
        return List.copyOf(caCertificates.values());
    }

    /** UpdateCACertificate: newStatus ACTIVE|INACTIVE, newAutoRegistrationStatus ENABLE|DISABLE (each optional). */
    public synchronized void updateCaCertificate(String id, String newStatus, String newAuto) {
        CaCertificate ca = caCertificate(id);
        if (newStatus != null && !Set.of("ACTIVE", "INACTIVE").contains(newStatus)) {
            throw IotException.invalidRequest("newStatus must be ACTIVE or INACTIVE, not " + newStatus);
        }
        if (newAuto != null && !Set.of("ENABLE", "DISABLE").contains(newAuto)) {
            throw IotException.invalidRequest("newAutoRegistrationStatus must be ENABLE or DISABLE, not " + newAuto);
        }
        caCertificates.put(id, ca.with(newStatus != null ? newStatus : ca.status(),
                newAuto != null ? newAuto : ca.autoRegistrationStatus()));
        save();
    }

    // ---- device certificates ----

    public synchronized Optional<Certificate> findCertificate(String id) {
        return Optional.ofNullable(certificates.get(id));
    }

    /**
     * The certificate of this id: InvalidRequestException when the id does not have the service model's shape,
     * ResourceNotFoundException when there is none.
     */
    public synchronized Certificate certificate(String id) {
        return existing(certificates, certificateId(id, "certificateId"), "certificate ");
    }

    /** The certificates of a CA, oldest first (registration order among equal creation dates). */
    public synchronized List<Certificate> certificatesByCa(String caId) {
        return certificates.values().stream().filter(c -> caId.equals(c.caCertificateId()))
                .sorted(java.util.Comparator.comparingDouble(Certificate::creationDate)).toList();
    }

    /** JITR: registers a device certificate from an auto-registration CA as PENDING_ACTIVATION. */
    public synchronized Certificate registerPendingActivation(X509Certificate device, String caId) {
        String id = CertificateIds.fromCertificate(device);
        Certificate existing = certificates.get(id);
        if (existing != null) {
            return existing;
        }
        double now = now();
        Certificate record = new Certificate(id, CertificateIds.toPem(device), caId, "PENDING_ACTIVATION", now, now, 1);
        certificates.put(id, record);
        save();
        return record;
    }

    /**
     * UpdateCertificate with the service model's rules: PENDING_ACTIVATION and PENDING_TRANSFER cannot be set; a
     * REVOKED certificate stays REVOKED; setting the current status again succeeds (idempotent).
     */
    public synchronized void updateCertificate(String id, String newStatus) {
        if (newStatus == null || !CERTIFICATE_STATUSES.contains(newStatus)) {
            throw IotException.invalidRequest("newStatus must be one of " + CERTIFICATE_STATUSES + ", not " + newStatus);
        }
        Certificate certificate = certificate(id);
        id = certificate.id();
        if (newStatus.equals("PENDING_ACTIVATION") || newStatus.equals("PENDING_TRANSFER")) {
            throw IotException.invalidRequest("the status cannot be set to " + newStatus + " with UpdateCertificate");
        }
        if (certificate.status().equals(newStatus)) {
            return;
        }
        if (certificate.status().equals("REVOKED")) {
            throw IotException.certificateState("certificate " + id + " is REVOKED; its status cannot change");
        }
        certificates.put(id, certificate.withStatus(newStatus));
        save();
    }

    // ---- things ----

    /** CreateThing: succeeds again for the same name and attributes (idempotent); 409 when they differ. */
    public synchronized Thing createThing(String name, Map<String, String> attributes) {
        requireThingName(name);
        Map<String, String> attrs = attributes == null ? Map.of() : Map.copyOf(attributes);
        Thing existing = things.get(name);
        if (existing != null) {
            if (existing.attributes().equals(attrs)) {
                return existing;
            }
            throw IotException.alreadyExists("thing " + name + " already exists with a different configuration",
                    existing.id());
        }
        Thing thing = new Thing(name, UUID.randomUUID().toString(), attrs, 1);
        things.put(name, thing);
        save();
        return thing;
    }

    public synchronized Thing thing(String name) {
        return existing(things, name, "thing ");
    }

    public synchronized Optional<Thing> findThing(String name) {
        return Optional.ofNullable(things.get(name));
    }

    /**
     * AttachThingPrincipal. With EXCLUSIVE_THING the principal may be attached to this thing only (a principal already
     * attached to another thing is refused with InvalidRequestException: the error code is unconfirmed).
     */
    public synchronized void attachThingPrincipal(String thingName, String principal, String type) {
        thing(thingName);
        requirePrincipal(principal);
        String kind = type == null || type.isEmpty() ? "NON_EXCLUSIVE_THING" : type;
        if (!Set.of("EXCLUSIVE_THING", "NON_EXCLUSIVE_THING").contains(kind)) {
            throw IotException.invalidRequest("thingPrincipalType must be EXCLUSIVE_THING or NON_EXCLUSIVE_THING");
        }
        boolean exclusiveElsewhere = thingPrincipals.stream().anyMatch(tp -> tp.principal().equals(principal)
                && !tp.thingName().equals(thingName) && tp.type().equals("EXCLUSIVE_THING"));
        boolean elsewhere = thingPrincipals.stream().anyMatch(tp -> tp.principal().equals(principal)
                && !tp.thingName().equals(thingName));
        if (exclusiveElsewhere || (kind.equals("EXCLUSIVE_THING") && elsewhere)) {
            throw IotException.invalidRequest("principal " + principal + " is already attached to another thing"
                    + " and one of the attachments is EXCLUSIVE_THING");
        }
        thingPrincipals.removeIf(tp -> tp.principal().equals(principal) && tp.thingName().equals(thingName));
        thingPrincipals.add(new ThingPrincipal(thingName, principal, kind));
        save();
    }

    public synchronized void detachThingPrincipal(String thingName, String principal) {
        thing(thingName);
        thingPrincipals.removeIf(tp -> tp.principal().equals(principal) && tp.thingName().equals(thingName));
        save();
    }

    public synchronized List<String> thingPrincipals(String thingName) {
        thing(thingName);
        return thingPrincipals.stream().filter(tp -> tp.thingName().equals(thingName))
                .map(ThingPrincipal::principal).toList();
    }

    /** ListPrincipalThings: a certificate principal must exist (ResourceNotFoundException). */
    public synchronized List<String> principalThings(String principal) {
        requirePrincipal(principal);
        return thingPrincipals.stream().filter(tp -> tp.principal().equals(principal))
                .map(ThingPrincipal::thingName).toList();
    }

    /** The names of every thing, in creation order. */
    public synchronized List<String> thingNames() {
        return List.copyOf(things.keySet());
    }

    // ---- policies ----

    /** Creates or replaces a policy (used for the template's AWS::IoT::Policy resources). */
    public synchronized void putPolicy(String name, String document) {
        if (!POLICY_NAME.matcher(name).matches()) {
            throw IotException.invalidRequest("policy name " + name + " is not valid");
        }
        policies.put(name, new Policy(name, document, now()));
        save();
    }

    public synchronized Policy policy(String name) {
        return existing(policies, name, "policy ");
    }

    /** AttachPolicy: the policy and a certificate target must exist (ResourceNotFoundException). */
    public synchronized void attachPolicy(String name, String target) {
        policy(name);
        requireTarget(target);
        requirePrincipal(target);
        targetPolicies.computeIfAbsent(target, t -> new LinkedHashSet<>()).add(name);
        save();
    }

    /** DetachPolicy: detaching a policy that is not attached succeeds. */
    public synchronized void detachPolicy(String name, String target) {
        requireTarget(target);
        Set<String> names = targetPolicies.get(target);
        if (names != null) {
            names.remove(name);
            if (names.isEmpty()) {
                targetPolicies.remove(target);
            }
        }
        save();
    }

    public synchronized List<Policy> attachedPolicies(String target) {
        requireTarget(target);
        return targetPolicies.getOrDefault(target, Set.of()).stream().map(policies::get).filter(Objects::nonNull)
                .toList();
    }

    // ---- helpers ----

    private void requireThingName(String name) {
        if (name == null || !THING_NAME.matcher(name).matches()) {
            throw IotException.invalidRequest("thingName must match [a-zA-Z0-9:_-]{1,128}");
        }
    }

    /** A certificate ARN must name a registered certificate (other principals are accepted as they are). */
    private void requirePrincipal(String principal) {
        if (principal == null || principal.isBlank()) {
            throw IotException.invalidRequest("principal (x-amzn-principal) is required");
        }
        Optional<String> id = CertificateIds.fromArn(principal);
        if (principal.contains(":cert/") && (id.isEmpty() || !certificates.containsKey(id.get()))) {
            throw IotException.notFound("certificate " + principal + " does not exist");
        }
    }

    /** A certificate id as the service model accepts it (0x prefix and upper case allowed), as IoT prints it. */
    private static String certificateId(String id, String member) {
        if (id == null || !CERTIFICATE_ID.matcher(id).matches()) {
            throw IotException.invalidRequest(member + " must be 64 hexadecimal characters, not " + id);
        }
        return (id.startsWith("0x") ? id.substring(2) : id).toLowerCase(java.util.Locale.ROOT);
    }

    private void requireTarget(String target) {
        if (target == null || target.isBlank()) {
            throw IotException.invalidRequest("target is required");
        }
    }

    private static X509Certificate parse(String pem, String field) {
        try {
            return CertificateIds.parsePem(pem);
        } catch (IllegalArgumentException e) {
            throw IotException.certificateValidation(field + " is not a PEM X.509 certificate: " + e.getMessage());
        }
    }

    static double now() {
        return Instant.now().toEpochMilli() / 1000.0;
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    private void save() {
        if (stateFile == null) {
            return;
        }
        State state = new State(registrationCode, List.copyOf(caCertificates.values()),
                List.copyOf(certificates.values()), List.copyOf(things.values()), List.copyOf(policies.values()),
                targetPolicies.entrySet().stream().collect(java.util.stream.Collectors.toMap(Map.Entry::getKey,
                        e -> List.copyOf(e.getValue()), (a, b) -> a, LinkedHashMap::new)),
                List.copyOf(thingPrincipals));
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
            state.policies().forEach(p -> policies.put(p.name(), p));
            state.targetPolicies().forEach((k, v) -> targetPolicies.put(k, new LinkedHashSet<>(v)));
            thingPrincipals.addAll(state.thingPrincipals());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the registry state " + stateFile
                    + " (delete it to start empty)", e);
        }
    }

    /** The entry of {@code key}, or ResourceNotFoundException naming it ({@code what} + key + " does not exist"). */
    private static <T> T existing(Map<String, T> entries, String key, String what) {
        T entry = entries.get(key);
        if (entry == null) {
            throw IotException.notFound(what + key + " does not exist");
        }
        return entry;
    }
}
