package dev.iotonboard.local.iot.data;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.chaos.ConnectThrottledException;
import dev.iotonboard.local.iot.policy.PolicyEvaluator;
import dev.iotonboard.local.iot.rules.RuleSql;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import io.netty.handler.codec.mqtt.MqttUnsubAckPayload;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * One MQTT connection of the {@link MqttBroker}: the chain of its TLS handshake, then CONNECT (admission by
 * {@link DeviceAdmission}, then {@code iot:Connect} on {@code client/<clientId>}), PUBLISH, SUBSCRIBE, UNSUBSCRIBE,
 * PINGREQ, DISCONNECT, the last will, the keep-alive, retained messages, and the delivery of routed messages to its
 * subscriptions ({@code iot:Receive}).
 *
 * <p>MQTT 3.1.1 (protocol levels 3 and 4) and MQTT 5 (level 5). An MQTT 5 client is refused with the MQTT 5 reason
 * code (CONNACK 0x85 client identifier not valid, 0x87 not authorized, 0x90 topic name invalid, 0x97 quota exceeded)
 * where an MQTT 3.1.1 client gets its return code (2, 5, 5, 3), and is told why the server closes its connection with
 * a DISCONNECT (0x87 not authorized, 0x90 topic name invalid, 0x8D keep alive timeout, 0x8E session taken over, 0x9B
 * QoS not supported) where an MQTT 3.1.1 connection is just closed (mqtt.md "MQTT 5" and "MQTT reason codes").
 */
final class MqttSession extends ChannelInboundHandlerAdapter {
    private final MqttBroker broker;
    private final EventLog log;
    private final DevicePolicies policies;
    final Channel channel;
    final String peer;
    private final Map<String, Integer> subscriptions = new ConcurrentHashMap<>();
    /** The CONNECT's protocol level: 3 or 4 (MQTT 3.1, 3.1.1) or 5. */
    private volatile int protocolLevel = 4;
    private final AtomicInteger nextMessageId = new AtomicInteger();
    private volatile boolean connected;
    private volatile String clientId;
    private volatile String certificateId;
    private volatile Map<String, String> context = Map.of();
    private SSLEngine engine;
    private X509Certificate[] chain;
    private MqttPublishMessage will;
    private boolean disconnected;

    MqttSession(MqttBroker broker, Channel channel) {
        this.broker = broker;
        this.log = broker.log;
        this.policies = broker.policies;
        this.channel = channel;
        InetSocketAddress remote = (InetSocketAddress) channel.remoteAddress();
        this.peer = remote == null ? "?" : remote.getAddress().getHostAddress() + ":" + remote.getPort();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof SslHandshakeCompletionEvent handshake) {
            if (!handshake.isSuccess()) {
                log.event("mqtt", "TLS refused for " + peer + ": " + broker.admission.handshakeRefusal(
                        ctx.pipeline().get(SslHandler.class).engine(), handshake.cause()));
                ctx.close();
                return;
            }
            try {
                engine = ctx.pipeline().get(SslHandler.class).engine();
                Certificate[] peerCertificates = engine.getSession().getPeerCertificates();
                chain = Arrays.stream(peerCertificates).map(c -> (X509Certificate) c)
                        .toArray(X509Certificate[]::new);
            } catch (SSLPeerUnverifiedException e) {
                log.event("mqtt", "no client certificate from " + peer);
                ctx.close();
            }
            return;
        }
        if (event instanceof IdleStateEvent) {
            log.event("mqtt", (connected ? "keep-alive expired for " + clientId : "no CONNECT from " + peer)
                    + ": connection closed");
            close(ctx, connected ? MqttReasonCodes.Disconnect.KEEP_ALIVE_TIMEOUT : null);
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && !(root instanceof javax.net.ssl.SSLException)) {
            root = root.getCause();
        }
        if (!(root instanceof javax.net.ssl.SSLException)) {
            log.event("mqtt", "connection " + describe() + " failed: " + MqttBroker.rootMessage(cause));
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (connected) {
            connected = false;
            broker.sessions.remove(clientId, this);
            log.event("mqtt", "client " + clientId + " disconnected" + (disconnected ? "" : " (connection lost)"));
            if (!disconnected && will != null) {
                publishWill();
            }
        }
        if (will != null) {
            will.release();
            will = null;
        }
        super.channelInactive(ctx);
    }

