package dev.iotonboard.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.cxapi.SynthesisMessage;

class OnboardingStackTest {

    @Test
    void cdkNag_reportsNoUnsuppressedErrors() {
        List<SynthesisMessage> errors = SynthesizedStack.annotations()
                .findError("*", Match.stringLikeRegexp("AwsSolutions-.*"));
        assertEquals(List.of(), errors.stream().map(e -> e.getId() + " " + e.getEntry().getData()).toList());
    }

    @Test
    void synthesis_hasNoErrorsAtAll() {
        assertEquals(List.of(), SynthesizedStack.annotations().findError("*", Match.anyValue()).stream()
                .map(e -> e.getId() + " " + e.getEntry().getData()).toList());
    }

    @Test
    void exampleContext_warnsBeforeDeploying() {
        assertFalse(SynthesizedStack.annotations()
                .findWarning("*", Match.stringLikeRegexp(".*example values.*")).isEmpty());
    }

    @Test
    void withoutACaCertificateId_synthesisFails_namingTheKeyAndTheWayOut() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        OnboardingApp.Synthesis missing = OnboardingApp.synthesize(SynthesizedStack.ROOT,
                SynthesizedStack.scratchDirectory("cdk.out"),
                Map.of(OnboardingConfig.TRUSTSTORE_PATH, TestCa.pem().toString(), OnboardingConfig.CA_CERTIFICATE_ID, ""),
                Environment.builder().account(SynthesizedStack.ACCOUNT).region(SynthesizedStack.REGION).build(),
                new PrintStream(err, true, StandardCharsets.UTF_8));

        assertTrue(missing.exitCode() != 0);
        assertEquals(null, missing.stack());
        String message = err.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("caCertificateIds: missing") && message.contains("allowAnyCa=true"), message);
    }

    @Test
    void allowAnyCa_synthesizesWithALoudWarning_andWithoutAReconciler() {
        OnboardingApp.Synthesis anyCa = OnboardingApp.synthesize(SynthesizedStack.ROOT,
                SynthesizedStack.scratchDirectory("cdk.out"),
                Map.of(OnboardingConfig.TRUSTSTORE_PATH, TestCa.pem().toString(), OnboardingConfig.CA_CERTIFICATE_ID, "",
                        OnboardingConfig.ALLOW_ANY_CA, "true"),
                Environment.builder().account(SynthesizedStack.ACCOUNT).region(SynthesizedStack.REGION).build(),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

        assertEquals(0, anyCa.exitCode());
        assertTrue(anyCa.stack().getReconciler().isEmpty());
        assertTrue(anyCa.stack().getExpiryWatch().isEmpty(), "it lists the certificates of named CAs");
        Template.fromStack(anyCa.stack()).resourceCountIs("AWS::Events::Rule", 1); // the registry sync's, no schedule
        assertTrue(anyCa.stack().getRegistrySync().isPresent());
        Annotations annotations = Annotations.fromStack(anyCa.stack());
        assertFalse(annotations.findWarning("*", Match.stringLikeRegexp(".*allowAnyCa=true: EVERY CA.*")).isEmpty());
        assertFalse(annotations.findWarning("*", Match.stringLikeRegexp(".*No reconciler is deployed.*")).isEmpty());
        assertTrue(SynthesizedStack.annotations().findWarning("*", Match.stringLikeRegexp(".*No reconciler.*|.*allowAnyCa.*"))
                .isEmpty());
        assertEquals(List.of(), annotations.findError("*", Match.anyValue()).stream()
                .map(e -> e.getId() + " " + e.getEntry().getData()).toList(), "cdk-nag stays clean");
    }

    @Test
    void outputs_giveWhatAUserNeeds() {
        Set<String> outputs = SynthesizedStack.template().findOutputs("*").keySet();
        assertTrue(outputs.containsAll(Set.of("ApiDomainName", "ApiDomainAliasTarget", "JitrPolicyName", "AppPolicyName",
                "CertificateRegisteredRuleName", "ProvisioningRequestRuleName", "TruststoreUri", "TruststoreVersion",
                "IotDataEndpointHint", "ActivationFailuresQueueUrl", "ProvisioningFailuresQueueUrl",
                "ActivationFunctionName", "ProvisioningFunctionName", "ExpiryWatchFunctionName",
                "RenewalAnnouncementRuleName", "RenewalFailuresQueueUrl", "RenewalFunctionName")), outputs.toString());
        assertTrue(outputs.stream().noneMatch(name -> name.startsWith("DeviceApiEndpoint")),
                "the disabled execute-api URL must not be an output: " + outputs);
        SynthesizedStack.template().hasOutput("IotDataEndpointHint",
                Map.of("Value", "aws iot describe-endpoint --endpoint-type iot:Data-ATS"));
        SynthesizedStack.template().hasOutput("ApiDomainName", Map.of("Value", SynthesizedStack.config().domainName()));
    }

    /** Deny statements (enforceSSL: deny s3:* / sqs:* without TLS) may and should be broad. */
    @Test
    void everyAllowStatement_namesItsActions() {
        List<Object> wildcardActions = Cfn.allStatements(SynthesizedStack.template().toJSON()).stream()
                .filter(statement -> "Allow".equals(statement.get("Effect")))
                .flatMap(statement -> actions(statement).stream())
                .filter(action -> action.toString().contains("*"))
                .collect(Collectors.toList());
        assertEquals(List.of(), wildcardActions);
    }

    @Test
    void stack_holdsOneOfEachSeedResource() {
        Map<String, Integer> expected = Map.ofEntries(
                Map.entry("AWS::IoT::Policy", 2),
                Map.entry("AWS::IoT::TopicRule", 3),
                Map.entry("AWS::ApiGateway::RestApi", 1),
                Map.entry("AWS::ApiGateway::DomainName", 1),
                Map.entry("AWS::ApiGateway::Authorizer", 1),
                Map.entry("AWS::SQS::Queue", 3),
                Map.entry("AWS::Events::Rule", 3),
                Map.entry("AWS::CloudTrail::Trail", 1),
                Map.entry("AWS::Lambda::Function", 9),
                Map.entry("AWS::Lambda::Version", 8),
                Map.entry("AWS::Lambda::Alias", 8));
        expected.forEach((type, count) -> SynthesizedStack.template().resourceCountIs(type, count));
    }

    private static List<Object> actions(Map<String, Object> statement) {
        Object action = statement.get("Action");
        return action instanceof List<?> list ? List.copyOf(list) : action == null ? List.of() : List.of(action);
    }
}
