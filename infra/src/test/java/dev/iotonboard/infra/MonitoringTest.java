package dev.iotonboard.infra;

import static dev.iotonboard.infra.Cfn.ref;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.infra.constructs.DeviceApi;
import dev.iotonboard.infra.constructs.JavaFunction;
import dev.iotonboard.infra.constructs.Monitoring;
import dev.iotonboard.infra.constructs.RegistrationPipeline;
import dev.iotonboard.infra.stacks.OnboardingStack;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/**
 * The alarms, their topic and the dashboard in the shared synthesized stack (issue 15 items 2 and 3), plus one
 * synthesis with every alarm key set (allowAnyCa, so without reconciler and expiry watch).
 */
class MonitoringTest {
    private static final String PREFIX = OnboardingApp.STACK_NAME + "-";
    private static final String ALARM = "AWS::CloudWatch::Alarm";

    private final OnboardingStack stack = SynthesizedStack.stack();
    private final Template template = SynthesizedStack.template();
    private final Monitoring monitoring = stack.getMonitoring();
    private final Map<String, Object> topicRef = ref(Cfn.logicalId(monitoring.getTopic()));

    @Test
    void everyFailureQueue_alarmsOnItsFirstMessage() {
        RegistrationPipeline registration = stack.getRegistration();
        Map<String, Object> queues = Map.of(
                "ActivationFailures", registration.getActivationFailures(),
                "ProvisioningFailures", registration.getProvisioningFailures(),
                "RenewalFailures", registration.getRenewalFailures());
        queues.forEach((name, queue) -> assertAlarm(name + "-NotEmpty", "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                List.of(Map.of("Name", "QueueName", "Value", getAtt(queue, "QueueName"))),
                "Maximum", 300, 0, "GreaterThanThreshold", "notBreaching"));
        assertEquals(queueNames(), Set.copyOf(queues.keySet()), "every queue of the template is a failure queue");
    }

    @Test
    void everyFunctionOfTheTemplate_hasAnErrorsAndAThrottlesAlarm() {
        Set<String> functions = projectFunctions();
        assertEquals(8, functions.size(), functions.toString());
        Map<String, JavaFunction> named = Map.of(
                "CertificateActivation", stack.getRegistration().getActivation(),
                "ThingProvisioning", stack.getRegistration().getProvisioning(),
                "RenewalAnnouncement", stack.getRegistration().getRenewal(),
                "Authorizer", stack.getDeviceApi().getAuthorizerFunction(),
                "Sample", stack.getDeviceApi().getSampleFunction(),
                "Reconciler", stack.getReconciler().orElseThrow().getFunction(),
                "ExpiryWatch", stack.getExpiryWatch().orElseThrow().getFunction(),
                "RegistrySync", stack.getRegistrySync().orElseThrow().getFunction());
        assertEquals(functions, named.values().stream().map(f -> Cfn.logicalId(f.getFunction()))
                .collect(Collectors.toSet()));
        named.forEach((name, function) -> {
            List<Map<String, Object>> dimensions = List.of(Map.of("Name", "FunctionName",
                    "Value", ref(Cfn.logicalId(function.getFunction()))));
            assertAlarm(name + "-Errors", "AWS/Lambda", "Errors", dimensions, "Sum", 300, 0, "GreaterThanThreshold",
                    "notBreaching");
            assertAlarm(name + "-Throttles", "AWS/Lambda", "Throttles", dimensions, "Sum", 300, 0,
                    "GreaterThanThreshold", "notBreaching");
        });
    }

    @Test
    void everyTopicRule_alarmsOnItsLambdaActionFailures() {
        RegistrationPipeline registration = stack.getRegistration();
        Map<String, Object> rules = Map.of(
                "CertificateRegistered", registration.getCertificateRegisteredRule(),
                "ProvisioningRequest", registration.getProvisioningRequestRule(),
                "RenewalAnnouncement", registration.getRenewalAnnouncementRule());
        assertEquals(template.findResources("AWS::IoT::TopicRule").keySet(), rules.values().stream()
                .map(rule -> Cfn.logicalId((software.constructs.IConstruct) rule)).collect(Collectors.toSet()));
        rules.forEach((name, rule) -> assertAlarm(name + "-ActionFailures", "AWS/IoT", "Failure", List.of(
                        Map.of("Name", "ActionType", "Value", "Lambda"),
                        Map.of("Name", "RuleName", "Value", ref(Cfn.logicalId((software.constructs.IConstruct) rule)))),
                "Sum", 300, 0, "GreaterThanThreshold", "notBreaching"));
    }

