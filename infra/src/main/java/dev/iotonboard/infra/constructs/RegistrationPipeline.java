package dev.iotonboard.infra.constructs;

import dev.iotonboard.infra.OnboardingConfig;
import dev.iotonboard.infra.ThingPlacement;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.iot.CfnTopicRule;
import software.amazon.awscdk.services.iot.CfnTopicRule.ActionProperty;
import software.amazon.awscdk.services.iot.CfnTopicRule.CloudwatchLogsActionProperty;
import software.amazon.awscdk.services.iot.CfnTopicRule.LambdaActionProperty;
import software.amazon.awscdk.services.iot.CfnTopicRule.TopicRulePayloadProperty;
import software.amazon.awscdk.services.lambda.IFunction;
import software.amazon.awscdk.services.lambda.Permission;
import software.amazon.awscdk.services.lambda.destinations.SqsDestination;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.sqs.Queue;
import software.amazon.awscdk.services.sqs.QueueEncryption;
import software.constructs.Construct;

/**
 * JITR: the certificate-registered event activates the certificate (certificate-activation), then the device's request
 * on the JITR request topic gets it a thing and the app policy (thing-provisioning). Renewal: a device's announcement
 * of its next certificate, published with its current one on {@value #RENEWAL_TOPIC_FILTER}, is recorded on its thing
 * (the renewal announcement function, in the thing-provisioning jar). Each rule logs its action errors; each function
 * sends events it finally failed on to an SQS queue.
 */
public final class RegistrationPipeline extends Construct {
    public static final String ACTIVATION_HANDLER =
            "dev.iotonboard.lambda.activation.CertificateActivationHandler::handleRequest";
    public static final String PROVISIONING_HANDLER =
            "dev.iotonboard.lambda.provisioning.ThingProvisioningHandler::handleRequest";
    public static final String RENEWAL_HANDLER =
            "dev.iotonboard.lambda.provisioning.RenewalAnnouncementHandler::handleRequest";
    public static final String SQL_VERSION = "2016-03-23";
    /** The topic a device announces its next certificate on, with its current one (docs/contracts.md, renewal). */
    public static final String RENEWAL_TOPIC_FILTER = "things/+/renewal";
    /** The certificate id is only a claim (proven by its own JITR later); the announcer is the connection's. */
    public static final String RENEWAL_SQL = "SELECT certificateId, topic(2) AS thingName, principal() AS announcerId "
            + "FROM '" + RENEWAL_TOPIC_FILTER + "'";

    /**
     * Exactly the IoT calls each handler declares (lambdas/*: the handler's iotRequests), by IAM resource type;
     * local's FunctionGrantsTest checks them against the declarations.
     */
    public static final List<String> ACTIVATION_CERTIFICATE_ACTIONS = List.of("iot:DescribeCertificate",
            "iot:UpdateCertificate", "iot:AttachPolicy");
    /** IAM has no resource type for ListAttachedPolicies: it is granted on "*". */
    public static final List<String> ACTIVATION_UNTYPED_ACTIONS = List.of("iot:ListAttachedPolicies");
    /** The activation function checks that the issuing CA is ACTIVE. */
    public static final List<String> ACTIVATION_CA_ACTIONS = List.of("iot:DescribeCACertificate");
    /** UpdateCertificate sets INACTIVE a certificate that asked for a thing other than its CN. */
    public static final List<String> PROVISIONING_CERTIFICATE_ACTIONS = List.of("iot:DescribeCertificate",
            "iot:ListPrincipalThings", "iot:AttachThingPrincipal", "iot:DetachThingPrincipal", "iot:AttachPolicy",
            "iot:DetachPolicy", "iot:UpdateCertificate");
    /** A renewal lists the policies of the certificate it retires; IAM has no resource type for it. */
    public static final List<String> PROVISIONING_UNTYPED_ACTIONS = List.of("iot:ListAttachedPolicies");
    /** The renewal announcement function reads the announcing certificate and its things... */
    public static final List<String> RENEWAL_CERTIFICATE_ACTIONS = List.of("iot:DescribeCertificate",
            "iot:ListPrincipalThings");
    /** ...and writes the announcement on the thing. */
    public static final List<String> RENEWAL_THING_ACTIONS = List.of("iot:UpdateThing");
    /** DescribeCertificate, ListPrincipalThings, UpdateThing. */
    public static final int RENEWAL_MAX_CALLS = 3;
    /**
     * Renewals are rare and not urgent: one execution handles several announcements a second, and Lambda's
     * asynchronous queue holds the rest.
     */
    public static final int RENEWAL_CONCURRENCY = 1;
    /**
     * The most IoT calls one invocation makes (lambdas/README.md): activation DescribeCertificate,
     * DescribeCACertificate, AttachPolicy, UpdateCertificate; provisioning the nine of a new thing and, when another
     * certificate races onto it, DetachThingPrincipal.
     */
    public static final int ACTIVATION_MAX_CALLS = 4;
    public static final int PROVISIONING_MAX_CALLS = 10;
    /**
     * A renewal from one old certificate (one policy): the four reads, AttachThingPrincipal, AttachPolicy,
     * DetachPolicy, then UpdateCertificate, ListAttachedPolicies, DetachPolicy and DetachThingPrincipal of the old one,
     * UpdateThing (thing-provisioning's ThingRenewalTest.renewal_makesTwelveCalls).
     */
    public static final int PROVISIONING_RENEWAL_MAX_CALLS = 12;
    /**
     * IAM authorizes AttachThingPrincipal and DetachThingPrincipal on the certificate only (resource type cert), so
     * they are among the certificate actions, not here.
     */
    public static final List<String> PROVISIONING_THING_ACTIONS = List.of("iot:CreateThing", "iot:DescribeThing",
            "iot:ListThingPrincipals", "iot:UpdateThing");