    private String describe() {
        return clientId != null ? clientId + " (" + peer + ")" : peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof MqttMessage message)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (message.decoderResult().isFailure()) {
                log.event("mqtt", "malformed packet from " + describe() + ": "
                        + MqttBroker.rootMessage(message.decoderResult().cause()) + "; connection closed");
                ctx.close();
                return;
            }
            MqttMessageType type = message.fixedHeader().messageType();
            if (type == MqttMessageType.CONNECT) {
                connect(ctx, (MqttConnectMessage) message);
                return;
            }
            if (!connected) {
                log.event("mqtt", type + " before CONNECT from " + peer + ": connection closed");
                ctx.close();
                return;
            }
            switch (type) {
                case PUBLISH -> publish(ctx, (MqttPublishMessage) message);
                case SUBSCRIBE -> subscribe(ctx, (MqttSubscribeMessage) message);
                case UNSUBSCRIBE -> unsubscribe(ctx, (MqttUnsubscribeMessage) message);
                case PINGREQ -> ctx.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGRESP,
                        false, MqttQoS.AT_MOST_ONCE, false, 0)));
                case DISCONNECT -> {
                    // MQTT 5: reason 0x04 asks the server to publish the will all the same
                    disconnected = !(message.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader
                            reason && reason.reasonCode()
                            == MqttReasonCodes.Disconnect.DISCONNECT_WITH_WILL_MESSAGE.byteValue());
                    ctx.close();
                }
                case PUBACK -> {
                    // the client acknowledges a QoS 1 delivery: nothing is kept for redelivery
                }
                default -> {
                    log.event("mqtt", "unsupported " + type + " from " + describe() + ": connection closed");
                    ctx.close();
                }
            }
        } finally {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    private void connect(ChannelHandlerContext ctx, MqttConnectMessage message) {
        if (connected) {
            log.event("mqtt", "second CONNECT from " + describe() + ": connection closed");
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
        protocolLevel = level;
        if (chain == null) {
            ctx.close();
            return;
        }
        String id = message.payload().clientIdentifier();
        Optional<Registry.Certificate> certificate;
        try {
            certificate = broker.admission.admit(engine, chain, "mqtt");
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
        certificateId = certificate.get().id();
        clientId = id;
        context = policies.mqttContext(id, certificateId, chain[0]);
        PolicyEvaluator.Decision decision = evaluate("iot:Connect", policies.arn("client", id));
        if (decision != PolicyEvaluator.Decision.ALLOW) {
            refuse(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED,
                    MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED_5,
                    "iot:Connect on client/" + id + " by " + certificateId + ": " + decision);
            return;
        }
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
        connected = true;
        MqttSession earlier = broker.sessions.put(id, this);
        if (earlier != null && earlier != this) {
            log.event("mqtt", "client id " + id + " connected again from " + peer
                    + ": the earlier connection (" + earlier.peer + ") is closed");
            earlier.takenOver();
        }
        int keepAlive = message.variableHeader().keepAliveTimeSeconds();
        ctx.pipeline().replace("idle", "idle", new IdleStateHandler(
                keepAlive > 0 ? (keepAlive * 3 + 1) / 2 : 0, 0, 0));
        MqttMessageBuilders.ConnAckBuilder ack = MqttMessageBuilders.connAck()
                .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).sessionPresent(false);
        if (mqtt5()) {
            // what this broker serves: QoS 0 and 1 (mqtt.md), retained messages; no shared subscriptions,
            // subscription identifiers or topic aliases (the latter by leaving Topic Alias Maximum at 0)
            ack.properties(p -> p.maximumQos((byte) 1).retainAvailable(true).wildcardSubscriptionAvailable(true)
                    .sharedSubscriptionAvailable(false).subscriptionIdentifiersAvailable(false));
        }
        ctx.writeAndFlush(ack.build());
        log.event("mqtt", "client " + id + " connected (MQTT " + (mqtt5() ? "5" : "3.1.1") + ", certificate "
                + certificateId + ", " + peer
                + (context.containsKey("iot:Connection.Thing.ThingName") ? ", thing attached" : "") + ")");
    }

    private boolean mqtt5() {
        return protocolLevel == 5;
    }

    /** CONNACK with the refusal's code for the client's protocol (MQTT 3.1.1 or 5), then close. */
    private void refuse(ChannelHandlerContext ctx, MqttConnectReturnCode mqtt3, MqttConnectReturnCode mqtt5,
            String why) {
        MqttConnectReturnCode code = mqtt5() ? mqtt5 : mqtt3;
        log.event("mqtt", "connect refused for " + describe() + ": " + why + " (CONNACK 0x"
                + Integer.toHexString(code.byteValue() & 0xFF) + ", connection closed)");
        ctx.writeAndFlush(MqttMessageBuilders.connAck().returnCode(code).sessionPresent(false).build())
                .addListener(ChannelFutureListener.CLOSE);
    }

    /** Closes the connection; an MQTT 5 client is first sent a DISCONNECT with the reason (null: none). */
    private void close(ChannelHandlerContext ctx, MqttReasonCodes.Disconnect reason) {
        if (mqtt5() && reason != null && connected) {
            ctx.writeAndFlush(MqttMessageBuilders.disconnect().reasonCode(reason.byteValue()).build())
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    /** Another connection took this client id: closed (MQTT 5: DISCONNECT 0x8E session taken over). */
    void takenOver() {
        channel.eventLoop().execute(() -> {
            ChannelHandlerContext ctx = channel.pipeline().context(this);
            if (ctx == null) {
                channel.close();
            } else {
                close(ctx, MqttReasonCodes.Disconnect.SESSION_TAKEN_OVER);
            }
        });
    }

    private boolean stillActive(ChannelHandlerContext ctx) {
        Optional<Registry.Certificate> now = broker.registry.certificates().find(certificateId);
        if (now.isPresent() && now.get().status().equals("ACTIVE")) {
            return true;
        }
        log.event("mqtt", "certificate " + certificateId + " of " + clientId + " is "
                + now.map(Registry.Certificate::status).orElse("gone") + ": connection closed");
        close(ctx, MqttReasonCodes.Disconnect.NOT_AUTHORIZED);
        return false;
    }

    private void publish(ChannelHandlerContext ctx, MqttPublishMessage message) {
        String topic = message.variableHeader().topicName();
        int qos = message.fixedHeader().qosLevel().value();
        boolean retain = message.fixedHeader().isRetain();
        if (qos > 1) {
            log.event("mqtt", "QoS " + qos + " publish from " + clientId + " (not supported): connection closed");
            close(ctx, MqttReasonCodes.Disconnect.QOS_NOT_SUPPORTED);
            return;
        }
        if (!Topics.validName(topic)) {
            log.event("mqtt", "publish from " + clientId + " to invalid topic '" + topic
                    + "': connection closed");
            close(ctx, MqttReasonCodes.Disconnect.TOPIC_NAME_INVALID);
            return;
        }
        Topics.Refusal refusal = Topics.publishRefusal(topic, retain);
        if (refusal != null) {
            log.event("mqtt", "publish by " + clientId + " refused: " + refusal.reason() + ": disconnected");
            close(ctx, refusal.reserved() ? MqttReasonCodes.Disconnect.NOT_AUTHORIZED
                    : MqttReasonCodes.Disconnect.TOPIC_NAME_INVALID);
            return;
        }
        if (!stillActive(ctx)) {
            return;
        }
        for (String action : retain ? List.of("iot:Publish", "iot:RetainPublish") : List.of("iot:Publish")) {
            PolicyEvaluator.Decision decision = evaluate(action, policies.arn("topic", topic));
            if (decision != PolicyEvaluator.Decision.ALLOW) {
                log.event("mqtt", (retain ? "retained " : "") + "publish to " + topic + " by " + clientId
                        + " refused (" + action + " " + decision + "): disconnected");
                close(ctx, MqttReasonCodes.Disconnect.NOT_AUTHORIZED);
                return;
            }
        }
        byte[] payload = ByteBufUtil.getBytes(message.payload());
        if (retain) {
            broker.retained.retain(topic, payload, qos);
        }
        broker.route(new RuleSql.Message(topic, payload, certificateId, clientId, System.currentTimeMillis()),
                qos);
        // logged once routed: the deliveries of this message are logged before this line
        log.event("mqtt", "publish to " + topic + " by " + clientId + " (certificate " + certificateId + ", "
                + payload.length + " bytes, qos " + qos + (retain ? ", retained" : "") + ") routed");
        if (qos == 1) {
            ctx.writeAndFlush(MqttMessageBuilders.pubAck().packetId(message.variableHeader().packetId())
                    .build());
        }
    }

    private void publishWill() {
        String topic = will.variableHeader().topicName();
        boolean retain = will.fixedHeader().isRetain();
        Optional<Registry.Certificate> now = broker.registry.certificates().find(certificateId);
        if (now.isEmpty() || !now.get().status().equals("ACTIVE")
                || evaluate("iot:Publish", policies.arn("topic", topic)) != PolicyEvaluator.Decision.ALLOW
                || retain && evaluate("iot:RetainPublish", policies.arn("topic", topic))
                        != PolicyEvaluator.Decision.ALLOW) {
            log.event("mqtt", "last will of " + clientId + " to " + topic + " not published (not allowed)");
            return;
        }
        log.event("mqtt", "last will of " + clientId + " published to " + topic + (retain ? " (retained)" : ""));
        byte[] payload = ByteBufUtil.getBytes(will.payload());
        int qos = will.fixedHeader().qosLevel().value();
        if (retain) {
            broker.retained.retain(topic, payload, qos);
        }
        broker.route(new RuleSql.Message(topic, payload, certificateId, clientId, System.currentTimeMillis()), qos);
    }

    private void subscribe(ChannelHandlerContext ctx, MqttSubscribeMessage message) {
        if (!stillActive(ctx)) {
            return;
        }
        List<Integer> granted = new ArrayList<>();
        List<MqttTopicSubscription> retainedFor = new ArrayList<>();
        // MQTT 3.1.1 has one failure code (0x80); MQTT 5 says why
        int invalid = mqtt5() ? MqttReasonCodes.SubAck.TOPIC_FILTER_INVALID.byteValue() & 0xFF
                : MqttQoS.FAILURE.value();
        int denied = mqtt5() ? MqttReasonCodes.SubAck.NOT_AUTHORIZED.byteValue() & 0xFF : MqttQoS.FAILURE.value();
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
            PolicyEvaluator.Decision decision = evaluate("iot:Subscribe", policies.arn("topicfilter", filter));
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
        MqttSubAckMessage ack = new MqttSubAckMessage(
                new MqttFixedHeader(MqttMessageType.SUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(message.variableHeader().messageId()),
                new MqttSubAckPayload(granted.stream().mapToInt(Integer::intValue).toArray()));
        ctx.writeAndFlush(ack);
        for (MqttTopicSubscription subscription : retainedFor) {
            broker.retained.forFilter(subscription.topicFilter()).ifPresent(retained -> send(retained.topic(),
                    retained.payload(), Math.min(retained.qos(), subscriptions.getOrDefault(retained.topic(), 0)),
                    true));
        }
    }

    private void unsubscribe(ChannelHandlerContext ctx, MqttUnsubscribeMessage message) {
        List<Short> reasons = new ArrayList<>();
        for (String filter : message.payload().topics()) {
            boolean existed = subscriptions.remove(filter) != null;
            reasons.add((short) ((existed ? MqttReasonCodes.UnsubAck.SUCCESS
                    : MqttReasonCodes.UnsubAck.NO_SUBSCRIPTION_EXISTED).byteValue() & 0xFF));
            log.event("mqtt", "unsubscribe from " + filter + " by " + clientId);
        }
        MqttFixedHeader header = new MqttFixedHeader(MqttMessageType.UNSUBACK, false, MqttQoS.AT_MOST_ONCE, false,
                0);
        MqttMessageIdVariableHeader id = MqttMessageIdVariableHeader.from(message.variableHeader().messageId());
        // MQTT 5's UNSUBACK carries a reason code per filter; MQTT 3.1.1's none
        ctx.writeAndFlush(mqtt5() ? new MqttUnsubAckMessage(header, id, new MqttUnsubAckPayload(reasons))
                : new MqttMessage(header, id));
    }

    void deliver(RuleSql.Message message, int publishQos) {
        if (!connected || subscriptions.isEmpty()) {
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
        PolicyEvaluator.Decision decision = evaluate("iot:Receive", policies.arn("topic", topic));
        if (decision != PolicyEvaluator.Decision.ALLOW) {
            log.event("mqtt", "delivery of " + topic + " to " + clientId + " refused (" + decision + ")");
            return;
        }
        MqttPublishMessage out = MqttMessageBuilders.publish().topicName(topic)
                .qos(MqttQoS.valueOf(qos)).retained(retained)
                .messageId(qos > 0 ? nextMessageId() : 0)
                .payload(Unpooled.wrappedBuffer(payload)).build();
        channel.writeAndFlush(out);
        log.event("mqtt", "delivered " + (retained ? "retained " : "") + topic + " to " + clientId + " (qos " + qos
                + ")");
    }

    private int nextMessageId() {
        return nextMessageId.updateAndGet(n -> n >= 65535 ? 1 : n + 1);
    }

    private PolicyEvaluator.Decision evaluate(String action, String resource) {
        return policies.evaluate(certificateId, action, resource, context);
    }
}
