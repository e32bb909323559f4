package dev.iotonboard.infra.constructs;

import dev.iotonboard.infra.AlarmSettings;
import dev.iotonboard.infra.OnboardingConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.apigateway.RestApi;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.Dashboard;
import software.amazon.awscdk.services.cloudwatch.GraphWidget;
import software.amazon.awscdk.services.cloudwatch.HorizontalAnnotation;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.IWidget;
import software.amazon.awscdk.services.cloudwatch.Metric;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.cloudwatch.TextWidget;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.cloudwatch.actions.SnsAction;
import software.amazon.awscdk.services.iam.AccountRootPrincipal;
import software.amazon.awscdk.services.iam.PolicyDocument;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.iot.CfnTopicRule;
import software.amazon.awscdk.services.kms.CfnKey;
import software.amazon.awscdk.services.kms.Key;
import software.amazon.awscdk.services.lambda.CfnFunction;
import software.amazon.awscdk.services.sns.Topic;
import software.amazon.awscdk.services.sns.subscriptions.EmailSubscription;
import software.amazon.awscdk.services.sqs.Queue;
import software.constructs.Construct;
import software.constructs.IConstruct;

/**
 * The stack's alarms, the SNS topic they notify (on alarm and on recovery), and the operations dashboard
 * (docs/operations.md "Alarms" is the runbook, one section per alarm kind).
 *
 * <p>Build it last in the stack: it alarms on every failure queue, {@link JavaFunction} and topic rule the stack holds
 * at that point (found in the construct tree, so a new queue, function or rule is covered without touching this
 * class). CDK's own deploy-time provider functions (the truststore's AwsCustomResource) get no alarm: only
 * CloudFormation invokes them, and their failure fails the deployment.
 *
 * <p>All alarms are single-metric, one evaluation period, with the plain properties a tool can evaluate over recorded
 * metric lines (the local IoT Core does): namespace, metric, dimensions, statistic, period, threshold, comparison and
 * treatment of missing data. Counts that a service or handler writes only when something happened (failures, errors,
 * throttles, 5xx, denials) treat missing data as not breaching: no data is "none happened". The reconciler's findings
 * and the expiry figures are written on every finished run or scan, zeros included, so their alarms ignore missing
 * data (a period without a finished run) and the last run's verdict stands until the next one; a run that fails
 * writes nothing, and its function's Errors alarm reports it.
 */
public final class Monitoring extends Construct {
    public static final String NAMESPACE = ExpiryWatch.METRICS_NAMESPACE;
    /** The runbook every alarm description points to. */
    public static final String RUNBOOK = "docs/operations.md#alarms";
    private static final int MAX_PERIOD_MINUTES = AlarmSettings.MAX_PERIOD_MINUTES;

    /**
     * What the account may do with the topic key (key policy "Allows key administrators to administer the KMS key",
     * AWS KMS developer guide, with each action named): CloudFormation creates, updates, tags and schedules its
     * deletion; an administrator may read and change its policy, rotation and state.
     */
    static final List<String> KEY_ADMINISTRATION = List.of("kms:CancelKeyDeletion", "kms:DescribeKey",
            "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
            "kms:GetKeyRotationStatus", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListResourceTags",
            "kms:PutKeyPolicy", "kms:RevokeGrant", "kms:ScheduleKeyDeletion", "kms:TagResource",
            "kms:UntagResource", "kms:UpdateKeyDescription");

    private final CfnKey topicKey;
    private final Topic topic;
    private final Map<String, Alarm> alarms = new LinkedHashMap<>();
    private final Dashboard dashboard;
    private final String prefix;

