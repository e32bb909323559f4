package dev.iotonboard.infra;

import java.math.BigDecimal;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The app's configuration, read once from CDK context and validated as a whole.
 *
 * @param domainName       the API's custom domain, e.g. {@code devices.example.com}
 * @param certificateArn   an ACM certificate for {@code domainName} in the stack's region; empty when {@code hostedZone} is set
 * @param hostedZone       a Route 53 zone to DNS-validate a new certificate in and hold the alias record; empty with {@code certificateArn}
 * @param caCertificateIds the IoT ids of the registered CAs the stack trusts (several while a CA rotation overlaps),
 *                         in the configured order; empty only with {@code allowAnyCa}
 * @param allowAnyCa       true when the user asked on purpose for any auto-registration CA to be trusted
 * @param thingNamePattern what a device certificate's subject CN, its thing name, must look like (a Java regex)
 * @param caStatusCacheSeconds how long the activation and reconciler containers trust their last answer on the CA's
 *                         status
 * @param truststorePath   the CA bundle file (PEM certificates only, one or several) that API Gateway trusts for
 *                         mutual TLS: every CA of {@code caCertificateIds}, plus any certificate of their chains
 * @param truststorePem    its contents
 * @param jitrStartTopic   the topic a device publishes to after its first (registering) connection
 * @param jitrRequestTopic the topic a device asks for its thing on
 * @param iotQuotas        the account's IoT request-rate quotas, which size the JITR functions' reserved concurrency
 * @param iotCallLatencyMs the assumed duration of one IoT control-plane call (see {@link ConcurrencySizing})
 * @param reconciler       the schedule and limits of the reconciler (deployed only with {@code caCertificateIds})
 * @param expiryWatch      the schedule, warning window and rate of the expiry watch (deployed only with
 *                         {@code caCertificateIds})
 * @param renewalWindowHours how long a device's announcement of its next certificate lets that certificate take its
 *                         thing over (thing-provisioning's RENEWAL_WINDOW_HOURS)
 * @param placement        the thing type, thing groups and certificate-derived attributes of a new thing
 * @param deployment       account-dependent deploy settings: reserved concurrency on or off, and the API certificate's
 *                         ACM type with its ownership verification certificate
 * @param alarms           the alarm topic's email subscription and the alarm thresholds ({@link AlarmSettings})
 * @param registrySync     whether changes made outside the project reach the device registry table through
 *                         CloudTrail, and whether the stack creates the trail for it
 * @param allowList        true: activation refuses a certificate whose CN has no unused entry on the manufacturing
 *                         allow-list (scripts/ops/allow-list.sh), and uses each entry once
 */
public record OnboardingConfig(
        String domainName,
        Optional<String> certificateArn,
        Optional<HostedZoneRef> hostedZone,
        List<String> caCertificateIds,
        boolean allowAnyCa,
        String thingNamePattern,
        int caStatusCacheSeconds,
        Path truststorePath,
        String truststorePem,
        String jitrStartTopic,
        String jitrRequestTopic,
        IotQuotas iotQuotas,
        int iotCallLatencyMs,
        Reconciler reconciler,
        ExpiryWatch expiryWatch,
        int renewalWindowHours,
        ThingPlacement placement,
        Deployment deployment,
        AlarmSettings alarms,
        RegistrySync registrySync,
        boolean allowList) {

    public static final String DOMAIN_NAME = "domainName";
    public static final String CERTIFICATE_ARN = "certificateArn";
    public static final String HOSTED_ZONE_ID = "hostedZoneId";
    public static final String HOSTED_ZONE_NAME = "hostedZoneName";
    public static final String CA_CERTIFICATE_ID = "caCertificateId";
    public static final String CA_CERTIFICATE_IDS = "caCertificateIds";
    public static final String ALLOW_ANY_CA = "allowAnyCa";
    public static final String THING_NAME_PATTERN = "thingNamePattern";
    public static final String CA_STATUS_CACHE_SECONDS = "caStatusCacheSeconds";
    public static final String TRUSTSTORE_PATH = "truststorePath";
    public static final String JITR_START_TOPIC = "jitrStartTopic";
    public static final String JITR_REQUEST_TOPIC = "jitrRequestTopic";
    public static final String IOT_QUOTAS = IotQuotas.CONTEXT_KEY;
    public static final String IOT_CALL_LATENCY_MS = ConcurrencySizing.LATENCY_CONTEXT_KEY;
    public static final String RECONCILE_INTERVAL_MINUTES = "reconcileIntervalMinutes";
    public static final String RECONCILE_GRACE_SECONDS = "reconcileGraceSeconds";
    public static final String RECONCILE_LOOKBACK_HOURS = "reconcileLookbackHours";
    public static final String RECONCILE_MAX_REQUESTS_PER_SECOND = "reconcileMaxRequestsPerSecond";
    public static final String EXPIRY_SCAN_INTERVAL_HOURS = "expiryScanIntervalHours";
    public static final String EXPIRY_WARNING_DAYS = "expiryWarningDays";
    public static final String EXPIRY_MAX_REQUESTS_PER_SECOND = "expiryMaxRequestsPerSecond";
    public static final String RENEWAL_WINDOW_HOURS = "renewalWindowHours";
    public static final String RESERVED_CONCURRENCY = "reservedConcurrency";
    public static final String CERTIFICATE_TYPE = "certificateType";
    public static final String OWNERSHIP_VERIFICATION_CERTIFICATE_ARN = "ownershipVerificationCertificateArn";
    public static final String REGISTRY_SYNC = "registrySync";
    public static final String ALLOW_LIST = "allowList";
    /** A week; the handler accepts 1 to 8760 (thing-provisioning's ProvisioningConfig). */
    public static final int DEFAULT_RENEWAL_WINDOW_HOURS = 168;
    public static final int MAX_RENEWAL_WINDOW_HOURS = 8760;

    public static final String DEFAULT_TRUSTSTORE_PATH = "certs/rootCA.pem";
    public static final String DEFAULT_JITR_START_TOPIC = "jitr/start";
    public static final String DEFAULT_JITR_REQUEST_TOPIC = "jitr/request";
    /**
     * A canonical lowercase UUID, what scripts/device/create-device.sh puts in the CN. The handlers hold the same
     * default (lambda-core's ThingNameRule, which the CDK app cannot depend on at synthesis); local's tests compare
     * the two.
     */
    public static final String DEFAULT_THING_NAME_PATTERN =
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    public static final int MAX_THING_NAME_PATTERN_LENGTH = 512;
    public static final int DEFAULT_CA_STATUS_CACHE_SECONDS = 30;
    /** API Gateway's mutual TLS truststore quotas (not adjustable): certificates, and bytes ("1 MB", read strictly). */
    public static final int TRUSTSTORE_MAX_CERTIFICATES = 1_000;
    public static final int TRUSTSTORE_MAX_BYTES = 1_000_000;

    /** The values cdk.json ships with, so a fresh clone synthesizes; deploying them is never what a user wants. */
    public static final String EXAMPLE_DOMAIN_SUFFIX = "example.com";
    public static final String EXAMPLE_ACCOUNT = "123456789012";

    private static final Pattern DOMAIN = Pattern.compile(
            "(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]");
    private static final Pattern ACM_ARN = Pattern.compile(
            "arn:aws(-[a-z]+)*:acm:[a-z]{2}(-[a-z]+)+-\\d:\\d{12}:certificate/[0-9a-f-]{36}");
    private static final Pattern HOSTED_ZONE = Pattern.compile("Z[A-Z0-9]{1,31}");
    /** A CA certificate id: the lowercase hex SHA-256 of the CA certificate's DER. */
    public static final Pattern CA_ID = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*");

    public record HostedZoneRef(String id, String name) {
    }

    /**
     * The API certificate's type, as ACM's DescribeCertificate reports it ({@code Certificate.Type}). An ACM ARN looks
     * the same for all three, so synthesis is told: API Gateway needs an ownership verification certificate (a public
     * certificate ACM issued for the same domain) with mutual TLS when the regional certificate is IMPORTED or PRIVATE.
     */
    public enum CertificateType {
        AMAZON_ISSUED, IMPORTED, PRIVATE;

        boolean needsOwnershipVerification() {
            return this != AMAZON_ISSUED;
        }
    }

    /**
     * Account-dependent deploy settings.
     *
     * @param reservedConcurrency whether functions get reserved concurrency (JITR sizing, one run at a time for the
     *                            reconciler and expiry watch); off for accounts whose concurrency quota is too low
     * @param certificateType     the ACM type of {@code certificateArn} (AMAZON_ISSUED for a certificate the stack
     *                            creates)
     * @param ownershipVerificationCertificateArn the ACM-issued certificate proving domain ownership, needed with an
     *                            IMPORTED or PRIVATE certificate
     */
    public record Deployment(boolean reservedConcurrency, CertificateType certificateType,
                             Optional<String> ownershipVerificationCertificateArn) {
        public static final Deployment DEFAULTS = new Deployment(true, CertificateType.AMAZON_ISSUED, Optional.empty());
    }

    /**
     * Context key {@value #REGISTRY_SYNC}: the registry sync (an EventBridge rule on CloudTrail's events of IoT calls
     * made outside the project, and its function) with a trail the stack creates ({@code createTrail}, the default),
     * with a trail the account has already ({@code existingTrail}: no second copy of its management events), or no
     * sync ({@code off}: only the reconciler's runs repair the table; synthesis warns).
     */
    public enum RegistrySync {
        CREATE_TRAIL("createTrail"), EXISTING_TRAIL("existingTrail"), OFF("off");

        private final String value;

        RegistrySync(String value) {
            this.value = value;
        }

        public String value() {
            return value;
        }

        static Optional<RegistrySync> of(String value) {
            for (RegistrySync mode : values()) {
                if (mode.value.equals(value)) {
                    return Optional.of(mode);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * The reconciler's settings; the ranges are those its handler accepts (lambdas/README.md, reconciler).
     *
     * @param intervalMinutes      how often it runs
     * @param graceSeconds         certificates registered more recently are left to the event-driven path
     * @param lookbackHours        certificates registered earlier are not scanned
     * @param maxRequestsPerSecond its own IoT request rate per operation (it shares the quotas with the JITR functions)
     */
    public record Reconciler(int intervalMinutes, int graceSeconds, int lookbackHours, int maxRequestsPerSecond) {
        public static final Reconciler DEFAULTS = new Reconciler(5, 300, 168, 2);
        /** The operations it calls that the JITR functions need too (lambdas/README.md, reconciler). */
        public static final List<String> SHARED_OPERATIONS = List.of(
                "DescribeCertificate", "UpdateCertificate", "AttachPolicy", "ListPrincipalThings");
    }

    /**
     * The expiry watch's settings; the ranges are those its handler accepts (lambdas/README.md, expiry watch).
     *
     * @param intervalHours        how often it scans
     * @param warningDays          a certificate or CA that expires within this many days counts as expiring soon
     * @param maxRequestsPerSecond its own IoT request rate per operation (DescribeCertificate is shared with the JITR
     *                             functions and the reconciler)
     */
    public record ExpiryWatch(int intervalHours, int warningDays, int maxRequestsPerSecond) {
        public static final ExpiryWatch DEFAULTS = new ExpiryWatch(24, 30, 2);
        /** The operations it calls that have a request-rate quota the JITR functions need too. */
        public static final List<String> SHARED_OPERATIONS = List.of("DescribeCertificate");
    }

    public OnboardingConfig {
        caCertificateIds = List.copyOf(caCertificateIds);
    }

    public ConcurrencySizing concurrencySizing() {
        return new ConcurrencySizing(iotQuotas, iotCallLatencyMs);
    }

    public boolean usesExampleValues() {
        return domainName.equals(EXAMPLE_DOMAIN_SUFFIX) || domainName.endsWith("." + EXAMPLE_DOMAIN_SUFFIX)
                || certificateArn.filter(arn -> arn.contains(":" + EXAMPLE_ACCOUNT + ":")).isPresent();
    }

    /**
     * Reads and validates every key; throws one {@link InvalidConfigurationException} naming all bad keys.
     *
     * @param context        CDK context lookup (e.g. {@code app.getNode()::tryGetContext}); blank values count as unset
     * @param repositoryRoot the folder holding cdk.json, against which a relative {@code truststorePath} resolves
     */
    public static OnboardingConfig fromContext(Function<String, Object> context, Path repositoryRoot) {
        List<String> problems = new ArrayList<>();
        Reader in = new Reader(context, problems);

        String domainName = in.required(DOMAIN_NAME, "the API's custom domain name, e.g. devices.example.org");
        if (domainName != null && !DOMAIN.matcher(domainName).matches()) {
            problems.add(DOMAIN_NAME + ": '" + domainName + "' is not a lowercase DNS name such as devices.example.org.");
        }

        Optional<String> certificateArn = in.optional(CERTIFICATE_ARN);
        certificateArn.filter(arn -> !ACM_ARN.matcher(arn).matches()).ifPresent(arn -> problems.add(CERTIFICATE_ARN
                + ": '" + arn + "' is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)."));
        boolean zoneGiven = in.optional(HOSTED_ZONE_ID).isPresent() || in.optional(HOSTED_ZONE_NAME).isPresent();
        if (certificateArn.isPresent() == zoneGiven) {
            problems.add(CERTIFICATE_ARN + " / " + HOSTED_ZONE_ID + "+" + HOSTED_ZONE_NAME + ": "
                    + (zoneGiven ? "both given" : "missing") + "; give exactly one: an existing ACM certificate ARN for the "
                    + "domain, or a Route 53 hosted zone to create a DNS-validated certificate in "
                    + "(unset the other with an empty value, e.g. -c " + CERTIFICATE_ARN + "=).");
        }
        Optional<HostedZoneRef> hostedZone = hostedZone(in, problems, domainName);

        int beforeCas = problems.size();
        List<String> caCertificateIds = caCertificateIds(context, in, problems);
        boolean allowAnyCa = in.bool(ALLOW_ANY_CA);
        if (caCertificateIds.isEmpty() && !allowAnyCa && problems.size() == beforeCas) {
            problems.add(CA_CERTIFICATE_IDS + ": missing; the stack trusts only your registered CAs "
                    + "(-c " + CA_CERTIFICATE_ID + "=\"$(cat certs/caCertificateId)\" after scripts/ca/register-ca.sh, or "
                    + "-c " + CA_CERTIFICATE_IDS + "=<id>,<id> while a CA rotation overlaps). "
                    + "To trust every CA registered for auto-registration in the account instead, give -c "
                    + ALLOW_ANY_CA + "=true on purpose.");
        }
        if (!caCertificateIds.isEmpty() && allowAnyCa) {
            problems.add(ALLOW_ANY_CA + ": true together with " + CA_CERTIFICATE_IDS + "; give one or the other.");
        }
        String thingNamePattern = in.optional(THING_NAME_PATTERN).orElse(DEFAULT_THING_NAME_PATTERN);
        thingNamePatternProblem(thingNamePattern).ifPresent(problem -> problems.add(THING_NAME_PATTERN + ": '"
                + thingNamePattern + "' " + problem + " (a Java regular expression that a device certificate's "
                + "subject CN, its thing name, must match in full; default: a lowercase UUID)."));
        int caStatusCacheSeconds = in.integer(CA_STATUS_CACHE_SECONDS, DEFAULT_CA_STATUS_CACHE_SECONDS, 0, 3600);

        String jitrStartTopic = in.topic(JITR_START_TOPIC, DEFAULT_JITR_START_TOPIC);
        String jitrRequestTopic = in.topic(JITR_REQUEST_TOPIC, DEFAULT_JITR_REQUEST_TOPIC);
        if (jitrStartTopic != null && jitrStartTopic.equals(jitrRequestTopic)) {
            problems.add(JITR_REQUEST_TOPIC + ": must differ from " + JITR_START_TOPIC + " ('" + jitrStartTopic + "').");
        }

        IotQuotas iotQuotas = IotQuotas.fromContext(context.apply(IOT_QUOTAS), problems);
        int iotCallLatencyMs = in.integer(IOT_CALL_LATENCY_MS, ConcurrencySizing.DEFAULT_CALL_LATENCY_MS, 1, 10_000);
        Reconciler reconciler = reconciler(in, problems);
        checkReconcilerLeavesQuota(reconciler, iotQuotas, problems);
        ExpiryWatch expiryWatch = expiryWatch(in);
        checkExpiryWatchLeavesQuota(expiryWatch, reconciler, iotQuotas, problems);
        int renewalWindowHours = in.integer(RENEWAL_WINDOW_HOURS, DEFAULT_RENEWAL_WINDOW_HOURS, 1,
                MAX_RENEWAL_WINDOW_HOURS);
        ThingPlacement placement = ThingPlacement.fromContext(context, problems);

        Deployment deployment = deployment(in, problems, certificateArn);
        AlarmSettings alarms = AlarmSettings.fromContext(context, problems);
        boolean allowList = in.bool(ALLOW_LIST);
        String syncValue = in.optional(REGISTRY_SYNC).orElse(RegistrySync.CREATE_TRAIL.value());
        RegistrySync registrySync = RegistrySync.of(syncValue).orElseGet(() -> {
            problems.add(REGISTRY_SYNC + ": '" + syncValue + "' is none of createTrail (the stack creates a trail of "
                    + "management write events for the sync), existingTrail (the account has one already), off (no "
                    + "sync: only the reconciler repairs the device registry table).");
            return RegistrySync.CREATE_TRAIL;
        });

        Path truststorePath = repositoryRoot.resolve(in.optional(TRUSTSTORE_PATH).orElse(DEFAULT_TRUSTSTORE_PATH)).normalize();
        String truststorePem = readTruststore(truststorePath, problems);
        if (truststorePem != null) {
            checkTruststore(truststorePath, truststorePem, caCertificateIds, problems);
        }

        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(problems);
        }
        return new OnboardingConfig(domainName, certificateArn, hostedZone, caCertificateIds, allowAnyCa, thingNamePattern,
                caStatusCacheSeconds, truststorePath, truststorePem,
                jitrStartTopic, jitrRequestTopic, iotQuotas, iotCallLatencyMs, reconciler, expiryWatch,
                renewalWindowHours, placement, deployment, alarms, registrySync, allowList);
    }

    private static Deployment deployment(Reader in, List<String> problems, Optional<String> certificateArn) {
        boolean reservedConcurrency = in.optional(RESERVED_CONCURRENCY).isEmpty() || in.bool(RESERVED_CONCURRENCY);
        String typeName = in.optional(CERTIFICATE_TYPE).orElse(CertificateType.AMAZON_ISSUED.name());
        CertificateType type;
        try {
            type = CertificateType.valueOf(typeName);
        } catch (IllegalArgumentException e) {
            problems.add(CERTIFICATE_TYPE + ": '" + typeName + "' is none of AMAZON_ISSUED, IMPORTED, PRIVATE (the "
                    + "certificate's Type in `aws acm describe-certificate --certificate-arn <certificateArn>`).");
            type = CertificateType.AMAZON_ISSUED;
        }
        Optional<String> ownership = in.optional(OWNERSHIP_VERIFICATION_CERTIFICATE_ARN);
        ownership.filter(arn -> !ACM_ARN.matcher(arn).matches()).ifPresent(arn -> problems.add(
                OWNERSHIP_VERIFICATION_CERTIFICATE_ARN + ": '" + arn + "' is not an ACM certificate ARN "
                        + "(arn:aws:acm:<region>:<account>:certificate/<uuid>)."));
        if (type.needsOwnershipVerification() && certificateArn.isEmpty()) {
            problems.add(CERTIFICATE_TYPE + ": " + type + " applies to a given " + CERTIFICATE_ARN
                    + "; the certificate the stack creates in the hosted zone is AMAZON_ISSUED.");
        } else if (type.needsOwnershipVerification() && ownership.isEmpty()) {
            problems.add(OWNERSHIP_VERIFICATION_CERTIFICATE_ARN + ": missing; with mutual TLS, API Gateway accepts an "
                    + (type == CertificateType.IMPORTED ? "imported" : "ACM Private CA")
                    + " certificate (" + CERTIFICATE_TYPE + "=" + type + ") for the custom domain only together with a "
                    + "public certificate ACM issued for the same domain, which proves you own it (it is not used in "
                    + "the TLS handshake): request one in ACM (DNS validation) and give its ARN.");
        } else if (!type.needsOwnershipVerification() && ownership.isPresent()) {
            problems.add(OWNERSHIP_VERIFICATION_CERTIFICATE_ARN + ": given, but " + CERTIFICATE_TYPE + " is "
                    + type + "; it is needed (and used) only with an IMPORTED or PRIVATE " + CERTIFICATE_ARN + ".");
        }
        if (ownership.isPresent() && ownership.equals(certificateArn)) {
            problems.add(OWNERSHIP_VERIFICATION_CERTIFICATE_ARN + ": the same ARN as " + CERTIFICATE_ARN
                    + "; it must be a separate certificate that ACM issued (AMAZON_ISSUED) for the domain.");
        }
        return new Deployment(reservedConcurrency, type, ownership);
    }

    /**
     * Empty when {@code regex} can serve as the thing-name pattern: a Java regular expression of at most
     * {@value #MAX_THING_NAME_PATTERN_LENGTH} characters that does not match the empty name (the same rule as
     * lambda-core's ThingNameRule.patternProblem, which the handlers apply to THING_NAME_PATTERN).
     */
    public static Optional<String> thingNamePatternProblem(String regex) {
        if (regex.length() > MAX_THING_NAME_PATTERN_LENGTH) {
            return Optional.of("is " + regex.length() + " characters long; at most " + MAX_THING_NAME_PATTERN_LENGTH);
        }
        try {
            return Pattern.compile(regex).matcher("").matches() ? Optional.of("matches the empty name")
                    : Optional.empty();
        } catch (java.util.regex.PatternSyntaxException e) {
            return Optional.of("is not a regular expression: " + e.getDescription() + " near index " + e.getIndex());
        }
    }

    /**
     * {@value #CA_CERTIFICATE_IDS} (a JSON array in cdk.json, or a comma-separated string or JSON array text as
     * {@code -c} gives it)
     * and the single {@value #CA_CERTIFICATE_ID} of earlier versions, which counts as a one-element list. Both given
     * is accepted only when they say the same; otherwise the user must unset one, so a forgotten old key never
     * silently narrows or widens the trusted CAs.
     */
    private static List<String> caCertificateIds(Function<String, Object> context, Reader in, List<String> problems) {
        List<String> entries = new ArrayList<>();
        Object listed = context.apply(CA_CERTIFICATE_IDS);
        if (listed instanceof String text && text.trim().startsWith("[")) {
            try {
                listed = new com.fasterxml.jackson.databind.ObjectMapper().readValue(text, List.class);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                problems.add(CA_CERTIFICATE_IDS + ": '" + text + "' is not a JSON array of CA certificate ids ("
                        + e.getOriginalMessage() + ").");
                return List.of();
            }
        }
        if (listed instanceof Collection<?> collection) {
            collection.forEach(entry -> entries.add(entry == null ? "" : entry.toString().trim()));
        } else if (listed != null && !listed.toString().isBlank()) {
            for (String entry : listed.toString().split(",", -1)) {
                entries.add(entry.trim());
            }
        }
        int before = problems.size();
        List<String> ids = new ArrayList<>();
        for (String id : entries) {
            if (!CA_ID.matcher(id).matches()) {
                problems.add(CA_CERTIFICATE_IDS + ": '" + id + "' is not a CA certificate id (64 lowercase hex "
                        + "characters, as scripts/ca/register-ca.sh prints and `aws iot list-ca-certificates` shows); "
                        + "give a JSON array in cdk.json or a comma-separated list with -c.");
            } else if (ids.contains(id)) {
                problems.add(CA_CERTIFICATE_IDS + ": " + id + " is listed twice.");
            } else {
                ids.add(id);
            }
        }
        Optional<String> single = in.optional(CA_CERTIFICATE_ID);
        single.filter(id -> !CA_ID.matcher(id).matches()).ifPresent(id -> problems.add(CA_CERTIFICATE_ID
                + ": '" + id + "' is not a CA certificate id (64 lowercase hex characters, as scripts/ca/register-ca.sh "
                + "prints and `aws iot list-ca-certificates` shows)."));
        if (problems.size() > before) {
            return List.of();
        }
        if (single.isPresent() && !entries.isEmpty() && !ids.equals(List.of(single.get()))) {
            problems.add(CA_CERTIFICATE_ID + " / " + CA_CERTIFICATE_IDS + ": both given, with different CAs ('"
                    + single.get() + "' and " + ids + "); give " + CA_CERTIFICATE_IDS + " only and unset the other "
                    + "(-c " + CA_CERTIFICATE_ID + "=).");
            return List.of();
        }
        return single.isPresent() && entries.isEmpty() ? List.of(single.get()) : ids;
    }

    /**
     * API Gateway's truststore quotas, and the bundle against the CA list: every listed CA must be in it (or its
     * devices fail the handshake), and every other certificate must be on a listed CA's chain (its issuer, that
     * one's issuer, ...), which mutual TLS needs up to the root. Any other CA is refused rather than warned about:
     * API Gateway would let its devices through the handshake, and a CA left over from a finished rotation is
     * exactly what the last rotation step removes. With allowAnyCa there is no list to check against.
     */
    private static void checkTruststore(Path path, String pem, List<String> caCertificateIds, List<String> problems) {
        int bytes = pem.getBytes(StandardCharsets.US_ASCII).length;
        if (bytes > TRUSTSTORE_MAX_BYTES) {
            problems.add(TRUSTSTORE_PATH + ": " + path + " is " + bytes + " bytes; API Gateway's truststore holds at "
                    + "most 1 MB (" + TRUSTSTORE_MAX_BYTES + " bytes), and the quota cannot be raised.");
        }
        Map<String, X509Certificate> bundle = new LinkedHashMap<>();
        try {
            for (java.security.cert.Certificate certificate : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                X509Certificate x509 = (X509Certificate) certificate;
                bundle.put(sha256Hex(x509.getEncoded()), x509);
            }
        } catch (CertificateException e) {
            problems.add(TRUSTSTORE_PATH + ": " + path + " is not a PEM certificate bundle (" + e.getMessage() + ").");
            return;
        }
        int count = pem.split("-----BEGIN CERTIFICATE-----", -1).length - 1;
        if (count > TRUSTSTORE_MAX_CERTIFICATES) {
            problems.add(TRUSTSTORE_PATH + ": " + path + " holds " + count + " certificates; API Gateway's truststore "
                    + "holds at most " + TRUSTSTORE_MAX_CERTIFICATES + ", and the quota cannot be raised.");
        }
        if (caCertificateIds.isEmpty()) {
            return;
        }
        List<X509Certificate> chains = new ArrayList<>();
        for (String id : caCertificateIds) {
            X509Certificate ca = bundle.get(id);
            if (ca == null) {
                problems.add(TRUSTSTORE_PATH + ": " + path + " does not hold the CA " + id + " of "
                        + CA_CERTIFICATE_IDS + " (a CA's id is the lowercase hex SHA-256 of its DER encoding): its "
                        + "devices would fail the API's TLS handshake; add its PEM (certs/.../rootCA.pem) to the bundle.");
            } else {
                chains.add(ca);
            }
        }
        for (int i = 0; i < chains.size(); i++) {
            X509Certificate child = chains.get(i);
            bundle.values().stream()
                    .filter(candidate -> !chains.contains(candidate)
                            && candidate.getSubjectX500Principal().equals(child.getIssuerX500Principal()))
                    .forEach(chains::add);
        }
        bundle.forEach((id, certificate) -> {
            if (!chains.contains(certificate)) {
                problems.add(TRUSTSTORE_PATH + ": " + path + " holds the CA " + id + " ("
                        + certificate.getSubjectX500Principal().getName() + "), which is neither in "
                        + CA_CERTIFICATE_IDS + " nor on a listed CA's chain; API Gateway would let its certificates "
                        + "through the TLS handshake. Remove it from the bundle, or add its id to "
                        + CA_CERTIFICATE_IDS + ".");
            }
        });
    }

    /** A certificate's IoT id: the lowercase hex SHA-256 of its DER encoding (docs/contracts.md). */
    static String sha256Hex(byte[] der) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Reconciler reconciler(Reader in, List<String> problems) {
        Reconciler defaults = Reconciler.DEFAULTS;
        Reconciler reconciler = new Reconciler(
                in.integer(RECONCILE_INTERVAL_MINUTES, defaults.intervalMinutes(), 1, 1440),
                in.integer(RECONCILE_GRACE_SECONDS, defaults.graceSeconds(), 0, 86_400),
                in.integer(RECONCILE_LOOKBACK_HOURS, defaults.lookbackHours(), 1, 8_784),
                in.integer(RECONCILE_MAX_REQUESTS_PER_SECOND, defaults.maxRequestsPerSecond(), 1, 100));
        if ((long) reconciler.graceSeconds() >= reconciler.lookbackHours() * 3600L) {
            problems.add(RECONCILE_GRACE_SECONDS + ": " + reconciler.graceSeconds() + " s must be shorter than "
                    + RECONCILE_LOOKBACK_HOURS + " (" + reconciler.lookbackHours() + " h), or no certificate is old "
                    + "enough to reconcile yet young enough to be scanned.");
        }
        return reconciler;
    }

    /**
     * The reconciler's rate is per operation: at or above an operation's quota it could take all of it, and the
     * JITR functions, which need the same operations, would only be throttled while it works through a backlog.
     */
    private static void checkReconcilerLeavesQuota(Reconciler reconciler, IotQuotas quotas, List<String> problems) {
        BigDecimal rate = BigDecimal.valueOf(reconciler.maxRequestsPerSecond());
        Reconciler.SHARED_OPERATIONS.stream()
                .min(java.util.Comparator.comparing(quotas::of))
                .filter(operation -> rate.compareTo(quotas.of(operation)) >= 0)
                .ifPresent(operation -> problems.add(RECONCILE_MAX_REQUESTS_PER_SECOND + ": "
                        + reconciler.maxRequestsPerSecond() + "/s would leave none of the " + operation + " quota ("
                        + quotas.of(operation).stripTrailingZeros().toPlainString() + "/s, " + IotQuotas.CONTEXT_KEY
                        + ") to onboarding; use less than that, or raise " + IotQuotas.CONTEXT_KEY
                        + " once your account's quota is raised."));
    }

    private static ExpiryWatch expiryWatch(Reader in) {
        ExpiryWatch defaults = ExpiryWatch.DEFAULTS;
        return new ExpiryWatch(
                in.integer(EXPIRY_SCAN_INTERVAL_HOURS, defaults.intervalHours(), 1, 168),
                in.integer(EXPIRY_WARNING_DAYS, defaults.warningDays(), 1, 3650),
                in.integer(EXPIRY_MAX_REQUESTS_PER_SECOND, defaults.maxRequestsPerSecond(), 1, 100));
    }

    /**
     * The expiry watch and the reconciler are both rate-limited per operation, and both call DescribeCertificate,
     * which onboarding needs once per device (activation): together they must leave some of its quota. (The
     * reconciler's own excess is reported by {@link #checkReconcilerLeavesQuota}.)
     */
    private static void checkExpiryWatchLeavesQuota(ExpiryWatch watch, Reconciler reconciler, IotQuotas quotas,
            List<String> problems) {
        for (String operation : ExpiryWatch.SHARED_OPERATIONS) {
            BigDecimal quota = quotas.of(operation);
            boolean reconcilerToo = Reconciler.SHARED_OPERATIONS.contains(operation);
            int reconcilerRate = reconcilerToo ? reconciler.maxRequestsPerSecond() : 0;
            if (BigDecimal.valueOf(reconcilerRate).compareTo(quota) >= 0) {
                continue;
            }
            if (BigDecimal.valueOf((long) watch.maxRequestsPerSecond() + reconcilerRate).compareTo(quota) >= 0) {
                problems.add(EXPIRY_MAX_REQUESTS_PER_SECOND + ": " + watch.maxRequestsPerSecond() + "/s"
                        + (reconcilerToo ? " plus " + RECONCILE_MAX_REQUESTS_PER_SECOND + " " + reconcilerRate + "/s"
                        : "") + " would leave none of the " + operation + " quota ("
                        + quota.stripTrailingZeros().toPlainString() + "/s, " + IotQuotas.CONTEXT_KEY
                        + ") to onboarding; keep their sum below it, or raise " + IotQuotas.CONTEXT_KEY
                        + " once your account's quota is raised.");
            }
        }
    }

    private static Optional<HostedZoneRef> hostedZone(Reader in, List<String> problems, String domainName) {
        Optional<String> id = in.optional(HOSTED_ZONE_ID);
        Optional<String> name = in.optional(HOSTED_ZONE_NAME).map(n -> n.endsWith(".") ? n.substring(0, n.length() - 1) : n);
        if (id.isEmpty() && name.isEmpty()) {
            return Optional.empty();
        }
        int before = problems.size();
        if (id.isEmpty() || name.isEmpty()) {
            problems.add((id.isEmpty() ? HOSTED_ZONE_ID : HOSTED_ZONE_NAME) + ": missing; " + HOSTED_ZONE_ID + " and "
                    + HOSTED_ZONE_NAME + " go together (see `aws route53 list-hosted-zones`).");
        }
        id.filter(z -> !HOSTED_ZONE.matcher(z).matches()).ifPresent(z -> problems.add(HOSTED_ZONE_ID + ": '" + z
                + "' is not a Route 53 hosted zone id (Z followed by uppercase letters and digits)."));
        name.filter(n -> !DOMAIN.matcher(n).matches()).ifPresent(n -> problems.add(HOSTED_ZONE_NAME + ": '" + n
                + "' is not a lowercase DNS name."));
        name.filter(n -> domainName != null && !domainName.equals(n) && !domainName.endsWith("." + n))
                .ifPresent(n -> problems.add(HOSTED_ZONE_NAME + ": '" + n + "' does not contain " + DOMAIN_NAME
                        + " '" + domainName + "'."));
        return problems.size() == before ? Optional.of(new HostedZoneRef(id.get(), name.get())) : Optional.empty();
    }

    private static String readTruststore(Path path, List<String> problems) {
        if (!Files.isRegularFile(path)) {
            problems.add(TRUSTSTORE_PATH + ": no CA bundle at " + path + ". Run scripts/ca/create-ca.sh first, "
                    + "or point " + TRUSTSTORE_PATH + " at your CA certificate (PEM).");
            return null;
        }
        String pem;
        try {
            pem = Files.readString(path, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            problems.add(TRUSTSTORE_PATH + ": cannot read " + path + " as ASCII PEM (" + e.getMessage() + ").");
            return null;
        }
        if (pem.contains("PRIVATE KEY")) {
            problems.add(TRUSTSTORE_PATH + ": " + path + " holds a private key; it must hold CA certificates only "
                    + "(it is uploaded to S3).");
            return null;
        }
        try {
            if (!pem.contains("-----BEGIN CERTIFICATE-----") || CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))).isEmpty()) {
                problems.add(TRUSTSTORE_PATH + ": " + path + " holds no PEM certificate.");
                return null;
            }
        } catch (CertificateException e) {
            problems.add(TRUSTSTORE_PATH + ": " + path + " is not a PEM certificate bundle (" + e.getMessage() + ").");
            return null;
        }
        return pem;
    }

    /** Reads context keys, adding one line per bad value to {@code problems} (also used by {@link AlarmSettings}). */
    record Reader(Function<String, Object> context, List<String> problems) {
        Optional<String> optional(String key) {
            Object value = context.apply(key);
            return value == null ? Optional.empty() : Optional.of(value.toString().trim()).filter(s -> !s.isEmpty());
        }

        String required(String key, String what) {
            Optional<String> value = optional(key);
            if (value.isEmpty()) {
                problems.add(key + ": missing; " + what + ".");
            }
            return value.orElse(null);
        }

        boolean bool(String key) {
            Optional<String> value = optional(key);
            if (value.isEmpty() || value.get().equals("false")) {
                return false;
            }
            if (value.get().equals("true")) {
                return true;
            }
            problems.add(key + ": '" + value.get() + "' is neither true nor false.");
            return false;
        }

        int integer(String key, int defaultValue, int min, int max) {
            Optional<String> value = optional(key);
            if (value.isEmpty()) {
                return defaultValue;
            }
            try {
                int number = Integer.parseInt(value.get());
                if (number >= min && number <= max) {
                    return number;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            problems.add(key + ": '" + value.get() + "' is not a whole number from " + min + " to " + max
                    + " (default " + defaultValue + ").");
            return defaultValue;
        }

        String topic(String key, String defaultTopic) {
            String topic = optional(key).orElse(defaultTopic);
            if (!TOPIC.matcher(topic).matches() || topic.length() > 256) {
                problems.add(key + ": '" + topic + "' is not a plain MQTT topic (letters, digits, '_', '-' in '/'-separated "
                        + "levels; no wildcards, no leading $ or /).");
                return null;
            }
            return topic;
        }
    }
}