    /** AddThingToThingGroup: IAM authorizes it on the thing group and the thing both. */
    public static final List<String> PROVISIONING_GROUP_ACTIONS = List.of("iot:AddThingToThingGroup");
    /**
     * With a thing type or attributes, an invocation may also read the thing again after a CreateThing conflict and
     * reconcile it (DescribeThing, UpdateThing), or reconcile it in a renewal (UpdateThing).
     */
    public static final int PLACEMENT_EXTRA_CALLS = 2;

    /** The most IoT calls one provisioning invocation makes with this placement: one more per thing group. */
    public static int provisioningMaxCalls(ThingPlacement placement) {
        boolean reconciles = placement.thingTypeName().isPresent() || !placement.thingAttributes().isEmpty();
        return Math.max(PROVISIONING_MAX_CALLS, PROVISIONING_RENEWAL_MAX_CALLS)
                + (reconciles ? PLACEMENT_EXTRA_CALLS : 0) + placement.thingGroupNames().size();
    }

    /** Lambda's retries of a failed asynchronous (IoT rule) invocation before the event goes to the failure queue. */
    public static final int ASYNC_RETRY_ATTEMPTS = 2;

    private final JavaFunction activation;
    private final JavaFunction provisioning;
    private final Queue activationFailures;
    private final Queue provisioningFailures;
    private final LogGroup ruleErrors;
    private final CfnTopicRule certificateRegisteredRule;
    private final CfnTopicRule provisioningRequestRule;
    private final JavaFunction renewal;
    private final Queue renewalFailures;
    private final CfnTopicRule renewalAnnouncementRule;

