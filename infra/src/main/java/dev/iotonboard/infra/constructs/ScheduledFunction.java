package dev.iotonboard.infra.constructs;

import java.util.List;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.events.Rule;
import software.amazon.awscdk.services.events.Schedule;
import software.amazon.awscdk.services.events.targets.LambdaFunction;
import software.constructs.Construct;

/**
 * A function of the reconciler jar that EventBridge runs on a schedule (the reconciler, the expiry watch): one run at
 * a time (reserved concurrency 1); a failed run is retried neither by EventBridge nor by Lambda, and an event that
 * waited one interval (at most Lambda's 6 hours) is dropped, since the next scheduled run does the same work. Its IoT
 * grants are by IAM resource type: on the listed CA certificates, on device certificates, and on "*" for the actions
 * without one.
 *
 * <p>The subclass is the construct, so its children keep the ids "Function" and "Schedule" (and the template its
 * logical ids).
 */
abstract class ScheduledFunction extends Construct {
    /** Lambda keeps an asynchronous event at most 6 hours. */
    private static final int MAX_EVENT_AGE_MINUTES = 360;

    private final JavaFunction function;
    private final Rule schedule;

    /**
     * @param function            the function's jar, handler, description, environment and timeout
     * @param interval            how often it runs
     * @param scheduleDescription the schedule rule's description
     * @param caCertificateIds    the CA certificates {@link IotActions#onCaCertificates()} are granted on
     */
    ScheduledFunction(Construct scope, String id, JavaFunction.Props.Builder function, Duration interval,
                      String scheduleDescription, List<String> caCertificateIds, IotActions actions) {
        super(scope, id);
        this.function = new JavaFunction(this, "Function", function
                .reservedConcurrency(1)
                // A run that waited longer than one interval is superseded by the next one.
                .asyncInvoke(0, Duration.minutes(Math.min(interval.toMinutes().intValue(), MAX_EVENT_AGE_MINUTES)))
                .build());
        IotGrants.listedCaCertificates(this.function.getRole(), caCertificateIds,
                actions.onCaCertificates().toArray(String[]::new));
        IotGrants.certificates(this.function.getRole(), actions.onCertificates().toArray(String[]::new));
        IotGrants.withoutResourceType(this.function.getRole(), actions.withoutResourceType().toArray(String[]::new));

        schedule = Rule.Builder.create(this, "Schedule")
                .description(scheduleDescription)
                .schedule(Schedule.rate(interval))
                .targets(List.of(LambdaFunction.Builder.create(this.function.getAlias()).retryAttempts(0).build()))
                .build();
    }

    public JavaFunction getFunction() {
        return function;
    }

    public Rule getSchedule() {
        return schedule;
    }

    /** The IoT actions the function is granted, by IAM resource type (see {@link IotGrants}). */
    record IotActions(List<String> onCaCertificates, List<String> onCertificates, List<String> withoutResourceType) {
    }
}
