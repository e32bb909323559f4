package dev.iotonboard.infra.constructs;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.ArnComponents;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.iot.CfnPolicy;
import software.constructs.Construct;

/**
 * The two IoT policies a device certificate holds in turn: the JITR policy right after activation (it may only ask for
 * its thing), then the app policy once it has a thing (it may only act as that thing, under its own topics).
 */
public final class DevicePolicies extends Construct {
    /** Resolves only for an MQTT connection whose client id is the thing name (aws-behaviour.md). */
    public static final String THING_NAME = "${iot:Connection.Thing.ThingName}";

    private final CfnPolicy jitrPolicy;
    private final CfnPolicy appPolicy;

    public DevicePolicies(Construct scope, String id, Props props) {
        super(scope, id);
        Stack stack = Stack.of(this);
        jitrPolicy = CfnPolicy.Builder.create(this, "JitrPolicy")
                .policyDocument(document(List.of(
                        allow("iot:Publish", List.of(
                                iotArn(stack, "topic", props.jitrStartTopic()),
                                iotArn(stack, "topic", props.jitrRequestTopic()))))))
                .build();
        appPolicy = CfnPolicy.Builder.create(this, "AppPolicy")
                .policyDocument(document(List.of(
                        Map.of("Effect", "Allow",
                                "Action", List.of("iot:Connect"),
                                "Resource", List.of(iotArn(stack, "client", THING_NAME)),
                                "Condition", Map.of("Bool", Map.of("iot:Connection.Thing.IsAttached", "true"))),
                        allow("iot:Publish", List.of(iotArn(stack, "topic", "things/" + THING_NAME + "/*"))),
                        allow("iot:Receive", List.of(iotArn(stack, "topic", "things/" + THING_NAME + "/*"))),
                        allow("iot:Subscribe", List.of(iotArn(stack, "topicfilter", "things/" + THING_NAME + "/*"))))))
                .build();
    }

    /** The generated policy name (CloudFormation's Ref of an IoT policy). */
    public String getJitrPolicyName() {
        return jitrPolicy.getRef();
    }

    public String getAppPolicyName() {
        return appPolicy.getRef();
    }

    public CfnPolicy getJitrPolicy() {
        return jitrPolicy;
    }

    public CfnPolicy getAppPolicy() {
        return appPolicy;
    }

    private static Map<String, Object> document(List<Map<String, Object>> statements) {
        return Map.of("Version", "2012-10-17", "Statement", statements);
    }

    private static Map<String, Object> allow(String action, List<String> resources) {
        return Map.of("Effect", "Allow", "Action", List.of(action), "Resource", resources);
    }

    static String iotArn(Stack stack, String resourceType, String resourceName) {
        return stack.formatArn(ArnComponents.builder().service("iot").resource(resourceType).resourceName(resourceName).build());
    }

    public record Props(String jitrStartTopic, String jitrRequestTopic) {
        public Props {
            Objects.requireNonNull(jitrStartTopic, "jitrStartTopic");
            Objects.requireNonNull(jitrRequestTopic, "jitrRequestTopic");
        }

        public static Builder builder() {
            return new Builder();
        }

        public static final class Builder {
            private String jitrStartTopic = "jitr/start";
            private String jitrRequestTopic = "jitr/request";

            public Builder jitrStartTopic(String topic) {
                this.jitrStartTopic = topic;
                return this;
            }

            public Builder jitrRequestTopic(String topic) {
                this.jitrRequestTopic = topic;
                return this;
            }

            public Props build() {
                return new Props(jitrStartTopic, jitrRequestTopic);
            }
        }
    }
}