    public RegistrationPipeline(Construct scope, String id, Props props) {
        super(scope, id);
        String caCertificateIds = String.join(",", props.caCertificateIds());
        String caStatusCacheSeconds = Integer.toString(props.caStatusCacheSeconds());

        activationFailures = failureQueue("ActivationFailures");
        activation = new JavaFunction(this, "CertificateActivation", JavaFunction.Props.builder()
                .jar(props.activationJar())
                .handler(ACTIVATION_HANDLER)
                .description("JITR: activates a newly registered device certificate and attaches the JITR policy")
                .environment(Map.of("JITR_POLICY_NAME", props.jitrPolicyName(), "CA_CERTIFICATE_IDS", caCertificateIds,
                        "THING_NAME_PATTERN", props.thingNamePattern(), "CA_STATUS_CACHE_SECONDS", caStatusCacheSeconds))
                .timeout(RetryBudget.timeout(ACTIVATION_MAX_CALLS))
                .reservedConcurrency(props.activationConcurrency())
                .onFailure(new SqsDestination(activationFailures))
                .asyncInvoke(ASYNC_RETRY_ATTEMPTS, Duration.hours(6))
                .build());
        IotGrants.certificates(activation.getRole(), ACTIVATION_CERTIFICATE_ACTIONS.toArray(String[]::new));
        IotGrants.withoutResourceType(activation.getRole(), ACTIVATION_UNTYPED_ACTIONS.toArray(String[]::new));
        IotGrants.caCertificates(activation.getRole(), props.caCertificateIds(), ACTIVATION_CA_ACTIONS.toArray(String[]::new));

        provisioningFailures = failureQueue("ProvisioningFailures");
        Map<String, String> provisioningEnvironment = new java.util.HashMap<>(Map.of(
                "JITR_POLICY_NAME", props.jitrPolicyName(), "APP_POLICY_NAME", props.appPolicyName(),
                "CA_CERTIFICATE_IDS", caCertificateIds, "THING_NAME_PATTERN", props.thingNamePattern(),
                "RENEWAL_WINDOW_HOURS", Integer.toString(props.renewalWindowHours())));
        ThingPlacement placement = props.placement();
        placement.thingTypeName().ifPresent(type -> provisioningEnvironment.put("THING_TYPE_NAME", type));
        if (!placement.thingGroupNames().isEmpty()) {
            provisioningEnvironment.put("THING_GROUP_NAMES", String.join(",", placement.thingGroupNames()));
        }
        if (!placement.thingAttributes().isEmpty()) {
            provisioningEnvironment.put("THING_ATTRIBUTES", placement.attributesEnvironmentValue());
        }
        provisioning = new JavaFunction(this, "ThingProvisioning", JavaFunction.Props.builder()
                .jar(props.provisioningJar())
                .handler(PROVISIONING_HANDLER)
                .description("JITR: creates the device's thing, attaches the certificate and swaps JITR for app policy")
                .environment(provisioningEnvironment)
                .timeout(RetryBudget.timeout(provisioningMaxCalls(placement)))
                .reservedConcurrency(props.provisioningConcurrency())
                .onFailure(new SqsDestination(provisioningFailures))
                .asyncInvoke(ASYNC_RETRY_ATTEMPTS, Duration.hours(6))
                .build());
        IotGrants.certificates(provisioning.getRole(), PROVISIONING_CERTIFICATE_ACTIONS.toArray(String[]::new));
        IotGrants.things(provisioning.getRole(), PROVISIONING_THING_ACTIONS.toArray(String[]::new));
        IotGrants.withoutResourceType(provisioning.getRole(), PROVISIONING_UNTYPED_ACTIONS.toArray(String[]::new));
        if (!placement.thingGroupNames().isEmpty()) {
            IotGrants.thingsInGroups(provisioning.getRole(), placement.thingGroupNames(),
                    PROVISIONING_GROUP_ACTIONS.toArray(String[]::new));
        }

        renewalFailures = failureQueue("RenewalFailures");
        renewal = new JavaFunction(this, "RenewalAnnouncement", JavaFunction.Props.builder()
                .jar(props.provisioningJar())
                .handler(RENEWAL_HANDLER)
                .description("Renewal: records a device's announcement of its next certificate on its thing")
                .environment(Map.of("CA_CERTIFICATE_IDS", caCertificateIds, "THING_NAME_PATTERN", props.thingNamePattern()))
                .timeout(RetryBudget.timeout(RENEWAL_MAX_CALLS))
                .reservedConcurrency(RENEWAL_CONCURRENCY)
                .onFailure(new SqsDestination(renewalFailures))
                .asyncInvoke(ASYNC_RETRY_ATTEMPTS, Duration.hours(6))
                .build());
        IotGrants.certificates(renewal.getRole(), RENEWAL_CERTIFICATE_ACTIONS.toArray(String[]::new));
        IotGrants.things(renewal.getRole(), RENEWAL_THING_ACTIONS.toArray(String[]::new));

        ruleErrors = LogGroup.Builder.create(this, "RuleErrors").retention(RetentionDays.ONE_MONTH).build();
        Role ruleErrorRole = Role.Builder.create(this, "RuleErrorRole")
                .assumedBy(new ServicePrincipal("iot.amazonaws.com").withConditions(
                        Map.of("StringEquals", Map.of("aws:SourceAccount", Stack.of(this).getAccount()))))
                .description("Lets the JITR topic rules log action errors")
                .build();
        ruleErrors.grant(ruleErrorRole, "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents");
        ActionProperty errorAction = ActionProperty.builder()
                .cloudwatchLogs(CloudwatchLogsActionProperty.builder()
                        .logGroupName(ruleErrors.getLogGroupName())
                        .roleArn(ruleErrorRole.getRoleArn())
                        .build())
                .build();

        certificateRegisteredRule = rule("CertificateRegisteredRule",
                "JITR: a certificate of " + (caCertificateIds.isEmpty() ? "any auto-registration CA"
                        : props.caCertificateIds().size() == 1 ? "the CA " + caCertificateIds
                        : props.caCertificateIds().size() + " CAs (a CA rotation)") + " was registered",
                registeredEventSql(props.caCertificateIds()), activation.getAlias(), errorAction);
        // The certificate id comes from the connection (principal()) and requestedAt from the rules engine
        // (timestamp()), never from the payload.
        provisioningRequestRule = rule("ProvisioningRequestRule",
                "JITR: a device with an activated certificate asks for its thing",
                "SELECT thingName, principal() AS certificateId, timestamp() AS requestedAt FROM '"
                        + props.jitrRequestTopic() + "'",
                provisioning.getAlias(), errorAction);
        // The announcer comes from the connection (principal()) and the thing from the topic, which the app policy
        // allows a device only for its own thing.
        renewalAnnouncementRule = rule("RenewalAnnouncementRule",
                "Renewal: a device announces its next certificate with its current one", RENEWAL_SQL,
                renewal.getAlias(), errorAction);
    }

