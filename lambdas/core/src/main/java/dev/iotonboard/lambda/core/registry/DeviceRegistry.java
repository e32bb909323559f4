package dev.iotonboard.lambda.core.registry;

import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.Env;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * The device registry table: IoT's registry projected into DynamoDB (docs/contracts.md, "Device registry"). One
 * item per certificate ({@code cert#<id>}), per CA ({@code ca#<id>}) and per allow-list entry
 * ({@code allow#<thing>}); partition key {@code pk}; GSI {@value #BY_THING_INDEX} on {@code thingName}, {@code pk}.
 *
 * <p>Writes are UpdateItem calls that set only what the writer observed, on the condition
 * {@code attribute_not_exists(pk) OR updatedAt <= :updatedAt}: a late retry that observed older state leaves newer
 * state alone, and that is success ({@code false} from a {@code write}), not an error. Every other DynamoDB error
 * surfaces as the SDK's exception after the client's retries: {@code ResourceNotFoundException} for a missing
 * table, {@code ProvisionedThroughputExceededException}/{@code ThrottlingException} for throttling that outlasted
 * them, {@code DynamoDbException} otherwise; event handlers let them fail the invocation so Lambda retries.
 */
public final class DeviceRegistry {
    /** The environment variable that names the table. */
    public static final String TABLE_VARIABLE = "DEVICE_REGISTRY_TABLE";
    /** The GSI on thingName (partition) and pk (sort). */
    public static final String BY_THING_INDEX = "byThing";
    /** The status of a certificate IoT no longer has. */
    public static final String DELETED = "DELETED";

    static final String PK = "pk";
    static final String KIND = "kind";
    static final String UPDATED_AT = "updatedAt";
    static final String CERTIFICATE_PREFIX = "cert#";
    static final String CA_PREFIX = "ca#";
    static final String ALLOW_PREFIX = "allow#";
    // An item made by an activation claim alone has no updatedAt yet: any observation is newer than none.
    private static final String CONDITION =
            "attribute_not_exists(#pk) OR attribute_not_exists(#updatedAt) OR #updatedAt <= :updatedAt";
    static final String CLAIM = "activationClaim";
    static final String CLAIM_UNTIL = "activationClaimUntil";

    private final Supplier<DynamoDbClient> clients;
    private final String tableName;
    private DynamoDbClient client;

    public DeviceRegistry(DynamoDbClient client, String tableName) {
        this(supplying(Objects.requireNonNull(client, "client")), tableName);
    }

    /** A registry whose client is built by {@code clients} on first use (construction needs no AWS settings). */
    private DeviceRegistry(Supplier<DynamoDbClient> clients, String tableName) {
        this.clients = clients;
        if (tableName == null || tableName.isBlank()) {
            throw new IllegalArgumentException("tableName must not be blank");
        }
        this.tableName = tableName;
    }

    private static Supplier<DynamoDbClient> supplying(DynamoDbClient client) {
        return () -> client;
    }

    private synchronized DynamoDbClient client() {
        if (client == null) {
            client = clients.get();
        }
        return client;
    }

    /**
     * The registry whose table {@code env} names in {@value #TABLE_VARIABLE}.
     *
     * @throws IllegalStateException when the variable is unset
     */
    public static DeviceRegistry fromEnvironment(Env env, DynamoDbClient client) {
        return new DeviceRegistry(client, env.required(TABLE_VARIABLE));
    }

    /**
     * The registry whose table {@code env} names, with the event handlers' client built from {@code env} on first
     * use ({@link DynamoDbClients#fromEnvironment(Env)}): for code that only reads a handler's declarations.
     *
     * @throws IllegalStateException when {@value #TABLE_VARIABLE} is unset
     */
    public static DeviceRegistry fromEnvironment(Env env) {
        return new DeviceRegistry(() -> DynamoDbClients.fromEnvironment(env), env.required(TABLE_VARIABLE));
    }

    /**
     * For a function that works with or without the table: the registry whose table {@code env} names in
     * {@value #TABLE_VARIABLE}, on {@code client}; empty when the variable is unset or {@code client} is null.
     */
    public static Optional<DeviceRegistry> ifNamed(Env env, DynamoDbClient client) {
        return client == null ? Optional.empty()
                : env.optional(TABLE_VARIABLE).map(table -> new DeviceRegistry(client, table));
    }

    public String tableName() {
        return tableName;
    }

    /** The certificate's item, eventually consistent (the authorizer's read). */
    public Optional<CertificateItem> certificate(String certificateId) {
        return getItem(certificateKey(certificateId), false).map(DeviceRegistry::certificateItem);
    }

    /** The certificate's item, strongly consistent: sees every write that succeeded before the call. */
    public Optional<CertificateItem> latestCertificate(String certificateId) {
        return getItem(certificateKey(certificateId), true).map(DeviceRegistry::certificateItem);
    }

    /** BatchGetItem's limit of keys per request. */
    static final int BATCH_GET_KEYS = 100;
    /** Further BatchGetItem requests for the keys DynamoDB left unprocessed (throttling, response size). */
    static final int UNPROCESSED_RETRIES = 4;

    /**
     * The items of {@code certificateIds} that exist, eventually consistent, by id: BatchGetItem, {@value
     * #BATCH_GET_KEYS} keys a request, the unprocessed keys asked again up to {@value #UNPROCESSED_RETRIES} times
     * with a short backoff. An id absent from the answer has no item, or DynamoDB kept leaving it unprocessed: a
     * caller that must know asks the authority.
     */
    public Map<String, CertificateItem> certificates(Collection<String> certificateIds) {
        List<Map<String, AttributeValue>> keys = new LinkedHashSet<>(certificateIds).stream()
                .map(id -> Map.of(PK, s(certificateKey(id)))).toList();
        Map<String, CertificateItem> found = new LinkedHashMap<>();
        for (int from = 0; from < keys.size(); from += BATCH_GET_KEYS) {
            List<Map<String, AttributeValue>> pending = keys.subList(from, Math.min(keys.size(), from + BATCH_GET_KEYS));
            for (int attempt = 0; !pending.isEmpty() && attempt <= UNPROCESSED_RETRIES; attempt++) {
                if (attempt > 0) {
                    pause(Duration.ofMillis(50L << attempt));
                }
                List<Map<String, AttributeValue>> asked = pending;
                BatchGetItemResponse response = client().batchGetItem(request -> request
                        .requestItems(Map.of(tableName, KeysAndAttributes.builder().keys(asked).build())));
                response.responses().getOrDefault(tableName, List.of()).forEach(item -> found.put(
                        text(item, PK).substring(CERTIFICATE_PREFIX.length()), certificateItem(item)));
                KeysAndAttributes unprocessed = response.unprocessedKeys().get(tableName);
                pending = unprocessed == null ? List.of() : unprocessed.keys();
            }
        }
        return found;
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to read unprocessed keys again", e);
        }
    }

    /** The CA's item, eventually consistent. */
    public Optional<CaItem> ca(String caCertificateId) {
        return getItem(CA_PREFIX + requireCertificateId(caCertificateId, "caCertificateId"), false)
                .map(DeviceRegistry::caItem);
    }

    /** The allow-list entry of {@code thingName}, strongly consistent. */
    public Optional<AllowEntry> allowEntry(String thingName) {
        return getItem(ALLOW_PREFIX + Objects.requireNonNull(thingName, "thingName"), true)
                .map(DeviceRegistry::allowEntry);
    }

    /** The certificate items whose thingName (CN) is {@code thingName}, from the {@value #BY_THING_INDEX} index. */
    public List<CertificateItem> certificatesOfThing(String thingName) {
        List<CertificateItem> items = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            QueryResponse page = client().query(QueryRequest.builder()
                    .tableName(tableName)
                    .indexName(BY_THING_INDEX)
                    .keyConditionExpression("#thingName = :thingName AND begins_with(#pk, :prefix)")
                    .expressionAttributeNames(Map.of("#thingName", "thingName", "#pk", PK))
                    .expressionAttributeValues(Map.of(":thingName", s(thingName), ":prefix", s(CERTIFICATE_PREFIX)))
                    .exclusiveStartKey(start)
                    .build());
            page.items().forEach(item -> items.add(certificateItem(item)));
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        return List.copyOf(items);
    }

    /**
     * Records what one writer observed about a certificate.
     *
     * @return true when written; false when the item already holds state observed later (left as it is)
     */
    public boolean write(CertificateUpdate update) {
        Map<String, AttributeValue> set = new LinkedHashMap<>();
        set.put(KIND, s("CERTIFICATE"));
        set.put("certificateId", s(update.certificateId()));
        set.put("step", s(update.step().name()));
        update.caCertificateId().ifPresent(v -> set.put("caCertificateId", s(v)));
        update.thingName().ifPresent(v -> set.put("thingName", s(v)));
        update.status().ifPresent(v -> set.put("status", s(v)));
        update.boundThing().ifPresent(v -> set.put("boundThing", s(v)));
        update.certificatePem().ifPresent(v -> set.put("certificatePem", s(v)));
        update.certificateArn().ifPresent(v -> set.put("certificateArn", s(v)));
        update.notBefore().ifPresent(v -> set.put("notBefore", n(v)));
        update.notAfter().ifPresent(v -> set.put("notAfter", n(v)));
        update.reason().ifPresent(v -> set.put("reason", s(v)));
        List<String> remove = new ArrayList<>();
        if (update.unbound()) {
            remove.add("boundThing");
        }
        if (update.reason().isEmpty()) {
            remove.add("reason");
        }
        return update(certificateKey(update.certificateId()), update.updatedAt(), set, remove);
    }

    /**
     * Records a CA's observed status.
     *
     * @return true when written; false when the item already holds state observed later
     */
    public boolean write(CaItem ca) {
        Map<String, AttributeValue> set = new LinkedHashMap<>();
        set.put(KIND, s("CA"));
        set.put("caCertificateId", s(ca.caCertificateId()));
        set.put("status", s(ca.status()));
        set.put("step", s(ca.step().name()));
        if (ca.notAfter() != null) {
            set.put("notAfter", n(ca.notAfter()));
        }
        return update(CA_PREFIX + ca.caCertificateId(), ca.updatedAt(), set, List.of());
    }

    /**
     * Records an allow-list entry as given (a null fingerprint or usedBy removes it).
     *
     * @return true when written; false when the item already holds state observed later
     */
    public boolean write(AllowEntry entry) {
        Map<String, AttributeValue> set = new LinkedHashMap<>();
        set.put(KIND, s("ALLOW"));
        set.put("thingName", s(entry.thingName()));
        List<String> remove = new ArrayList<>();
        if (entry.fingerprint() != null) {
            set.put("fingerprint", s(entry.fingerprint()));
        } else {
            remove.add("fingerprint");
        }
        if (entry.usedBy() != null) {
            set.put("usedBy", s(entry.usedBy()));
        } else {
            remove.add("usedBy");
        }
        return update(ALLOW_PREFIX + entry.thingName(), entry.updatedAt(), set, remove);
    }

    /**
     * Uses the allow-list entry of {@code thingName} for {@code certificateId}, once: sets {@code usedBy} on the
     * condition that the entry exists and is unused or already used by this certificate (a retry), so two
     * certificates with the same CN can never both take it.
     *
     * @return true when the entry is (now) used by {@code certificateId}; false when it is missing or used by another
     */
    public boolean useAllowEntry(String thingName, String certificateId, Instant at) {
        requireCertificateId(certificateId, "certificateId");
        try {
            client().updateItem(request -> request
                    .tableName(tableName)
                    .key(Map.of(PK, s(ALLOW_PREFIX + Objects.requireNonNull(thingName, "thingName"))))
                    .updateExpression("SET #usedBy = :id, #updatedAt = :at")
                    .conditionExpression("attribute_exists(#pk) AND (attribute_not_exists(#usedBy) OR #usedBy = :id)")
                    .expressionAttributeNames(Map.of("#pk", PK, "#usedBy", "usedBy", "#updatedAt", UPDATED_AT))
                    .expressionAttributeValues(Map.of(":id", s(certificateId), ":at", n(at))));
            return true;
        } catch (ConditionalCheckFailedException taken) {
            return false;
        }
    }

    /**
     * Claims the activation of a certificate's registration for one invocation, so no two invocations (containers,
     * the reconciler) activate the same registration at once: an invocation that read PENDING_ACTIVATION before
     * another activated it, and wrote after the device was provisioned, would attach the JITR policy again. The claim
     * is taken on the condition that no unexpired claim holds the item ({@code activationClaimUntil} before
     * {@code now}), or that the claim holding it is this same {@code token} (Lambda retries an asynchronous invocation
     * with the same request id, after the attempt that took the claim ended: crashed or timed out), and, when the
     * registration time is known, that the item does not already show the certificate ACTIVE (not REJECTED) from
     * {@code caCertificateId} observed at or after it. Only the claim's two attributes (and the item's kind and id, for
     * an item that did not exist) are written; {@code updatedAt} is left alone.
     *
     * @param until the claim's expiry: no later than the claiming invocation can still run, so a claim whose holder
     *              died lapses
     * @param token the claiming invocation's id (its request id; a random one when it has none), which
     *              {@link #releaseActivation} takes
     * @return true when the claim is this token's; false when the condition failed
     */
    public boolean claimActivation(String certificateId, String caCertificateId,
            Optional<Instant> registeredAt, Instant now, Instant until, String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("token must not be blank");
        }
        Map<String, String> names = new LinkedHashMap<>(Map.of("#until", CLAIM_UNTIL, "#claim", CLAIM, "#kind", KIND,
                "#id", "certificateId"));
        Map<String, AttributeValue> values = new LinkedHashMap<>(Map.of(":now", n(now), ":until", n(until),
                ":token", s(token), ":kind", s("CERTIFICATE"), ":id", s(certificateId)));
        StringBuilder condition = new StringBuilder(
                "(attribute_not_exists(#until) OR #until < :now OR #claim = :token)");
        if (registeredAt.isPresent()) {
            condition.append(" AND NOT (#status = :active AND #step <> :rejected AND #ca = :ca"
                    + " AND #updatedAt >= :registeredAt)");
            names.putAll(Map.of("#status", "status", "#step", "step", "#ca", "caCertificateId",
                    "#updatedAt", UPDATED_AT));
            values.putAll(Map.of(":active", s("ACTIVE"), ":rejected", s(Step.REJECTED.name()),
                    ":ca", s(requireCertificateId(caCertificateId, "caCertificateId")),
                    ":registeredAt", n(registeredAt.get())));
        }
        try {
            client().updateItem(request -> request
                    .tableName(tableName)
                    .key(Map.of(PK, s(certificateKey(certificateId))))
                    .updateExpression("SET #until = :until, #claim = :token, #kind = :kind, #id = :id")
                    .conditionExpression(condition.toString())
                    .expressionAttributeNames(names)
                    .expressionAttributeValues(values));
            return true;
        } catch (ConditionalCheckFailedException held) {
            return false;
        }
    }

    /** Releases a claim this invocation took ({@code token}); a claim that lapsed and was taken since is left alone. */
    public void releaseActivation(String certificateId, String token) {
        try {
            client().updateItem(request -> request
                    .tableName(tableName)
                    .key(Map.of(PK, s(certificateKey(certificateId))))
                    .updateExpression("REMOVE #until, #claim")
                    .conditionExpression("#claim = :token")
                    .expressionAttributeNames(Map.of("#until", CLAIM_UNTIL, "#claim", CLAIM))
                    .expressionAttributeValues(Map.of(":token", s(token))));
        } catch (ConditionalCheckFailedException notOurs) {
            // lapsed and taken by another invocation: theirs now
        }
    }

    private boolean update(String pk, Instant updatedAt, Map<String, AttributeValue> set, List<String> remove) {
        Map<String, String> names = new LinkedHashMap<>();
        Map<String, AttributeValue> values = new LinkedHashMap<>();
        names.put("#pk", PK);
        names.put("#updatedAt", UPDATED_AT);
        values.put(":updatedAt", n(updatedAt));
        StringBuilder expression = new StringBuilder("SET #updatedAt = :updatedAt");
        int i = 0;
        for (Map.Entry<String, AttributeValue> attribute : set.entrySet()) {
            names.put("#a" + i, attribute.getKey());
            values.put(":a" + i, attribute.getValue());
            expression.append(", #a").append(i).append(" = :a").append(i);
            i++;
        }
        if (!remove.isEmpty()) {
            expression.append(" REMOVE ");
            for (int r = 0; r < remove.size(); r++) {
                names.put("#r" + r, remove.get(r));
                expression.append(r == 0 ? "" : ", ").append("#r").append(r);
            }
        }
        try {
            client().updateItem(request -> request
                    .tableName(tableName)
                    .key(Map.of(PK, s(pk)))
                    .updateExpression(expression.toString())
                    .conditionExpression(CONDITION)
                    .expressionAttributeNames(names)
                    .expressionAttributeValues(values));
            return true;
        } catch (ConditionalCheckFailedException newer) {
            return false;
        }
    }

    private Optional<Map<String, AttributeValue>> getItem(String pk, boolean consistent) {
        Map<String, AttributeValue> item = client().getItem(request -> request
                .tableName(tableName)
                .key(Map.of(PK, s(pk)))
                .consistentRead(consistent)).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(item);
    }

    private static CertificateItem certificateItem(Map<String, AttributeValue> item) {
        String step = text(item, "step");
        return new CertificateItem(text(item, "certificateId"), text(item, "caCertificateId"),
                text(item, "thingName"), text(item, "status"), text(item, "boundThing"),
                text(item, "certificatePem"), text(item, "certificateArn"), instant(item, "notBefore"), instant(item, "notAfter"),
                instant(item, UPDATED_AT), step == null ? null : Step.valueOf(step), text(item, "reason"));
    }

    private static CaItem caItem(Map<String, AttributeValue> item) {
        return new CaItem(text(item, "caCertificateId"), text(item, "status"), instant(item, "notAfter"),
                instant(item, UPDATED_AT), Step.valueOf(text(item, "step")));
    }

    private static AllowEntry allowEntry(Map<String, AttributeValue> item) {
        return new AllowEntry(text(item, "thingName"), text(item, "fingerprint"), text(item, "usedBy"),
                instant(item, UPDATED_AT));
    }

    private static String certificateKey(String certificateId) {
        return CERTIFICATE_PREFIX + requireCertificateId(certificateId, "certificateId");
    }

    static String requireCertificateId(String id, String name) {
        if (!CertificateIds.isCertificateId(id)) {
            throw new IllegalArgumentException(name + " is not a certificate id (64 lowercase hex characters): " + id);
        }
        return id;
    }

    private static String text(Map<String, AttributeValue> item, String name) {
        AttributeValue value = item.get(name);
        return value == null ? null : value.s();
    }

    private static Instant instant(Map<String, AttributeValue> item, String name) {
        AttributeValue value = item.get(name);
        return value == null || value.n() == null ? null : Instant.ofEpochMilli(Long.parseLong(value.n()));
    }

    private static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    private static AttributeValue n(Instant value) {
        return AttributeValue.fromN(Long.toString(value.toEpochMilli()));
    }
}
