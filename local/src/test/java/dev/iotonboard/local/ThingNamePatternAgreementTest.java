package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iotonboard.infra.OnboardingConfig;
import dev.iotonboard.lambda.core.ThingNameRule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CDK app validates thingNamePattern at synthesis with its own copy of the rule (it cannot depend on lambda-core
 * at synthesis); the handlers apply lambda-core's ThingNameRule to THING_NAME_PATTERN. This module has both on its
 * test classpath, so a pattern synthesis accepts is one the handlers start with, and the defaults are the same.
 */
class ThingNamePatternAgreementTest {

    @Test
    void defaultsAndLimitsAreTheSame() {
        assertEquals(ThingNameRule.DEFAULT_PATTERN, OnboardingConfig.DEFAULT_THING_NAME_PATTERN);
        assertEquals(ThingNameRule.MAX_PATTERN_LENGTH, OnboardingConfig.MAX_THING_NAME_PATTERN_LENGTH);
    }

    @ParameterizedTest
    @ValueSource(strings = {"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "sensor-[0-9]{4}", "[a-z]+",
            ".*", "a?", "(a|)", "[0-9", "(", "x{2,1}", "\\"})
    void synthesisAndHandlersAgreeOnEachPattern(String regex) {
        assertEquals(ThingNameRule.patternProblem(regex).isPresent(),
                OnboardingConfig.thingNamePatternProblem(regex).isPresent(), regex);
    }

    @Test
    void anOverlongPatternIsRefusedByBoth() {
        String regex = "a".repeat(OnboardingConfig.MAX_THING_NAME_PATTERN_LENGTH + 1);
        assertEquals(true, ThingNameRule.patternProblem(regex).isPresent());
        assertEquals(true, OnboardingConfig.thingNamePatternProblem(regex).isPresent());
    }
}
