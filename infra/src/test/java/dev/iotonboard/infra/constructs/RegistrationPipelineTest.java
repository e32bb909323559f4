package dev.iotonboard.infra.constructs;

import static dev.iotonboard.infra.Cfn.getAtt;
import static dev.iotonboard.infra.Cfn.iotArn;
import static dev.iotonboard.infra.Cfn.properties;
import static dev.iotonboard.infra.Cfn.ref;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.infra.Cfn;
import dev.iotonboard.infra.OnboardingConfig;
import dev.iotonboard.infra.SynthesizedStack;
import java.util.List;
import java.util.Map;
import dev.iotonboard.infra.LambdaJars;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.services.iot.CfnTopicRule;
import software.amazon.awscdk.services.sqs.Queue;

class RegistrationPipelineTest {
    private final Template template = SynthesizedStack.template();
    private final RegistrationPipeline pipeline = SynthesizedStack.stack().getRegistration();
    private final DevicePolicies policies = SynthesizedStack.stack().getDevicePolicies();

    @Test
    void certificateRegisteredRule_listensToTheConfiguredCaOnly() {
        assertEquals("SELECT * FROM '$aws/events/certificates/registered/" + SynthesizedStack.CA_CERTIFICATE_ID + "'",
                payload(pipeline.getCertificateRegisteredRule()).get("Sql"));
    }

    @Test
    void withoutACaCertificateId_theRuleListensToEveryCaAndFunctionsGetAnEmptyId() {
        Stack stack = new Stack(new App(AppProps.builder()
                .outdir(SynthesizedStack.scratchDirectory("cdk.out").toString()).build()), "AnyCa");
        LambdaJars jars = LambdaJars.under(SynthesizedStack.ROOT);
        new RegistrationPipeline(stack, "Registration", RegistrationPipeline.Props.builder()
                .activationJar(jars.certificateActivation())
                .provisioningJar(jars.thingProvisioning())
                .jitrPolicyName("jitr")
                .appPolicyName("app")
                .build());
        Template anyCaTemplate = Template.fromStack(stack);

        anyCaTemplate.resourcePropertiesCountIs("AWS::IoT::TopicRule", Map.of("TopicRulePayload", Match.objectLike(Map.of(
                "Sql", "SELECT * FROM '$aws/events/certificates/registered/#'"))), 1);
        anyCaTemplate.resourcePropertiesCountIs("AWS::Lambda::Function", Map.of("Environment", Map.of("Variables",
                Match.objectLike(Map.of("CA_CERTIFICATE_IDS", ""))), "Runtime", "java25"), 3);
    }

    @Test
    void provisioningRequestRule_takesTheCertificateIdFromTheConnection_andTheTimeFromTheRulesEngine() {
        Object sql = payload(pipeline.getProvisioningRequestRule()).get("Sql");
        assertEquals("SELECT thingName, principal() AS certificateId, timestamp() AS requestedAt FROM 'jitr/request'",
                sql);
        assertTrue(sql.toString().contains("principal()"));
    }

    @Test
    void renewalAnnouncementRule_takesTheAnnouncerFromTheConnectionAndTheThingFromTheTopic() {
        assertEquals("SELECT certificateId, topic(2) AS thingName, principal() AS announcerId "
                + "FROM 'things/+/renewal'", payload(pipeline.getRenewalAnnouncementRule()).get("Sql"));
    }

    @Test
    void rules_invokeTheirFunctionAndLogErrors() {
        assertRule(pipeline.getCertificateRegisteredRule(), pipeline.getActivation());
        assertRule(pipeline.getProvisioningRequestRule(), pipeline.getProvisioning());
        assertRule(pipeline.getRenewalAnnouncementRule(), pipeline.getRenewal());
    }

