package dev.iotonboard.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.infra.stacks.OnboardingStack;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** The stack synthesized with two CAs, as while a CA rotation overlaps. */
class CaRotationStackTest {
    private static String id1;
    private static String id2;
    private static OnboardingApp.Synthesis synthesis;
    private static Template template;
    private static String err;

    @BeforeAll
    static void synthesizeWithTwoCas() throws IOException {
        Path ca1 = TestCa.create("CA 1");
        Path ca2 = TestCa.create("CA 2");
        id1 = TestCa.id(ca1);
        id2 = TestCa.id(ca2);
        Path bundle = SynthesizedStack.scratchDirectory("bundle").resolve("truststore.pem");
        Files.writeString(bundle, Files.readString(ca1) + Files.readString(ca2));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        synthesis = OnboardingApp.synthesize(SynthesizedStack.ROOT, SynthesizedStack.scratchDirectory("cdk.out"),
                Map.of(OnboardingConfig.TRUSTSTORE_PATH, bundle.toString(), OnboardingConfig.CA_CERTIFICATE_ID, "",
                        OnboardingConfig.CA_CERTIFICATE_IDS, id1 + "," + id2),
                Environment.builder().account(SynthesizedStack.ACCOUNT).region(SynthesizedStack.REGION).build(),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        err = out.toString(StandardCharsets.UTF_8);
        template = synthesis.stack() == null ? null : Template.fromStack(synthesis.stack());
    }

    @Test
    void synthesizes_withCdkNagClean() {
        assertEquals(0, synthesis.exitCode(), err);
        assertEquals(List.of(id1, id2), synthesis.config().caCertificateIds());
    }

    @Test
    void registeredRule_isOneRuleSelectingTheListedCasByTopic() {
        OnboardingStack stack = synthesis.stack();
        template.resourcePropertiesCountIs("AWS::IoT::TopicRule", Map.of("TopicRulePayload", Match.objectLike(Map.of(
                "Sql", "SELECT * FROM '$aws/events/certificates/registered/+' WHERE topic(5) = '" + id1
                        + "' OR topic(5) = '" + id2 + "'"))), 1);
        assertTrue(stack.getRegistration().getCertificateRegisteredRule() != null);
    }

    @Test
    void functions_getTheCommaSeparatedList() {
        String ids = id1 + "," + id2;
        // activation, provisioning, the renewal announcement, the reconciler, the expiry watch, the authorizer and
        // the registry sync
        template.resourcePropertiesCountIs("AWS::Lambda::Function", Map.of("Environment", Map.of("Variables",
                Match.objectLike(Map.of("CA_CERTIFICATE_IDS", ids)))), 7);
        assertFalse(template.toJSON().toString().contains("CA_CERTIFICATE_ID="), "no single-CA variable is set");
    }

    @Test
    void caGrants_nameEachCaCertificate_neverAWildcard() {
        // activation, the reconciler, the expiry watch, the registry sync; IAM statements are minimized, which sorts
        // their resources
        List<Object> described = Cfn.allStatements(template.toJSON()).stream()
                .filter(statement -> "iot:DescribeCACertificate".equals(statement.get("Action")))
                .map(statement -> statement.get("Resource")).toList();
        assertEquals(4, described.size(), described.toString());
        for (Object resources : described) {
            assertEquals(Set.of(caArn(id1), caArn(id2)), Set.copyOf((List<?>) resources), described.toString());
        }
        assertFalse(template.toJSON().toString().contains("cacert/*"), "no cacert wildcard");
    }

    private static String caArn(String id) {
        return Cfn.iotArn("cacert/" + id);
    }
}
