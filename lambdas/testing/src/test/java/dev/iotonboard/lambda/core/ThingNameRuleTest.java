package dev.iotonboard.lambda.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.TestPki;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ThingNameRuleTest {

    private static final String UUID = "3f2b8c1e-7d4a-4e9b-9c2f-1a2b3c4d5e6f";
    private static final TestPki PKI = TestPki.newCa("rule-ca");

    @Test
    void defaultRule_acceptsACanonicalLowercaseUuidOnly() {
        ThingNameRule rule = ThingNameRule.defaultRule();
        assertEquals(Optional.empty(), rule.problem(UUID));
        assertEquals(Optional.of("is upper case where the pattern wants lower case"),
                rule.problem(UUID.toUpperCase()));
        assertTrue(rule.problem(UUID.replace("-", "")).orElseThrow().contains("not a canonical UUID"));
        assertTrue(rule.problem(UUID + "/x").orElseThrow().contains("/ # + $"));
        assertTrue(rule.problem("a".repeat(129)).orElseThrow().contains("129 characters"));
        assertEquals(Optional.of("is missing"), rule.problem(""));
        assertEquals(Optional.of("is missing"), rule.problem(null));
    }

    @Test
    void customPattern_stillObeysIotsThingNameCharacters() {
        ThingNameRule rule = ThingNameRule.from(Env.of(Map.of(ThingNameRule.ENV, "dev[ :a-z]+")));
        assertEquals(Optional.empty(), rule.problem("dev:a"));
        assertTrue(rule.problem("dev a").orElseThrow().contains("IoT does not allow"));
        assertTrue(rule.problem("other").orElseThrow().contains("does not match the pattern dev[ :a-z]+"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "[a-", "x*", "(a|)"})
    void patternProblem_refusesUnusablePatterns(String regex) {
        assertTrue(ThingNameRule.patternProblem(regex).isPresent(), regex);
        Env env = Env.of(Map.of(ThingNameRule.ENV, regex));
        if (regex.isBlank()) {
            assertEquals(ThingNameRule.defaultRule(), ThingNameRule.from(env), "unset means the default");
        } else {
            assertThrows(IllegalStateException.class, () -> ThingNameRule.from(env), regex);
        }
    }

    @Test
    void patternProblem_acceptsTheDefaultAndRefusesAnOverlongPattern() {
        assertEquals(Optional.empty(), ThingNameRule.patternProblem(ThingNameRule.DEFAULT_PATTERN));
        assertTrue(ThingNameRule.patternProblem("a".repeat(ThingNameRule.MAX_PATTERN_LENGTH + 1)).isPresent());
    }

    @Test
    void thingOf_isTheSubjectsOneCn() {
        assertEquals(UUID, ThingNameRule.defaultRule().thingOf(PKI.device(UUID)
                .subject("C=US, O=Acme\\, Inc., CN=" + UUID).issue().certificate()));
    }

    @Test
    void thingOf_refusesNoCnSeveralCnsAndAnInvalidCn() {
        ThingNameRule rule = ThingNameRule.defaultRule();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> rule.thingOf(
                PKI.device(UUID).subject("O=" + UUID).issue().certificate())).getMessage().contains("no CN"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> rule.thingOf(
                PKI.device(UUID).subject("CN=" + UUID + "+CN=x, O=y").issue().certificate())).getMessage()
                .contains("2 CNs"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> rule.thingOf(
                PKI.issue("device").certificate())).getMessage().contains("CN 'device' is not a canonical UUID"));
    }

    @Test
    void commonNames_readsMultiValuedRdnsAndEscapes() {
        assertEquals(Set.of("a,b", "c"), Set.copyOf(ThingNameRule.commonNames(new X500Principal("CN=a\\,b+O=x, CN=c"))));
    }
}
