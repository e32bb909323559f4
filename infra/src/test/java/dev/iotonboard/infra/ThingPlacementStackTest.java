package dev.iotonboard.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.infra.constructs.RegistrationPipeline;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** The stack synthesized with a thing type, two thing groups and three attributes. */
class ThingPlacementStackTest {

    private static OnboardingApp.Synthesis synthesis;
    private static Template template;

    @BeforeAll
    static void synthesize() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        synthesis = OnboardingApp.synthesize(SynthesizedStack.ROOT, SynthesizedStack.scratchDirectory("cdk.out"),
                Map.of(OnboardingConfig.TRUSTSTORE_PATH, TestCa.pem().toString(),
                        OnboardingConfig.CA_CERTIFICATE_ID, SynthesizedStack.CA_CERTIFICATE_ID,
                        "thingTypeName", "sensor", "thingGroupNames", "fleet,eu-sensors",
                        "thingAttributes", "org=O,unit=OU,country=C,certSerial=serial"),
                Environment.builder().account(SynthesizedStack.ACCOUNT).region(SynthesizedStack.REGION).build(),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, synthesis.exitCode(), err.toString(StandardCharsets.UTF_8));
        template = Template.fromStack(synthesis.stack());
    }

    @Test
    void theTypeAndTheGroupsAreStackResources() {
        template.resourceCountIs("AWS::IoT::ThingType", 1);
        template.hasResourceProperties("AWS::IoT::ThingType", Map.of("ThingTypeName", "sensor",
                "ThingTypeProperties", Match.objectLike(Map.of("SearchableAttributes",
                        List.of("org", "unit", "country")))));
        template.resourceCountIs("AWS::IoT::ThingGroup", 2);
        template.hasResourceProperties("AWS::IoT::ThingGroup", Map.of("ThingGroupName", "fleet"));
        template.hasResourceProperties("AWS::IoT::ThingGroup", Map.of("ThingGroupName", "eu-sensors"));
    }

    @Test
    void provisioningGetsThePlacementInItsEnvironment() {
        template.hasResourceProperties("AWS::Lambda::Function", Map.of("Handler",
                RegistrationPipeline.PROVISIONING_HANDLER, "Environment", Map.of("Variables", Match.objectLike(Map.of(
                        "THING_TYPE_NAME", "sensor", "THING_GROUP_NAMES", "fleet,eu-sensors",
                        "THING_ATTRIBUTES", "org=O,unit=OU,country=C,certSerial=serial"))),
                "Timeout", Match.anyValue()));
    }

    @Test
    void addThingToThingGroupIsGrantedOnTheConfiguredGroupsAndThings() {
        String json = template.toJSON().toString();
        assertTrue(json.contains("iot:AddThingToThingGroup"), "granted");
        for (String group : List.of("fleet", "eu-sensors")) {
            assertTrue(json.contains(":thinggroup/" + group), group + " in the grant");
        }
        assertTrue(!json.contains(":thinggroup/*"), "no wildcard group");
    }

    @Test
    void withoutGroups_noGroupGrant() {
        assertTrue(!SynthesizedStack.template().toJSON().toString().contains("AddThingToThingGroup"));
        SynthesizedStack.template().resourceCountIs("AWS::IoT::ThingGroup", 0);
        SynthesizedStack.template().resourceCountIs("AWS::IoT::ThingType", 0);
    }

    @Test
    void cdkNagStaysClean() {
        assertEquals(List.of(), Annotations.fromStack(synthesis.stack()).findError("*", Match.anyValue()).stream()
                .map(e -> e.getId() + " " + e.getEntry().getData()).toList());
    }

    @Test
    void badPlacementFailsSynthesisWithTheKeyNamed() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        OnboardingApp.Synthesis bad = OnboardingApp.synthesize(SynthesizedStack.ROOT,
                SynthesizedStack.scratchDirectory("cdk.out"),
                Map.of(OnboardingConfig.TRUSTSTORE_PATH, TestCa.pem().toString(),
                        OnboardingConfig.CA_CERTIFICATE_ID, SynthesizedStack.CA_CERTIFICATE_ID,
                        "thingAttributes", "org=O,unit=OU,country=C"),
                Environment.builder().account(SynthesizedStack.ACCOUNT).region(SynthesizedStack.REGION).build(),
                new PrintStream(err, true, StandardCharsets.UTF_8));

        assertTrue(bad.exitCode() != 0);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("thingAttributes: 3 attributes"), err.toString());
    }
}
