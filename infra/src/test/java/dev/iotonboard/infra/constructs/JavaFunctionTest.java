package dev.iotonboard.infra.constructs;

import static dev.iotonboard.infra.Cfn.getAtt;
import static dev.iotonboard.infra.Cfn.properties;
import static dev.iotonboard.infra.Cfn.ref;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.infra.Cfn;
import dev.iotonboard.infra.SynthesizedStack;
import dev.iotonboard.infra.stacks.OnboardingStack;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.CfnResource;
import software.amazon.awscdk.Stack;

class JavaFunctionTest {
    private final OnboardingStack stack = SynthesizedStack.stack();
    private final List<JavaFunction> functions = List.of(
            stack.getRegistration().getActivation(),
            stack.getRegistration().getProvisioning(),
            stack.getRegistration().getRenewal(),
            stack.getDeviceApi().getAuthorizerFunction(),
            stack.getDeviceApi().getSampleFunction(),
            stack.getReconciler().orElseThrow().getFunction(),
            stack.getExpiryWatch().orElseThrow().getFunction(),
            stack.getRegistrySync().orElseThrow().getFunction());

    @Test
    void everyFunction_runsJava25WithTheContractSettings() {
        for (JavaFunction function : functions) {
            Map<String, Object> properties = properties(function.getFunction());
            assertEquals("java25", properties.get("Runtime"));
            assertEquals(List.of("arm64"), properties.get("Architectures"));
            assertEquals(1024, ((Number) properties.get("MemorySize")).intValue());
            // The expiry watch scans whole fleets at a low request rate: it may take Lambda's longest timeout.
            int maxTimeout = function == stack.getExpiryWatch().orElseThrow().getFunction() ? 900 : 300;
            assertTrue(((Number) properties.get("Timeout")).intValue() <= maxTimeout);
            assertEquals("-XX:+TieredCompilation -XX:TieredStopAtLevel=1",
                    ((Map<?, ?>) ((Map<?, ?>) properties.get("Environment")).get("Variables")).get("JAVA_TOOL_OPTIONS"));
            assertEquals(Map.of("LogGroup", Map.of("Ref", dev.iotonboard.infra.Cfn.logicalId(function.getLogGroup()))),
                    Map.of("LogGroup", ((Map<?, ?>) properties.get("LoggingConfig")).get("LogGroup")));
            assertEquals(getAtt(function.getRole(), "Arn"), properties.get("Role"));
        }
    }

    @Test
    void everyFunction_isPublishedWithSnapStartBehindTheLiveAlias() {
        for (JavaFunction function : functions) {
            assertEquals(Map.of("ApplyOn", "PublishedVersions"), properties(function.getFunction()).get("SnapStart"));
            Map<String, Object> alias = properties(function.getAlias());
            assertEquals("live", alias.get("Name"));
            assertEquals(ref(Cfn.logicalId(function.getFunction())), alias.get("FunctionName"));
            // The version's logical id carries a hash of the function's configuration: a new version on every change.
            String version = (String) Stack.of(function).resolve(((CfnResource) function.getFunction()
                    .getCurrentVersion().getNode().getDefaultChild()).getLogicalId());
            assertEquals(Map.of("Fn::GetAtt", List.of(version, "Version")), alias.get("FunctionVersion"));
            assertEquals(Map.of("FunctionName", ref(Cfn.logicalId(function.getFunction()))),
                    SynthesizedStack.template().findResources("AWS::Lambda::Version").get(version).get("Properties"));
        }
    }

    @Test
    void everyInvokePermission_isForAnAlias() {
        Map<String, Map<String, Object>> permissions = SynthesizedStack.template().findResources("AWS::Lambda::Permission");
        List<Object> aliases = functions.stream().map(f -> (Object) ref(Cfn.logicalId(f.getAlias()))).toList();
        assertTrue(permissions.size() >= 5, permissions.keySet().toString());
        permissions.forEach((id, permission) -> assertTrue(
                aliases.contains(((Map<?, ?>) permission.get("Properties")).get("FunctionName")), id + " " + permission));
    }

    @Test
    void everyFunction_logsToItsOwnGroupWithRetention() {
        for (JavaFunction function : functions) {
            assertEquals(30, ((Number) properties(function.getLogGroup()).get("RetentionInDays")).intValue());
        }
    }

    @Test
    void everyRole_isForLambdaWithoutManagedPoliciesAndWritesOnlyItsLogGroup() {
        for (JavaFunction function : functions) {
            Map<String, Object> role = properties(function.getRole());
            assertEquals(null, role.get("ManagedPolicyArns"));
            assertEquals(List.of(Map.of("Action", "sts:AssumeRole", "Effect", "Allow",
                            "Principal", Map.of("Service", "lambda.amazonaws.com"))),
                    ((Map<?, ?>) role.get("AssumeRolePolicyDocument")).get("Statement"));
            List<?> statements = (List<?>) ((Map<?, ?>) properties(function.getRole().getNode().findChild("DefaultPolicy"))
                    .get("PolicyDocument")).get("Statement");
            assertEquals(Map.of("Action", List.of("logs:CreateLogStream", "logs:PutLogEvents"), "Effect", "Allow",
                    "Resource", getAtt(function.getLogGroup(), "Arn")), statements.get(0));
        }
    }
}
