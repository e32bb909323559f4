package dev.iotonboard.local.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

public class StackTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static Path assembly() {
        try {
            return Path.of(StackTemplateTest.class.getResource("/assembly/manifest.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static StackTemplate load() {
        return StackTemplate.load(assembly(), "IotOnboarding", "000000000000", "us-east-1");
    }

    @Test
    void policies_resolveJoinSubAndPseudoParameters() throws IOException {
        StackTemplate stack = load();
        StackTemplate.IotPolicy jitr = stack.policies().get("JitrPolicy");
        assertEquals("JitrPolicy", jitr.name(), "no PolicyName: named by its logical id");
        assertEquals(List.of("arn:aws:iot:us-east-1:000000000000:topic/jitr/start",
                        "arn:aws:iot:us-east-1:000000000000:topic/jitr/x/${Literal}"),
                JSON.convertValue(JSON.readTree(jitr.document()).path("Statement").get(0).path("Resource"),
                        List.class));
        assertEquals("app-policy", stack.policies().get("NamedPolicy").name());
        assertEquals("{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"iot:*\",\"Resource\":\"*\"}}",
                stack.policies().get("NamedPolicy").document(), "a document given as text is taken as it is");
    }

    @Test
    void functions_readHandlerEnvironmentConcurrencyAssetAndInvokeConfig() {
        StackTemplate.Function fn = load().functions().get("Fn");
        assertEquals("dev.example.Handler::handleRequest", fn.handler());
        assertEquals("JitrPolicy", fn.environment().get("JITR_POLICY_NAME"), "Ref gives the policy's name");
        assertEquals("app-policy", fn.environment().get("APP_POLICY_NAME"));
        assertEquals("b", fn.environment().get("FIRST_AZ"));
        assertEquals("sqs", fn.environment().get("SPLIT"), "Fn::Select over Fn::Split");
        assertEquals("arn:aws:iam::000000000000:role/Role", fn.environment().get("ROLE"));
        assertEquals(2, fn.reservedConcurrency());
        assertEquals(30, fn.timeoutSeconds());
        assertEquals(1024, fn.memoryMb());
        assertEquals(assembly().resolve("asset.1111.jar"), fn.jar());
        assertEquals(1, fn.maximumRetryAttempts());
        assertEquals("arn:aws:sqs:us-east-1:000000000000:Failures", fn.onFailureDestination());
        assertFalse(load().functions().get("NodeFn").runnable(), "not a Java runtime");
    }

    @Test
    void rules_readSqlLambdaActionsAndErrorAction() {
        StackTemplate.TopicRule rule = load().rules().get("Rule");
        assertEquals("SELECT thingName, principal() AS certificateId FROM 'jitr/request'", rule.sql());
        assertEquals(List.of("Fn"), rule.lambdaFunctions());
        assertEquals("CloudwatchLogs", rule.errorAction());
        assertFalse(rule.disabled());
    }

    @Test
    void ignoredResources_areListed() {
        List<String> ignored = load().ignored();
        assertTrue(ignored.contains("Role (AWS::IAM::Role)"), ignored.toString());
        assertFalse(ignored.toString().contains("AWS::SQS::Queue"), "queues are read: " + ignored);
    }

    @Test
    void queues_haveTheirLogicalIdAsNameAndTheArnTheTemplateGives() {
        StackTemplate stack = load();
        assertEquals(Map.of("Failures", new StackTemplate.Queue("Failures", "Failures",
                "arn:aws:sqs:us-east-1:000000000000:Failures")), stack.queues());
        assertEquals(stack.queues().get("Failures").arn(), stack.functions().get("Fn").onFailureDestination());
    }

    /**
     * The shapes of a SnapStart stack (docs/contracts.md "Versions and aliases"), as CDK synthesizes them: a version
     * and an alias per function, the rule, schedule and invoke config naming the alias.
     */
    static StackTemplate snapStartStack(Path dir, Consumer<ObjectNode> change) throws IOException {
        ObjectNode template = (ObjectNode) JSON.readTree(assembly().resolve("Fixture.template.json").toFile());
        ObjectNode resources = (ObjectNode) template.get("Resources");
        ((ObjectNode) resources.path("Fn")).putObject("Metadata").put("aws:asset:path", "asset.1111.jar");
        resources.set("FnVersion1234abcd", JSON.readTree("""
                {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}}"""));
        resources.set("FnAlias", JSON.readTree("""
                {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Fn"},
                 "FunctionVersion": {"Fn::GetAtt": ["FnVersion1234abcd", "Version"]}, "Name": "live"}}"""));
        ((ObjectNode) resources.path("FnConfig").path("Properties")).set("Qualifier", JSON.readTree("""
                {"Fn::Select": [7, {"Fn::Split": [":", {"Ref": "FnAlias"}]}]}"""));
        ((ObjectNode) resources.path("Rule").path("Properties").path("TopicRulePayload").path("Actions").get(0)
                .path("Lambda")).set("FunctionArn", JSON.readTree("{\"Ref\": \"FnAlias\"}"));
        resources.set("Every5", JSON.readTree("""
                {"Type": "AWS::Events::Rule", "Properties": {"ScheduleExpression": "rate(5 minutes)", "State": "ENABLED",
                 "Targets": [{"Arn": {"Ref": "FnAlias"}, "Id": "Target0", "RetryPolicy": {"MaximumRetryAttempts": 0}}]}}"""));
        resources.set("Hourly", JSON.readTree("""
                {"Type": "AWS::Events::Rule", "Properties": {"ScheduleExpression": "rate(1 hour)", "State": "DISABLED",
                 "Targets": [{"Arn": {"Fn::Join": [":", [{"Fn::GetAtt": ["Fn", "Arn"]}, "1"]]}, "Id": "T"}]}}"""));
        resources.set("Nightly", JSON.readTree("""
                {"Type": "AWS::Events::Rule", "Properties": {"ScheduleExpression": "cron(0 3 * * ? *)",
                 "Targets": [{"Arn": {"Fn::GetAtt": ["Fn", "Arn"]}, "Id": "T"}]}}"""));
        change.accept(resources);
        Path file = dir.resolve("SnapStart.template.json");
        Files.writeString(file, template.toString());
        Files.copy(assembly().resolve("asset.1111.jar"), dir.resolve("asset.1111.jar"));
        return StackTemplate.fromTemplate(file, "IotOnboarding", "000000000000", "us-east-1");
    }

    @Test
    void aliases_resolveToTheirFunctionAndRefGivesTheQualifiedArn(@TempDir Path dir) throws IOException {
        StackTemplate stack = snapStartStack(dir, r -> { });

        assertEquals(Map.of("FnAlias", new StackTemplate.Alias("FnAlias", "live", "Fn",
                "arn:aws:lambda:us-east-1:000000000000:function:Fn:live")), stack.aliases());
        assertEquals(List.of("Fn"), stack.rules().get("Rule").lambdaFunctions(), "the rule invokes the alias");
        assertEquals("Fn", stack.functionByArn("arn:aws:lambda:us-east-1:000000000000:function:Fn:1").orElseThrow()
                .logicalId(), "a version ARN");
        assertEquals("Fn", stack.functionByArn("arn:aws:lambda:us-east-1:000000000000:function:Fn:$LATEST")
                .orElseThrow().logicalId());
        assertTrue(stack.functionByArn("arn:aws:lambda:us-east-1:000000000000:function:Fn:other").isEmpty(),
                "an alias the stack does not have");
        assertEquals(1, stack.functions().get("Fn").maximumRetryAttempts(), "the alias's invoke config applies");
        assertEquals("arn:aws:sqs:us-east-1:000000000000:Failures", stack.functions().get("Fn").onFailureDestination());
    }

    @Test
    void schedules_readRatesTargetsAndStateAndRecordCronAsUnsupported(@TempDir Path dir) throws IOException {
        Map<String, StackTemplate.Schedule> schedules = snapStartStack(dir, r -> { }).schedules();

        StackTemplate.Schedule every5 = schedules.get("Every5");
        assertEquals(Duration.ofMinutes(5), every5.interval());
        assertEquals(List.of("Fn"), every5.targetFunctions());
        assertEquals("arn:aws:events:us-east-1:000000000000:rule/Every5", every5.arn());
        assertTrue(every5.enabled() && every5.supported());
        StackTemplate.Schedule hourly = schedules.get("Hourly");
        assertEquals(Duration.ofHours(1), hourly.interval());
        assertFalse(hourly.enabled());
        assertEquals(List.of("Fn"), hourly.targetFunctions(), "a version ARN built with Fn::Join");
        StackTemplate.Schedule nightly = schedules.get("Nightly");
        assertFalse(nightly.supported());
        assertTrue(nightly.unsupportedReason().contains("cron expressions are not supported"), nightly.toString());
    }

    @ParameterizedTest
    @CsvSource({"rate(1 minute),PT1M", "rate(10 minutes),PT10M", "rate(2 hours),PT2H", "rate(1 day),PT24H",
        "rate(3 days),PT72H"})
    void schedules_readEveryRateUnit(String expression, String interval, @TempDir Path dir) throws IOException {
        StackTemplate stack = snapStartStack(dir, r -> ((ObjectNode) r.path("Every5").path("Properties"))
                .put("ScheduleExpression", expression));
        assertEquals(Duration.parse(interval), stack.schedules().get("Every5").interval());
    }

    @Test
    void aRuleWithoutScheduleOrPattern_orWithAForeignTarget_isAnError(@TempDir Path dir) throws IOException {
        IllegalArgumentException pattern = assertThrows(IllegalArgumentException.class, () -> snapStartStack(dir,
                r -> ((ObjectNode) r.path("Every5").path("Properties")).remove("ScheduleExpression")));
        assertTrue(pattern.getMessage().startsWith("Every5 (AWS::Events::Rule): neither ScheduleExpression nor"),
                pattern.getMessage());
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class, () -> snapStartStack(
                Files.createDirectory(dir.resolve("2")), r -> ((ObjectNode) r.path("Every5").path("Properties")
                        .path("Targets").get(0)).put("Arn", "arn:aws:sqs:us-east-1:000000000000:q")));
        assertTrue(foreign.getMessage().contains("is not a Lambda function of this stack"), foreign.getMessage());
    }

    @Test
    void regionAndAccount_areConfigurable() {
        StackTemplate stack = StackTemplate.load(assembly(), "IotOnboarding", "111122223333", "eu-west-1");
        assertTrue(stack.policies().get("JitrPolicy").document()
                .contains("arn:aws:iot:eu-west-1:111122223333:topic/jitr/start"));
    }

    @Test
    void missingAssembly_saysRunTheBuildFirst(@TempDir Path empty) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StackTemplate.load(empty, "IotOnboarding", "000000000000", "us-east-1"));
        assertTrue(e.getMessage().contains("run the build first"), e.getMessage());
        IllegalArgumentException stack = assertThrows(IllegalArgumentException.class,
                () -> StackTemplate.load(assembly(), "Other", "000000000000", "us-east-1"));
        assertTrue(stack.getMessage().contains("no stack Other"), stack.getMessage());
    }

    private static IllegalArgumentException failure(Path dir, Consumer<ObjectNode> change) throws IOException {
        ObjectNode template = (ObjectNode) JSON.readTree(assembly().resolve("Fixture.template.json").toFile());
        change.accept((ObjectNode) template.get("Resources"));
        Path file = dir.resolve("t.template.json");
        Files.writeString(file, template.toString());
        Files.copy(assembly().resolve("asset.1111.jar"), dir.resolve("asset.1111.jar"));
        ((ObjectNode) template.path("Resources").path("Fn")).putObject("Metadata").put("aws:asset:path",
                "asset.1111.jar");
        Files.writeString(file, template.toString());
        return assertThrows(IllegalArgumentException.class,
                () -> StackTemplate.fromTemplate(file, "IotOnboarding", "000000000000", "us-east-1"));
    }

    @Test
    void thingTypesAndThingGroups_areReadWithTheirNamesAndProperties(@TempDir Path dir) throws IOException {
        StackTemplate stack = snapStartStack(dir, r -> {
            try {
                r.set("Type", JSON.readTree("""
                        {"Type": "AWS::IoT::ThingType", "Properties": {"ThingTypeName": "sensor",
                         "ThingTypeProperties": {"ThingTypeDescription": "d", "SearchableAttributes": ["org", "unit"]}}}"""));
                r.set("Group", JSON.readTree("""
                        {"Type": "AWS::IoT::ThingGroup", "Properties": {"ThingGroupName": "fleet",
                         "ThingGroupProperties": {"ThingGroupDescription": "all"}}}"""));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });

        assertEquals(Map.of("Type", new StackTemplate.ThingType("Type", "sensor", "d", List.of("org", "unit"))),
                stack.thingTypes());
        assertEquals(Map.of("Group", new StackTemplate.ThingGroup("Group", "fleet", "all")), stack.thingGroups());
        assertTrue(stack.ignored().stream().noneMatch(id -> id.startsWith("Type") || id.startsWith("Group")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"ParentGroupName\": \"p\"}", "{\"QueryString\": \"q\"}",
            "{\"ThingGroupProperties\": {\"AttributePayload\": {\"Attributes\": {\"a\": \"b\"}}}}"})
    void thingGroupPropertiesTheLocalIotCoreDoesNotModel_areAnError(String properties, @TempDir Path dir)
            throws IOException {
        IllegalArgumentException e = failure(dir, r -> {
            try {
                r.set("Group", JSON.readTree("{\"Type\": \"AWS::IoT::ThingGroup\", \"Properties\": " + properties
                        + "}"));
            } catch (IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
        });
        assertTrue(e.getMessage().startsWith("Group (AWS::IoT::ThingGroup)"), e.getMessage());
    }

    @Test
    void policyIotWouldRefuse_isAnErrorNamingTheResource(@TempDir Path dir) throws IOException {
        IllegalArgumentException e = failure(dir, r -> ((ObjectNode) r.path("NamedPolicy").path("Properties"))
                .put("PolicyDocument", "{\"Statement\":{\"Effect\":\"deny\",\"Action\":\"iot:*\","
                        + "\"Resource\":\"*\"}}"));
        assertTrue(e.getMessage().startsWith("NamedPolicy (AWS::IoT::Policy): IoT would refuse it"), e.getMessage());
        assertTrue(e.getMessage().contains("Effect must be \"Allow\" or \"Deny\""), e.getMessage());
    }

    @Test
    void unsupportedResourceType_isAnErrorNamingTheResource(@TempDir Path dir) throws IOException {
        IllegalArgumentException e = failure(dir, r -> r.putObject("Table").put("Type", "AWS::DynamoDB::Table"));
        assertTrue(e.getMessage().startsWith("Table (AWS::DynamoDB::Table)"), e.getMessage());
    }

    @Test
    void unsupportedIntrinsic_isAnErrorNamingTheResource(@TempDir Path dir) throws IOException {
        IllegalArgumentException e = failure(dir, r -> ((ObjectNode) r.path("NamedPolicy").path("Properties"))
                .putObject("PolicyDocument").putObject("Fn::ImportValue").put("x", "y"));
        assertTrue(e.getMessage().startsWith("NamedPolicy: intrinsic function Fn::ImportValue"), e.getMessage());
    }

    @Test
    void ruleWithOtherActions_orANonJavaTarget_isAnError(@TempDir Path dir) throws IOException {
        IllegalArgumentException republish = failure(dir, r -> ((ObjectNode) r.path("Rule").path("Properties")
                .path("TopicRulePayload")).putArray("Actions").addObject().putObject("Republish").put("Topic", "x"));
        assertTrue(republish.getMessage().contains("Rule (AWS::IoT::TopicRule): only Lambda actions"),
                republish.getMessage());
    }

    @Test
    void ruleTargetingANodeFunction_isAnError(@TempDir Path dir) throws IOException {
        IllegalArgumentException node = failure(dir, r -> ((ObjectNode) r.path("Rule").path("Properties")
                .path("TopicRulePayload").path("Actions").get(0).path("Lambda")).putObject("FunctionArn")
                .putArray("Fn::GetAtt").add("NodeFn").add("Arn"));
        assertTrue(node.getMessage().contains("only Java functions can run"), node.getMessage());
    }

    @Test
    void functionWithoutAsset_isAnError(@TempDir Path dir) throws IOException {
        ObjectNode template = (ObjectNode) JSON.readTree(assembly().resolve("Fixture.template.json").toFile());
        Path file = dir.resolve("t.template.json");
        Files.writeString(file, template.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StackTemplate.fromTemplate(file, "IotOnboarding", "000000000000", "us-east-1"));
        assertTrue(e.getMessage().startsWith("Fn (AWS::Lambda::Function): no asset"), e.getMessage());
    }
}
