package dev.iotonboard.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.infra.constructs.JavaFunction;
import dev.iotonboard.infra.stacks.OnboardingStack;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** Context key allowList: the manufacturing allow-list switch of activation and of the reconciler's activations. */
class AllowListStackTest {

    @Test
    void byDefault_noFunctionHasTheSwitch_andActivationReadsAndUpdatesTheTable() {
        OnboardingStack stack = SynthesizedStack.stack();
        assertFalse(variables(stack.getRegistration().getActivation()).containsKey("ALLOW_LIST"));
        assertFalse(variables(stack.getReconciler().orElseThrow().getFunction()).containsKey("ALLOW_LIST"));
        assertEquals(List.of(List.of("dynamodb:GetItem", "dynamodb:UpdateItem")),
                tableActions(stack.getRegistration().getActivation()), "GetItem: a duplicate's item");
    }

    @Test
    void allowList_switchesActivationAndTheReconcilerOn_andLetsActivationReadTheEntry() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        OnboardingApp.Synthesis synthesis = synthesize("true", err);

        assertEquals(0, synthesis.exitCode(), err.toString(StandardCharsets.UTF_8));
        OnboardingStack stack = synthesis.stack();
        assertTrue(synthesis.config().allowList());
        assertEquals("true", variables(stack.getRegistration().getActivation()).get("ALLOW_LIST"));
        assertEquals("true", variables(stack.getReconciler().orElseThrow().getFunction()).get("ALLOW_LIST"));
        assertEquals(List.of(List.of("dynamodb:GetItem", "dynamodb:UpdateItem")),
                tableActions(stack.getRegistration().getActivation()));
        assertEquals(List.of(), Annotations.fromStack(stack).findError("*", Match.anyValue()).stream()
                .map(e -> e.getId() + " " + e.getEntry().getData()).toList(), "cdk-nag stays clean");
    }

    @Test
    void aValueOtherThanTrueOrFalse_failsSynthesis() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        assertEquals(1, synthesize("yes", err).exitCode());
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("allowList: 'yes' is neither true nor false"),
                err.toString(StandardCharsets.UTF_8));
    }

    private static OnboardingApp.Synthesis synthesize(String value, ByteArrayOutputStream err) {
        return SynthesizedStack.synthesizeWith(Map.of(OnboardingConfig.ALLOW_LIST, value), err);
    }

    /** The function's resource properties in its own stack's template. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> properties(software.constructs.IConstruct construct) {
        software.amazon.awscdk.Stack stack = software.amazon.awscdk.Stack.of(construct);
        Map<String, Object> resources = (Map<String, Object>) Template.fromStack(stack).toJSON().get("Resources");
        String id = stack.resolve(((software.amazon.awscdk.CfnElement) construct.getNode().getDefaultChild())
                .getLogicalId()).toString();
        return (Map<String, Object>) ((Map<String, Object>) resources.get(id)).get("Properties");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> variables(JavaFunction function) {
        return (Map<String, Object>) ((Map<String, Object>) properties(function.getFunction()).get("Environment"))
                .get("Variables");
    }

    /** The DynamoDB actions of each statement of the function's policy, in order. */
    @SuppressWarnings("unchecked")
    private static List<Object> tableActions(JavaFunction function) {
        Map<String, Object> policy = properties(function.getRole().getNode().findChild("DefaultPolicy"));
        List<Map<String, Object>> statements = (List<Map<String, Object>>)
                ((Map<String, Object>) policy.get("PolicyDocument")).get("Statement");
        return statements.stream()
                .map(s -> s.get("Action") instanceof List<?> l ? (Object) l : List.of(s.get("Action")))
                .filter(actions -> actions.toString().contains("dynamodb:"))
                .toList();
    }
}
