package dev.iotonboard.local.iot.data;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the message broker accepts as a topic, for MQTT and HTTPS publishes alike.
 *
 * <ul>
 *   <li>Syntax: a topic name is not empty and has no wildcard ({@code +}, {@code #}) or NUL; a filter's wildcards take
 *       a whole level, {@code #} only the last (topics.md).</li>
 *   <li>Limits (AWS IoT Core message broker quotas): at most 256 bytes of UTF-8 and at most 7 forward slashes, in
 *       topics and topic filters; a Basic Ingest prefix ({@code $aws/rules/<rule>/}) counts toward neither
 *       (iot-basic-ingest.md).</li>
 *   <li>Reserved topics (reserved-topics.md): topics beginning with {@code $} belong to AWS IoT; a device may publish
 *       only to those AWS lists with the Publish operation: the shadow requests ({@code $aws/things/<thing>/shadow/}
 *       and {@code .../shadow/name/<shadow>/} + {@code get}, {@code update}, {@code delete}), the jobs requests
 *       ({@code $aws/things/<thing>/jobs/get}, {@code jobs/start-next}, {@code jobs/<jobId>/get},
 *       {@code jobs/<jobId>/update}), Device Defender metrics ({@code $aws/things/<thing>/defender/metrics/json|cbor}),
 *       MQTT file delivery ({@code $aws/things/<thing>/streams/<streamId>/get|describe/json|cbor}), fleet provisioning
 *       ({@code $aws/certificates/create/json|cbor}, {@code $aws/certificates/create-from-csr/json|cbor},
 *       {@code $aws/provisioning-templates/<template>/provision/json|cbor}) and Basic Ingest
 *       ({@code $aws/rules/<rule>...}). Any other {@code $} topic (the events, the accepted/rejected/delta answers, a
 *       {@code $} topic of one's own) is refused, and so is a retained publish to any of them (mqtt.md: "You can't
 *       publish to a reserved topic with the RETAIN flag set"). The services behind the allowed ones are not modelled
 *       here: such a publish is routed like any other topic, except Basic Ingest, which goes to its rule alone
 *       ({@code RuleEngine}).</li>
 *   <li>Subscriptions: a filter on the Basic Ingest topics ({@code $aws/rules/...}) is refused: devices "can't
 *       subscribe to Basic Ingest reserved topics" (iot-basic-ingest.md; the SUBACK code is unconfirmed).</li>
 * </ul>
 */
final class Topics {
    static final int MAX_BYTES = 256;
    static final int MAX_SLASHES = 7;

    /** Why a publish is refused: the topic breaks the broker's rules (HTTPS 400), or is reserved (HTTPS 403). */
    record Refusal(boolean reserved, String reason) {
    }

    private static final String NAME = "[^/]+";
    private static final String FORMAT = "(json|cbor)";
    private static final List<Pattern> DEVICE_PUBLISHABLE = List.of(
            Pattern.compile("\\$aws/things/" + NAME + "/shadow(/name/" + NAME + ")?/(get|update|delete)"),
            Pattern.compile("\\$aws/things/" + NAME + "/jobs/(get|start-next)"),
            Pattern.compile("\\$aws/things/" + NAME + "/jobs/" + NAME + "/(get|update)"),
            Pattern.compile("\\$aws/things/" + NAME + "/defender/metrics/" + FORMAT),
            Pattern.compile("\\$aws/things/" + NAME + "/streams/" + NAME + "/(get|describe)/" + FORMAT),
            Pattern.compile("\\$aws/certificates/(create|create-from-csr)/" + FORMAT),
            Pattern.compile("\\$aws/provisioning-templates/" + NAME + "/provision/" + FORMAT),
            Pattern.compile("\\$aws/rules/" + NAME + "(/.*)?"));
    /** A Basic Ingest topic; group 1: the topic after the {@code $aws/rules/<rule>/} prefix. */
    private static final Pattern BASIC_INGEST = Pattern.compile("\\$aws/rules/" + NAME + "/(.*)");

    private Topics() {
    }

    static boolean validName(String topic) {
        return topic != null && !topic.isEmpty() && !topic.contains("+") && !topic.contains("#")
                && !topic.contains("\u0000");
    }

    static boolean validFilter(String filter) {
        if (filter == null || filter.isEmpty() || filter.contains("\u0000")) {
            return false;
        }
        String[] levels = filter.split("/", -1);
        for (int i = 0; i < levels.length; i++) {
            String level = levels[i];
            if (level.contains("#") && (!level.equals("#") || i != levels.length - 1)) {
                return false;
            }
            if (level.contains("+") && !level.equals("+")) {
                return false;
            }
        }
        return true;
    }

    /** Why the broker refuses a topic or filter for its size or depth, or null. */
    static String overLimits(String topicOrFilter) {
        Matcher ingest = BASIC_INGEST.matcher(topicOrFilter);
        String counted = ingest.matches() ? ingest.group(1) : topicOrFilter;
        int bytes = counted.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            return "topic of " + bytes + " bytes (at most " + MAX_BYTES + ")";
        }
        long slashes = counted.chars().filter(c -> c == '/').count();
        if (slashes > MAX_SLASHES) {
            return "topic with " + slashes + " forward slashes (at most " + MAX_SLASHES + ")";
        }
        return null;
    }

    /** Whether a topic filter names Basic Ingest topics, which no one can subscribe to. */
    static boolean basicIngestFilter(String filter) {
        return filter.equals("$aws/rules") || filter.startsWith("$aws/rules/");
    }

    /** Why a device may not publish to this (syntactically valid) topic, or null. */
    static Refusal publishRefusal(String topic, boolean retain) {
        String limits = overLimits(topic);
        if (limits != null) {
            return new Refusal(false, limits);
        }
        if (!topic.startsWith("$")) {
            return null;
        }
        if (retain) {
            return new Refusal(true, "retained publish to the reserved topic " + topic);
        }
        if (DEVICE_PUBLISHABLE.stream().noneMatch(p -> p.matcher(topic).matches())) {
            return new Refusal(true, "reserved topic " + topic + " (devices may not publish to it)");
        }
        return null;
    }
}
