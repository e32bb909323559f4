package dev.iotonboard.local.iot.data;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.iot.policy.PolicyEvaluator;
import dev.iotonboard.local.iot.rules.RuleSql;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import java.util.List;
import java.util.Optional;

/**
 * What the client of one {@link MqttSession} publishes: its PUBLISH packets and its last will. A publish is checked
 * (QoS 0 or 1, the topic's syntax, limits and reserved topics by {@link Topics}, the certificate still ACTIVE,
 * {@code iot:Publish} and, retained, {@code iot:RetainPublish} on {@code topic/<topic>}; refused: the connection is
 * closed), kept in {@link RetainedMessages} if retained, and routed with its QoS; a QoS 1 publish is acknowledged once
 * routed. The will is published the same way when the connection is lost, if it is allowed then.
 */
final class MqttPublishes {
    private final MqttSession session;
    private final MqttBroker broker;
    private final EventLog log;
    private final DevicePolicies policies;
    private final MqttAnswers answers;

    MqttPublishes(MqttSession session, MqttBroker broker, MqttAnswers answers) {
        this.session = session;
        this.broker = broker;
        this.log = broker.log;
        this.policies = broker.policies;
        this.answers = answers;
    }

    void publish(ChannelHandlerContext ctx, MqttPublishMessage message) {
        String clientId = session.clientId();
        String topic = message.variableHeader().topicName();
        int qos = message.fixedHeader().qosLevel().value();
        boolean retain = message.fixedHeader().isRetain();
        if (qos > 1) {
            log.event("mqtt", "QoS " + qos + " publish from " + clientId + " (not supported): connection closed");
            session.close(ctx, MqttReasonCodes.Disconnect.QOS_NOT_SUPPORTED);
            return;
        }
        if (!Topics.validName(topic)) {
            log.event("mqtt", "publish from " + clientId + " to invalid topic '" + topic
                    + "': connection closed");
            session.close(ctx, MqttReasonCodes.Disconnect.TOPIC_NAME_INVALID);
            return;
        }
        Topics.Refusal refusal = Topics.publishRefusal(topic, retain);
        if (refusal != null) {
            log.event("mqtt", "publish by " + clientId + " refused: " + refusal.reason() + ": disconnected");
            session.close(ctx, refusal.reserved() ? MqttReasonCodes.Disconnect.NOT_AUTHORIZED
                    : MqttReasonCodes.Disconnect.TOPIC_NAME_INVALID);
            return;
        }
        if (!session.stillActive(ctx)) {
            return;
        }
        for (String action : retain ? List.of("iot:Publish", "iot:RetainPublish") : List.of("iot:Publish")) {
            PolicyEvaluator.Decision decision = session.evaluate(action, policies.arn("topic", topic));
            if (decision != PolicyEvaluator.Decision.ALLOW) {
                log.event("mqtt", (retain ? "retained " : "") + "publish to " + topic + " by " + clientId
                        + " refused (" + action + " " + decision + "): disconnected");
                session.close(ctx, MqttReasonCodes.Disconnect.NOT_AUTHORIZED);
                return;
            }
        }
        byte[] payload = ByteBufUtil.getBytes(message.payload());
        route(topic, payload, qos, retain);
        // logged once routed: the deliveries of this message are logged before this line
        log.event("mqtt", "publish to " + topic + " by " + clientId + " (certificate " + session.certificateId()
                + ", " + payload.length + " bytes, qos " + qos + (retain ? ", retained" : "") + ") routed");
        if (qos == 1) {
            answers.pubAck(ctx, message.variableHeader().packetId());
        }
    }

    /** Publishes the will of a lost connection if its certificate is still ACTIVE and the policies allow it. */
    void publishWill(MqttPublishMessage will) {
        String clientId = session.clientId();
        String certificateId = session.certificateId();
        String topic = will.variableHeader().topicName();
        boolean retain = will.fixedHeader().isRetain();
        Optional<Registry.Certificate> now = broker.registry.certificates().find(certificateId);
        if (now.isEmpty() || !now.get().status().equals("ACTIVE")
                || session.evaluate("iot:Publish", policies.arn("topic", topic)) != PolicyEvaluator.Decision.ALLOW
                || retain && session.evaluate("iot:RetainPublish", policies.arn("topic", topic))
                        != PolicyEvaluator.Decision.ALLOW) {
            log.event("mqtt", "last will of " + clientId + " to " + topic + " not published (not allowed)");
            return;
        }
        log.event("mqtt", "last will of " + clientId + " published to " + topic + (retain ? " (retained)" : ""));
        route(topic, ByteBufUtil.getBytes(will.payload()), will.fixedHeader().qosLevel().value(), retain);
    }

    /** Keeps a retained message (an empty payload deletes the topic's), then routes it with its QoS. */
    private void route(String topic, byte[] payload, int qos, boolean retain) {
        if (retain) {
            broker.retained.retain(topic, payload, qos);
        }
        broker.route(new RuleSql.Message(topic, payload, session.certificateId(), session.clientId(),
                System.currentTimeMillis()), qos);
    }
}
