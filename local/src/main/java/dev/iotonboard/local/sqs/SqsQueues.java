package dev.iotonboard.local.sqs;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * In-memory standard SQS queues, named after the stack's {@code AWS::SQS::Queue} resources (the on-failure
 * destinations of the asynchronously invoked functions). Semantics as SQS's standard queues (SQS developer guide,
 * "visibility timeout", "receipt handle"; API reference of each action): a received message is invisible for the
 * visibility timeout and comes back after it; each receive gives a new receipt handle; deleting with a handle that is
 * not the latest succeeds without deleting; a message older than the retention period is gone; one purge per 60 s.
 * Not modelled: FIFO queues, message attributes, dead-letter redrive policies, more than one copy of a message.
 */
public final class SqsQueues {

    /** A message as ReceiveMessage returns it; {@code attributes} holds the system attributes asked for. */
    public record Received(String messageId, String receiptHandle, String md5OfBody, String body,
            Map<String, String> attributes) {
    }

    static final int DEFAULT_VISIBILITY_TIMEOUT = 30;
    static final int DEFAULT_RETENTION = 345_600;
    static final int MAX_VISIBILITY_TIMEOUT = 43_200;
    static final int MAX_BODY_BYTES = 1_048_576;
    static final long PURGE_INTERVAL_MILLIS = 60_000;
    static final Set<String> MESSAGE_ATTRIBUTES = Set.of("SenderId", "SentTimestamp", "ApproximateReceiveCount",
            "ApproximateFirstReceiveTimestamp");
    static final List<String> QUEUE_ATTRIBUTES = List.of("QueueArn", "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp",
            "LastModifiedTimestamp", "VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod",
            "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "SqsManagedSseEnabled");

    private final String region;
    private final String account;
    private final LongSupplier clock;
    private final Map<String, Queue> queues = new ConcurrentHashMap<>();

    public SqsQueues(String region, String account) {
        this(region, account, System::currentTimeMillis);
    }

    /** @param clock milliseconds since the epoch (tests drive visibility and retention with their own clock) */
    public SqsQueues(String region, String account, LongSupplier clock) {
        this.region = region;
        this.account = account;
        this.clock = clock;
    }

    public String account() {
        return account;
    }

    /** Creates a queue with the default settings; nothing happens when it exists. */
    public void create(String name) {
        create(name, null);
    }

    /**
     * Creates a queue from its CloudFormation properties ({@code VisibilityTimeout}, {@code MessageRetentionPeriod};
     * null for the defaults); nothing happens when it exists.
     *
     * @throws IllegalArgumentException for a FIFO queue or a bad name
     */
    public void create(String name, JsonNode properties) {
        if (!name.matches("[A-Za-z0-9_-]{1,80}")) {
            throw new IllegalArgumentException("queue name " + name + ": 1 to 80 letters, digits, - and _");
        }
        if (properties != null && properties.path("FifoQueue").asBoolean(false)) {
            throw new IllegalArgumentException("queue " + name + ": FIFO queues are not supported locally");
        }
        int visibility = properties == null ? DEFAULT_VISIBILITY_TIMEOUT
                : properties.path("VisibilityTimeout").asInt(DEFAULT_VISIBILITY_TIMEOUT);
        int retention = properties == null ? DEFAULT_RETENTION
                : properties.path("MessageRetentionPeriod").asInt(DEFAULT_RETENTION);
        boolean sse = properties == null || properties.path("SqsManagedSseEnabled").asBoolean(true);
        queues.putIfAbsent(name, new Queue(name, visibility, retention, sse, clock.getAsLong()));
    }

    public List<String> names() {
        return queues.keySet().stream().sorted().toList();
    }

    public String arn(String name) {
        return arnFor(queue(name).name);
    }

    /** The ARN a queue of this name has, or would have, in this region and account (IAM's resource). */
    public String arnFor(String name) {
        return "arn:aws:sqs:" + region + ":" + account + ":" + name;
    }

    /** The name of the queue this ARN denotes, if it is one of these queues. */
    public Optional<String> nameOfArn(String arn) {
        String prefix = "arn:aws:sqs:" + region + ":" + account + ":";
        if (arn == null || !arn.startsWith(prefix)) {
            return Optional.empty();
        }
        String name = arn.substring(prefix.length());
        return queues.containsKey(name) ? Optional.of(name) : Optional.empty();
    }

    /**
     * Sends to the queue with this ARN (a Lambda on-failure destination): false when no such queue exists here, so
     * the caller can keep the record some other way.
     */
    public boolean sendToArn(String arn, String body) {
        Optional<String> name = nameOfArn(arn);
        name.ifPresent(n -> send(n, body, 0));
        return name.isPresent();
    }

    /** SendMessage: the new message's id. */
    public String send(String name, String body, int delaySeconds) {
        Queue queue = queue(name);
        validateBody(body);
        if (delaySeconds < 0 || delaySeconds > 900) {
            throw SqsException.invalidParameter("Value " + delaySeconds + " for parameter DelaySeconds is invalid."
                    + " Reason: must be between 0 and 900.");
        }
        long now = clock.getAsLong();
        Message message = new Message(UUID.randomUUID().toString(), body, md5(body), now, now + delaySeconds * 1000L);
        synchronized (queue) {
            queue.messages.put(message.id, message);
            queue.notifyAll();
        }
        return message.id;
    }

    /**
     * ReceiveMessage: up to {@code max} visible messages, oldest first, each invisible for the visibility timeout
     * ({@code null}: the queue's). With {@code waitSeconds} > 0 waits up to that long (real time) for a message.
     *
     * @param attributeNames system attributes to return ({@code All} or names; others are ignored, as SQS does)
     */
    public List<Received> receive(String name, int max, Integer visibilityTimeout, int waitSeconds,
            Collection<String> attributeNames) throws InterruptedException {
        Queue queue = queue(name);
        if (max < 1 || max > 10) {
            throw SqsException.invalidParameter("Value " + max + " for parameter MaxNumberOfMessages is invalid."
                    + " Reason: Must be between 1 and 10, if provided.");
        }
        if (visibilityTimeout != null && (visibilityTimeout < 0 || visibilityTimeout > MAX_VISIBILITY_TIMEOUT)) {
            throw SqsException.invalidParameter("Value " + visibilityTimeout + " for parameter VisibilityTimeout is"
                    + " invalid. Reason: Must be between 0 and " + MAX_VISIBILITY_TIMEOUT + ", if provided.");
        }
        if (waitSeconds < 0 || waitSeconds > 20) {
            throw SqsException.invalidParameter("Value " + waitSeconds + " for parameter WaitTimeSeconds is invalid."
                    + " Reason: Must be >= 0 and <= 20, if provided.");
        }
        long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
        synchronized (queue) {
            while (true) {
                List<Received> received = take(queue, max, visibilityTimeout == null ? queue.visibilityTimeout
                        : visibilityTimeout, attributeNames);
                long remainingMillis = (deadline - System.nanoTime()) / 1_000_000;
                if (!received.isEmpty() || remainingMillis <= 0) {
                    return received;
                }
                // Sends wake this up; the slice bound also catches messages whose visibility timeout ends meanwhile.
                queue.wait(Math.min(remainingMillis, 200));
            }
        }
    }

    private List<Received> take(Queue queue, int max, int visibilityTimeout, Collection<String> attributeNames) {
        long now = clock.getAsLong();
        queue.expire(now);
        List<Received> received = new ArrayList<>();
        for (Message message : queue.messages.values()) {
            if (received.size() == max) {
                break;
            }
            if (message.visibleAt > now) {
                continue;
            }
            message.receiveCount++;
            if (message.firstReceive == 0) {
                message.firstReceive = now;
            }
            message.visibleAt = now + visibilityTimeout * 1000L;
            message.receipt = UUID.randomUUID() + "#" + message.id;
            queue.receipts.put(message.receipt, message.id);
            received.add(new Received(message.id, message.receipt, message.md5, message.body,
                    messageAttributes(message, attributeNames)));
        }
        return received;
    }

    private Map<String, String> messageAttributes(Message message, Collection<String> names) {
        Map<String, String> out = new LinkedHashMap<>();
        boolean all = names.contains("All");
        if (all || names.contains("SenderId")) {
            out.put("SenderId", account);
        }
        if (all || names.contains("SentTimestamp")) {
            out.put("SentTimestamp", Long.toString(message.sent));
        }
        if (all || names.contains("ApproximateReceiveCount")) {
            out.put("ApproximateReceiveCount", Integer.toString(message.receiveCount));
        }
        if (all || names.contains("ApproximateFirstReceiveTimestamp")) {
            out.put("ApproximateFirstReceiveTimestamp", Long.toString(message.firstReceive));
        }
        return out;
    }

    /**
     * DeleteMessage: deletes the message when this is its latest receipt handle; an older handle of a message, or
     * one of a message already deleted, succeeds without effect (as SQS); a handle never issued is an error.
     */
    public void delete(String name, String receiptHandle) {
        Queue queue = queue(name);
        synchronized (queue) {
            String id = queue.receipts.get(receiptHandle);
            if (id == null) {
                throw new SqsException("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 400,
                        "The input receipt handle \"" + receiptHandle + "\" is not a valid receipt handle.");
            }
            Message message = queue.messages.get(id);
            if (message != null && receiptHandle.equals(message.receipt)) {
                queue.messages.remove(id);
            }
        }
    }

    /**
     * ChangeMessageVisibility: the message of this receipt handle becomes visible {@code visibilityTimeout} seconds
     * from now (0: at once). As SQS: a handle never issued is ReceiptHandleIsInvalid; a message that was deleted, or
     * whose handle is not its latest, is InvalidParameterValue; a message whose visibility timeout already ended
     * (not in flight) is MessageNotInflight.
     */
    public void changeVisibility(String name, String receiptHandle, int visibilityTimeout) {
        Queue queue = queue(name);
        if (visibilityTimeout < 0 || visibilityTimeout > MAX_VISIBILITY_TIMEOUT) {
            throw SqsException.invalidParameter("Value " + visibilityTimeout + " for parameter VisibilityTimeout is"
                    + " invalid. Reason: Must be between 0 and " + MAX_VISIBILITY_TIMEOUT + ", if provided.");
        }
        long now = clock.getAsLong();
        synchronized (queue) {
            String id = queue.receipts.get(receiptHandle);
            if (id == null) {
                throw new SqsException("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 400,
                        "The input receipt handle \"" + receiptHandle + "\" is not a valid receipt handle.");
            }
            Message message = queue.messages.get(id);
            if (message == null || !receiptHandle.equals(message.receipt)) {
                throw SqsException.invalidParameter("Value " + receiptHandle + " for parameter ReceiptHandle is "
                        + "invalid. Reason: Message does not exist or is not available for visibility timeout change.");
            }
            if (message.visibleAt <= now) {
                throw new SqsException("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", 400,
                        "The message referred to isn't in flight.");
            }
            message.visibleAt = now + visibilityTimeout * 1000L;
            queue.notifyAll();
        }
    }

    /** PurgeQueue: deletes every message; a second purge within 60 s is PurgeQueueInProgress. */
    public void purge(String name) {
        Queue queue = queue(name);
        long now = clock.getAsLong();
        synchronized (queue) {
            if (queue.lastPurge != 0 && now - queue.lastPurge < PURGE_INTERVAL_MILLIS) {
                throw new SqsException("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403,
                        "Only one PurgeQueue operation on " + name + " is allowed every 60 seconds.");
            }
            queue.lastPurge = now;
            queue.messages.clear();
            queue.receipts.clear();
        }
    }

    /**
     * GetQueueAttributes: {@code All} or the names given (none: no attributes, as SQS answers).
     *
     * @throws SqsException InvalidAttributeName for a name SQS does not know or the stand-in does not serve
     */
    public Map<String, String> attributes(String name, Collection<String> names) {
        Queue queue = queue(name);
        for (String n : names) {
            if (!n.equals("All") && !QUEUE_ATTRIBUTES.contains(n)) {
                throw new SqsException("InvalidAttributeName", "InvalidAttributeName", 400, "Unknown Attribute " + n
                        + ".");
            }
        }
        long now = clock.getAsLong();
        Map<String, String> values = new LinkedHashMap<>();
        synchronized (queue) {
            queue.expire(now);
            long visible = queue.messages.values().stream().filter(m -> m.visibleAt <= now).count();
            long delayed = queue.messages.values().stream().filter(m -> m.receiveCount == 0 && m.visibleAt > now)
                    .count();
            long notVisible = queue.messages.size() - visible - delayed;
            for (String attribute : QUEUE_ATTRIBUTES) {
                if (!names.contains("All") && !names.contains(attribute)) {
                    continue;
                }
                values.put(attribute, switch (attribute) {
                    case "QueueArn" -> arn(name);
                    case "ApproximateNumberOfMessages" -> Long.toString(visible);
                    case "ApproximateNumberOfMessagesNotVisible" -> Long.toString(notVisible);
                    case "ApproximateNumberOfMessagesDelayed" -> Long.toString(delayed);
                    case "CreatedTimestamp", "LastModifiedTimestamp" -> Long.toString(queue.created / 1000);
                    case "VisibilityTimeout" -> Integer.toString(queue.visibilityTimeout);
                    case "MaximumMessageSize" -> Integer.toString(MAX_BODY_BYTES);
                    case "MessageRetentionPeriod" -> Integer.toString(queue.retention);
                    case "DelaySeconds", "ReceiveMessageWaitTimeSeconds" -> "0";
                    case "SqsManagedSseEnabled" -> Boolean.toString(queue.sse);
                    default -> throw new IllegalStateException(attribute);
                });
            }
        }
        return values;
    }

    /** Whether the queue exists. */
    public boolean exists(String name) {
        return queues.containsKey(name);
    }

    private Queue queue(String name) {
        Queue queue = name == null ? null : queues.get(name);
        if (queue == null) {
            throw SqsException.queueDoesNotExist();
        }
        return queue;
    }

    /** Characters SQS accepts in a body (API reference, SendMessage): XML 1.0 characters, at most 1 MiB. */
    private static void validateBody(String body) {
        if (body == null || body.isEmpty()) {
            throw SqsException.missingParameter("MessageBody");
        }
        if (body.getBytes(StandardCharsets.UTF_8).length > MAX_BODY_BYTES) {
            throw SqsException.invalidParameter("One or more parameters are invalid. Reason: Message must be shorter"
                    + " than " + MAX_BODY_BYTES + " bytes.");
        }
        boolean valid = body.codePoints().allMatch(c -> c == 0x9 || c == 0xA || c == 0xD
                || c >= 0x20 && c <= 0xD7FF || c >= 0xE000 && c <= 0xFFFD || c >= 0x10000 && c <= 0x10FFFF);
        if (!valid) {
            throw new SqsException("InvalidMessageContents", "InvalidMessageContents", 400,
                    "Invalid binary character in the message body: only XML 1.0 characters are allowed.");
        }
    }

    static String md5(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class Message {
        final String id;
        final String body;
        final String md5;
        final long sent;
        long visibleAt;
        long firstReceive;
        int receiveCount;
        String receipt;

        Message(String id, String body, String md5, long sent, long visibleAt) {
            this.id = id;
            this.body = body;
            this.md5 = md5;
            this.sent = sent;
            this.visibleAt = visibleAt;
        }
    }

    private static final class Queue {
        final String name;
        final int visibilityTimeout;
        final int retention;
        final boolean sse;
        final long created;
        /** In send order: a standard queue returns roughly oldest first. */
        final Map<String, Message> messages = new LinkedHashMap<>();
        /** Every receipt handle issued since the last purge, to its message id. */
        final Map<String, String> receipts = new LinkedHashMap<>();
        long lastPurge;

        Queue(String name, int visibilityTimeout, int retention, boolean sse, long created) {
            this.name = name;
            this.visibilityTimeout = visibilityTimeout;
            this.retention = retention;
            this.sse = sse;
            this.created = created;
        }

        /** Drops the messages older than the retention period. */
        void expire(long now) {
            for (Iterator<Message> it = messages.values().iterator(); it.hasNext();) {
                Message message = it.next();
                if (now - message.sent >= retention * 1000L) {
                    it.remove();
                }
            }
        }
    }
}
