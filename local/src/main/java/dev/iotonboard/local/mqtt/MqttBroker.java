package dev.iotonboard.local.mqtt;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.chaos.ConnectThrottledException;
import dev.iotonboard.local.iot.policy.PolicyEvaluator;
import dev.iotonboard.local.iot.rules.RuleEngine;
import dev.iotonboard.local.iot.rules.RuleSql;
import dev.iotonboard.local.tls.Pki;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
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
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * MQTT 3.1.1 over TLS (mqtt.md, protocols.md: port 8883, no ALPN), as AWS IoT Core's message broker behaves for a
 * device with an X.509 certificate.
 *
 * <p>TLS 1.2+ with a required client certificate, checked at the handshake by the registry-backed trust manager of
 * the HTTPS data plane. On CONNECT the data plane's JITR path runs ({@link Admission}): an unknown certificate of an
 * auto-registration CA is registered PENDING_ACTIVATION, the registered event is published and the connection is
 * closed; only an ACTIVE certificate goes on. Authorization with the attached policies, evaluated at each request:
 * {@code iot:Connect} on {@code client/<clientId>} (refused: CONNACK 5, then close), {@code iot:Publish} on
 * {@code topic/<topic>} (refused: connection closed, as AWS IoT does), {@code iot:Subscribe} on
 * {@code topicfilter/<filter>} (refused: SUBACK 0x80 for that filter), {@code iot:Receive} on {@code topic/<topic>}
 * at delivery (refused: not delivered). The thing policy variables resolve when the client id is the name of a thing
 * attached to the certificate ({@code iot:Connection.Thing.IsAttached} true then). A second connection with the same
 * client id closes the first. Publishes go to the rule engine with principal() = the certificate id and clientid() =
 * the client id; every message the rule engine routes (also HTTPS publishes and the registered events) is delivered
 * to the matching subscriptions. QoS 0 and 1; QoS 2 closes the connection (AWS IoT does not support it).
 * Not modelled: persistent sessions (every session is clean), retained messages, offline queueing, MQTT 5.
 */
public final class MqttBroker implements AutoCloseable {

    /** JITR and the certificate status after the handshake: the ACTIVE certificate, or empty to close. */
    @FunctionalInterface
    public interface Admission {
        Optional<Registry.Certificate> admit(X509Certificate[] chain);
    }

    static final int MAX_MESSAGE_BYTES = 128 * 1024 + 1024;
    private static final int CONNECT_TIMEOUT_SECONDS = 30;
    /** The QoS of the publish being routed by this thread (the rule engine's messages carry none). */
    private static final ThreadLocal<Integer> ROUTED_QOS = ThreadLocal.withInitial(() -> 0);

