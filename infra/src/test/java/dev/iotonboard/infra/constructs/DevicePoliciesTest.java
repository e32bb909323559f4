package dev.iotonboard.infra.constructs;

import static dev.iotonboard.infra.Cfn.iotArn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iotonboard.infra.Cfn;
import dev.iotonboard.infra.SynthesizedStack;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DevicePoliciesTest {
    private final DevicePolicies policies = SynthesizedStack.stack().getDevicePolicies();

    @Test
    void jitrPolicy_onlyPublishesToTheTwoJitrTopics() {
        assertEquals(Map.of("Version", "2012-10-17", "Statement", List.of(Map.of(
                        "Effect", "Allow",
                        "Action", List.of("iot:Publish"),
                        "Resource", List.of(iotArn("topic/jitr/start"), iotArn("topic/jitr/request"))))),
                Cfn.properties(policies.getJitrPolicy()).get("PolicyDocument"));
    }

    @Test
    void appPolicy_connectsOnlyAsAnAttachedThingAndActsUnderItsOwnTopics() {
        String thing = "${iot:Connection.Thing.ThingName}";
        assertEquals(Map.of("Version", "2012-10-17", "Statement", List.of(
                        Map.of("Effect", "Allow",
                                "Action", List.of("iot:Connect"),
                                "Resource", List.of(iotArn("client/" + thing)),
                                "Condition", Map.of("Bool", Map.of("iot:Connection.Thing.IsAttached", "true"))),
                        Map.of("Effect", "Allow", "Action", List.of("iot:Publish"),
                                "Resource", List.of(iotArn("topic/things/" + thing + "/*"))),
                        Map.of("Effect", "Allow", "Action", List.of("iot:Receive"),
                                "Resource", List.of(iotArn("topic/things/" + thing + "/*"))),
                        Map.of("Effect", "Allow", "Action", List.of("iot:Subscribe"),
                                "Resource", List.of(iotArn("topicfilter/things/" + thing + "/*"))))),
                Cfn.properties(policies.getAppPolicy()).get("PolicyDocument"));
    }

    @Test
    void policies_haveGeneratedNames() {
        assertEquals(null, Cfn.properties(policies.getJitrPolicy()).get("PolicyName"));
        assertEquals(null, Cfn.properties(policies.getAppPolicy()).get("PolicyName"));
    }
}
