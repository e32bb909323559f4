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
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
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
 * PINGREQ, DISCONNECT, the last will, the keep-alive, and the delivery of routed messages to its subscriptions
 * ({@code iot:Receive}).
 */
final class MqttSession extends ChannelInboundHandlerAdapter {
    private final MqttBroker broker;
    private final EventLog log;
    private final DevicePolicies policies;
    final Channel channel;
    final String peer;
    private final Map<String, Integer> subscriptions = new ConcurrentHashMap<>();
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
            ctx.close();
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
                    disconnected = true;
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
        if (level != 3 && level != 4) {
            refuse(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION,
                    "protocol level " + level + " (MQTT 3.1.1 only)");
            return;
        }
        if (chain == null) {
            ctx.close();
            return;
        }
        String id = message.payload().clientIdentifier();
        Optional<Registry.Certificate> certificate;
        try {
            certificate = broker.admission.admit(engine, chain, "mqtt");
        } catch (ConnectThrottledException e) {
            refuse(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE, e.getMessage());
            return;
        }
        if (certificate.isEmpty()) {
            ctx.close();
            return;
        }
        if (id == null || id.isEmpty() || id.length() > 128) {
            refuse(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED,
                    "client id empty or longer than 128 characters");
            return;
        }
        certificateId = certificate.get().id();
        clientId = id;
        context = policies.mqttContext(id, certificateId, chain[0]);
        PolicyEvaluator.Decision decision = evaluate("iot:Connect", policies.arn("client", id));
        if (decision != PolicyEvaluator.Decision.ALLOW) {
            refuse(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED,
                    "iot:Connect on client/" + id + " by " + certificateId + ": " + decision);
            return;
        }
        if (message.variableHeader().isWillFlag()) {
            String willTopic = message.payload().willTopic();
            if (!MqttBroker.validTopicName(willTopic)) {
                refuse(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED, "invalid will topic");
                return;
            }
            will = MqttMessageBuilders.publish().topicName(willTopic)
                    .qos(MqttQoS.valueOf(Math.min(1, message.variableHeader().willQos())))
                    .retained(false).payload(Unpooled.wrappedBuffer(message.payload().willMessageInBytes()))
                    .messageId(0).build();
        }
        connected = true;
        MqttSession earlier = broker.sessions.put(id, this);
        if (earlier != null && earlier != this) {
            log.event("mqtt", "client id " + id + " connected again from " + peer
                    + ": the earlier connection (" + earlier.peer + ") is closed");
            earlier.channel.close();
        }
        int keepAlive = message.variableHeader().keepAliveTimeSeconds();
        ctx.pipeline().replace("idle", "idle", new IdleStateHandler(
                keepAlive > 0 ? (keepAlive * 3 + 1) / 2 : 0, 0, 0));
        MqttConnAckMessage ack = MqttMessageBuilders.connAck()
                .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).sessionPresent(false).build();
        ctx.writeAndFlush(ack);
        log.event("mqtt", "client " + id + " connected (certificate " + certificateId + ", " + peer
                + (context.containsKey("iot:Connection.Thing.ThingName") ? ", thing attached" : "") + ")");
    }

    private void refuse(ChannelHandlerContext ctx, MqttConnectReturnCode code, String why) {
        log.event("mqtt", "connect refused for " + describe() + ": " + why + " (CONNACK " + code.byteValue()
                + ", connection closed)");
        ctx.writeAndFlush(MqttMessageBuilders.connAck().returnCode(code).sessionPresent(false).build())
                .addListener(ChannelFutureListener.CLOSE);
    }

    private boolean stillActive(ChannelHandlerContext ctx) {
        Optional<Registry.Certificate> now = broker.registry.findCertificate(certificateId);
        if (now.isPresent() && now.get().status().equals("ACTIVE")) {
            return true;
        }
        log.event("mqtt", "certificate " + certificateId + " of " + clientId + " is "
                + now.map(Registry.Certificate::status).orElse("gone") + ": connection closed");
        ctx.close();
        return false;
    }

    private void publish(ChannelHandlerContext ctx, MqttPublishMessage message) {
        String topic = message.variableHeader().topicName();
        int qos = message.fixedHeader().qosLevel().value();
        if (qos > 1) {
            log.event("mqtt", "QoS " + qos + " publish from " + clientId + " (not supported): connection closed");
            ctx.close();
            return;
        }
        if (!MqttBroker.validTopicName(topic)) {
            log.event("mqtt", "publish from " + clientId + " to invalid topic '" + topic
                    + "': connection closed");
            ctx.close();
            return;
        }
        if (!stillActive(ctx)) {
            return;
        }
        PolicyEvaluator.Decision decision = evaluate("iot:Publish", policies.arn("topic", topic));
        if (decision != PolicyEvaluator.Decision.ALLOW) {
            log.event("mqtt", "publish to " + topic + " by " + clientId + " refused (" + decision
                    + "): disconnected");
            ctx.close();
            return;
        }
        byte[] payload = ByteBufUtil.getBytes(message.payload());
        broker.route(new RuleSql.Message(topic, payload, certificateId, clientId, System.currentTimeMillis()),
                qos);
        // logged once routed: the deliveries of this message are logged before this line
        log.event("mqtt", "publish to " + topic + " by " + clientId + " (certificate " + certificateId + ", "
                + payload.length + " bytes, qos " + qos + ") routed");
        if (qos == 1) {
            ctx.writeAndFlush(MqttMessageBuilders.pubAck().packetId(message.variableHeader().packetId())
                    .build());
        }
    }

    private void publishWill() {
        String topic = will.variableHeader().topicName();
        Optional<Registry.Certificate> now = broker.registry.findCertificate(certificateId);
        if (now.isEmpty() || !now.get().status().equals("ACTIVE")
                || evaluate("iot:Publish", policies.arn("topic", topic)) != PolicyEvaluator.Decision.ALLOW) {
            log.event("mqtt", "last will of " + clientId + " to " + topic + " not published (not allowed)");
            return;
        }
        log.event("mqtt", "last will of " + clientId + " published to " + topic);
        broker.route(new RuleSql.Message(topic, ByteBufUtil.getBytes(will.payload()), certificateId, clientId,
                System.currentTimeMillis()), will.fixedHeader().qosLevel().value());
    }

    private void subscribe(ChannelHandlerContext ctx, MqttSubscribeMessage message) {
        if (!stillActive(ctx)) {
            return;
        }
        List<Integer> granted = new ArrayList<>();
        for (MqttTopicSubscription subscription : message.payload().topicSubscriptions()) {
            String filter = subscription.topicFilter();
            int requested = subscription.qualityOfService().value();
            if (!MqttBroker.validTopicFilter(filter)) {
                log.event("mqtt", "subscribe to '" + filter + "' by " + clientId + ": invalid filter (0x80)");
                granted.add(MqttQoS.FAILURE.value());
                continue;
            }
            PolicyEvaluator.Decision decision = evaluate("iot:Subscribe", policies.arn("topicfilter", filter));
            if (decision != PolicyEvaluator.Decision.ALLOW) {
                log.event("mqtt", "subscribe to " + filter + " by " + clientId + " refused (" + decision
                        + ", 0x80)");
                granted.add(MqttQoS.FAILURE.value());
                continue;
            }
            int qos = Math.min(1, requested);
            subscriptions.put(filter, qos);
            granted.add(qos);
            log.event("mqtt", "subscribe to " + filter + " by " + clientId + " granted (qos " + qos + ")");
        }
        MqttSubAckMessage ack = new MqttSubAckMessage(
                new MqttFixedHeader(MqttMessageType.SUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(message.variableHeader().messageId()),
                new MqttSubAckPayload(granted.stream().mapToInt(Integer::intValue).toArray()));
        ctx.writeAndFlush(ack);
    }

    private void unsubscribe(ChannelHandlerContext ctx, MqttUnsubscribeMessage message) {
        for (String filter : message.payload().topics()) {
            subscriptions.remove(filter);
            log.event("mqtt", "unsubscribe from " + filter + " by " + clientId);
        }
        ctx.writeAndFlush(new MqttMessage(
                new MqttFixedHeader(MqttMessageType.UNSUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(message.variableHeader().messageId())));
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
        PolicyEvaluator.Decision decision = evaluate("iot:Receive", policies.arn("topic", message.topic()));
        if (decision != PolicyEvaluator.Decision.ALLOW) {
            log.event("mqtt", "delivery of " + message.topic() + " to " + clientId + " refused (" + decision
                    + ")");
            return;
        }
        int qos = Math.min(best, publishQos);
        MqttPublishMessage out = MqttMessageBuilders.publish().topicName(message.topic())
                .qos(MqttQoS.valueOf(qos)).retained(false)
                .messageId(qos > 0 ? nextMessageId() : 0)
                .payload(Unpooled.wrappedBuffer(message.payload())).build();
        channel.writeAndFlush(out);
        log.event("mqtt", "delivered " + message.topic() + " to " + clientId + " (qos " + qos + ")");
    }

    private int nextMessageId() {
        return nextMessageId.updateAndGet(n -> n >= 65535 ? 1 : n + 1);
    }

    private PolicyEvaluator.Decision evaluate(String action, String resource) {
        return policies.evaluate(certificateId, action, resource, context);
    }
}
