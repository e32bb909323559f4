package dev.iotonboard.local.iot.data;

import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.iot.policy.PolicyEvaluator;
import dev.iotonboard.local.iot.rules.RuleSql;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The subscriptions of one {@link MqttSession} and what is delivered to them. SUBSCRIBE: each filter is checked (its
 * syntax and limits by {@link Topics}, no Basic Ingest filter, {@code iot:Subscribe} on {@code topicfilter/<filter>};
 * refused: its SUBACK code says so, the other filters are granted), granted at most QoS 1, and a new subscription
 * whose filter is exactly a retained message's topic gets that message with the RETAIN flag set (MQTT 5 Retain
 * Handling honoured).
 * UNSUBSCRIBE removes filters. A routed message goes to the client at min(publish QoS, the best granted QoS of the
 * matching filters), if {@code iot:Receive} allows its topic then.
 */
final class MqttSubscriptions {
    private final MqttSession session;
    private final EventLog log;
    private final DevicePolicies policies;
    private final RetainedMessages retainedMessages;
    private final MqttAnswers answers;
    /** Granted QoS by topic filter. */
    private final Map<String, Integer> subscriptions = new ConcurrentHashMap<>();
    private final AtomicInteger nextMessageId = new AtomicInteger();

    MqttSubscriptions(MqttSession session, MqttBroker broker, MqttAnswers answers) {
        this.session = session;
        this.log = broker.log;
        this.policies = broker.policies;
        this.retainedMessages = broker.retained;
        this.answers = answers;
    }

    void subscribe(ChannelHandlerContext ctx, MqttSubscribeMessage message) {
        if (!session.stillActive(ctx)) {
            return;
        }
        String clientId = session.clientId();
        List<Integer> granted = new ArrayList<>();
        List<MqttTopicSubscription> retainedFor = new ArrayList<>();
        int invalid = answers.filterInvalid();
        int denied = answers.subscribeDenied();
        for (MqttTopicSubscription subscription : message.payload().topicSubscriptions()) {
            String filter = subscription.topicFilter();
            int requested = subscription.qualityOfService().value();
            String limits = Topics.validFilter(filter) ? Topics.overLimits(filter) : "not a topic filter";
            if (limits != null) {
                log.event("mqtt", "subscribe to '" + filter + "' by " + clientId + ": invalid filter, " + limits
                        + " (0x" + Integer.toHexString(invalid) + ")");
                granted.add(invalid);
                continue;
            }
            if (Topics.basicIngestFilter(filter)) {
                log.event("mqtt", "subscribe to " + filter + " by " + clientId + " refused (Basic Ingest topics, 0x"
                        + Integer.toHexString(denied) + ")");
                granted.add(denied);
                continue;
            }
            PolicyEvaluator.Decision decision = session.evaluate("iot:Subscribe",
                    policies.arn("topicfilter", filter));
            if (decision != PolicyEvaluator.Decision.ALLOW) {
                log.event("mqtt", "subscribe to " + filter + " by " + clientId + " refused (" + decision
                        + ", 0x" + Integer.toHexString(denied) + ")");
                granted.add(denied);
                continue;
            }
            int qos = Math.min(1, requested);
            boolean isNew = subscriptions.put(filter, qos) == null;
            granted.add(qos);
            log.event("mqtt", "subscribe to " + filter + " by " + clientId + " granted (qos " + qos + ")");
            MqttSubscriptionOption.RetainedHandlingPolicy handling = subscription.option().retainHandling();
            if (handling == MqttSubscriptionOption.RetainedHandlingPolicy.SEND_AT_SUBSCRIBE
                    || handling == MqttSubscriptionOption.RetainedHandlingPolicy.SEND_AT_SUBSCRIBE_IF_NOT_YET_EXISTS
                    && isNew) {
                retainedFor.add(subscription);
            }
        }
        answers.subAck(ctx, message.variableHeader().messageId(), granted);
        for (MqttTopicSubscription subscription : retainedFor) {
            retainedMessages.forFilter(subscription.topicFilter()).ifPresent(retained -> send(retained.topic(),
                    retained.payload(), Math.min(retained.qos(), subscriptions.getOrDefault(retained.topic(), 0)),
                    true));
        }
    }

    void unsubscribe(ChannelHandlerContext ctx, MqttUnsubscribeMessage message) {
        List<Short> reasons = new ArrayList<>();
        for (String filter : message.payload().topics()) {
            boolean existed = subscriptions.remove(filter) != null;
            reasons.add(MqttAnswers.unsubscribed(existed));
            log.event("mqtt", "unsubscribe from " + filter + " by " + session.clientId());
        }
        answers.unsubAck(ctx, message.variableHeader().messageId(), reasons);
    }

    /** Delivers a routed message if a subscription matches its topic. */
    void deliver(RuleSql.Message message, int publishQos) {
        if (subscriptions.isEmpty()) {
            return;
        }
        int best = -1;
        for (Map.Entry<String, Integer> subscription : subscriptions.entrySet()) {
            if (RuleSql.topicMatches(subscription.getKey(), message.topic())) {
                best = Math.max(best, subscription.getValue());
            }
        }
        if (best < 0) {
            return;
        }
        send(message.topic(), message.payload(), Math.min(best, publishQos), false);
    }

    /**
     * Sends a message to this client if {@code iot:Receive} allows its topic now: a routed one (RETAIN flag clear),
     * or the retained message of a new subscription (RETAIN flag set, mqtt.md).
     */
    private void send(String topic, byte[] payload, int qos, boolean retained) {
        String clientId = session.clientId();
        PolicyEvaluator.Decision decision = session.evaluate("iot:Receive", policies.arn("topic", topic));
        if (decision != PolicyEvaluator.Decision.ALLOW) {
            log.event("mqtt", "delivery of " + topic + " to " + clientId + " refused (" + decision + ")");
            return;
        }
        MqttPublishMessage out = MqttMessageBuilders.publish().topicName(topic)
                .qos(MqttQoS.valueOf(qos)).retained(retained)
                .messageId(qos > 0 ? nextMessageId() : 0)
                .payload(Unpooled.wrappedBuffer(payload)).build();
        session.channel.writeAndFlush(out);
        log.event("mqtt", "delivered " + (retained ? "retained " : "") + topic + " to " + clientId + " (qos " + qos
                + ")");
    }

    private int nextMessageId() {
        return nextMessageId.updateAndGet(n -> n >= 65535 ? 1 : n + 1);
    }
}
