package dev.iotonboard.iot.model;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The IoT registry: CA certificates, device certificates, things, policies, topic rules and their attachments, with
 * AWS's state rules and error shapes (IotException). The local IoT Core holds one, and so does each handler test's IoT
 * double. Each kind of resource has its class, reached from here: {@link #caCertificates()}, {@link #certificates()},
 * {@link #things()}, {@link #thingPrincipals()}, {@link #policies()}, {@link #topicRules()}; {@link #seed()} puts
 * state in place for tests. Thread-safe: every operation takes one lock, the registry itself, so an operation touching
 * several resources is atomic. Optionally saved to a JSON file after each change and read back at start. Time comes
 * from a {@link Clock} (timestamps, and when a detachment takes effect: see {@link #detachPropagationDelay(Duration)}).
 * Each rule's source is in iot-model/README.md.
 */
public final class Registry {

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

    /** A thing; {@code thingTypeName} null: a thing without a type. */
    public record Thing(String name, String id, Map<String, String> attributes, long version, String thingTypeName) {

        public Thing(String name, String id, Map<String, String> attributes, long version) {
            this(name, id, attributes, version, null);
        }
    }

    /**
     * A policy: its versions (oldest first) and which is the default; {@code document} is the default version's, the
     * one the data plane evaluates.
     *
     * @param lastVersionId the greatest version id given so far (ids are not reused)
     */
    public record Policy(String name, String document, double creationDate, String defaultVersionId,
            List<PolicyVersion> versions, int lastVersionId, double lastModifiedDate) {

        /** A policy with one version, "1", the default. */
        static Policy of(String name, String document, double at) {
            return new Policy(name, document, at, "1", List.of(new PolicyVersion("1", document, at)), 1, at);
        }

        /** The version of this id, or ResourceNotFoundException. */
        PolicyVersion version(String id) {
            return versions.stream().filter(v -> v.id().equals(id)).findFirst().orElseThrow(() ->
                    IotException.notFound("policy " + name + " has no version " + id));
        }
    }

    /** A version of a policy. */
    public record PolicyVersion(String id, String document, double createDate) {
    }

    /**
     * A thing type (ThingTypeProperties: description and searchable attributes).
     *
     * @param deprecationDate when it was last deprecated (epoch seconds), or null: never; {@code deprecated} tells
     *                        whether it is now
     */
    public record ThingType(String name, String id, String description, List<String> searchableAttributes,
            boolean deprecated, Double deprecationDate, double creationDate) {
    }

    /** A static thing group (ThingGroupProperties: description and attributes), without a parent. */
    public record ThingGroup(String name, String id, String description, Map<String, String> attributes,
            long version, double creationDate) {
    }

    /** A CA certificate's registrationConfig (the JITP template): each member may be null. */
    public record RegistrationConfig(String templateBody, String roleArn, String templateName) {
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

    private final Store store;
    private final CaCertificates caCertificates;
    private final Certificates certificates;
    private final Things things;
    private final ThingPrincipals thingPrincipals;
    private final Policies policies;
    private final TopicRules topicRules;
    private final ThingTypes thingTypes;
    private final ThingGroups thingGroups;
    private final Seed seed;

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
        this.store = new Store(this, new Arns(region, account), stateFile, clock);
        this.caCertificates = new CaCertificates(store);
        this.certificates = new Certificates(store);
        this.things = new Things(store);
        this.thingPrincipals = new ThingPrincipals(store, things);
        this.thingTypes = new ThingTypes(store);
        this.thingGroups = new ThingGroups(store, things);
        this.policies = new Policies(store);
        this.topicRules = new TopicRules(store);
        this.seed = new Seed(store, caCertificates, certificates);
    }

    public CaCertificates caCertificates() {
        return caCertificates;
    }

    public Certificates certificates() {
        return certificates;
    }

    public Things things() {
        return things;
    }

    public ThingPrincipals thingPrincipals() {
        return thingPrincipals;
    }

    public Policies policies() {
        return policies;
    }

    public TopicRules topicRules() {
        return topicRules;
    }

    public ThingTypes thingTypes() {
        return thingTypes;
    }

    public ThingGroups thingGroups() {
        return thingGroups;
    }

    /** What tests and a saved state put in place directly, without the operations' rules (see {@link Seed}). */
    public Seed seed() {
        return seed;
    }

    public String region() {
        return store.arns.region();
    }

    public String account() {
        return store.arns.account();
    }

    public String certificateArn(String id) {
        return store.arns.certificate(id);
    }

    public String caCertificateArn(String id) {
        return store.arns.caCertificate(id);
    }

    public String thingArn(String name) {
        return store.arns.thing(name);
    }

    public String policyArn(String name) {
        return store.arns.policy(name);
    }

    public String thingTypeArn(String name) {
        return store.arns.thingType(name);
    }

    public String thingGroupArn(String name) {
        return store.arns.thingGroup(name);
    }

    public String topicRuleArn(String name) {
        return store.arns.topicRule(name);
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
        store.detachPropagationDelay = delay;
    }

    public synchronized Duration detachPropagationDelay() {
        return store.detachPropagationDelay;
    }

    public synchronized String registrationCode() {
        return store.registrationCode;
    }
}
