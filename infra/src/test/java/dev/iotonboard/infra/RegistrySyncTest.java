package dev.iotonboard.infra;

import static dev.iotonboard.infra.Cfn.iotArn;
import static dev.iotonboard.infra.Cfn.properties;
import static dev.iotonboard.infra.Cfn.ref;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.infra.constructs.JavaFunction;
import dev.iotonboard.infra.constructs.Reconciler;
import dev.iotonboard.infra.constructs.RegistrationPipeline;
import dev.iotonboard.infra.constructs.RegistrySync;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** The registry sync in the synthesized stack, and the context key that decides its trail. */
class RegistrySyncTest {
    private static final String WARNING = "iotonboard:no-registry-sync";

    private final Template template = SynthesizedStack.template();
    private final RegistrySync sync = SynthesizedStack.stack().getRegistrySync().orElseThrow();

    @Test
    void function_runsTheSyncHandlerFromTheReconcilerJar_withTheTableTheStacksCasAndTheWriterRoles() {
        Map<String, Object> function = properties(sync.getFunction().getFunction());
        RegistrationPipeline registration = SynthesizedStack.stack().getRegistration();
        assertEquals(RegistrySync.HANDLER, function.get("Handler"));
        assertEquals("dev.iotonboard.lambda.reconciler.RegistrySyncHandler::handleRequest", function.get("Handler"));
        assertEquals(Map.of("Variables", Map.of(
                        "DEVICE_REGISTRY_TABLE", ref(Cfn.logicalId(
                                SynthesizedStack.stack().getDeviceRegistry().getTable().getNode().getDefaultChild())),
                        "CA_CERTIFICATE_IDS", SynthesizedStack.CA_CERTIFICATE_ID,
                        RegistrySync.WRITER_ROLE_ARNS, Map.of("Fn::Join", List.of(",", List.of(
                                Cfn.getAtt(registration.getActivation().getRole(), "Arn"),
                                Cfn.getAtt(registration.getProvisioning().getRole(), "Arn")))),
                        "JAVA_TOOL_OPTIONS", JavaFunction.JAVA_TOOL_OPTIONS)),
                function.get("Environment"));
        Reconciler reconciler = SynthesizedStack.stack().getReconciler().orElseThrow();
        assertEquals(properties(reconciler.getFunction().getFunction()).get("Code"), function.get("Code"),
                "the same jar asset as the reconciler");
        template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", Map.of(
                "FunctionName", ref(Cfn.logicalId(sync.getFunction().getFunction())),
                "Qualifier", Cfn.aliasNameOf(sync.getFunction().getAlias()),
                "MaximumRetryAttempts", 2));
    }

    @Test
    void rule_matchesCloudTrailEventsOfTheFourIotCalls_andInvokesTheAlias() {
        Map<String, Object> rule = properties(sync.getRule());
        assertEquals(Map.of(
                        "source", List.of("aws.iot"),
                        "detail-type", List.of("AWS API Call via CloudTrail"),
                        "detail", Map.of("eventSource", List.of("iot.amazonaws.com"),
                                "eventName", List.of("UpdateCertificate", "DeleteCertificate", "DetachThingPrincipal",
                                        "UpdateCACertificate"))),
                rule.get("EventPattern"));
        assertFalse(rule.containsKey("ScheduleExpression"));
        List<?> targets = (List<?>) rule.get("Targets");
        assertEquals(1, targets.size());
        assertEquals(ref(Cfn.logicalId(sync.getFunction().getAlias())), ((Map<?, ?>) targets.get(0)).get("Arn"));
        template.hasResourceProperties("AWS::Lambda::Permission", Map.of(
                "Action", "lambda:InvokeFunction",
                "FunctionName", ref(Cfn.logicalId(sync.getFunction().getAlias())),
                "Principal", "events.amazonaws.com",
                "SourceArn", Cfn.getAtt(sync.getRule(), "Arn")));
    }

    @Test
    void eventNames_areTheHandlersOwn() throws IOException {
        String service = Files.readString(SynthesizedStack.ROOT.resolve(
                "lambdas/reconciler/src/main/java/dev/iotonboard/lambda/reconciler/RegistrySyncService.java"));
        String declared = "List.of(" + String.join(", ", RegistrySync.EVENT_NAMES.stream()
                .map(name -> "\"" + name + "\"").toList()) + ")";
        assertTrue(service.replaceAll("\\s+", " ").contains("EVENT_NAMES = " + declared.replaceAll("\\s+", " ")),
                "RegistrySyncService.EVENT_NAMES differs from " + declared);
    }

    @Test
    void writerRoleVariable_isTheHandlers() throws IOException {
        String handler = Files.readString(SynthesizedStack.ROOT.resolve(
                "lambdas/reconciler/src/main/java/dev/iotonboard/lambda/reconciler/RegistrySyncHandler.java"));
        assertTrue(handler.contains("WRITER_ROLE_ARNS = \"" + RegistrySync.WRITER_ROLE_ARNS + "\";"),
                "RegistrySyncHandler.WRITER_ROLE_ARNS differs from " + RegistrySync.WRITER_ROLE_ARNS);
    }

    @Test
    void role_describesCertificatesAndTheStacksCa_andUpdatesOnlyTheTable() {
        assertEquals(List.of(
                        Map.of("Action", List.of("iot:DescribeCertificate", "iot:ListPrincipalThings"),
                                "Effect", "Allow",
                                "Resource", iotArn("cert/*")),
                        Map.of("Action", "iot:DescribeCACertificate",
                                "Effect", "Allow",
                                "Resource", iotArn("cacert/" + SynthesizedStack.CA_CERTIFICATE_ID))),
                statements("iot:"));
        List<Map<String, Object>> dynamo = statements("dynamodb:");
        assertEquals(1, dynamo.size(), dynamo.toString());
        assertEquals("dynamodb:UpdateItem", dynamo.get(0).get("Action"));
        assertEquals(Cfn.getAtt(SynthesizedStack.stack().getDeviceRegistry().getTable().getNode().getDefaultChild(),
                "Arn"), dynamo.get(0).get("Resource"));
    }

    @Test
    void byDefault_theStackCreatesATrailOfManagementWriteEvents_inAPrivateRetainedBucket() {
        Map<String, Object> trail = properties(sync.getTrail().orElseThrow());
        assertEquals(true, trail.get("IsLogging"));
        assertEquals(List.of(Map.of("IncludeManagementEvents", true, "ReadWriteType", "WriteOnly")),
                trail.get("EventSelectors"));
        assertFalse(trail.containsKey("AdvancedEventSelectors"));
        assertEquals(false, trail.get("IsMultiRegionTrail"));
        assertEquals(true, trail.get("EnableLogFileValidation"));
        Map<String, Object> bucket = Cfn.resource(sync.getTrailBucket().orElseThrow());
        assertEquals("Retain", bucket.get("DeletionPolicy"));
        @SuppressWarnings("unchecked")
        Map<String, Object> bucketProperties = (Map<String, Object>) bucket.get("Properties");
        assertEquals(Map.of("BlockPublicAcls", true, "BlockPublicPolicy", true, "IgnorePublicAcls", true,
                "RestrictPublicBuckets", true), bucketProperties.get("PublicAccessBlockConfiguration"));
        assertTrue(bucketProperties.containsKey("BucketEncryption"));
        assertEquals(List.of(), SynthesizedStack.annotations().findWarning("*", Match.stringLikeRegexp(".*registrySync.*"))
                .stream().map(w -> w.getEntry().getData().toString()).toList());
    }

    @Test
    void existingTrail_keepsTheRuleAndFunction_withoutATrailOrBucket() {
        OnboardingApp.Synthesis synthesis = synthesize("existingTrail");

        assertEquals(0, synthesis.exitCode());
        RegistrySync existing = synthesis.stack().getRegistrySync().orElseThrow();
        assertTrue(existing.getTrail().isEmpty());
        assertTrue(existing.getTrailBucket().isEmpty());
        Template variant = Template.fromStack(synthesis.stack());
        variant.resourceCountIs("AWS::CloudTrail::Trail", 0);
        variant.hasResourceProperties("AWS::Events::Rule", Match.objectLike(Map.of("EventPattern",
                Match.objectLike(Map.of("source", List.of("aws.iot"))))));
        assertEquals(List.of(), warnings(Annotations.fromStack(synthesis.stack())));
        assertNoErrors(synthesis);
    }

    @Test
    void off_dropsTheSync_andWarnsThatOutsideChangesWaitForTheReconciler() {
        OnboardingApp.Synthesis synthesis = synthesize("off");

        assertEquals(0, synthesis.exitCode());
        assertTrue(synthesis.stack().getRegistrySync().isEmpty());
        Template variant = Template.fromStack(synthesis.stack());
        variant.resourceCountIs("AWS::CloudTrail::Trail", 0);
        assertTrue(variant.findResources("AWS::Events::Rule").values().stream()
                .allMatch(rule -> ((Map<?, ?>) rule.get("Properties")).containsKey("ScheduleExpression")),
                "only the schedules are left");
        List<String> warnings = warnings(Annotations.fromStack(synthesis.stack()));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("registrySync=off") && warnings.get(0).contains("reconciler")
                && warnings.get(0).contains("createTrail") && warnings.get(0).contains("existingTrail"),
                warnings.get(0));
        assertNoErrors(synthesis);
    }

    @Test
    void anUnknownValue_failsSynthesis_namingTheValues() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        OnboardingApp.Synthesis synthesis = synthesize("yes", err);

        assertEquals(1, synthesis.exitCode());
        String message = err.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("registrySync: 'yes' is none of createTrail") && message.contains("existingTrail")
                && message.contains("off"), message);
    }

    @Test
    void contextKey() {
        assertEquals("registrySync", OnboardingConfig.REGISTRY_SYNC);
    }

    /** The statements of the function's policy whose first action starts with {@code prefix}. */
    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> statements(String prefix) {
        Map<String, Object> policy = properties(sync.getFunction().getRole().getNode().findChild("DefaultPolicy"));
        List<Map<String, Object>> statements = (List<Map<String, Object>>)
                ((Map<String, Object>) policy.get("PolicyDocument")).get("Statement");
        return statements.stream()
                .filter(s -> (s.get("Action") instanceof List<?> actions ? actions.get(0) : s.get("Action"))
                        .toString().startsWith(prefix))
                .toList();
    }

    private static OnboardingApp.Synthesis synthesize(String value) {
        return synthesize(value, new ByteArrayOutputStream());
    }

    private static OnboardingApp.Synthesis synthesize(String value, ByteArrayOutputStream err) {
        return SynthesizedStack.synthesizeWith(Map.of(OnboardingConfig.REGISTRY_SYNC, value), err);
    }

    private static List<String> warnings(Annotations annotations) {
        return annotations.findWarning("*", Match.anyValue()).stream()
                .map(w -> w.getEntry().getData().toString())
                .filter(w -> w.contains("registrySync")).toList();
    }

    private static void assertNoErrors(OnboardingApp.Synthesis synthesis) {
        assertEquals(List.of(), Annotations.fromStack(synthesis.stack()).findError("*", Match.anyValue()).stream()
                .map(e -> e.getId() + " " + e.getEntry().getData()).toList(), "cdk-nag stays clean");
    }
}
