package dev.iotonboard.local.iot.data;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.chaos.ConnectThrottledException;
import dev.iotonboard.local.iot.policy.PolicyEvaluator;
import dev.iotonboard.local.iot.rules.RuleSql;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * One MQTT connection of the {@link MqttBroker}, the Netty handler at the end of its pipeline: its TLS handshake's
 * client certificate chain, the packets in turn (before CONNECT only a CONNECT), PINGREQ, DISCONNECT, the keep-alive,
 * the connection lost (its last will), a takeover by another connection with its client id, and who the client is
 * once connected (client id, certificate, policy variables) with the certificate's status and the policies evaluated
 * for it at each request.
 *
 * <p>The packets' work is in its parts: {@link MqttConnect} (CONNECT: admission, {@code iot:Connect}, takeover),
 * {@link MqttPublishes} (PUBLISH and the will), {@link MqttSubscriptions} (SUBSCRIBE, UNSUBSCRIBE, delivery), and
 * {@link MqttAnswers} (what the client is answered, in MQTT 3.1.1 or 5).
 */
final class MqttSession extends ChannelInboundHandlerAdapter {
    private final MqttBroker broker;
    private final EventLog log;
    private final DevicePolicies policies;
    final Channel channel;
    final String peer;
    private final String sourceIp;
    private final MqttAnswers answers = new MqttAnswers();
    private final MqttConnect connect;
    private final MqttPublishes publishes;
    private final MqttSubscriptions subscriptions;
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
        this.sourceIp = remote == null ? null : remote.getAddress().getHostAddress();
        this.peer = remote == null ? "?" : sourceIp + ":" + remote.getPort();
        this.connect = new MqttConnect(this, broker, answers);
        this.publishes = new MqttPublishes(this, broker, answers);
        this.subscriptions = new MqttSubscriptions(this, broker, answers);
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
            close(ctx, MqttReasonCodes.Disconnect.KEEP_ALIVE_TIMEOUT);
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
                publishes.publishWill(will);
            }
        }
        if (will != null) {
            will.release();
            will = null;
        }
        super.channelInactive(ctx);
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
                connect.connect(ctx, (MqttConnectMessage) message);
                return;
            }
            if (!connected) {
                log.event("mqtt", type + " before CONNECT from " + peer + ": connection closed");
                ctx.close();
                return;
            }
            switch (type) {
                case PUBLISH -> publishes.publish(ctx, (MqttPublishMessage) message);
                case SUBSCRIBE -> subscriptions.subscribe(ctx, (MqttSubscribeMessage) message);
                case UNSUBSCRIBE -> subscriptions.unsubscribe(ctx, (MqttUnsubscribeMessage) message);
                case PINGREQ -> answers.pingResponse(ctx);
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

    /** The client id and the peer once known, else the peer. */
    String describe() {
        return clientId != null ? clientId + " (" + peer + ")" : peer;
    }

    boolean connected() {
        return connected;
    }

    String clientId() {
        return clientId;
    }

    String certificateId() {
        return certificateId;
    }

    /** Whether the TLS handshake gave a client certificate chain (else CONNECT closes the connection). */
    boolean hasCertificateChain() {
        return chain != null;
    }

    /** {@link DeviceAdmission#admit} with what the handshake found: the ACTIVE certificate, or empty (closed). */
    Optional<Registry.Certificate> admit() throws ConnectThrottledException {
        return broker.admission.admit(engine, chain, "mqtt");
    }

    /** Who the client is, from its CONNECT: its client id and admitted certificate, and its policy variables. */
    void identify(String clientId, String certificateId) {
        this.certificateId = certificateId;
        this.clientId = clientId;
        context = policies.mqttContext(clientId, certificateId, chain[0], sourceIp);
    }

    /** Whether the client id names a thing attached to the certificate (the thing policy variables resolve). */
    boolean thingAttached() {
        return context.containsKey("iot:Connection.Thing.ThingName");
    }

    /** CONNECT accepted: the session is connected, with the will to publish if the connection is lost (or null). */
    void connected(MqttPublishMessage will) {
        this.will = will;
        connected = true;
    }

    /**
     * Closes the connection; a connected MQTT 5 client is first sent a DISCONNECT with the reason (null: none).
     */
    void close(ChannelHandlerContext ctx, MqttReasonCodes.Disconnect reason) {
        answers.close(ctx, connected ? reason : null);
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

    /** Whether the certificate is still ACTIVE; if not the connection is closed (MQTT 5: DISCONNECT 0x87). */
    boolean stillActive(ChannelHandlerContext ctx) {
        Optional<Registry.Certificate> now = broker.registry.certificates().find(certificateId);
        if (now.isPresent() && now.get().status().equals("ACTIVE")) {
            return true;
        }
        log.event("mqtt", "certificate " + certificateId + " of " + clientId + " is "
                + now.map(Registry.Certificate::status).orElse("gone") + ": connection closed");
        close(ctx, MqttReasonCodes.Disconnect.NOT_AUTHORIZED);
        return false;
    }

    /** Rule engine delivery, through {@link MqttBroker}: to the matching subscriptions of a connected client. */
    void deliver(RuleSql.Message message, int publishQos) {
        if (connected) {
            subscriptions.deliver(message, publishQos);
        }
    }

    /** The decision of the policies attached to the client's certificate now, with its policy variables. */
    PolicyEvaluator.Decision evaluate(String action, String resource) {
        return policies.evaluate(certificateId, action, resource, context);
    }
}