    @Test
    void ruleErrorRole_isForIotOfThisAccountAndOnlyWritesTheErrorLog() {
        template.hasResourceProperties("AWS::IAM::Role", Map.of(
                "AssumeRolePolicyDocument", Map.of("Statement", List.of(Map.of(
                        "Action", "sts:AssumeRole",
                        "Effect", "Allow",
                        "Principal", Map.of("Service", "iot.amazonaws.com"),
                        "Condition", Map.of("StringEquals", Map.of("aws:SourceAccount", SynthesizedStack.ACCOUNT)))))));
        template.hasResourceProperties("AWS::IAM::Policy", Map.of(
                "PolicyDocument", Map.of("Statement", List.of(Map.of(
                        "Action", List.of("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"),
                        "Effect", "Allow",
                        "Resource", getAtt(pipeline.getRuleErrors(), "Arn"))))));
    }

    @Test
    void invokePermissions_areScopedToIotAndTheRule() {
        assertInvokePermission(pipeline.getCertificateRegisteredRule(), pipeline.getActivation());
        assertInvokePermission(pipeline.getProvisioningRequestRule(), pipeline.getProvisioning());
        assertInvokePermission(pipeline.getRenewalAnnouncementRule(), pipeline.getRenewal());
    }

    @Test
    void asyncFailures_goToAnEncryptedTlsOnlyQueue() {
        assertFailureDestination(pipeline.getActivation(), pipeline.getActivationFailures());
        assertFailureDestination(pipeline.getProvisioning(), pipeline.getProvisioningFailures());
        assertFailureDestination(pipeline.getRenewal(), pipeline.getRenewalFailures());
    }

    @Test
    void functions_haveTheReservedConcurrencyTheQuotasAllow() {
        // Default quotas and 50 ms per call: R = 7.5 devices/s; activation 7.5 x 3 x 0.05 = 1.125 -> 2, provisioning
        // 7.5 x 7 x 0.05 = 2.625 -> 3.
        assertEquals(2, ((Number) properties(pipeline.getActivation().getFunction())
                .get("ReservedConcurrentExecutions")).intValue());
        assertEquals(3, ((Number) properties(pipeline.getProvisioning().getFunction())
                .get("ReservedConcurrentExecutions")).intValue());
    }

    @Test
    void functions_useTheContractHandlersAndEnvironment() {
        assertEquals(RegistrationPipeline.ACTIVATION_HANDLER, properties(pipeline.getActivation().getFunction()).get("Handler"));
        assertEquals("dev.iotonboard.lambda.activation.CertificateActivationHandler::handleRequest",
                RegistrationPipeline.ACTIVATION_HANDLER);
        assertEquals("dev.iotonboard.lambda.provisioning.ThingProvisioningHandler::handleRequest",
                properties(pipeline.getProvisioning().getFunction()).get("Handler"));
        assertEquals(Map.of("Variables", Map.of(
                        "JITR_POLICY_NAME", ref(Cfn.logicalId(policies.getJitrPolicy())),
                        "CA_CERTIFICATE_IDS", SynthesizedStack.CA_CERTIFICATE_ID,
                        "THING_NAME_PATTERN", OnboardingConfig.DEFAULT_THING_NAME_PATTERN,
                        "CA_STATUS_CACHE_SECONDS", "30",
                        "DEVICE_REGISTRY_TABLE", ref(Cfn.logicalId(SynthesizedStack.stack().getDeviceRegistry().getTable())),
                        "JAVA_TOOL_OPTIONS", "-XX:+TieredCompilation -XX:TieredStopAtLevel=1")),
                properties(pipeline.getActivation().getFunction()).get("Environment"));
        assertEquals(Map.of("Variables", Map.of(
                        "JITR_POLICY_NAME", ref(Cfn.logicalId(policies.getJitrPolicy())),
                        "APP_POLICY_NAME", ref(Cfn.logicalId(policies.getAppPolicy())),
                        "CA_CERTIFICATE_IDS", SynthesizedStack.CA_CERTIFICATE_ID,
                        "THING_NAME_PATTERN", OnboardingConfig.DEFAULT_THING_NAME_PATTERN,
                        "RENEWAL_WINDOW_HOURS", "168",
                        "DEVICE_REGISTRY_TABLE", ref(Cfn.logicalId(SynthesizedStack.stack().getDeviceRegistry().getTable())),
                        "JAVA_TOOL_OPTIONS", "-XX:+TieredCompilation -XX:TieredStopAtLevel=1")),
                properties(pipeline.getProvisioning().getFunction()).get("Environment"));
        assertEquals(RegistrationPipeline.RENEWAL_HANDLER, properties(pipeline.getRenewal().getFunction()).get("Handler"));
        assertEquals("dev.iotonboard.lambda.provisioning.RenewalAnnouncementHandler::handleRequest",
                RegistrationPipeline.RENEWAL_HANDLER);
        assertEquals(Map.of("Variables", Map.of(
                        "CA_CERTIFICATE_IDS", SynthesizedStack.CA_CERTIFICATE_ID,
                        "THING_NAME_PATTERN", OnboardingConfig.DEFAULT_THING_NAME_PATTERN,
                        "JAVA_TOOL_OPTIONS", "-XX:+TieredCompilation -XX:TieredStopAtLevel=1")),
                properties(pipeline.getRenewal().getFunction()).get("Environment"));
        assertEquals(1, ((Number) properties(pipeline.getRenewal().getFunction())
                .get("ReservedConcurrentExecutions")).intValue());
    }

