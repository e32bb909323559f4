package dev.iotonboard.infra;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Where the alarms notify and the thresholds of those that are not "any at all" (docs/operations.md "Alarms").
 * Counting alarms compare the Sum over one period of {@code periodMinutes} with their threshold (alarm when greater).
 *
 * @param email               an address the alarm topic sends every alarm and recovery to (after its confirmation)
 * @param periodMinutes       the period of the counting alarms (failure queues, functions, rules, API, authorizer)
 * @param functionErrors      errors of one function per period that are tolerated
 * @param functionThrottles   throttles of one function per period that are tolerated
 * @param ruleFailures        failed rule actions of one topic rule per period that are tolerated
 * @param api5xx              5xx answers of the device API per period that are tolerated
 * @param authorizerDenials   authorizer denials per period that are tolerated (a spike above it alarms)
 */
public record AlarmSettings(Optional<String> email, int periodMinutes, int functionErrors, int functionThrottles,
                            int ruleFailures, int api5xx, int authorizerDenials) {
    public static final String ALARM_EMAIL = "alarmEmail";
    public static final String ALARM_PERIOD_MINUTES = "alarmPeriodMinutes";
    public static final String ALARM_FUNCTION_ERRORS = "alarmFunctionErrorsPerPeriod";
    public static final String ALARM_FUNCTION_THROTTLES = "alarmFunctionThrottlesPerPeriod";
    public static final String ALARM_RULE_FAILURES = "alarmRuleFailuresPerPeriod";
    public static final String ALARM_API_5XX = "alarmApi5xxPerPeriod";
    public static final String ALARM_AUTHORIZER_DENIALS = "alarmAuthorizerDenialsPerPeriod";

    public static final AlarmSettings DEFAULTS = new AlarmSettings(Optional.empty(), 5, 0, 0, 0, 0, 50);
    /** CloudWatch: an alarm's period times its evaluation periods (one here) is at most a day. */
    public static final int MAX_PERIOD_MINUTES = 1440;
    public static final int MAX_THRESHOLD = 1_000_000;

    /** A plain address (local part, '@', a dotted domain), as SNS's email protocol takes it; no display name. */
    private static final Pattern EMAIL = Pattern.compile(
            "[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}");

    /** Reads the alarm keys; adds one line per bad key to {@code problems}. */
    public static AlarmSettings fromContext(Function<String, Object> context, List<String> problems) {
        OnboardingConfig.Reader in = new OnboardingConfig.Reader(context, problems);
        Optional<String> email = in.optional(ALARM_EMAIL);
        email.filter(address -> address.length() > 254 || !EMAIL.matcher(address).matches())
                .ifPresent(address -> problems.add(ALARM_EMAIL + ": '" + address + "' is not an email address such as "
                        + "ops@example.org; the alarm topic subscribes it (it must confirm the subscription), or leave "
                        + "it unset for no subscription."));
        return new AlarmSettings(
                email.filter(EMAIL.asMatchPredicate()),
                in.integer(ALARM_PERIOD_MINUTES, DEFAULTS.periodMinutes(), 1, MAX_PERIOD_MINUTES),
                in.integer(ALARM_FUNCTION_ERRORS, DEFAULTS.functionErrors(), 0, MAX_THRESHOLD),
                in.integer(ALARM_FUNCTION_THROTTLES, DEFAULTS.functionThrottles(), 0, MAX_THRESHOLD),
                in.integer(ALARM_RULE_FAILURES, DEFAULTS.ruleFailures(), 0, MAX_THRESHOLD),
                in.integer(ALARM_API_5XX, DEFAULTS.api5xx(), 0, MAX_THRESHOLD),
                in.integer(ALARM_AUTHORIZER_DENIALS, DEFAULTS.authorizerDenials(), 0, MAX_THRESHOLD));
    }
}
