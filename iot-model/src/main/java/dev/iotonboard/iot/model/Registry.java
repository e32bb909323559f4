package dev.iotonboard.iot.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.time.Clock;
import java.time.Duration;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The IoT registry: CA certificates, device certificates, things, policies, topic rules and their attachments, with
 * AWS's state rules and error shapes (IotException). The local IoT Core holds one, and so does each handler test's IoT
 * double. Thread-safe (every method synchronizes on the registry). Optionally saved to a JSON file after each change
 * and read back at start. Time comes from a {@link Clock} (timestamps, and when a detachment takes effect: see
 * {@link #detachPropagationDelay(Duration)}). Each rule's source is in iot-model/README.md.
 */
public final class Registry {

    /** Certificate statuses of the service model ({@code CertificateStatus}). */
    public static final Set<String> CERTIFICATE_STATUSES = Set.of("ACTIVE", "INACTIVE", "REVOKED",
            "PENDING_TRANSFER", "REGISTER_INACTIVE", "PENDING_ACTIVATION");
    private static final Pattern THING_NAME = Pattern.compile("[a-zA-Z0-9:_-]{1,128}");
    /** A certificate id: 64 hex digits (the service model's CertificateId: 64 characters of (0x)?[a-fA-F0-9]+). */
    private static final Pattern CERTIFICATE_ID = Pattern.compile("[a-fA-F0-9]{64}");
    private static final Pattern POLICY_NAME = Pattern.compile("[\\w+=,.@-]{1,128}");
    /** The service model's RuleName. */
    private static final Pattern RULE_NAME = Pattern.compile("[a-zA-Z0-9_]{1,128}");
    /** An ARN: arn:partition:service:region:account:resource. */
    private static final Pattern ARN = Pattern.compile("arn:[^:]+:[^:]+:[^:]*:[^:]*:.+");
    /** An Amazon Cognito identity id (region:uuid), Cognito's IdentityId pattern. */
    private static final Pattern COGNITO_IDENTITY = Pattern.compile("[\\w-]+:[0-9a-f-]+");
    /** The FROM clause of a rule's SQL: the topic filter it selects from. */
    private static final Pattern FROM_TOPIC = Pattern.compile("(?i)\\bFROM\\s+(?:'([^']*)'|\"([^\"]*)\")");

    /** A registered CA certificate. */
    public record CaCertificate(String id, String pem, String status, String autoRegistrationStatus,
            double creationDate, double lastModifiedDate, int generation) {
        CaCertificate with(String newStatus, String newAuto, double at) {
            return new CaCertificate(id, pem, newStatus, newAuto, creationDate, at, generation + 1);
        }
    }

    /** A registered device certificate. */
    public record Certificate(String id, String pem, String caCertificateId, String status, double creationDate,
            double lastModifiedDate, int generation) {
        Certificate withStatus(String newStatus, double at) {
            return new Certificate(id, pem, caCertificateId, newStatus, creationDate, at, generation + 1);
        }
    }

    /** A thing. */
    public record Thing(String name, String id, Map<String, String> attributes, long version) {
    }

    /** A policy (one version, the default). */
    public record Policy(String name, String document, double creationDate) {
    }

    /**
     * A thing-principal attachment.
     *
     * @param detachAt when a DetachThingPrincipal takes effect (the clock's epoch milliseconds), or null: attached
     */
    public record ThingPrincipal(String thingName, String principal, String type, Long detachAt) {
    }

    /**
     * A topic rule, as GetTopicRule answers it.
     *
     * @param payload      the TopicRulePayload with the service model's member names (sql, actions, ...), as JSON
     * @param topicPattern the topic filter of the SQL's FROM clause, or null
     */
    public record TopicRule(String name, String payload, String sql, String topicPattern, boolean disabled,
            double createdAt) {
    }

    /** What the registry holds, as saved to the state file (topicRules: null in files of older versions). */
    public record State(String registrationCode, List<CaCertificate> caCertificates, List<Certificate> certificates,
            List<Thing> things, List<Policy> policies, Map<String, List<String>> targetPolicies,
            List<ThingPrincipal> thingPrincipals, List<TopicRule> topicRules) {
    }

    private final String region;
    private final String account;
    private final Path stateFile;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private Duration detachPropagationDelay = Duration.ZERO;

    private String registrationCode;
    private final Map<String, CaCertificate> caCertificates = new LinkedHashMap<>();
    private final Map<String, Certificate> certificates = new LinkedHashMap<>();
    private final Map<String, Thing> things = new LinkedHashMap<>();
    private final Map<String, Policy> policies = new LinkedHashMap<>();
    private final Map<String, Set<String>> targetPolicies = new LinkedHashMap<>();
    private final List<ThingPrincipal> thingPrincipals = new ArrayList<>();
    private final Map<String, TopicRule> topicRules = new LinkedHashMap<>();

    /**
     * A registry on the system clock.
     *
     * @param stateFile where to save the registry after each change (read at start when it exists); null: memory only
     */
    public Registry(String region, String account, Path stateFile) {
        this(region, account, stateFile, Clock.systemUTC());
    }

    /**
     * @param stateFile where to save the registry after each change (read at start when it exists); null: memory only
     * @param clock     the time of timestamps and of detachments taking effect
     */
    public Registry(String region, String account, Path stateFile, Clock clock) {
        this.region = region;
        this.account = account;
        this.stateFile = stateFile;
        this.clock = clock;
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

    public String topicRuleArn(String name) {
        return "arn:aws:iot:" + region + ":" + account + ":rule/" + name;
    }

    /**
     * How long a DetachThingPrincipal takes to show: until then the principal is still listed by ListThingPrincipals
     * and ListPrincipalThings, and DeleteThing and DeleteCertificate still see it attached. AWS: "This call is
     * asynchronous. It might take several seconds for the detachment to propagate" (API reference,
     * DetachThingPrincipal). Zero (the default): at once.
     */
    public synchronized void detachPropagationDelay(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("a propagation delay cannot be negative: " + delay);
        }
        this.detachPropagationDelay = delay;
    }

    public synchronized Duration detachPropagationDelay() {
        return detachPropagationDelay;
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
                certificates.put(id, Registry.this.certificate(id).withStatus(status, now()));
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
        caCertificates.put(ca.id(), ca.with(newStatus != null ? newStatus : ca.status(),
                newAuto != null ? newAuto : ca.autoRegistrationStatus(), now()));
        save();
    }

    /**
     * DeleteCACertificate: an ACTIVE CA certificate is refused with CertificateStateException 406 (API reference,
     * DeleteCACertificate lists it; the message is moto's, unconfirmed). The device certificates it signed stay
     * registered (what AWS does with them is unconfirmed).
     */
    public synchronized void deleteCaCertificate(String id) {
        CaCertificate ca = caCertificate(id);
        if (ca.status().equals("ACTIVE")) {
            throw IotException.certificateState("Certificate must be deactivated (not ACTIVE) before deletion. Id: "
                    + ca.id());
        }
        caCertificates.remove(ca.id());
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

    /** Every device certificate, oldest first (registration order among equal creation dates). */
    public synchronized List<Certificate> certificates() {
        return certificates.values().stream()
                .sorted(java.util.Comparator.comparingDouble(Certificate::creationDate)).toList();
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
        certificates.put(id, certificate.withStatus(newStatus, now()));
        save();
    }

    /**
     * DeleteCertificate (API reference: "A certificate cannot be deleted if it has a policy or IoT thing attached to
     * it or if its status is set to ACTIVE"; forceDelete "Forces the deletion of a certificate if it is inactive and
     * is not attached to an IoT thing"): ACTIVE is CertificateStateException 406 ("Certificate must be deactivated
     * (not ACTIVE) before deletion. Id: ...", rebuy-de/aws-nuke#374); attached to a thing (a detachment still
     * propagating included) DeleteConflictException 409 ("Things must be detached before deletion (arn: ...)": moto's
     * wording, unconfirmed); attached to policies without {@code forceDelete} DeleteConflictException 409
     * ("Certificate policies must be detached before deletion (arn: ...)", serverless/serverless#8324). With
     * {@code forceDelete} the policies are detached.
     */
    public synchronized void deleteCertificate(String id, boolean forceDelete) {
        Certificate certificate = certificate(id);
        String arn = certificateArn(certificate.id());
        if (certificate.status().equals("ACTIVE")) {
            throw IotException.certificateState("Certificate must be deactivated (not ACTIVE) before deletion. Id: "
                    + certificate.id());
        }
        if (attachments().stream().anyMatch(tp -> sameCertificate(tp.principal(), certificate.id()))) {
            throw IotException.deleteConflict("Things must be detached before deletion (arn: " + arn + ")");
        }
        List<String> targets = targetPolicies.keySet().stream()
                .filter(target -> sameCertificate(target, certificate.id())).toList();
        if (!targets.isEmpty() && !forceDelete) {
            throw IotException.deleteConflict("Certificate policies must be detached before deletion (arn: " + arn
                    + ")");
        }
        targets.forEach(targetPolicies::remove);
        certificates.remove(certificate.id());
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
     * UpdateThing: {@code attributes} (null: unchanged) replace the thing's, or with {@code merge} are merged into
     * them, an empty value removing its attribute (AttributePayload: "To remove an attribute, call UpdateThing with an empty
     * attribute value"; empty values are dropped without merge too, unconfirmed); {@code expectedVersion} other than
     * the thing's is VersionConflictException 409 (API reference, UpdateThing); the version goes up by one.
     */
    public synchronized Thing updateThing(String name, Map<String, String> attributes, boolean merge,
            Long expectedVersion) {
        Thing thing = thing(name);
        requireVersion(thing, expectedVersion);
        Map<String, String> updated = new LinkedHashMap<>(merge || attributes == null ? thing.attributes() : Map.of());
        if (attributes != null) {
            attributes.forEach((key, value) -> {
                if (value == null || value.isEmpty()) {
                    updated.remove(key);
                } else {
                    updated.put(key, value);
                }
            });
        }
        Thing next = new Thing(name, thing.id(), Map.copyOf(updated), thing.version() + 1);
        things.put(name, next);
        save();
        return next;
    }

    /**
     * DeleteThing (API reference: "Returns successfully with no error if the deletion is successful or you specify a
     * thing that doesn't exist"): {@code expectedVersion} other than the thing's is VersionConflictException 409 (API
     * reference; checked before the attachments: the order is unconfirmed); a thing with principals attached (a
     * detachment still propagating included) is InvalidRequestException "Cannot delete. Thing &lt;name&gt; is still
     * attached to one or more principals" (rebuy-de/aws-nuke#374, CGI-FR/IoT-Hub-Portal#2147).
     */
    public synchronized void deleteThing(String name, Long expectedVersion) {
        requireThingName(name);
        Thing thing = things.get(name);
        if (thing == null) {
            return;
        }
        requireVersion(thing, expectedVersion);
        if (attachments().stream().anyMatch(tp -> tp.thingName().equals(name))) {
            throw IotException.invalidRequest("Cannot delete. Thing " + name
                    + " is still attached to one or more principals");
        }
        things.remove(name);
        save();
    }

    /** Every thing, in creation order. */
    public synchronized List<Thing> things() {
        return List.copyOf(things.values());
    }

    /**
     * AttachThingPrincipal. With EXCLUSIVE_THING the principal may be attached to this thing only (a principal already
     * attached to another thing is refused with InvalidRequestException: the error code is unconfirmed). Attaching a
     * principal whose detachment is still propagating attaches it again.
     */
    public synchronized void attachThingPrincipal(String thingName, String principal, String type) {
        thing(thingName);
        requirePrincipal(principal, "principal");
        String kind = type == null || type.isEmpty() ? "NON_EXCLUSIVE_THING" : type;
        if (!Set.of("EXCLUSIVE_THING", "NON_EXCLUSIVE_THING").contains(kind)) {
            throw IotException.invalidRequest("thingPrincipalType must be EXCLUSIVE_THING or NON_EXCLUSIVE_THING");
        }
        List<ThingPrincipal> attached = attachments();
        boolean exclusiveElsewhere = attached.stream().anyMatch(tp -> tp.principal().equals(principal)
                && !tp.thingName().equals(thingName) && tp.type().equals("EXCLUSIVE_THING"));
        boolean elsewhere = attached.stream().anyMatch(tp -> tp.principal().equals(principal)
                && !tp.thingName().equals(thingName));
        if (exclusiveElsewhere || (kind.equals("EXCLUSIVE_THING") && elsewhere)) {
            throw IotException.invalidRequest("principal " + principal + " is already attached to another thing"
                    + " and one of the attachments is EXCLUSIVE_THING");
        }
        attached.removeIf(tp -> tp.principal().equals(principal) && tp.thingName().equals(thingName));
        attached.add(new ThingPrincipal(thingName, principal, kind, null));
        save();
    }

    /**
     * DetachThingPrincipal: takes effect after {@link #detachPropagationDelay(Duration)} (at once when zero); detaching
     * again while it propagates keeps the first deadline; detaching a principal that is not attached succeeds.
     */
    public synchronized void detachThingPrincipal(String thingName, String principal) {
        thing(thingName);
        requirePrincipal(principal, "principal");
        List<ThingPrincipal> attached = attachments();
        if (detachPropagationDelay.isZero()) {
            attached.removeIf(tp -> tp.principal().equals(principal) && tp.thingName().equals(thingName));
        } else {
            long at = clock.millis() + detachPropagationDelay.toMillis();
            attached.replaceAll(tp -> tp.principal().equals(principal) && tp.thingName().equals(thingName)
                    && tp.detachAt() == null ? new ThingPrincipal(thingName, principal, tp.type(), at) : tp);
        }
        save();
    }

    /** ListThingPrincipals: the thing must exist; a detachment still propagating is listed. */
    public synchronized List<String> thingPrincipals(String thingName) {
        thing(thingName);
        return attachments().stream().filter(tp -> tp.thingName().equals(thingName))
                .map(ThingPrincipal::principal).toList();
    }

    /**
     * ListPrincipalThings: a certificate principal must exist (ResourceNotFoundException); a detachment still
     * propagating is listed.
     */
    public synchronized List<String> principalThings(String principal) {
        requirePrincipal(principal, "principal");
        return attachments().stream().filter(tp -> tp.principal().equals(principal))
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

    /** Every policy, in creation order. */
    public synchronized List<Policy> policies() {
        return List.copyOf(policies.values());
    }

    /**
     * AttachPolicy: the policy must exist (ResourceNotFoundException), then the target must be an ARN or a Cognito
     * identity id (InvalidRequestException), and a certificate target must exist (ResourceNotFoundException).
     */
    public synchronized void attachPolicy(String name, String target) {
        policy(name);
        requirePrincipal(target, "target");
        targetPolicies.computeIfAbsent(target, t -> new LinkedHashSet<>()).add(name);
        save();
    }

    /** DetachPolicy: detaching a policy that is not attached succeeds. */
    public synchronized void detachPolicy(String name, String target) {
        requireTargetShape(target, "target");
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
        requireTargetShape(target, "target");
        return targetPolicies.getOrDefault(target, Set.of()).stream().map(policies::get).filter(Objects::nonNull)
                .toList();
    }

    /** ListTargetsForPolicy: the targets the policy is attached to, in attachment order; an unknown policy is 404. */
    public synchronized List<String> policyTargets(String name) {
        policy(name);
        return targetPolicies.entrySet().stream().filter(e -> e.getValue().contains(name)).map(Map.Entry::getKey)
                .toList();
    }

    // ---- topic rules ----

    /**
     * Creates or replaces a topic rule (for the template's AWS::IoT::TopicRule resources): {@code payload} is the
     * resource's TopicRulePayload as JSON, with CloudFormation's member names (Sql, Actions, RuleDisabled,
     * AwsIotSqlVersion, Description, ErrorAction; the service model's camelCase names are accepted too). It is kept
     * with the service model's names (each member name with its first letter in lower case, Lambda.FunctionArn becoming
     * lambda.functionArn; the keys of a Kafka action's ClientProperties, a map, are kept as they are), as GetTopicRule
     * answers it. The rule name must be the service model's RuleName ([a-zA-Z0-9_]{1,128}), the payload an object
     * with Sql.
     */
    public synchronized TopicRule putTopicRule(String name, String payload) {
        if (name == null || !RULE_NAME.matcher(name).matches()) {
            throw IotException.invalidRequest("rule name " + name + " is not valid: [a-zA-Z0-9_]{1,128}");
        }
        JsonNode parsed;
        try {
            parsed = json.readTree(payload);
        } catch (IOException e) {
            throw IotException.invalidRequest("the TopicRulePayload of " + name + " is not JSON: " + e.getMessage());
        }
        if (parsed == null || !parsed.isObject() || !camelCase(parsed, false).path("sql").isTextual()) {
            throw IotException.invalidRequest("the TopicRulePayload of " + name + " must be an object with Sql");
        }
        ObjectNode rule = (ObjectNode) camelCase(parsed, false);
        String sql = rule.path("sql").asText();
        Matcher from = FROM_TOPIC.matcher(sql);
        String topic = from.find() ? (from.group(1) != null ? from.group(1) : from.group(2)) : null;
        TopicRule record = new TopicRule(name, rule.toString(), sql, topic, rule.path("ruleDisabled").asBoolean(false),
                now());
        topicRules.put(name, record);
        save();
        return record;
    }

    /** Every topic rule, in creation order. */
    public synchronized List<TopicRule> topicRules() {
        return List.copyOf(topicRules.values());
    }

    /**
     * GetTopicRule: an unknown rule is UnauthorizedException 401 "Access to topic rule '&lt;name&gt;' was denied", as
     * AWS answers it (hashicorp/terraform-provider-aws, internal/service/iot findTopicRuleByName: "GetTopicRule returns
     * unhelpful errors such as ... UnauthorizedException ... Access to topic rule 'xxxxxxxx' was denied ... when
     * querying for a rule that doesn't exist"; the service model lists no ResourceNotFoundException for it).
     */
    public synchronized TopicRule topicRule(String name) {
        TopicRule rule = topicRules.get(name);
        if (rule == null) {
            throw IotException.unauthorized("Access to topic rule '" + name + "' was denied");
        }
        return rule;
    }

    // ---- helpers ----

    private void requireThingName(String name) {
        if (name == null || !THING_NAME.matcher(name).matches()) {
            throw IotException.invalidRequest("thingName must match [a-zA-Z0-9:_-]{1,128}");
        }
    }

    /**
     * A principal or policy target must be an ARN (arn:partition:service:region:account:resource) or the id of an
     * Amazon Cognito identity (API reference, AttachThingPrincipal and DetachThingPrincipal: "If the principal is a
     * certificate, this value must be ARN of the certificate. If the principal is an Amazon Cognito identity, this
     * value must be the ID of the Amazon Cognito identity"; AttachPolicy's target: a certificate or thing group ARN, or
     * a Cognito identity). Anything else is InvalidRequestException (the message is unconfirmed); a certificate ARN
     * must name a registered certificate (ResourceNotFoundException).
     */
    private void requirePrincipal(String principal, String member) {
        requireTargetShape(principal, member);
        Optional<String> id = CertificateIds.fromArn(principal);
        if (principal.contains(":cert/") && (id.isEmpty() || !certificates.containsKey(id.get()))) {
            throw IotException.notFound("certificate " + principal + " does not exist");
        }
    }

    /** The shape check of {@link #requirePrincipal} alone (DetachPolicy, ListAttachedPolicies). */
    private static void requireTargetShape(String target, String member) {
        if (target == null || !(ARN.matcher(target).matches() || COGNITO_IDENTITY.matcher(target).matches())) {
            throw IotException.invalidRequest("The " + member + " " + target + " is not valid: it must be an ARN or"
                    + " the id of an Amazon Cognito identity");
        }
    }

    /** Whether {@code principal} is the ARN of the certificate {@code id}. */
    private static boolean sameCertificate(String principal, String id) {
        return CertificateIds.fromArn(principal).filter(id::equals).isPresent();
    }

    /** VersionConflictException 409 when {@code expected} is given and is not the thing's version. */
    private static void requireVersion(Thing thing, Long expected) {
        if (expected != null && expected != thing.version()) {
            throw IotException.versionConflict("The expected version " + expected + " does not match the version "
                    + thing.version() + " of thing " + thing.name());
        }
    }

    /**
     * The thing-principal attachments (the list itself, to change), without the detachments whose propagation delay
     * has passed: those are dropped here.
     */
    private List<ThingPrincipal> attachments() {
        long now = clock.millis();
        if (thingPrincipals.removeIf(tp -> tp.detachAt() != null && tp.detachAt() <= now)) {
            save();
        }
        return thingPrincipals;
    }

    /**
     * A certificate id as the service model accepts it (64 characters of the pattern (0x)?[a-fA-F0-9]+: IotApi checks
     * that first) that is also 64 hexadecimal digits (upper case allowed), as IoT prints it. Anything else, such as
     * 0x and 62 digits, is InvalidRequestException (the message is unconfirmed).
     */
    private static String certificateId(String id, String member) {
        if (id == null || !CERTIFICATE_ID.matcher(id).matches()) {
            throw IotException.invalidRequest(member + " must be 64 hexadecimal characters, not " + id);
        }
        return id.toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * A TopicRulePayload with the service model's member names: each object key with its first letter in lower case,
     * except the keys of a map member (ClientProperties of a Kafka action).
     */
    private JsonNode camelCase(JsonNode node, boolean mapKeys) {
        if (node.isObject()) {
            ObjectNode out = json.createObjectNode();
            node.fields().forEachRemaining(e -> {
                String key = mapKeys || e.getKey().isEmpty() ? e.getKey()
                        : Character.toLowerCase(e.getKey().charAt(0)) + e.getKey().substring(1);
                out.set(key, camelCase(e.getValue(), !mapKeys && key.equals("clientProperties")));
            });
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = json.createArrayNode();
            node.forEach(element -> out.add(camelCase(element, false)));
            return out;
        }
        return node;
    }

    private static X509Certificate parse(String pem, String field) {
        try {
            return CertificateIds.parsePem(pem);
        } catch (IllegalArgumentException e) {
            throw IotException.certificateValidation(field + " is not a PEM X.509 certificate: " + e.getMessage());
        }
    }

    /** The clock's time in epoch seconds, as the service model's timestamps. */
    private double now() {
        return clock.millis() / 1000.0;
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
                List.copyOf(thingPrincipals), List.copyOf(topicRules.values()));
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
            if (state.topicRules() != null) {
                state.topicRules().forEach(r -> topicRules.put(r.name(), r));
            }
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