    /** Activation makes at most 4 IoT calls, provisioning 10; each may wait 22.5 s between its 8 attempts. */
    @Test
    void functions_haveTimeoutsThatCoverTheSdksWholeRetryBudget() {
        assertEquals(120, ((Number) properties(pipeline.getActivation().getFunction()).get("Timeout")).intValue());
        assertEquals(300, ((Number) properties(pipeline.getProvisioning().getFunction()).get("Timeout")).intValue());
        assertTrue(RegistrationPipeline.ACTIVATION_MAX_CALLS * RetryBudget.WAIT_PER_CALL_SECONDS < 120);
        assertTrue(RegistrationPipeline.PROVISIONING_RENEWAL_MAX_CALLS * RetryBudget.WAIT_PER_CALL_SECONDS < 300);
        assertTrue(RegistrationPipeline.RENEWAL_MAX_CALLS * RetryBudget.WAIT_PER_CALL_SECONDS
                < ((Number) properties(pipeline.getRenewal().getFunction()).get("Timeout")).intValue());
    }

    @Test
    void failureQueues_areKeptWhenTheStackIsDeleted() {
        for (var queue : List.of(pipeline.getActivationFailures(), pipeline.getProvisioningFailures(),
                pipeline.getRenewalFailures())) {
            Map<String, Object> resource = Cfn.resource(queue);
            assertEquals("Retain", resource.get("DeletionPolicy"), resource.toString());
            assertEquals("Retain", resource.get("UpdateReplacePolicy"), resource.toString());
        }
    }

    @Test
    void activationRole_mayOnlyDescribeActivateAndAttachOnCertificates() {
        assertEquals(List.of(Map.of(
                        // Actions sorted: @aws-cdk/aws-iam:minimizePolicies sorts and merges statements.
                        "Action", List.of("iot:AttachPolicy", "iot:DescribeCertificate", "iot:UpdateCertificate"),
                        "Effect", "Allow",
                        "Resource", iotArn("cert/*")),
                        // IAM has no resource type for ListAttachedPolicies: a scoped ARN would deny it.
                        Map.of("Action", "iot:ListAttachedPolicies",
                                "Effect", "Allow",
                                "Resource", "*"),
                        Map.of("Action", "iot:DescribeCACertificate",
                                "Effect", "Allow",
                                "Resource", iotArn("cacert/" + SynthesizedStack.CA_CERTIFICATE_ID))),
                iotStatements(pipeline.getActivation()));
    }