    /**
     * The registered-event rule's SQL. One CA: its own topic. Several (while a CA rotation overlaps): one rule on
     * every CA's topic whose WHERE keeps the listed CAs, by the topic's CA level ({@code topic(5)}, set by IoT, not
     * by a device). One rule rather than one per CA: its name, its output and its Lambda permission stay the same
     * through a rotation (a CA added or removed only updates the SQL in place, so no event falls between a rule
     * deleted and one created), and it spends one of the account's topic-rule quota whatever the number of CAs.
     * No CA (allowAnyCa): every CA's topic.
     */
    static String registeredEventSql(List<String> caCertificateIds) {
        String topic = "$aws/events/certificates/registered/";
        if (caCertificateIds.isEmpty()) {
            return "SELECT * FROM '" + topic + "#'";
        }
        if (caCertificateIds.size() == 1) {
            return "SELECT * FROM '" + topic + caCertificateIds.get(0) + "'";
        }
        return "SELECT * FROM '" + topic + "+' WHERE " + caCertificateIds.stream()
                .map(id -> "topic(5) = '" + id + "'")
                .collect(java.util.stream.Collectors.joining(" OR "));
    }

    private Queue failureQueue(String id) {
        // Kept when the stack is deleted: a failure queue can hold the only copy of a device's request.
        Queue queue = Queue.Builder.create(this, id)
                .encryption(QueueEncryption.SQS_MANAGED)
                .enforceSsl(true)
                .retentionPeriod(Duration.days(14))
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        Nag.suppress(queue, "AwsSolutions-SQS3", "This queue is itself the dead-letter store: the on-failure destination "
                + "of a JITR function, read by an operator; a further DLQ would only move the same messages.");
        return queue;
    }

    /** {@code target} is the function's alias: SnapStart runs only published versions. */
    private CfnTopicRule rule(String id, String description, String sql, IFunction target, ActionProperty errorAction) {
        CfnTopicRule rule = CfnTopicRule.Builder.create(this, id)
                .topicRulePayload(TopicRulePayloadProperty.builder()
                        .description(description)
                        .sql(sql)
                        .awsIotSqlVersion(SQL_VERSION)
                        .ruleDisabled(false)
                        .actions(List.of(ActionProperty.builder()
                                .lambda(LambdaActionProperty.builder().functionArn(target.getFunctionArn()).build())
                                .build()))
                        .errorAction(errorAction)
                        .build())
                .build();
        target.addPermission(id + "Invoke", Permission.builder()
                .principal(new ServicePrincipal("iot.amazonaws.com"))
                .action("lambda:InvokeFunction")
                .sourceArn(rule.getAttrArn())
                .sourceAccount(Stack.of(this).getAccount())
                .build());
        return rule;
    }

    public JavaFunction getActivation() {
        return activation;
    }

    public JavaFunction getProvisioning() {
        return provisioning;
    }

    public Queue getActivationFailures() {
        return activationFailures;
    }

    public Queue getProvisioningFailures() {
        return provisioningFailures;
    }

    public JavaFunction getRenewal() {
        return renewal;
    }

    public Queue getRenewalFailures() {
        return renewalFailures;
    }

    public CfnTopicRule getRenewalAnnouncementRule() {
        return renewalAnnouncementRule;
    }

    public LogGroup getRuleErrors() {
        return ruleErrors;
    }

    public CfnTopicRule getCertificateRegisteredRule() {
        return certificateRegisteredRule;
    }

    public CfnTopicRule getProvisioningRequestRule() {
        return provisioningRequestRule;
    }

