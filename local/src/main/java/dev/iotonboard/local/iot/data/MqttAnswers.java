package dev.iotonboard.local.iot.data;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import io.netty.handler.codec.mqtt.MqttUnsubAckPayload;
import java.util.List;

/**
 * What the broker answers one MQTT connection, in the protocol its CONNECT asked for: CONNACK, PUBACK, SUBACK,
 * UNSUBACK, PINGRESP, and the DISCONNECT before the server closes the connection.
 *
 * <p>MQTT 3.1.1 (protocol levels 3 and 4) and MQTT 5 (level 5). An MQTT 5 client is refused with the MQTT 5 reason
 * code (CONNACK 0x85 client identifier not valid, 0x87 not authorized, 0x90 topic name invalid, 0x97 quota exceeded)
 * where an MQTT 3.1.1 client gets its return code (2, 5, 5, 3), and is told why the server closes its connection with
 * a DISCONNECT (0x87 not authorized, 0x90 topic name invalid, 0x8D keep alive timeout, 0x8E session taken over, 0x9B
 * QoS not supported) where an MQTT 3.1.1 connection is just closed (mqtt.md "MQTT 5" and "MQTT reason codes"). A
 * SUBACK refusal is 0x8F topic filter invalid or 0x87 not authorized in MQTT 5, 0x80 in MQTT 3.1.1; an MQTT 5
 * UNSUBACK carries a reason code per filter, an MQTT 3.1.1 one none.
 */
final class MqttAnswers {
    /** The CONNECT's protocol level: 3 or 4 (MQTT 3.1, 3.1.1) or 5; 4 until a CONNECT with a served level. */
    private volatile int protocolLevel = 4;

    /** The protocol level of the client's CONNECT, once it is one this broker serves (3, 4 or 5). */
    void protocolLevel(int level) {
        protocolLevel = level;
    }

    boolean mqtt5() {
        return protocolLevel == 5;
    }

    /** The protocol as the log names it. */
    String protocolName() {
        return mqtt5() ? "5" : "3.1.1";
    }

    /** The CONNACK code of a refusal for the client's protocol. */
    MqttConnectReturnCode refusal(MqttConnectReturnCode mqtt3, MqttConnectReturnCode mqtt5) {
        return mqtt5() ? mqtt5 : mqtt3;
    }

    /** CONNACK with the refusal's code, then close. */
    void refuse(ChannelHandlerContext ctx, MqttConnectReturnCode code) {
        ctx.writeAndFlush(MqttMessageBuilders.connAck().returnCode(code).sessionPresent(false).build())
                .addListener(ChannelFutureListener.CLOSE);
    }

    /** CONNACK accepted; an MQTT 5 client is also told what this broker serves. */
    void accept(ChannelHandlerContext ctx) {
        MqttMessageBuilders.ConnAckBuilder ack = MqttMessageBuilders.connAck()
                .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).sessionPresent(false);
        if (mqtt5()) {
            // what this broker serves: QoS 0 and 1 (mqtt.md), retained messages; no shared subscriptions,
            // subscription identifiers or topic aliases (the latter by leaving Topic Alias Maximum at 0)
            ack.properties(p -> p.maximumQos((byte) 1).retainAvailable(true).wildcardSubscriptionAvailable(true)
                    .sharedSubscriptionAvailable(false).subscriptionIdentifiersAvailable(false));
        }
        ctx.writeAndFlush(ack.build());
    }

    /** Closes the connection; an MQTT 5 client is first sent a DISCONNECT with the reason (null: none). */
    void close(ChannelHandlerContext ctx, MqttReasonCodes.Disconnect reason) {
        if (mqtt5() && reason != null) {
            ctx.writeAndFlush(MqttMessageBuilders.disconnect().reasonCode(reason.byteValue()).build())
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    void pingResponse(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGRESP,
                false, MqttQoS.AT_MOST_ONCE, false, 0)));
    }

    void pubAck(ChannelHandlerContext ctx, int packetId) {
        ctx.writeAndFlush(MqttMessageBuilders.pubAck().packetId(packetId).build());
    }

    /** The SUBACK code for a filter that is not valid or over the limits (MQTT 3.1.1 has one failure code, 0x80). */
    int filterInvalid() {
        return mqtt5() ? MqttReasonCodes.SubAck.TOPIC_FILTER_INVALID.byteValue() & 0xFF : MqttQoS.FAILURE.value();
    }

    /** The SUBACK code for a filter {@code iot:Subscribe} denies. */
    int subscribeDenied() {
        return mqtt5() ? MqttReasonCodes.SubAck.NOT_AUTHORIZED.byteValue() & 0xFF : MqttQoS.FAILURE.value();
    }

    /** SUBACK with a code per filter: the granted QoS or a refusal. */
    void subAck(ChannelHandlerContext ctx, int messageId, List<Integer> codes) {
        ctx.writeAndFlush(new MqttSubAckMessage(
                new MqttFixedHeader(MqttMessageType.SUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(messageId),
                new MqttSubAckPayload(codes.stream().mapToInt(Integer::intValue).toArray())));
    }

    /** The MQTT 5 UNSUBACK reason for a filter: success, or no subscription existed. */
    static short unsubscribed(boolean existed) {
        return (short) ((existed ? MqttReasonCodes.UnsubAck.SUCCESS
                : MqttReasonCodes.UnsubAck.NO_SUBSCRIPTION_EXISTED).byteValue() & 0xFF);
    }

    /** UNSUBACK: MQTT 5's carries a reason code per filter; MQTT 3.1.1's none. */
    void unsubAck(ChannelHandlerContext ctx, int messageId, List<Short> reasons) {
        MqttFixedHeader header = new MqttFixedHeader(MqttMessageType.UNSUBACK, false, MqttQoS.AT_MOST_ONCE, false,
                0);
        MqttMessageIdVariableHeader id = MqttMessageIdVariableHeader.from(messageId);
        ctx.writeAndFlush(mqtt5() ? new MqttUnsubAckMessage(header, id, new MqttUnsubAckPayload(reasons))
                : new MqttMessage(header, id));
    }
}
