package dev.iotonboard.local.iot.data;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.iot.rules.RuleEngine;
import dev.iotonboard.local.iot.rules.RuleSql;
import dev.iotonboard.local.tls.Pki;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * MQTT 3.1.1 and MQTT 5 over TLS (mqtt.md, protocols.md: port 8883, no ALPN), as AWS IoT Core's message broker
 * behaves for a device with an X.509 certificate.
 *
 * <p>TLS 1.2+ with a required client certificate, checked at the handshake by {@link DeviceAdmission}'s trust
 * manager (in the {@code SSLContext} this listener is given), as for the HTTPS data plane. On CONNECT the same
 * admission runs JITR: an unknown certificate of an auto-registration CA is registered PENDING_ACTIVATION, the
 * registered event is published and the connection is closed; only an ACTIVE certificate goes on. Authorization with
 * the attached policies, evaluated at each request: {@code iot:Connect} on {@code client/<clientId>} (refused:
 * CONNACK 5, then close), {@code iot:Publish} on {@code topic/<topic>} (refused: connection closed, as AWS IoT
 * does), {@code iot:Subscribe} on
 * {@code topicfilter/<filter>} (refused: SUBACK 0x80 for that filter), {@code iot:Receive} on {@code topic/<topic>}
 * at delivery (refused: not delivered). The thing policy variables resolve when the client id is the name of a thing
 * attached to the certificate ({@code iot:Connection.Thing.IsAttached} true then). A second connection with the same
 * client id closes the first. Publishes go to the rule engine with principal() = the certificate id and clientid() =
 * the client id; every message the rule engine routes (also HTTPS publishes and the registered events) is delivered
 * to the matching subscriptions. QoS 0 and 1; QoS 2 closes the connection (AWS IoT does not support it). Topics
 * follow the broker's limits and reserved topics ({@link Topics}: a publish breaking them closes the connection); a
 * retained publish needs {@code iot:RetainPublish} too and is kept in {@link RetainedMessages}, for the new
 * subscriptions to exactly its topic. MQTT 5 reason codes: {@link MqttAnswers}.
 * Not modelled: persistent sessions (every session is clean), offline queueing, topic aliases, shared subscriptions.
 *
 * <p>This class owns the listener, the sessions by client id and the routing; each connection is an
 * {@link MqttSession}, with its {@link MqttConnect}, {@link MqttPublishes}, {@link MqttSubscriptions} and
 * {@link MqttAnswers}.
 */
public final class MqttBroker implements AutoCloseable {

    static final int MAX_MESSAGE_BYTES = 128 * 1024 + 1024;
    private static final int CONNECT_TIMEOUT_SECONDS = 30;
    /** The QoS of the publish being routed by this thread (the rule engine's messages carry none). */
    private static final ThreadLocal<Integer> ROUTED_QOS = ThreadLocal.withInitial(() -> 0);

    final Registry registry;
    final EventLog log;
    final DeviceAdmission admission;
    final DevicePolicies policies;
    final RetainedMessages retained;
    /** Connected sessions by client id. */
    final Map<String, MqttSession> sessions = new ConcurrentHashMap<>();
    private final RuleEngine rules;
    private final SSLContext tls;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel server;

    /**
     * @param tls      the device listeners' context, {@link DeviceAdmission#serverContext}
     * @param retained the retained messages, shared with the HTTPS data plane
     */
    public MqttBroker(Registry registry, RuleEngine rules, EventLog log, DeviceAdmission admission, SSLContext tls,
            RetainedMessages retained, String bindAddress, int port) {
        this.registry = registry;
        this.rules = rules;
        this.log = log;
        this.tls = tls;
        this.admission = admission;
        this.retained = retained;
        this.policies = new DevicePolicies(registry);
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
        rules.addListener(this::deliver);
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
                .addLast("session", new MqttSession(this, channel));
    }

    /** Routes a message a session published, with its QoS (the rule engine's messages carry none). */
    void route(RuleSql.Message message, int qos) {
        ROUTED_QOS.set(qos);
        try {
            rules.publish(message);
        } finally {
            ROUTED_QOS.remove();
        }
    }

    /** Rule engine listener: delivers a routed message to every matching subscription. */
    private void deliver(RuleSql.Message message) {
        int qos = ROUTED_QOS.get();
        for (MqttSession session : sessions.values()) {
            session.deliver(message, qos);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }
}
