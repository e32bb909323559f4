package dev.iotonboard.infra.constructs;

import static dev.iotonboard.infra.Cfn.iotArn;
import static dev.iotonboard.infra.Cfn.properties;
import static dev.iotonboard.infra.Cfn.ref;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class ExpiryWatchTest {
    private static final String OTHER_CA = "fedcba9876543210".repeat(4);

    private final Template template = SynthesizedStack.template();
    private final ExpiryWatch watch = SynthesizedStack.stack().getExpiryWatch().orElseThrow();

    @Test
    void function_runsTheContractHandlerFromTheReconcilerJar_oneAtATime_forUpToFifteenMinutes() {
        Map<String, Object> function = properties(watch.getFunction().getFunction());
        assertEquals("dev.iotonboard.lambda.reconciler.ExpiryWatchHandler::handleRequest", function.get("Handler"));
        assertEquals(Map.of("Variables", Map.of(
                        "CA_CERTIFICATE_IDS", SynthesizedStack.CA_CERTIFICATE_ID,
                        "WARNING_DAYS", "30",
                        "MAX_REQUESTS_PER_SECOND", "2",
                        "THING_NAME_PATTERN", OnboardingConfig.DEFAULT_THING_NAME_PATTERN,
                        "DEVICE_REGISTRY_TABLE", ref(Cfn.logicalId(SynthesizedStack.stack().getDeviceRegistry()
                                .getTable().getNode().getDefaultChild())),
                        "JAVA_TOOL_OPTIONS", JavaFunction.JAVA_TOOL_OPTIONS)),
                function.get("Environment"));
        assertEquals(1, ((Number) function.get("ReservedConcurrentExecutions")).intValue());
        assertEquals(900, ((Number) function.get("Timeout")).intValue());
        Reconciler reconciler = SynthesizedStack.stack().getReconciler().orElseThrow();
        assertEquals(properties(reconciler.getFunction().getFunction()).get("Code"), function.get("Code"),
                "the same jar asset as the reconciler");
    }

    @Test
    void schedule_invokesTheAliasEveryDayWithoutRetries() {
        Map<String, Object> rule = properties(watch.getSchedule());
        assertEquals("rate(1 day)", rule.get("ScheduleExpression"));
        assertEquals("ENABLED", rule.get("State"));
        List<?> targets = (List<?>) rule.get("Targets");
        assertEquals(1, targets.size());
        Map<?, ?> target = (Map<?, ?>) targets.get(0);
        assertEquals(ref(Cfn.logicalId(watch.getFunction().getAlias())), target.get("Arn"));
        assertEquals(Map.of("MaximumRetryAttempts", 0), target.get("RetryPolicy"));
        template.hasResourceProperties("AWS::Lambda::Permission", Map.of(
                "Action", "lambda:InvokeFunction",
                "FunctionName", ref(Cfn.logicalId(watch.getFunction().getAlias())),
                "Principal", "events.amazonaws.com",
                "SourceArn", Cfn.getAtt(watch.getSchedule(), "Arn")));
        template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", Map.of(
                "FunctionName", ref(Cfn.logicalId(watch.getFunction().getFunction())),
                "Qualifier", Cfn.aliasNameOf(watch.getFunction().getAlias()),
                "MaximumRetryAttempts", 0,
                "MaximumEventAgeInSeconds", 21_600));
    }

    @Test
    void role_describesOnlyItsCa_describesCertificates_andListsOnStar() {
        assertEquals(List.of(
                        Map.of("Action", "iot:DescribeCACertificate",
                                "Effect", "Allow",
                                "Resource", iotArn("cacert/" + SynthesizedStack.CA_CERTIFICATE_ID)),
                        Map.of("Action", "iot:DescribeCertificate",
                                "Effect", "Allow",
                                "Resource", iotArn("cert/*")),
                        // IAM has no resource type for ListCertificatesByCA: a cacert ARN would deny it.
                        Map.of("Action", "iot:ListCertificatesByCA",
                                "Effect", "Allow",
                                "Resource", "*")),
                RegistrationPipelineTest.iotStatements(watch.getFunction()));
    }

    @Test
    void severalCas_eachDescribedOnItsOwnArn_inOneStatement_andAllInTheEnvironment_andAnHourlySchedule() {
        Stack stack = new Stack(new App(AppProps.builder()
                .outdir(SynthesizedStack.scratchDirectory("cdk.out").toString()).build()), "TwoCas");
        new ExpiryWatch(stack, "ExpiryWatch", props()
                .caCertificateIds(List.of(SynthesizedStack.CA_CERTIFICATE_ID, OTHER_CA))
                .intervalHours(1).warningDays(60).maxRequestsPerSecond(4).build());
        Template variant = Template.fromStack(stack);

        variant.hasResourceProperties("AWS::Events::Rule", Map.of("ScheduleExpression", "rate(1 hour)"));
        variant.hasResourceProperties("AWS::Lambda::EventInvokeConfig", Map.of("MaximumEventAgeInSeconds", 3600));
        variant.hasResourceProperties("AWS::Lambda::Function", Match.objectLike(Map.of("Environment",
                Map.of("Variables", Match.objectLike(Map.of(
                        "CA_CERTIFICATE_IDS", SynthesizedStack.CA_CERTIFICATE_ID + "," + OTHER_CA,
                        "WARNING_DAYS", "60",
                        "MAX_REQUESTS_PER_SECOND", "4"))))));
        // One statement may name both ARNs (IAM policy minimization merges statements): each CA by its own ARN.
        List<String> describedCas = Cfn.allStatements(variant.toJSON()).stream()
                .filter(statement -> "iot:DescribeCACertificate".equals(statement.get("Action")))
                .map(statement -> statement.get("Resource").toString()).toList();
        assertEquals(1, describedCas.size(), describedCas.toString());
        assertTrue(describedCas.get(0).contains(":cacert/" + SynthesizedStack.CA_CERTIFICATE_ID), describedCas.get(0));
        assertTrue(describedCas.get(0).contains(":cacert/" + OTHER_CA), describedCas.get(0));
        assertFalse(describedCas.get(0).contains("cacert/*"), describedCas.get(0));
    }

    @Test
    void props_needValidCaIdsAndRanges() {
        assertThrows(IllegalArgumentException.class, () -> props().caCertificateIds(List.of()).build());
        assertThrows(IllegalArgumentException.class, () -> props().caCertificateIds(List.of("not-an-id")).build());
        assertThrows(IllegalArgumentException.class, () -> props().caCertificateIds(
                List.of(OTHER_CA, OTHER_CA)).build());
        assertThrows(IllegalArgumentException.class, () -> props().intervalHours(0).build());
        assertThrows(IllegalArgumentException.class, () -> props().intervalHours(169).build());
        assertThrows(IllegalArgumentException.class, () -> props().warningDays(0).build());
        assertThrows(IllegalArgumentException.class, () -> props().maxRequestsPerSecond(101).build());
    }

    private static ExpiryWatch.Props.Builder props() {
        return ExpiryWatch.Props.builder()
                .jar(LambdaJars.under(SynthesizedStack.ROOT).reconciler())
                .caCertificateIds(List.of(SynthesizedStack.CA_CERTIFICATE_ID));
    }
}
