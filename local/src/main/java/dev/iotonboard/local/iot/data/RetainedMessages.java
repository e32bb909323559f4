package dev.iotonboard.local.iot.data;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The broker's retained messages, one per topic, shared by the MQTT and HTTPS listeners (mqtt.md "MQTT retained
 * messages"): a retained publish replaces the topic's message, a retained publish with an empty payload deletes it,
 * and a new subscription whose filter is exactly the topic gets it with the RETAIN flag set. Kept in memory for the
 * tool's life (AWS keeps them three years).
 */
public final class RetainedMessages {
    /** One retained message. */
    record Message(String topic, byte[] payload, int qos) {
    }

    private final ConcurrentHashMap<String, Message> byTopic = new ConcurrentHashMap<>();

    /** Stores (or, for an empty payload, deletes) the topic's retained message. */
    void retain(String topic, byte[] payload, int qos) {
        if (payload.length == 0) {
            byTopic.remove(topic);
        } else {
            byTopic.put(topic, new Message(topic, payload.clone(), qos));
        }
    }

    /** The message retained on exactly this topic (a filter with wildcards gets none, as on AWS IoT). */
    Optional<Message> forFilter(String filter) {
        return Optional.ofNullable(byTopic.get(filter));
    }

    /** How many topics hold a retained message. */
    public int size() {
        return byTopic.size();
    }
}
