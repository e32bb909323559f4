package dev.iotonboard.local.iot.data;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.chaos.ConnectThrottledException;
import dev.iotonboard.local.iot.policy.PolicyEvaluator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.Optional;

/**
 * The CONNECT of one {@link MqttSession}: the protocol level, admission by {@link DeviceAdmission} with what the TLS
 * handshake found (JITR, the connect quota), the client id, {@code iot:Connect} on {@code client/<clientId>}, the
 * will topic; then the session takes the client id over from an earlier connection with it, the keep-alive replaces
 * the CONNECT timeout, and the client gets its CONNACK. A refusal is a CONNACK with the code for the client's protocol
 * ({@link MqttAnswers}), then close; an admission that lets nothing through (JITR, a certificate not ACTIVE) closes
 * without a CONNACK.
 */
final class MqttConnect {
    private final MqttSession session;
    private final MqttBroker broker;
    private final EventLog log;
    private final DevicePolicies policies;
    private final MqttAnswers answers;

    MqttConnect(MqttSession session, MqttBroker broker, MqttAnswers answers) {
        this.session = session;
        this.broker = broker;
        this.log = broker.log;
        this.policies = broker.policies;
        this.answers = answers;
    }

    void connect(ChannelHandlerContext ctx, MqttConnectMessage message) {
        if (session.connected()) {
            log.event("mqtt", "second CONNECT from " + session.describe() + ": connection closed");
            ctx.close();
            return;
        }
        int level = message.variableHeader().version();
        if (level != 3 && level != 4 && level != 5) {
            refuse(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION,
                    MqttConnectReturnCode.CONNECTION_REFUSED_UNSUPPORTED_PROTOCOL_VERSION,
                    "protocol level " + level + " (MQTT 3.1.1 and 5 only)");
            return;
        }
        answers.protocolLevel(level);
        if (!session.hasCertificateChain()) {
            ctx.close();
            return;
        }
        String id = message.payload().clientIdentifier();
        Optional<Registry.Certificate> certificate;
        try {
            certificate = session.admit();
        } catch (ConnectThrottledException e) {
            refuse(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE,
                    MqttConnectReturnCode.CONNECTION_REFUSED_QUOTA_EXCEEDED, e.getMessage());
            return;
        }
        if (certificate.isEmpty()) {
            ctx.close();
            return;
        }
        if (id == null || id.isEmpty() || id.length() > 128) {
            refuse(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED,
                    MqttConnectReturnCode.CONNECTION_REFUSED_CLIENT_IDENTIFIER_NOT_VALID,
                    "client id empty or longer than 128 characters");
            return;
        }
        String certificateId = certificate.get().id();
        session.identify(id, certificateId);
        PolicyEvaluator.Decision decision = session.evaluate("iot:Connect", policies.arn("client", id));
        if (decision != PolicyEvaluator.Decision.ALLOW) {
            refuse(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED,
                    MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED_5,
                    "iot:Connect on client/" + id + " by " + certificateId + ": " + decision);
            return;
        }
        MqttPublishMessage will = null;
        if (message.variableHeader().isWillFlag()) {
            String willTopic = message.payload().willTopic();
            boolean willRetain = message.variableHeader().isWillRetain();
            Topics.Refusal refusal = Topics.validName(willTopic) ? Topics.publishRefusal(willTopic, willRetain)
                    : new Topics.Refusal(false, "not a topic name");
            if (refusal != null) {
                refuse(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED,
                        MqttConnectReturnCode.CONNECTION_REFUSED_TOPIC_NAME_INVALID,
                        "invalid will topic '" + willTopic + "': " + refusal.reason());
                return;
            }
            will = MqttMessageBuilders.publish().topicName(willTopic)
                    .qos(MqttQoS.valueOf(Math.min(1, message.variableHeader().willQos())))
                    .retained(willRetain).payload(Unpooled.wrappedBuffer(message.payload().willMessageInBytes()))
                    .messageId(0).build();
        }
        session.connected(will);
        MqttSession earlier = broker.sessions.put(id, session);
        if (earlier != null && earlier != session) {
            log.event("mqtt", "client id " + id + " connected again from " + session.peer
                    + ": the earlier connection (" + earlier.peer + ") is closed");
            earlier.takenOver();
        }
        int keepAlive = message.variableHeader().keepAliveTimeSeconds();
        ctx.pipeline().replace("idle", "idle", new IdleStateHandler(
                keepAlive > 0 ? (keepAlive * 3 + 1) / 2 : 0, 0, 0));
        answers.accept(ctx);
        log.event("mqtt", "client " + id + " connected (MQTT " + answers.protocolName() + ", certificate "
                + certificateId + ", " + session.peer
                + (session.thingAttached() ? ", thing attached" : "") + ")");
    }

    /** CONNACK with the refusal's code for the client's protocol (MQTT 3.1.1 or 5), then close. */
    private void refuse(ChannelHandlerContext ctx, MqttConnectReturnCode mqtt3, MqttConnectReturnCode mqtt5,
            String why) {
        MqttConnectReturnCode code = answers.refusal(mqtt3, mqtt5);
        log.event("mqtt", "connect refused for " + session.describe() + ": " + why + " (CONNACK 0x"
                + Integer.toHexString(code.byteValue() & 0xFF) + ", connection closed)");
        answers.refuse(ctx, code);
    }
}
