package dev.iotonboard.infra;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.CfnElement;
import software.amazon.awscdk.Stack;
import software.constructs.IConstruct;

/** Small helpers to find and build CloudFormation fragments in assertions. */
public final class Cfn {
    private Cfn() {
    }

    public static String logicalId(IConstruct construct) {
        IConstruct element = construct;
        while (!(element instanceof CfnElement)) {
            element = element.getNode().getDefaultChild();
        }
        return Stack.of(construct).getLogicalId((CfnElement) element);
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> properties(IConstruct construct) {
        return (Map<String, Object>) resource(construct).get("Properties");
    }

    /** The whole resource in the shared stack: Type, Properties, DeletionPolicy, ... */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> resource(IConstruct construct) {
        Map<String, Object> resources = (Map<String, Object>) SynthesizedStack.template().toJSON().get("Resources");
        return (Map<String, Object>) resources.get(logicalId(construct));
    }

    /** What Stack.formatArn renders for an IoT resource in the shared stack (concrete account and region). */
    /**
     * An IoT ARN in the synthesized stack's environment. Its region is concrete, so the partition is a literal
     * (feature flag @aws-cdk/core:enablePartitionLiterals), not a Ref to AWS::Partition.
     */
    public static String iotArn(String resource) {
        return "arn:aws:iot:" + SynthesizedStack.REGION + ":" + SynthesizedStack.ACCOUNT + ":" + resource;
    }

    public static Map<String, Object> ref(String name) {
        return Map.of("Ref", name);
    }

    /** How CDK renders an alias's name from its ARN (the EventInvokeConfig qualifier): the 8th ':'-separated field. */
    public static Map<String, Object> aliasNameOf(IConstruct alias) {
        return Map.of("Fn::Select", List.of(7, Map.of("Fn::Split", List.of(":", ref(logicalId(alias))))));
    }

    public static Map<String, Object> getAtt(IConstruct construct, String attribute) {
        return Map.of("Fn::GetAtt", List.of(logicalId(construct), attribute));
    }

    /** Every IAM/IoT policy and KMS key policy statement of the template, for checks that apply to all of them. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> allStatements(Map<String, Object> template) {
        List<Map<String, Object>> statements = new ArrayList<>();
        ((Map<String, Map<String, Object>>) template.get("Resources")).values().forEach(resource -> {
            Map<String, Object> properties = (Map<String, Object>) resource.getOrDefault("Properties", Map.of());
            for (String key : List.of("PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy")) {
                if (properties.get(key) instanceof Map<?, ?> document) {
                    statements.addAll((List<Map<String, Object>>) document.get("Statement"));
                }
            }
            if (properties.get("Policies") instanceof List<?> policies) {
                policies.forEach(policy -> statements.addAll((List<Map<String, Object>>)
                        ((Map<String, Object>) ((Map<String, Object>) policy).get("PolicyDocument")).get("Statement")));
            }
        });
        return statements;
    }
}
