package dev.iotonboard.infra.constructs;

import static dev.iotonboard.infra.Cfn.iotArn;
import static dev.iotonboard.infra.Cfn.properties;
import static dev.iotonboard.infra.Cfn.ref;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.infra.Cfn;
import dev.iotonboard.infra.LambdaJars;
import dev.iotonboard.infra.OnboardingConfig;
import dev.iotonboard.infra.SynthesizedStack;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Template;

class ReconcilerTest {
    private final Template template = SynthesizedStack.template();
    private final Reconciler reconciler = SynthesizedStack.stack().getReconciler().orElseThrow();
    private final DevicePolicies policies = SynthesizedStack.stack().getDevicePolicies();

    @Test
    void function_runsTheContractHandlerWithItsEnvironmentOneAtATime() {
        Map<String, Object> function = properties(reconciler.getFunction().getFunction());
        assertEquals("dev.iotonboard.lambda.reconciler.ReconcilerHandler::handleRequest", function.get("Handler"));
        assertEquals(Map.of("Variables", Map.of(
                        "CA_CERTIFICATE_IDS", SynthesizedStack.CA_CERTIFICATE_ID,
                        "JITR_POLICY_NAME", ref(Cfn.logicalId(policies.getJitrPolicy())),
                        "GRACE_PERIOD_SECONDS", "300",
                        "LOOKBACK_HOURS", "168",
                        "MAX_REQUESTS_PER_SECOND", "2",
                        "THING_NAME_PATTERN", OnboardingConfig.DEFAULT_THING_NAME_PATTERN,
                        "CA_STATUS_CACHE_SECONDS", "30",
                        "JAVA_TOOL_OPTIONS", JavaFunction.JAVA_TOOL_OPTIONS,
                        "DEVICE_REGISTRY_TABLE", ref(Cfn.logicalId(SynthesizedStack.stack().getDeviceRegistry()
                                .getTable().getNode().getDefaultChild())))),
                function.get("Environment"));
        assertEquals(1, ((Number) function.get("ReservedConcurrentExecutions")).intValue());
        assertEquals(300, ((Number) function.get("Timeout")).intValue(), "a few minutes, never past the interval");
    }

    @Test
    void role_readsAndRepairsTheRegistryTable_withExactlyTwoActions() {
        Map<String, Object> policy = properties(reconciler.getFunction().getRole().getNode().findChild("DefaultPolicy"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> statements = (List<Map<String, Object>>)
                ((Map<String, Object>) policy.get("PolicyDocument")).get("Statement");
        assertEquals(List.of(Map.of("Action", List.of("dynamodb:GetItem", "dynamodb:UpdateItem"), "Effect", "Allow",
                "Resource", Cfn.getAtt(SynthesizedStack.stack().getDeviceRegistry().getTable().getNode()
                        .getDefaultChild(), "Arn"))), statements.stream()
                .filter(statement -> statement.get("Action").toString().contains("dynamodb:")).toList());
    }

    @Test
    void schedule_invokesTheAliasEveryIntervalWithoutRetries() {
        Map<String, Object> rule = properties(reconciler.getSchedule());
        assertEquals("rate(5 minutes)", rule.get("ScheduleExpression"));
        assertEquals("ENABLED", rule.get("State"));
        List<?> targets = (List<?>) rule.get("Targets");
        assertEquals(1, targets.size());
        Map<?, ?> target = (Map<?, ?>) targets.get(0);
        assertEquals(ref(Cfn.logicalId(reconciler.getFunction().getAlias())), target.get("Arn"));
        assertEquals(Map.of("MaximumRetryAttempts", 0), target.get("RetryPolicy"));
        template.hasResourceProperties("AWS::Lambda::Permission", Map.of(
                "Action", "lambda:InvokeFunction",
                "FunctionName", ref(Cfn.logicalId(reconciler.getFunction().getAlias())),
                "Principal", "events.amazonaws.com",
                "SourceArn", Cfn.getAtt(reconciler.getSchedule(), "Arn")));
        template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", Map.of(
                "FunctionName", ref(Cfn.logicalId(reconciler.getFunction().getFunction())),
                "Qualifier", Cfn.aliasNameOf(reconciler.getFunction().getAlias()),
                "MaximumRetryAttempts", 0,
                "MaximumEventAgeInSeconds", 300));
    }

    @Test
    void role_describesOnlyItsCa_makesTheActivationCallsOnCertificates_andListsOnStar() {
        assertEquals(List.of(
                        Map.of("Action", "iot:DescribeCACertificate",
                                "Effect", "Allow",
                                "Resource", iotArn("cacert/" + SynthesizedStack.CA_CERTIFICATE_ID)),
                        // Actions sorted: @aws-cdk/aws-iam:minimizePolicies sorts and merges statements.
                        Map.of("Action", List.of("iot:AttachPolicy", "iot:DescribeCertificate", "iot:ListPrincipalThings",
                                        "iot:UpdateCertificate"),
                                "Effect", "Allow",
                                "Resource", iotArn("cert/*")),
                        // IAM has no resource type for these two: a scoped ARN would deny them.
                        Map.of("Action", List.of("iot:ListAttachedPolicies", "iot:ListCertificatesByCA"),
                                "Effect", "Allow",
                                "Resource", "*")),
                RegistrationPipelineTest.iotStatements(reconciler.getFunction()));
    }

    @Test
    void interval_setsTheScheduleTimeoutAndEventAge() {
        Stack stack = new Stack(new App(AppProps.builder()
                .outdir(SynthesizedStack.scratchDirectory("cdk.out").toString()).build()), "EveryMinute");
        new Reconciler(stack, "Reconciler", props().intervalMinutes(1).build());
        Template variant = Template.fromStack(stack);

        variant.hasResourceProperties("AWS::Events::Rule", Map.of("ScheduleExpression", "rate(1 minute)"));
        variant.hasResourceProperties("AWS::Lambda::Function", Map.of("Timeout", 60));
        variant.hasResourceProperties("AWS::Lambda::EventInvokeConfig", Map.of("MaximumEventAgeInSeconds", 60));
    }

    @Test
    void props_needACaCertificateId() {
        assertThrows(IllegalArgumentException.class, () -> props().caCertificateIds(List.of()).build());
        assertThrows(IllegalArgumentException.class, () -> props().intervalMinutes(0).build());
    }

    private static Reconciler.Props.Builder props() {
        return Reconciler.Props.builder()
                .jar(LambdaJars.under(SynthesizedStack.ROOT).reconciler())
                .caCertificateIds(List.of(SynthesizedStack.CA_CERTIFICATE_ID))
                .jitrPolicyName("jitr");
    }
}