    public Monitoring(Construct scope, String id, Props props) {
        super(scope, id);
        Stack stack = Stack.of(this);
        prefix = stack.getStackName() + "-";
        AlarmSettings settings = props.alarms();
        Duration period = Duration.minutes(settings.periodMinutes());

        // CloudWatch publishes to an encrypted topic only when the key lets it (SNS developer guide, "Enabling
        // compatibility between event sources from AWS services and encrypted topics"): the AWS managed SNS key
        // cannot, hence a customer managed key. Its policy is written out (the L2 Key always adds kms:* for the
        // account): the account administers the key with the actions named, CloudWatch encrypts with it.
        topicKey = CfnKey.Builder.create(this, "AlarmTopicKey")
                .description("Encrypts the alarm topic of " + stack.getStackName())
                .enableKeyRotation(true)
                .pendingWindowInDays(7)
                .keyPolicy(PolicyDocument.Builder.create().statements(List.of(
                        PolicyStatement.Builder.create()
                                .sid("AccountAdministersTheKey")
                                .principals(List.of(new AccountRootPrincipal()))
                                .actions(KEY_ADMINISTRATION)
                                .resources(List.of("*"))
                                .build(),
                        PolicyStatement.Builder.create()
                                .sid("CloudWatchAlarmsPublishToTheEncryptedTopic")
                                .principals(List.of(new ServicePrincipal("cloudwatch.amazonaws.com")))
                                .actions(List.of("kms:Decrypt", "kms:GenerateDataKey"))
                                .resources(List.of("*"))
                                .build())).build())
                .build();
        // It encrypts notifications in transit through SNS only; nothing stays encrypted under it.
        topicKey.applyRemovalPolicy(RemovalPolicy.DESTROY);
        topic = Topic.Builder.create(this, "AlarmTopic")
                .displayName("IoT onboarding alarms (" + stack.getStackName() + ")")
                .masterKey(Key.fromKeyArn(this, "AlarmTopicKeyArn", topicKey.getAttrArn()))
                .enforceSsl(true)
                .build();
        topic.addToResourcePolicy(PolicyStatement.Builder.create()
                .sid("CloudWatchAlarmsOfThisAccountPublish")
                .principals(List.of(new ServicePrincipal("cloudwatch.amazonaws.com")))
                .actions(List.of("sns:Publish"))
                .resources(List.of(topic.getTopicArn()))
                // Sorted, so the template does not change from one synthesis to the next.
                .conditions(new TreeMap<>(Map.of(
                        "StringEquals", Map.of("aws:SourceAccount", stack.getAccount()),
                        "ArnLike", Map.of("aws:SourceArn", "arn:" + stack.getPartition() + ":cloudwatch:"
                                + stack.getRegion() + ":" + stack.getAccount() + ":alarm:*"))))
                .build());
        settings.email().ifPresent(email -> topic.addSubscription(new EmailSubscription(email)));

        Map<String, Queue> queues = named(stack, Queue.class);
        Map<String, JavaFunction> functions = named(stack, JavaFunction.class);
        Map<String, CfnTopicRule> rules = named(stack, CfnTopicRule.class);

        queues.forEach((name, queue) -> alarm(name + "-NotEmpty",
                "The failure queue " + name + " holds a message: an event its function failed on for good.",
                metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", Map.of("QueueName", queue.getQueueName()),
                        "Maximum", period),
                0, ComparisonOperator.GREATER_THAN_THRESHOLD, TreatMissingData.NOT_BREACHING));
        functions.forEach((name, function) -> {
            Map<String, String> dimensions = Map.of("FunctionName", function.getFunction().getFunctionName());
            alarm(name + "-Errors", "The function " + name + " failed (error or timeout) more than "
                            + settings.functionErrors() + " time(s) in " + settings.periodMinutes() + " min.",
                    metric("AWS/Lambda", "Errors", dimensions, "Sum", period), settings.functionErrors(),
                    ComparisonOperator.GREATER_THAN_THRESHOLD, TreatMissingData.NOT_BREACHING);
            alarm(name + "-Throttles", "The function " + name + " was throttled more than "
                            + settings.functionThrottles() + " time(s) in " + settings.periodMinutes() + " min.",
                    metric("AWS/Lambda", "Throttles", dimensions, "Sum", period), settings.functionThrottles(),
                    ComparisonOperator.GREATER_THAN_THRESHOLD, TreatMissingData.NOT_BREACHING);
        });
        rules.forEach((name, rule) -> alarm(name + "-ActionFailures", "The topic rule " + name + " failed to "
                        + "invoke its Lambda action more than " + settings.ruleFailures() + " time(s) in "
                        + settings.periodMinutes() + " min (the error action logged each one).",
                ruleFailures(rule, period), settings.ruleFailures(), ComparisonOperator.GREATER_THAN_THRESHOLD,
                TreatMissingData.NOT_BREACHING));
        alarm("Api-5xx", "The device API answered 5xx more than " + settings.api5xx() + " time(s) in "
                        + settings.periodMinutes() + " min.",
                apiMetric(props.api(), "5XXError", period), settings.api5xx(),
                ComparisonOperator.GREATER_THAN_THRESHOLD, TreatMissingData.NOT_BREACHING);
        alarm("AuthorizerDenials", "The API authorizer denied more than " + settings.authorizerDenials()
                        + " request(s) in " + settings.periodMinutes() + " min.",
                custom("AuthorizerDeny", "Sum", period), settings.authorizerDenials(),
                ComparisonOperator.GREATER_THAN_THRESHOLD, TreatMissingData.NOT_BREACHING);