    @Test
    void api5xx_andAuthorizerDenials_alarmOverOnePeriod() {
        DeviceApi api = stack.getDeviceApi();
        assertAlarm("Api-5xx", "AWS/ApiGateway", "5XXError", List.of(
                        Map.of("Name", "ApiName", "Value", api.getApi().getRestApiName()),
                        Map.of("Name", "Stage", "Value", ref(Cfn.logicalId(api.getApi().getDeploymentStage())))),
                "Sum", 300, 0, "GreaterThanThreshold", "notBreaching");
        assertAlarm("AuthorizerDenials", "IotOnboarding", "AuthorizerDeny", null, "Sum", 300, 50,
                "GreaterThanThreshold", "notBreaching");
    }

    @Test
    void reconcilerRepairsAndDrift_alarmAboveZero_overOneRunInterval_keepingTheLastRunsVerdict() {
        assertAlarm("Reconciler-PendingRepaired", "IotOnboarding", "ReconcilerPendingRepaired", null, "Sum", 300, 0,
                "GreaterThanThreshold", "ignore");
        assertAlarm("Reconciler-Drift", "IotOnboarding", "ReconcilerDrift", null, "Sum", 300, 0,
                "GreaterThanThreshold", "ignore");
    }

    @Test
    void expiry_alarmsOnTheFleetWideFigures_keepingTheLastScansVerdict() {
        assertAlarm("CertificatesExpiringSoon", "IotOnboarding", "CertificatesExpiringSoon", null, "Maximum", 86_400,
                0, "GreaterThanThreshold", "ignore");
        assertAlarm("CertificatesExpired", "IotOnboarding", "CertificatesExpired", null, "Maximum", 86_400, 0,
                "GreaterThanThreshold", "ignore");
        assertAlarm("CaExpiringSoon", "IotOnboarding", "CaDaysUntilExpiry", null, "Minimum", 86_400,
                OnboardingConfig.ExpiryWatch.DEFAULTS.warningDays(), "LessThanThreshold", "ignore");
    }

