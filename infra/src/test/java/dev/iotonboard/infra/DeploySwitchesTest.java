package dev.iotonboard.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.infra.constructs.ReservedConcurrency;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** Synthesis with the account-dependent context switches (issue 15 item 4): reservedConcurrency, certificateType. */
class DeploySwitchesTest {
    /** Initializes SynthesizedStack before TestCa (TestCa's scratch folder is SynthesizedStack's, which reads TestCa). */
    private static final String CA_ID = SynthesizedStack.CA_CERTIFICATE_ID;
    private static final String OWNERSHIP_ARN =
            "arn:aws:acm:eu-west-1:111122223333:certificate/abcdef01-2345-6789-abcd-ef0123456789";

    @Test
    void reservedConcurrency_isOnByDefault_withAWarningNamingTheQuotaAndTheTotal() {
        Template template = SynthesizedStack.template();
        Map<String, Map<String, Object>> functions = template.findResources("AWS::Lambda::Function");
        int total = functions.values().stream()
                .mapToInt(f -> ((Number) properties(f).getOrDefault("ReservedConcurrentExecutions", 0)).intValue())
                .sum();
        assertTrue(total > 0);
        assertEquals(1, Cfn.properties(SynthesizedStack.stack().getReconciler().orElseThrow().getFunction().getFunction())
                .get("ReservedConcurrentExecutions"), "the reconciler runs one at a time");
        assertEquals(1, Cfn.properties(SynthesizedStack.stack().getExpiryWatch().orElseThrow().getFunction().getFunction())
                .get("ReservedConcurrentExecutions"), "the expiry watch runs one at a time");
        List<String> warnings = warnings(SynthesizedStack.annotations(), ReservedConcurrency.WARNING_ON);
        assertEquals(1, warnings.size(), warnings.toString());
        String warning = warnings.get(0);
        assertTrue(warning.contains("reserve " + total + " concurrent executions")
                && warning.contains("at least " + (total + 100))
                && warning.contains("UnreservedConcurrentExecutions below 100")
                && warning.contains("aws lambda get-account-settings")
                && warning.contains("share of the IoT quotas")
                && warning.contains("one run at a time")
                && warning.contains("-c reservedConcurrency=false"), warning);
        assertEquals(List.of(), warnings(SynthesizedStack.annotations(), ReservedConcurrency.WARNING_OFF));
    }

    @Test
    void reservedConcurrencyOff_synthesizesWithoutAnyReservation_sayingWhatIsLost() {
        OnboardingApp.Synthesis off = synthesize(Map.of(OnboardingConfig.RESERVED_CONCURRENCY, "false"));

        assertEquals(0, off.exitCode());
        Template template = Template.fromStack(off.stack());
        Map<String, Map<String, Object>> functions = template.findResources("AWS::Lambda::Function");
        assertFalse(functions.isEmpty());
        functions.forEach((id, f) -> assertFalse(properties(f).containsKey("ReservedConcurrentExecutions"), id));
        Annotations annotations = Annotations.fromStack(off.stack());
        List<String> warnings = warnings(annotations, ReservedConcurrency.WARNING_OFF);
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("share of the IoT request-rate quotas")
                && warnings.get(0).contains("no longer one run at a time"), warnings.get(0));
        assertEquals(List.of(), warnings(annotations, ReservedConcurrency.WARNING_ON));
        assertEquals(List.of(), annotations.findError("*", Match.anyValue()).stream()
                .map(e -> e.getId() + " " + e.getEntry().getData()).toList(), "cdk-nag stays clean");
    }

    @Test
    void contextKey_isTheOneTheConstructNames() {
        assertEquals(ReservedConcurrency.CONTEXT_KEY, OnboardingConfig.RESERVED_CONCURRENCY);
    }

    @Test
    void importedCertificate_withoutAnOwnershipCertificate_failsSynthesis_explainingWhy() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        OnboardingApp.Synthesis failed = synthesize(Map.of(OnboardingConfig.CERTIFICATE_TYPE, "IMPORTED"), err);

        assertTrue(failed.exitCode() != 0);
        assertEquals(null, failed.stack());
        String message = err.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("ownershipVerificationCertificateArn: missing")
                && message.contains("mutual TLS") && message.contains("imported"), message);
    }

    @Test
    void privateCaCertificate_withAnOwnershipCertificate_setsItOnTheDomainName() {
        OnboardingApp.Synthesis synthesis = synthesize(Map.of(OnboardingConfig.CERTIFICATE_TYPE, "PRIVATE",
                OnboardingConfig.OWNERSHIP_VERIFICATION_CERTIFICATE_ARN, OWNERSHIP_ARN));

        assertEquals(0, synthesis.exitCode());
        Template.fromStack(synthesis.stack()).hasResourceProperties("AWS::ApiGateway::DomainName", Map.of(
                "RegionalCertificateArn", synthesis.config().certificateArn().orElseThrow(),
                "OwnershipVerificationCertificateArn", OWNERSHIP_ARN,
                "MutualTlsAuthentication", Match.anyValue()));
    }

    @Test
    void amazonIssuedCertificate_hasNoOwnershipCertificate() {
        SynthesizedStack.template().hasResourceProperties("AWS::ApiGateway::DomainName", Map.of(
                "OwnershipVerificationCertificateArn", Match.absent()));
    }

    private static OnboardingApp.Synthesis synthesize(Map<String, String> extra) {
        return synthesize(extra, new ByteArrayOutputStream());
    }

    private static OnboardingApp.Synthesis synthesize(Map<String, String> extra, ByteArrayOutputStream err) {
        return SynthesizedStack.synthesizeWith(extra, err);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> properties(Map<String, Object> resource) {
        return (Map<String, Object>) resource.get("Properties");
    }

    private static List<String> warnings(Annotations annotations, String id) {
        return annotations.findWarning("*", Match.stringLikeRegexp(".*")).stream()
                .map(w -> w.getEntry().getData().toString())
                .filter(data -> data.startsWith(id.equals(ReservedConcurrency.WARNING_ON)
                        ? "reservedConcurrency=true" : "reservedConcurrency=false"))
                .toList();
    }
}