        props.reconcileIntervalMinutes().ifPresent(minutes -> {
            Duration run = Duration.minutes(Math.min(minutes, MAX_PERIOD_MINUTES));
            alarm("Reconciler-PendingRepaired", "The reconciler activated certificate(s) left PENDING_ACTIVATION: "
                            + "their registered event was lost or failed.",
                    custom("ReconcilerPendingRepaired", "Sum", run), 0, ComparisonOperator.GREATER_THAN_THRESHOLD,
                    TreatMissingData.IGNORE);
            alarm("Reconciler-Drift", "The reconciler found certificate(s) not in line with the contract (repaired "
                            + "or not): its report names them.",
                    custom("ReconcilerDrift", "Sum", run), 0, ComparisonOperator.GREATER_THAN_THRESHOLD,
                    TreatMissingData.IGNORE);
        });
        props.expiryWatch().ifPresent(watch -> {
            Duration scan = Duration.hours(Math.min(watch.intervalHours(), MAX_PERIOD_MINUTES / 60));
            alarm("CertificatesExpiringSoon", "ACTIVE device certificate(s) expire within " + watch.warningDays()
                            + " days (expiryWarningDays).",
                    custom("CertificatesExpiringSoon", "Maximum", scan), 0, ComparisonOperator.GREATER_THAN_THRESHOLD,
                    TreatMissingData.IGNORE);
            alarm("CertificatesExpired", "ACTIVE device certificate(s) are past their notAfter: those devices "
                            + "cannot connect.",
                    custom("CertificatesExpired", "Maximum", scan), 0, ComparisonOperator.GREATER_THAN_THRESHOLD,
                    TreatMissingData.IGNORE);
            alarm("CaExpiringSoon", "A configured CA certificate expires within " + watch.warningDays()
                            + " days (expiryWarningDays): rotate the CA.",
                    custom("CaDaysUntilExpiry", "Minimum", scan), watch.warningDays(),
                    ComparisonOperator.LESS_THAN_THRESHOLD, TreatMissingData.IGNORE);
        });