    @Test
    void provisioningRole_mayOnlyMakeItsIotCalls() {
        assertEquals(List.of(
                        // Actions sorted: @aws-cdk/aws-iam:minimizePolicies sorts and merges statements.
                        Map.of("Action", List.of("iot:AttachPolicy", "iot:AttachThingPrincipal",
                                        "iot:DescribeCertificate", "iot:DetachPolicy", "iot:DetachThingPrincipal",
                                        "iot:ListPrincipalThings", "iot:UpdateCertificate"),
                                "Effect", "Allow",
                                "Resource", iotArn("cert/*")),
                        Map.of("Action", List.of("iot:CreateThing", "iot:DescribeThing", "iot:ListThingPrincipals",
                                        "iot:UpdateThing"),
                                "Effect", "Allow",
                                "Resource", iotArn("thing/*")),
                        // IAM has no resource type for ListAttachedPolicies: a scoped ARN would deny it.
                        Map.of("Action", "iot:ListAttachedPolicies",
                                "Effect", "Allow",
                                "Resource", "*")),
                iotStatements(pipeline.getProvisioning()));
    }

    @Test
    void renewalRole_mayOnlyReadTheAnnouncerAndWriteTheThing() {
        assertEquals(List.of(
                        Map.of("Action", List.of("iot:DescribeCertificate", "iot:ListPrincipalThings"),
                                "Effect", "Allow",
                                "Resource", iotArn("cert/*")),
                        Map.of("Action", "iot:UpdateThing",
                                "Effect", "Allow",
                                "Resource", iotArn("thing/*"))),
                iotStatements(pipeline.getRenewal()));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> payload(CfnTopicRule rule) {
        return (Map<String, Object>) properties(rule).get("TopicRulePayload");
    }

    private void assertRule(CfnTopicRule rule, JavaFunction target) {
        Capture errorLogGroup = new Capture();
        template.hasResourceProperties("AWS::IoT::TopicRule", Map.of("TopicRulePayload", Match.objectLike(Map.of(
                "AwsIotSqlVersion", "2016-03-23",
                "RuleDisabled", false,
                "Sql", payload(rule).get("Sql"),
                "Actions", List.of(Map.of("Lambda", Map.of("FunctionArn", ref(Cfn.logicalId(target.getAlias()))))),
                "ErrorAction", Map.of("CloudwatchLogs", Map.of(
                        "LogGroupName", errorLogGroup,
                        "RoleArn", Match.objectLike(Map.of("Fn::GetAtt", Match.arrayWith(List.of(Match.stringLikeRegexp(
                                "RegistrationRuleErrorRole.*")))))))))));
        assertEquals(ref(Cfn.logicalId(pipeline.getRuleErrors())), errorLogGroup.asObject());
    }

    private void assertInvokePermission(CfnTopicRule rule, JavaFunction target) {
        template.hasResourceProperties("AWS::Lambda::Permission", Map.of(
                "Action", "lambda:InvokeFunction",
                "FunctionName", ref(Cfn.logicalId(target.getAlias())),
                "Principal", "iot.amazonaws.com",
                "SourceArn", getAtt(rule, "Arn"),
                "SourceAccount", SynthesizedStack.ACCOUNT));
    }

    private void assertFailureDestination(JavaFunction function, Queue queue) {
        template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", Map.of(
                "FunctionName", ref(Cfn.logicalId(function.getFunction())),
                "Qualifier", Cfn.aliasNameOf(function.getAlias()),
                "MaximumRetryAttempts", 2,
                "MaximumEventAgeInSeconds", 21600,
                "DestinationConfig", Map.of("OnFailure", Map.of("Destination", getAtt(queue, "Arn")))));
        assertEquals(true, properties(queue).get("SqsManagedSseEnabled"));
        template.hasResourceProperties("AWS::SQS::QueuePolicy", Map.of(
                "Queues", List.of(ref(Cfn.logicalId(queue))),
                "PolicyDocument", Map.of("Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
                        "Effect", "Deny",
                        "Condition", Map.of("Bool", Map.of("aws:SecureTransport", "false")))))))));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> iotStatements(JavaFunction function) {
        Map<String, Object> policy = properties(function.getRole().getNode().findChild("DefaultPolicy"));
        List<Map<String, Object>> statements =
                (List<Map<String, Object>>) ((Map<String, Object>) policy.get("PolicyDocument")).get("Statement");
        return statements.stream()
                .filter(s -> (s.get("Action") instanceof List<?> actions ? actions.get(0) : s.get("Action"))
                        .toString().startsWith("iot:"))
                .toList();
    }
}