    /**
     * @param jitrPolicyName  the IoT policy a freshly activated certificate gets
     * @param appPolicyName   the IoT policy a provisioned device gets
     * @param caCertificateIds the CAs whose registrations to handle; empty for any auto-registration CA
     * @param thingNamePattern what a device certificate's CN, its thing name, must look like (THING_NAME_PATTERN)
     * @param caStatusCacheSeconds how long activation trusts its last answer on the CA's status
     * @param activationConcurrency   reserved concurrency of certificate-activation (see ConcurrencySizing)
     * @param provisioningConcurrency reserved concurrency of thing-provisioning (see ConcurrencySizing)
     * @param renewalWindowHours how long a renewal announcement lets the announced certificate take the thing over
     * @param placement the type, groups and attributes provisioning gives a thing (THING_TYPE_NAME, THING_GROUP_NAMES,
     *                  THING_ATTRIBUTES)
     */
    public record Props(Path activationJar, Path provisioningJar, String jitrPolicyName, String appPolicyName,
                        List<String> caCertificateIds, String thingNamePattern, int caStatusCacheSeconds,
                        String jitrRequestTopic, int activationConcurrency, int provisioningConcurrency,
                        int renewalWindowHours, ThingPlacement placement) {
        public Props {
            Objects.requireNonNull(placement, "placement");
            Objects.requireNonNull(activationJar, "activationJar");
            Objects.requireNonNull(provisioningJar, "provisioningJar");
            Objects.requireNonNull(jitrPolicyName, "jitrPolicyName");
            Objects.requireNonNull(appPolicyName, "appPolicyName");
            caCertificateIds = List.copyOf(Objects.requireNonNull(caCertificateIds, "caCertificateIds"));
            Objects.requireNonNull(thingNamePattern, "thingNamePattern");
            Objects.requireNonNull(jitrRequestTopic, "jitrRequestTopic");
            if (activationConcurrency < 1 || provisioningConcurrency < 1) {
                throw new IllegalArgumentException("reserved concurrency must be at least 1: " + activationConcurrency
                        + ", " + provisioningConcurrency);
            }
        }

        public static Builder builder() {
            return new Builder();
        }

        public static final class Builder {
            private Path activationJar;
            private Path provisioningJar;
            private String jitrPolicyName;
            private String appPolicyName;
            private List<String> caCertificateIds = List.of();
            private String thingNamePattern = OnboardingConfig.DEFAULT_THING_NAME_PATTERN;
            private int caStatusCacheSeconds = OnboardingConfig.DEFAULT_CA_STATUS_CACHE_SECONDS;
            private String jitrRequestTopic = "jitr/request";
            private int activationConcurrency = 1;
            private int provisioningConcurrency = 1;
            private int renewalWindowHours = OnboardingConfig.DEFAULT_RENEWAL_WINDOW_HOURS;
            private ThingPlacement placement = ThingPlacement.NONE;

            public Builder activationJar(Path jar) {
                this.activationJar = jar;
                return this;
            }

            public Builder provisioningJar(Path jar) {
                this.provisioningJar = jar;
                return this;
            }

            public Builder jitrPolicyName(String name) {
                this.jitrPolicyName = name;
                return this;
            }

            public Builder appPolicyName(String name) {
                this.appPolicyName = name;
                return this;
            }

            public Builder caCertificateIds(List<String> ids) {
                this.caCertificateIds = ids;
                return this;
            }

            public Builder thingNamePattern(String pattern) {
                this.thingNamePattern = pattern;
                return this;
            }

            public Builder caStatusCacheSeconds(int seconds) {
                this.caStatusCacheSeconds = seconds;
                return this;
            }

            public Builder jitrRequestTopic(String topic) {
                this.jitrRequestTopic = topic;
                return this;
            }

            public Builder reservedConcurrency(int activation, int provisioning) {
                this.activationConcurrency = activation;
                this.provisioningConcurrency = provisioning;
                return this;
            }

            public Builder renewalWindowHours(int hours) {
                this.renewalWindowHours = hours;
                return this;
            }

            public Builder placement(ThingPlacement placement) {
                this.placement = placement;
                return this;
            }

            public Props build() {
                return new Props(activationJar, provisioningJar, jitrPolicyName, appPolicyName, caCertificateIds,
                        thingNamePattern, caStatusCacheSeconds, jitrRequestTopic, activationConcurrency,
                        provisioningConcurrency, renewalWindowHours, placement);
            }
        }
    }
}
