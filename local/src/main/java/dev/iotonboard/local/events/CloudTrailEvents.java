package dev.iotonboard.local.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.iot.control.ApiCall;
import dev.iotonboard.local.lambda.LambdaPermissions;
import dev.iotonboard.local.stack.StackTemplate;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * CloudTrail's management events for the IoT control plane, delivered as EventBridge delivers them: for each call
 * that writes ({@link ApiCall#readOnly()} false; AWS IoT Developer Guide, "Logging AWS IoT API calls using AWS
 * CloudTrail": calls such as UpdateCertificate leave entries, ListThings and ListTopicRules do not), an
 * "AWS API Call via CloudTrail" event ({@link #event}) goes to every enabled event-pattern rule of the stack whose
 * pattern matches, and each rule's target functions are invoked asynchronously with it, as EventBridge invokes Lambda.
 * Failed calls are delivered too, with {@code errorCode} and {@code errorMessage}, as CloudTrail records them.
 *
 * <p>Only when {@code delivering}: EventBridge receives these events only while a trail logs ("To record events with
 * a detail-type value of AWS API Call via CloudTrail, a CloudTrail trail with logging enabled is required",
 * EventBridge User Guide, "Events from AWS services"). The tool decides from the template's trails or
 * {@code --cloudtrail}. Timing: delivered at once, before the call is answered; on AWS, delivery is best effort and
 * takes as long as CloudTrail takes (see local/README.md "CloudTrail events").
 */
public final class CloudTrailEvents {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Who signed a call: a role session ({@code roleName} and {@code sessionName}, as Lambda names a function's
     * session after the function), or, with {@code roleName} null, anyone else (recorded as an IAM user).
     */
    public record Caller(String accessKeyId, String roleName, String sessionName) {
    }

    private record Rule(StackTemplate.EventRule rule, EventPattern pattern) {
    }

    private final List<Rule> rules = new ArrayList<>();
    private final boolean delivering;
    private final Function<String, Caller> callers;
    private final BiFunction<String, String, ?> invoker;
    private final String region;
    private final String account;
    private final EventLog log;
    private final Clock clock;
    private final Map<String, AtomicLong> delivered = new ConcurrentHashMap<>();
    private volatile LambdaPermissions permissions;

    /**
     * @param delivering whether events are delivered at all (a trail logs management events)
     * @param callers    who an access key id is (null: the call was unsigned)
     * @param invoker    called with (function logical id, event) for each target, e.g. an asynchronous invoke
     * @throws IllegalArgumentException when a rule's pattern uses what {@link EventPattern} does not implement
     */
    public CloudTrailEvents(Collection<StackTemplate.EventRule> rules, boolean delivering,
            Function<String, Caller> callers, BiFunction<String, String, ?> invoker, String region, String account,
            EventLog log, Clock clock) {
        for (StackTemplate.EventRule rule : rules) {
            this.rules.add(new Rule(rule, EventPattern.parse(rule.eventPattern(),
                    rule.logicalId() + " (AWS::Events::Rule)")));
        }
        this.delivering = delivering;
        this.callers = callers;
        this.invoker = invoker;
        this.region = region;
        this.account = account;
        this.log = log;
        this.clock = clock;
    }

    public boolean delivering() {
        return delivering;
    }

    /** Events delivered so far, by rule logical id. */
    public Map<String, Long> delivered() {
        Map<String, Long> counts = new java.util.TreeMap<>();
        delivered.forEach((rule, count) -> counts.put(rule, count.get()));
        return counts;
    }

    /** The functions' resource-based policies: a target the rule has no permission for is not invoked. */
    public void permissions(LambdaPermissions permissions) {
        this.permissions = permissions;
    }

    /** Records one control-plane call: delivers its event to the matching rules' targets. */
    public void called(ApiCall call) {
        if (!delivering || call.readOnly() || rules.isEmpty()) {
            return;
        }
        ObjectNode event = event(call, Instant.now(clock));
        String payload = event.toString();
        for (Rule rule : rules) {
            if (!rule.rule().enabled() || !rule.pattern().matches(event)) {
                continue;
            }
            delivered.computeIfAbsent(rule.rule().logicalId(), k -> new AtomicLong()).incrementAndGet();
            for (String function : rule.rule().targetFunctions()) {
                Optional<String> denied = permissions == null ? Optional.empty()
                        : permissions.denial(rule.rule().logicalId(), function);
                if (denied.isPresent()) {
                    log.event("events", rule.rule().logicalId() + " -> " + function + " failed: " + denied.get());
                    continue;
                }
                try {
                    invoker.apply(function, payload);
                    log.event("events", "CloudTrail " + call.operation() + " -> " + rule.rule().logicalId() + " -> "
                            + function);
                } catch (RuntimeException e) {
                    log.event("events", rule.rule().logicalId() + " -> " + function + " failed: " + e);
                }
            }
        }
    }

    /**
     * The EventBridge event for {@code call}: source {@code aws.iot}, detail-type "AWS API Call via CloudTrail", and
     * the CloudTrail record as its detail (CloudTrail User Guide, "CloudTrail record contents"): eventSource
     * {@code iot.amazonaws.com}, eventName, requestParameters, userIdentity, and the rest.
     */
    ObjectNode event(ApiCall call, Instant now) {
        String time = now.truncatedTo(ChronoUnit.SECONDS).toString();
        ObjectNode event = JSON.createObjectNode();
        event.put("version", "0");
        event.put("id", UUID.randomUUID().toString());
        event.put("detail-type", "AWS API Call via CloudTrail");
        event.put("source", "aws.iot");
        event.put("account", account);
        event.put("time", time);
        event.put("region", region);
        event.putArray("resources");
        ObjectNode detail = event.putObject("detail");
        detail.put("eventVersion", "1.08");
        detail.set("userIdentity", userIdentity(call.accessKeyId()));
        detail.put("eventTime", time);
        detail.put("eventSource", "iot.amazonaws.com");
        detail.put("eventName", call.operation());
        detail.put("awsRegion", region);
        detail.put("sourceIPAddress", call.sourceIp());
        detail.put("userAgent", call.userAgent());
        if (call.errorCode() != null) {
            detail.put("errorCode", call.errorCode());
            detail.put("errorMessage", call.errorMessage());
        }
        detail.set("requestParameters", call.requestParameters().isEmpty() ? null : call.requestParameters());
        detail.putNull("responseElements");
        detail.put("requestID", call.requestId());
        detail.put("eventID", UUID.randomUUID().toString());
        detail.put("readOnly", call.readOnly());
        detail.put("eventType", "AwsApiCall");
        detail.put("managementEvent", true);
        detail.put("recipientAccountId", account);
        detail.put("eventCategory", "Management");
        return event;
    }

    /**
     * CloudTrail's userIdentity (CloudTrail User Guide, "CloudTrail userIdentity element"): a function's calls come
     * from its role session (type AssumedRole, the session issuer the role); anyone else's are recorded as an IAM
     * user named {@code local} (an assumption: the tool does not know who holds other keys). Principal ids are local
     * placeholders.
     */
    private JsonNode userIdentity(String accessKeyId) {
        Caller caller = accessKeyId == null ? null : callers.apply(accessKeyId);
        ObjectNode identity = JSON.createObjectNode();
        if (caller != null && caller.roleName() != null) {
            identity.put("type", "AssumedRole");
            identity.put("principalId", "AROALOCAL" + caller.roleName() + ":" + caller.sessionName());
            identity.put("arn", "arn:aws:sts::" + account + ":assumed-role/" + caller.roleName() + "/"
                    + caller.sessionName());
            identity.put("accountId", account);
            identity.put("accessKeyId", accessKeyId);
            ObjectNode issuer = identity.putObject("sessionContext").putObject("sessionIssuer");
            issuer.put("type", "Role");
            issuer.put("principalId", "AROALOCAL" + caller.roleName());
            issuer.put("arn", "arn:aws:iam::" + account + ":role/" + caller.roleName());
            issuer.put("accountId", account);
            issuer.put("userName", caller.roleName());
            return identity;
        }
        identity.put("type", "IAMUser");
        identity.put("principalId", "AIDALOCAL");
        identity.put("arn", "arn:aws:iam::" + account + ":user/local");
        identity.put("accountId", account);
        if (accessKeyId != null) {
            identity.put("accessKeyId", accessKeyId);
        }
        identity.put("userName", "local");
        return identity;
    }
}
