package dev.iotonboard.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The alarm context keys, read and checked with the rest of the configuration (OnboardingConfig.fromContext). */
class AlarmSettingsTest {
    private final Map<String, Object> context = new HashMap<>(Map.of(
            "domainName", "devices.acme.org",
            "certificateArn", "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-90ab-cdef-1234-567890abcdef",
            "caCertificateId", TestCa.id(),
            "truststorePath", TestCa.pem().toString()));

    @Test
    void unset_givesTheDocumentedDefaults_andNoSubscription() {
        AlarmSettings alarms = read();

        assertEquals(new AlarmSettings(Optional.empty(), 5, 0, 0, 0, 0, 50), alarms);
        assertEquals(AlarmSettings.DEFAULTS, alarms);
    }

    @Test
    void everyKey_isRead_fromCdkJsonNumbersOrCommandLineText() {
        context.putAll(Map.of("alarmEmail", " ops+iot@acme.example.org ", "alarmPeriodMinutes", 60,
                "alarmFunctionErrorsPerPeriod", "2", "alarmFunctionThrottlesPerPeriod", 100,
                "alarmRuleFailuresPerPeriod", "1", "alarmApi5xxPerPeriod", 10, "alarmAuthorizerDenialsPerPeriod", "0"));

        assertEquals(new AlarmSettings(Optional.of("ops+iot@acme.example.org"), 60, 2, 100, 1, 10, 0), read());
    }

    @Test
    void anEmptyEmail_meansNoSubscription() {
        context.put("alarmEmail", "");

        assertEquals(Optional.empty(), read().email());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ops", "ops@", "@acme.org", "ops@acme", "ops at acme.org", "Ops <ops@acme.org>",
            "ops@acme.org,dev@acme.org", "ops@-acme.org"})
    void aBadEmail_isRefused_namingTheKey(String email) {
        context.put("alarmEmail", email);

        assertProblem("alarmEmail: '" + email + "' is not an email address such as ops@example.org");
    }

    @ParameterizedTest
    @CsvSource({
            "alarmPeriodMinutes, 0, 1, 1440, 5",
            "alarmPeriodMinutes, 1441, 1, 1440, 5",
            "alarmPeriodMinutes, five, 1, 1440, 5",
            "alarmFunctionErrorsPerPeriod, -1, 0, 1000000, 0",
            "alarmFunctionErrorsPerPeriod, 0.5, 0, 1000000, 0",
            "alarmFunctionThrottlesPerPeriod, 1000001, 0, 1000000, 0",
            "alarmFunctionThrottlesPerPeriod, many, 0, 1000000, 0",
            "alarmRuleFailuresPerPeriod, -3, 0, 1000000, 0",
            "alarmRuleFailuresPerPeriod, 1e3, 0, 1000000, 0",
            "alarmApi5xxPerPeriod, -1, 0, 1000000, 0",
            "alarmApi5xxPerPeriod, ten, 0, 1000000, 0",
            "alarmAuthorizerDenialsPerPeriod, -50, 0, 1000000, 50",
            "alarmAuthorizerDenialsPerPeriod, 99999999999, 0, 1000000, 50"})
    void aBadNumber_isRefused_withItsRangeAndDefault(String key, String value, int min, int max, int defaultValue) {
        context.put(key, value);

        assertProblem(key + ": '" + value + "' is not a whole number from " + min + " to " + max + " (default "
                + defaultValue + ").");
    }

    @Test
    void severalBadKeys_areAllNamedAtOnce() {
        context.putAll(Map.of("alarmEmail", "nobody", "alarmPeriodMinutes", "0", "alarmApi5xxPerPeriod", "-1"));

        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class, this::read);
        for (String key : List.of("alarmEmail", "alarmPeriodMinutes", "alarmApi5xxPerPeriod")) {
            assertTrue(e.getMessage().contains(key + ": '"), key + " in " + e.getMessage());
        }
    }

    private AlarmSettings read() {
        return OnboardingConfig.fromContext(context::get, SynthesizedStack.ROOT).alarms();
    }

    private void assertProblem(String expected) {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class, this::read);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