    private final Registry registry;
    private final RuleEngine rules;
    private final EventLog log;
    private final SSLContext tls;
    private final Admission admission;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel server;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    public MqttBroker(Registry registry, RuleEngine rules, EventLog log, SSLContext tls, Admission admission,
            String bindAddress, int port) {
        this.registry = registry;
        this.rules = rules;
        this.log = log;
        this.tls = tls;
        this.admission = admission;
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("mqtt-accept", true),
                NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("mqtt-conn", true),
                NioIoHandler.newFactory());
        try {
            server = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 64).option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            initConnection(channel);
                        }
                    })
                    .bind(new InetSocketAddress(bindAddress, port)).syncUninterruptibly().channel();
        } catch (Exception e) { // also the BindException that Netty rethrows unchecked
            shutdownGroups();
            throw new IllegalStateException("cannot listen for MQTT on " + bindAddress + ":" + port + ": " + e, e);
        }
        rules.addListener(this::route);
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Client ids connected now. */
    public List<String> clientIds() {
        return new ArrayList<>(sessions.keySet());
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        sessions.values().forEach(s -> s.channel.close());
        shutdownGroups();
    }

    private void shutdownGroups() {
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }

    private void initConnection(SocketChannel channel) {
        SSLEngine engine = tls.createSSLEngine();
        engine.setUseClientMode(false);
        engine.setNeedClientAuth(true);
        engine.setEnabledProtocols(Pki.tlsProtocols(engine.getSupportedProtocols()));
        channel.pipeline()
                .addLast("tls", new SslHandler(engine))
                .addLast("idle", new IdleStateHandler(CONNECT_TIMEOUT_SECONDS, 0, 0))
                .addLast("decoder", new MqttDecoder(MAX_MESSAGE_BYTES))
                .addLast("encoder", MqttEncoder.INSTANCE)
                .addLast("session", new Session(channel));
    }

    /** Rule engine listener: delivers a routed message to every matching subscription. */
    private void route(RuleSql.Message message) {
        int qos = ROUTED_QOS.get();
        for (Session session : sessions.values()) {
            session.deliver(message, qos);
        }
    }

    static boolean validTopicName(String topic) {
        return topic != null && !topic.isEmpty() && !topic.contains("+") && !topic.contains("#")
                && !topic.contains("\u0000");
    }

    static boolean validTopicFilter(String filter) {
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

    private String arn(String type, String name) {
        return "arn:aws:iot:" + registry.region() + ":" + registry.account() + ":" + type + "/" + name;
    }

    private final class Session extends ChannelInboundHandlerAdapter {
        final Channel channel;
        final String peer;
        final Map<String, Integer> subscriptions = new ConcurrentHashMap<>();
        final AtomicInteger nextMessageId = new AtomicInteger();
        volatile boolean connected;
        volatile String clientId;
        volatile String certificateId;
        volatile Map<String, String> context = Map.of();
        X509Certificate[] chain;
        MqttPublishMessage will;
        boolean disconnected;

        Session(Channel channel) {
            this.channel = channel;
            InetSocketAddress remote = (InetSocketAddress) channel.remoteAddress();
            this.peer = remote == null ? "?" : remote.getAddress().getHostAddress() + ":" + remote.getPort();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof SslHandshakeCompletionEvent handshake) {
                if (!handshake.isSuccess()) {
                    log.event("mqtt", "TLS refused for " + peer + ": " + rootMessage(handshake.cause()));
                    ctx.close();
                    return;
                }
                try {
                    Certificate[] peerCertificates = ctx.pipeline().get(SslHandler.class).engine().getSession()
                            .getPeerCertificates();
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
                log.event("mqtt", "connection " + describe() + " failed: " + rootMessage(cause));
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (connected) {
                connected = false;
                sessions.remove(clientId, this);
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
                            + rootMessage(message.decoderResult().cause()) + "; connection closed");
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
                certificate = admission.admit(chain);
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
            context = connectionContext(id, certificateId, chain[0]);
            PolicyEvaluator.Decision decision = evaluate("iot:Connect", arn("client", id));
            if (decision != PolicyEvaluator.Decision.ALLOW) {
                refuse(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED,
                        "iot:Connect on client/" + id + " by " + certificateId + ": " + decision);
                return;
            }
            if (message.variableHeader().isWillFlag()) {
                String willTopic = message.payload().willTopic();
                if (!validTopicName(willTopic)) {
                    refuse(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED, "invalid will topic");
                    return;
                }
                will = MqttMessageBuilders.publish().topicName(willTopic)
                        .qos(MqttQoS.valueOf(Math.min(1, message.variableHeader().willQos())))
                        .retained(false).payload(Unpooled.wrappedBuffer(message.payload().willMessageInBytes()))
                        .messageId(0).build();
            }
            connected = true;
            Session earlier = sessions.put(id, this);
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
            Optional<Registry.Certificate> now = registry.findCertificate(certificateId);
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
            if (!validTopicName(topic)) {
                log.event("mqtt", "publish from " + clientId + " to invalid topic '" + topic
                        + "': connection closed");
                ctx.close();
                return;
            }
            if (!stillActive(ctx)) {
                return;
            }
            PolicyEvaluator.Decision decision = evaluate("iot:Publish", arn("topic", topic));
            if (decision != PolicyEvaluator.Decision.ALLOW) {
                log.event("mqtt", "publish to " + topic + " by " + clientId + " refused (" + decision
                        + "): disconnected");
                ctx.close();
                return;
            }
            byte[] payload = ByteBufUtil.getBytes(message.payload());
            ROUTED_QOS.set(qos);
            try {
                rules.publish(new RuleSql.Message(topic, payload, certificateId, clientId,
                        System.currentTimeMillis()));
            } finally {
                ROUTED_QOS.remove();
            }
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
            Optional<Registry.Certificate> now = registry.findCertificate(certificateId);
            if (now.isEmpty() || !now.get().status().equals("ACTIVE")
                    || evaluate("iot:Publish", arn("topic", topic)) != PolicyEvaluator.Decision.ALLOW) {
                log.event("mqtt", "last will of " + clientId + " to " + topic + " not published (not allowed)");
                return;
            }
            log.event("mqtt", "last will of " + clientId + " published to " + topic);
            ROUTED_QOS.set(will.fixedHeader().qosLevel().value());
            try {
                rules.publish(new RuleSql.Message(topic, ByteBufUtil.getBytes(will.payload()), certificateId,
                        clientId, System.currentTimeMillis()));
            } finally {
                ROUTED_QOS.remove();
            }
        }

        private void subscribe(ChannelHandlerContext ctx, MqttSubscribeMessage message) {
            if (!stillActive(ctx)) {
                return;
            }
            List<Integer> granted = new ArrayList<>();
            for (MqttTopicSubscription subscription : message.payload().topicSubscriptions()) {
                String filter = subscription.topicFilter();
                int requested = subscription.qualityOfService().value();
                if (!validTopicFilter(filter)) {
                    log.event("mqtt", "subscribe to '" + filter + "' by " + clientId + ": invalid filter (0x80)");
                    granted.add(MqttQoS.FAILURE.value());
                    continue;
                }
                PolicyEvaluator.Decision decision = evaluate("iot:Subscribe", arn("topicfilter", filter));
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
            PolicyEvaluator.Decision decision = evaluate("iot:Receive", arn("topic", message.topic()));
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
            List<String> documents = registry.attachedPolicies(registry.certificateArn(certificateId)).stream()
                    .map(Registry.Policy::document).toList();
            return PolicyEvaluator.evaluate(documents, action, resource, context);
        }
    }

    /**
     * Policy variables of an MQTT connection: the client id, the certificate's, and the thing ones when the client
     * id names a thing attached to the certificate (thing-policy-variables.md).
     */
    Map<String, String> connectionContext(String clientId, String certificateId, X509Certificate leaf) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("iot:ClientId", clientId);
        String subjectCn = Pki.commonName(leaf);
        if (subjectCn != null) {
            context.put("iot:Certificate.Subject.CommonName", subjectCn);
        }
        context.put("iot:Certificate.SerialNumber", leaf.getSerialNumber().toString());
        boolean attached = registry.findThing(clientId).isPresent()
                && registry.thingPrincipals(clientId).contains(registry.certificateArn(certificateId));
        if (attached) {
            context.put("iot:Connection.Thing.ThingName", clientId);
        }
        context.put("iot:Connection.Thing.IsAttached", Boolean.toString(attached));
        return context;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }
}