        dashboard = Dashboard.Builder.create(this, "Dashboard")
                .dashboardName(prefix + "Operations")
                .build();
        dashboard.addWidgets(widgets(props, period, queues, functions, rules).toArray(IWidget[]::new));
    }

    private List<IWidget> widgets(Props props, Duration period, Map<String, Queue> queues,
                                  Map<String, JavaFunction> functions, Map<String, CfnTopicRule> rules) {
        List<IWidget> widgets = new ArrayList<>();
        widgets.add(TextWidget.Builder.create().width(24).height(2).markdown("# IoT onboarding\nAlarms notify the "
                + "topic " + topic.getTopicName() + "; what each means and what to do: " + RUNBOOK + ".").build());
        widgets.add(graph("Onboarding funnel (per period)", List.of(
                custom("RegisteredEvents", "Sum", period).with(label("registered events")),
                custom("CertificatesActivated", "Sum", period).with(label("certificates activated")),
                custom("DevicesProvisioned", "Sum", period).with(label("devices provisioned"))), List.of()));
        widgets.add(graph("Refusals and duplicates", List.of(
                custom("CertificatesAlreadyActive", "Sum", period),
                custom("ActivationsInProgress", "Sum", period),
                custom("CertificatesRejected", "Sum", period),
                custom("ProvisioningRefused", "Sum", period),
                custom("RenewalsAnnounced", "Sum", period),
                custom("RenewalAnnouncementsRefused", "Sum", period)), List.of()));

        widgets.add(graph("Failure queues: messages visible", queues.entrySet().stream().map(e -> (IMetric) metric(
                "AWS/SQS", "ApproximateNumberOfMessagesVisible", Map.of("QueueName", e.getValue().getQueueName()),
                "Maximum", period).with(label(e.getKey()))).toList(), List.of()));
        widgets.add(graph("Topic rules: action failures", rules.entrySet().stream()
                .map(e -> (IMetric) ruleFailures(e.getValue(), period).with(label(e.getKey()))).toList(), List.of()));

        widgets.add(graph("Function errors", functions.entrySet().stream().map(e -> (IMetric) metric("AWS/Lambda",
                "Errors", Map.of("FunctionName", e.getValue().getFunction().getFunctionName()), "Sum", period)
                .with(label(e.getKey()))).toList(), List.of()));
        widgets.add(graph("Function throttles (at the reserved concurrency)", functions.entrySet().stream()
                .map(e -> (IMetric) metric("AWS/Lambda", "Throttles", Map.of("FunctionName",
                        e.getValue().getFunction().getFunctionName()), "Sum", period).with(label(e.getKey())))
                .toList(), List.of()));
        if (props.reservedConcurrency()) {
            functions.forEach((name, function) -> reservation(function).ifPresent(reserved -> widgets.add(graph(
                    name + ": concurrency against its reservation", List.of(metric("AWS/Lambda",
                            "ConcurrentExecutions", Map.of("FunctionName", function.getFunction().getFunctionName()),
                            "Maximum", period)),
                    List.of(HorizontalAnnotation.builder().value(reserved).label("reserved concurrency")
                            .build())))));
        }
        List<IMetric> quotas = new ArrayList<>(rules.entrySet().stream().map(e -> (IMetric) metric("AWS/IoT",
                "RuleMessageThrottled", Map.of("RuleName", e.getValue().getRef()), "Sum", period)
                .with(label(e.getKey() + " throttled"))).toList());
        quotas.add(metric(NAMESPACE, "AuthorizerDeny", Map.of("Reason", "REGISTRY_UNAVAILABLE"), "Sum", period)
                .with(label("authorizer: registry throttled or unavailable (Deny REGISTRY_UNAVAILABLE)")));
        widgets.add(graph("Throttled: IoT rule messages, authorizer registry reads", quotas, List.of()));
        widgets.add(graph("Device API: 4xx (429 throttles included) and 5xx", List.of(
                apiMetric(props.api(), "4XXError", period).with(label("4xx, 429 included")),
                apiMetric(props.api(), "5XXError", period).with(label("5xx"))), List.of()));

        widgets.add(graph("Authorizer decisions", List.of(
                custom("AuthorizerAllow", "Sum", period).with(label("allow")),
                custom("AuthorizerDeny", "Sum", period).with(label("deny"))), List.of()));
        widgets.add(graph("Authorizer latency (ms)", List.of(
                custom("AuthorizerLatency", "p50", period).with(label("p50")),
                custom("AuthorizerLatency", "p99", period).with(label("p99"))), List.of()));

        props.reconcileIntervalMinutes().ifPresent(minutes -> {
            Duration run = Duration.minutes(Math.min(minutes, MAX_PERIOD_MINUTES));
            widgets.add(graph("Reconciler findings (per run)", List.of(
                    custom("ReconcilerPendingRepaired", "Sum", run),
                    custom("ReconcilerActiveWithoutThing", "Sum", run),
                    custom("ReconcilerDrift", "Sum", run),
                    custom("ReconcilerScanIncomplete", "Maximum", run)), List.of()));
        });
        props.expiryWatch().ifPresent(watch -> {
            Duration scan = Duration.hours(Math.min(watch.intervalHours(), MAX_PERIOD_MINUTES / 60));
            widgets.add(graph("Device certificates expiring (per scan)", List.of(
                    custom("CertificatesExpiringSoon", "Maximum", scan),
                    custom("CertificatesExpired", "Maximum", scan),
                    custom("ExpiryScanIncomplete", "Maximum", scan)), List.of()));
            widgets.add(graph("Days until the first CA expires", List.of(custom("CaDaysUntilExpiry", "Minimum", scan)),
                    List.of(HorizontalAnnotation.builder().value(watch.warningDays()).label("expiryWarningDays")
                            .build())));
        });
        return widgets;
    }

    private static GraphWidget graph(String title, List<IMetric> metrics, List<HorizontalAnnotation> annotations) {
        return GraphWidget.Builder.create().title(title).width(12).height(6).left(metrics)
                .leftAnnotations(annotations).build();
    }

    private static MetricOptions label(String label) {
        return MetricOptions.builder().label(label).build();
    }

    private static Optional<Number> reservation(JavaFunction function) {
        return Optional.ofNullable(((CfnFunction) function.getFunction().getNode().getDefaultChild())
                .getReservedConcurrentExecutions());
    }

    /** AWS IoT's rule action metric for the rule's one (Lambda) action. */
    private static Metric ruleFailures(CfnTopicRule rule, Duration period) {
        return metric("AWS/IoT", "Failure", Map.of("RuleName", rule.getRef(), "ActionType", "Lambda"), "Sum", period);
    }

    private static Metric apiMetric(RestApi api, String name, Duration period) {
        return metric("AWS/ApiGateway", name, Map.of("ApiName", api.getRestApiName(),
                "Stage", api.getDeploymentStage().getStageName()), "Sum", period);
    }

    /** A metric the functions write without dimension (the metrics contract: the fleet-wide line). */
    private static Metric custom(String name, String statistic, Duration period) {
        return metric(NAMESPACE, name, Map.of(), statistic, period);
    }

    private static Metric metric(String namespace, String name, Map<String, String> dimensions, String statistic,
                                 Duration period) {
        // Sorted: the template lists dimensions in the map's order, and Map.of's order changes from run to run.
        return Metric.Builder.create().namespace(namespace).metricName(name).dimensionsMap(new TreeMap<>(dimensions))
                .statistic(statistic).period(period).build();
    }

    private void alarm(String name, String meaning, Metric metric, int threshold, ComparisonOperator comparison,
                       TreatMissingData missing) {
        if (alarms.containsKey(name)) {
            throw new IllegalStateException("two alarms named " + name);
        }
        Alarm alarm = Alarm.Builder.create(this, name)
                .alarmName(prefix + name)
                .alarmDescription(meaning + " Runbook: " + RUNBOOK + ".")
                .metric(metric)
                .threshold(threshold)
                .comparisonOperator(comparison)
                .evaluationPeriods(1)
                .datapointsToAlarm(1)
                .treatMissingData(missing)
                .build();
        alarm.addAlarmAction(new SnsAction(topic));
        alarm.addOkAction(new SnsAction(topic));
        alarms.put(name, alarm);
    }

    /**
     * The constructs of {@code type} in the stack by a readable name: the construct's id, or its parent's when the
     * id is the generic "Function" (the reconciler's and the expiry watch's), without a trailing "Rule".
     */
    private static <T extends IConstruct> Map<String, T> named(Stack stack, Class<T> type) {
        Map<String, T> named = new LinkedHashMap<>();
        for (IConstruct construct : stack.getNode().findAll()) {
            if (!type.isInstance(construct)) {
                continue;
            }
            String id = construct.getNode().getId();
            String name = id.equals("Function") ? construct.getNode().getScope().getNode().getId()
                    : id.endsWith("Rule") && !id.equals("Rule") ? id.substring(0, id.length() - "Rule".length()) : id;
            if (named.put(name, type.cast(construct)) != null) {
                throw new IllegalStateException("two " + type.getSimpleName() + "s named " + name
                        + ": give one another id");
            }
        }
        return named;
    }

    public Topic getTopic() {
        return topic;
    }

    public CfnKey getTopicKey() {
        return topicKey;
    }

    /** Every alarm by its name without the stack prefix, e.g. "ActivationFailures-NotEmpty". */
    public Map<String, Alarm> getAlarms() {
        return Collections.unmodifiableMap(alarms);
    }

    public Dashboard getDashboard() {
        return dashboard;
    }

    /**
     * @param alarms                   the topic's email and the thresholds
     * @param reservedConcurrency      whether the functions keep their reservations (the dashboard charts each one's
     *                                 concurrency against it)
     * @param api                      the device API (5xx and 4xx by ApiName and Stage)
     * @param reconcileIntervalMinutes the reconciler's schedule; empty when it is not deployed
     * @param expiryWatch              the expiry watch's schedule and window; empty when it is not deployed
     */
    public record Props(AlarmSettings alarms, boolean reservedConcurrency, RestApi api,
                        OptionalInt reconcileIntervalMinutes, Optional<OnboardingConfig.ExpiryWatch> expiryWatch) {
        public Props {
            Objects.requireNonNull(alarms, "alarms");
            Objects.requireNonNull(api, "api");
            Objects.requireNonNull(reconcileIntervalMinutes, "reconcileIntervalMinutes");
            Objects.requireNonNull(expiryWatch, "expiryWatch");
        }
    }
}