    @Test
    void alarms_areExactlyTheListedOnes_withReadableStableNames() {
        Set<String> names = template.findResources(ALARM).values().stream()
                .map(alarm -> (String) properties(alarm).get("AlarmName"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(29, names.size(), names.toString());
        names.forEach(name -> assertTrue(name.matches(PREFIX + "[A-Za-z0-9]+(-[A-Za-z0-9]+)*"), name));
        assertEquals(names, monitoring.getAlarms().keySet().stream().map(name -> PREFIX + name)
                .collect(Collectors.toCollection(TreeSet::new)));
        template.findResources(ALARM).values().forEach(alarm -> {
            String description = (String) properties(alarm).get("AlarmDescription");
            assertTrue(description.endsWith("Runbook: docs/operations.md#alarms."), description);
        });
    }

    @Test
    void topic_isEncryptedWithARotatedKeyCloudWatchMayUse_andTakesOnlyTls() {
        Map<String, Object> topic = Cfn.properties(monitoring.getTopic());
        assertEquals(Cfn.getAtt(monitoring.getTopicKey(), "Arn"), topic.get("KmsMasterKeyId"));
        Map<String, Object> key = Cfn.properties(monitoring.getTopicKey());
        assertEquals(true, key.get("EnableKeyRotation"));
        template.hasResourceProperties("AWS::KMS::Key", Map.of("KeyPolicy", Map.of("Statement",
                List.of(Match.objectLike(Map.of(
                        "Sid", "AccountAdministersTheKey",
                        "Principal", Map.of("AWS", "arn:aws:iam::" + SynthesizedStack.ACCOUNT + ":root"),
                        "Action", Match.arrayWith(List.of("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion")))),
                        Map.of(
                        "Sid", "CloudWatchAlarmsPublishToTheEncryptedTopic",
                        "Effect", "Allow",
                        "Principal", Map.of("Service", "cloudwatch.amazonaws.com"),
                        "Action", List.of("kms:Decrypt", "kms:GenerateDataKey"),
                        "Resource", "*")))));
        template.hasResourceProperties("AWS::SNS::TopicPolicy", Map.of(
                "Topics", List.of(topicRef),
                "PolicyDocument", Map.of("Statement", Match.arrayWith(List.of(
                        Match.objectLike(Map.of("Effect", "Deny", "Action", "sns:Publish",
                                "Condition", Map.of("Bool", Map.of("aws:SecureTransport", "false")))),
                        Map.of("Sid", "CloudWatchAlarmsOfThisAccountPublish",
                                "Effect", "Allow",
                                "Principal", Map.of("Service", "cloudwatch.amazonaws.com"),
                                "Action", "sns:Publish",
                                "Resource", topicRef,
                                "Condition", Map.of(
                                        "StringEquals", Map.of("aws:SourceAccount", SynthesizedStack.ACCOUNT),
                                        "ArnLike", Map.of("aws:SourceArn", "arn:aws:cloudwatch:"
                                                + SynthesizedStack.REGION + ":" + SynthesizedStack.ACCOUNT
                                                + ":alarm:*"))))))));
        template.resourceCountIs("AWS::SNS::Subscription", 0);
    }

    @Test
    void dashboard_chartsTheFunnelQueuesThrottlesAuthorizerReconcilerAndExpiry() throws JsonProcessingException {
        Map<String, Map<String, Object>> dashboards = template.findResources("AWS::CloudWatch::Dashboard");
        assertEquals(1, dashboards.size());
        String body = new ObjectMapper().writeValueAsString(properties(dashboards.values().iterator().next())
                .get("DashboardBody"));
        for (String metric : List.of("RegisteredEvents", "CertificatesActivated", "DevicesProvisioned",
                "ApproximateNumberOfMessagesVisible", "Throttles", "ConcurrentExecutions", "RuleMessageThrottled",
                "4XXError", "5XXError", "AuthorizerAllow", "AuthorizerDeny", "REGISTRY_UNAVAILABLE", "AuthorizerLatency",
                "p50", "p99", "ReconcilerPendingRepaired", "ReconcilerActiveWithoutThing", "ReconcilerDrift",
                "CertificatesExpiringSoon", "CertificatesExpired", "CaDaysUntilExpiry")) {
            assertTrue(body.contains("\\\"" + metric + "\\\""), metric + " in " + body);
        }
        for (String function : projectFunctions()) {
            assertTrue(body.contains("{\"Ref\":\"" + function + "\"}"), function + " charted");
        }
        for (String queue : template.findResources("AWS::SQS::Queue").keySet()) {
            assertTrue(body.contains("{\"Fn::GetAtt\":[\"" + queue + "\",\"QueueName\"]}"), queue + " charted");
        }
    }

    @Test
    void outputs_nameTheTopicDashboardAndWhatTheRunbookReads() {
        template.hasOutput("AlarmTopicArn", Map.of("Value", topicRef));
        template.hasOutput("DashboardName", Map.of("Value", ref(Cfn.logicalId(monitoring.getDashboard()))));
        template.hasOutput("ReconcilerFunctionName", Map.of("Value",
                ref(Cfn.logicalId(stack.getReconciler().orElseThrow().getFunction().getFunction()))));
        template.hasOutput("RuleErrorsLogGroupName", Map.of("Value",
                ref(Cfn.logicalId(stack.getRegistration().getRuleErrors()))));
        template.hasOutput("ApiAccessLogGroupName", Map.of("Value",
                ref(Cfn.logicalId(stack.getDeviceApi().getAccessLogs()))));
    }

    /** docs/operations.md "Alarms" is the runbook: every alarm has its entry, by name or by its kind. */
    @Test
    void runbook_coversEveryAlarm() throws java.io.IOException {
        String runbook = alarmsSection();
        for (String name : monitoring.getAlarms().keySet()) {
            int dash = name.indexOf('-');
            boolean byKind = dash > 0 && runbook.contains("`<") && runbook.contains(">" + name.substring(dash) + "`")
                    && runbook.contains("`" + name.substring(0, dash) + "`");
            assertTrue(runbook.contains("`" + name + "`") || byKind, name + " has no runbook entry");
        }
    }

    /** Each script the runbook runs exists, and each option given to it is one its usage documents. */
    @Test
    void runbook_runsOnlyScriptsAndOptionsThatExist() throws java.io.IOException {
        String runbook = alarmsSection().replace("\\\n", " ");
        java.util.regex.Matcher command = java.util.regex.Pattern.compile("(scripts/[a-z/-]+\\.sh)([^\n`]*)")
                .matcher(runbook);
        int commands = 0;
        while (command.find()) {
            java.nio.file.Path script = SynthesizedStack.ROOT.resolve(command.group(1));
            assertTrue(java.nio.file.Files.isRegularFile(script), command.group(1));
            String usage = help(script);
            java.util.regex.Matcher option = java.util.regex.Pattern.compile("--[a-z-]+").matcher(command.group(2));
            while (option.find()) {
                assertTrue(usage.contains(option.group() + " ") || usage.contains(option.group() + "\n")
                        || usage.contains(option.group() + ")") || usage.contains(option.group() + "|"),
                        command.group(1) + " has no option " + option.group());
            }
            commands++;
        }
        assertTrue(commands >= 8, "scripts run by the runbook: " + commands);
    }

    private static String help(java.nio.file.Path script) throws java.io.IOException {
        Process process = new ProcessBuilder("bash", script.toString(), "--help").redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            assertEquals(0, process.waitFor(), script + " --help: " + out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static String alarmsSection() throws java.io.IOException {
        String operations = java.nio.file.Files.readString(SynthesizedStack.ROOT.resolve("docs/operations.md"));
        int start = operations.indexOf("\n## Alarms\n");
        assertTrue(start >= 0, "docs/operations.md has a section Alarms");
        int end = operations.indexOf("\n## ", start + 1);
        return operations.substring(start, end < 0 ? operations.length() : end);
    }

    @Test
    void cdkNag_staysClean() {
        assertEquals(List.of(), SynthesizedStack.annotations().findError("*", Match.anyValue()).stream()
                .map(e -> e.getId() + " " + e.getEntry().getData()).toList());
    }

    @Test
    void everyAlarmKeySet_appliesThemAndSubscribesTheEmail_andWithoutCasThereIsNoReconcilerOrExpiryAlarm() {
        OnboardingApp.Synthesis synthesis = synthesize(Map.of(
                OnboardingConfig.CA_CERTIFICATE_ID, "", OnboardingConfig.ALLOW_ANY_CA, "true",
                AlarmSettings.ALARM_EMAIL, "ops@acme.org", AlarmSettings.ALARM_PERIOD_MINUTES, "15",
                AlarmSettings.ALARM_FUNCTION_ERRORS, "3", AlarmSettings.ALARM_FUNCTION_THROTTLES, "200",
                AlarmSettings.ALARM_RULE_FAILURES, "4", AlarmSettings.ALARM_API_5XX, "5",
                AlarmSettings.ALARM_AUTHORIZER_DENIALS, "600"), new ByteArrayOutputStream());
        assertEquals(0, synthesis.exitCode());
        Template other = Template.fromStack(synthesis.stack());
        other.hasResourceProperties("AWS::SNS::Subscription", Map.of("Protocol", "email", "Endpoint", "ops@acme.org",
                "TopicArn", ref(stackLogicalId(synthesis.stack(), synthesis.stack().getMonitoring().getTopic()))));
        Map<String, Map<String, Object>> byName = other.findResources(ALARM).values().stream().collect(
                Collectors.toMap(alarm -> (String) properties(alarm).get("AlarmName"), MonitoringTest::properties));
        assertEquals(29 - 2 * 2 - 3 - 2, byName.size(), "no reconciler, no expiry watch: " + byName.keySet());
        assertEquals(Set.of(), byName.keySet().stream().filter(n -> n.contains("Reconciler") || n.contains("Expir"))
                .collect(Collectors.toSet()));
        assertThresholds(byName, "-CertificateActivation-Errors", 3);
        assertThresholds(byName, "-ExpiryWatch-Throttles", -1);
        assertThresholds(byName, "-ThingProvisioning-Throttles", 200);
        assertThresholds(byName, "-ProvisioningRequest-ActionFailures", 4);
        assertThresholds(byName, "-Api-5xx", 5);
        assertThresholds(byName, "-AuthorizerDenials", 600);
        assertThresholds(byName, "-RenewalFailures-NotEmpty", 0);
        byName.values().forEach(alarm -> assertEquals(900, ((Number) alarm.get("Period")).intValue()));
        assertEquals(List.of(), Annotations.fromStack(synthesis.stack()).findError("*", Match.anyValue()).stream()
                .map(e -> e.getId() + " " + e.getEntry().getData()).toList(), "cdk-nag stays clean");
    }

    @Test
    void aBadAlarmEmail_failsSynthesis_namingTheKey() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        OnboardingApp.Synthesis failed = synthesize(Map.of(AlarmSettings.ALARM_EMAIL, "ops at acme"), err);

        assertTrue(failed.exitCode() != 0);
        assertEquals(null, failed.stack());
        String message = err.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("alarmEmail: 'ops at acme' is not an email address"), message);
    }

    private static void assertThresholds(Map<String, Map<String, Object>> byName, String suffix, int threshold) {
        Map<String, Object> alarm = byName.get(PREFIX.substring(0, PREFIX.length() - 1) + suffix);
        if (threshold < 0) {
            assertEquals(null, alarm, suffix + " exists only with the expiry watch");
            return;
        }
        assertEquals(threshold, ((Number) alarm.get("Threshold")).intValue(), suffix);
    }

    private void assertAlarm(String name, String namespace, String metric, List<Map<String, Object>> dimensions,
                             String statistic, int period, int threshold, String comparison, String missing) {
        Map<String, Object> alarm = Cfn.properties(monitoring.getAlarms().get(name));
        assertEquals(PREFIX + name, alarm.get("AlarmName"));
        assertEquals(namespace, alarm.get("Namespace"), name);
        assertEquals(metric, alarm.get("MetricName"), name);
        assertEquals(dimensions, alarm.get("Dimensions"), name);
        assertEquals(statistic, alarm.get("Statistic"), name);
        assertEquals(period, ((Number) alarm.get("Period")).intValue(), name);
        assertEquals(threshold, ((Number) alarm.get("Threshold")).intValue(), name);
        assertEquals(comparison, alarm.get("ComparisonOperator"), name);
        assertEquals(1, ((Number) alarm.get("EvaluationPeriods")).intValue(), name);
        assertEquals(1, ((Number) alarm.get("DatapointsToAlarm")).intValue(), name);
        assertEquals(missing, alarm.get("TreatMissingData"), name);
        assertEquals(List.of(topicRef), alarm.get("AlarmActions"), name);
        assertEquals(List.of(topicRef), alarm.get("OKActions"), name);
        assertFalse(alarm.containsKey("Metrics"), "a plain single-metric alarm: " + name);
    }

    /**
     * The template's functions but CDK's AwsCustomResource provider (fixed id prefix), which only CloudFormation
     * invokes during a deployment: its failure fails the deployment and shows in the stack's events, not in an alarm.
     */
    private Set<String> projectFunctions() {
        Set<String> all = template.findResources("AWS::Lambda::Function").keySet();
        Set<String> providers = all.stream().filter(id -> id.startsWith("AWS679f53fac002430cb0da5b7982bd2287"))
                .collect(Collectors.toSet());
        assertEquals(1, providers.size(), "the truststore's AwsCustomResource provider: " + all);
        return all.stream().filter(id -> !providers.contains(id)).collect(Collectors.toSet());
    }

    private Set<String> queueNames() {
        return monitoring.getAlarms().keySet().stream().filter(n -> n.endsWith("-NotEmpty"))
                .map(n -> n.substring(0, n.length() - "-NotEmpty".length())).collect(Collectors.toSet());
    }

    private static Map<String, Object> getAtt(Object construct, String attribute) {
        return Cfn.getAtt((software.constructs.IConstruct) construct, attribute);
    }

    private static String stackLogicalId(OnboardingStack other, software.constructs.IConstruct construct) {
        return other.getLogicalId((software.amazon.awscdk.CfnElement) construct.getNode().getDefaultChild());
    }

    private static OnboardingApp.Synthesis synthesize(Map<String, String> extra, ByteArrayOutputStream err) {
        return SynthesizedStack.synthesizeWith(extra, err);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> properties(Map<String, Object> resource) {
        return (Map<String, Object>) resource.get("Properties");
    }
}
