package dev.iotonboard.local.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.lambda.testing.AwsCli;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.gateway.Gateway;
import dev.iotonboard.local.iam.FunctionRoles;
import dev.iotonboard.local.iam.IamAuthorizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.InvalidAttributeNameException;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.PurgeQueueInProgressException;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.ReceiptHandleIsInvalidException;
import software.amazon.awssdk.services.sqs.model.SqsException;

/**
 * The SQS stand-in on the real control-plane port (the gateway): the SDK for Java 2.x (JSON protocol), the AWS CLI
 * on this machine (v1: JSON, v2: query) and raw query requests. Visibility, retention and the purge interval run on a
 * test clock.
 */
class SqsApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String QUEUE = "RegistrationProvisioningFailuresD9C54E22";
    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final List<AutoCloseable> open = new ArrayList<>();
    private SqsQueues queues;
    private SqsApi api;
    private Gateway gateway;
    private SqsClient sqs;
    private String url;

    @BeforeEach
    void start() throws IOException {
        EventLog log = new EventLog(new PrintStream(new ByteArrayOutputStream()));
        gateway = new Gateway(0);
        open.add(gateway);
        queues = new SqsQueues("us-east-1", "000000000000", now::get);
        queues.create(QUEUE, JSON.readTree("{\"MessageRetentionPeriod\":1209600,\"SqsManagedSseEnabled\":true}"));
        api = new SqsApi(queues, endpoint(), log);
        gateway.addHandler(api);
        sqs = SqsClient.builder().region(Region.US_EAST_1).endpointOverride(URI.create(endpoint()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        open.add(sqs);
        url = sqs.getQueueUrl(r -> r.queueName(QUEUE)).queueUrl();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private String endpoint() {
        return "http://127.0.0.1:" + gateway.port();
    }

    @Test
    void getQueueUrl_isEndpointAccountAndName() {
        assertEquals(endpoint() + "/000000000000/" + QUEUE, url);
        assertEquals(List.of(url), sqs.listQueues().queueUrls());
    }

    @Test
    void sendReceiveDelete_throughTheSdk_withBodyMd5AndAttributes() {
        String body = "{\"requestPayload\":{\"thingName\":\"\u00e9<&>\"}}";
        String id = sqs.sendMessage(r -> r.queueUrl(url).messageBody(body)).messageId();

        List<Message> messages = sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10)
                .messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();

        assertEquals(1, messages.size());
        Message message = messages.get(0);
        assertEquals(id, message.messageId());
        assertEquals(body, message.body());
        assertEquals(SqsQueues.md5(body), message.md5OfBody());
        assertEquals("1", message.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT));
        assertEquals(Long.toString(now.get()), message.attributes().get(MessageSystemAttributeName.SENT_TIMESTAMP));
        assertEquals(Map.of("ApproximateNumberOfMessages", "0", "ApproximateNumberOfMessagesNotVisible", "1"),
                counts());

        sqs.deleteMessage(r -> r.queueUrl(url).receiptHandle(message.receiptHandle()));
        assertEquals(Map.of("ApproximateNumberOfMessages", "0", "ApproximateNumberOfMessagesNotVisible", "0"),
                counts());
    }

    @Test
    void receivedMessage_comesBackAfterItsVisibilityTimeout_andOnlyTheLatestHandleDeletesIt() {
        sqs.sendMessage(r -> r.queueUrl(url).messageBody("one"));
        Message first = sqs.receiveMessage(r -> r.queueUrl(url).visibilityTimeout(60)).messages().get(0);
        now.addAndGet(59_000);
        assertTrue(sqs.receiveMessage(r -> r.queueUrl(url)).messages().isEmpty(), "invisible for 60 s");
        now.addAndGet(1_000);
        Message second = sqs.receiveMessage(r -> r.queueUrl(url)
                .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT)).messages().get(0);
        assertEquals(first.messageId(), second.messageId());
        assertNotEquals(first.receiptHandle(), second.receiptHandle());
        assertEquals("2", second.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT));

        sqs.deleteMessage(r -> r.queueUrl(url).receiptHandle(first.receiptHandle()));
        assertEquals("1", counts().get("ApproximateNumberOfMessagesNotVisible"), "an old handle deletes nothing");
        sqs.deleteMessage(r -> r.queueUrl(url).receiptHandle(second.receiptHandle()));
        assertEquals("0", counts().get("ApproximateNumberOfMessagesNotVisible"));
        sqs.deleteMessage(r -> r.queueUrl(url).receiptHandle(second.receiptHandle()));
    }

    @Test
    void queueDefaultVisibilityTimeout_is30Seconds_andRetentionDropsOldMessages() {
        sqs.sendMessage(r -> r.queueUrl(url).messageBody("one"));
        sqs.receiveMessage(r -> r.queueUrl(url));
        now.addAndGet(30_000);
        assertEquals(1, sqs.receiveMessage(r -> r.queueUrl(url)).messages().size());
        now.addAndGet(1_209_600_000L);
        assertTrue(sqs.receiveMessage(r -> r.queueUrl(url)).messages().isEmpty(), "gone after 14 days");
        assertEquals("1209600", sqs.getQueueAttributes(r -> r.queueUrl(url)
                .attributeNames(QueueAttributeName.MESSAGE_RETENTION_PERIOD)).attributesAsStrings()
                .get("MessageRetentionPeriod"));
    }

    @Test
    void delayedMessage_isInvisibleUntilItsDelayEnds() {
        sqs.sendMessage(r -> r.queueUrl(url).messageBody("later").delaySeconds(10));
        assertTrue(sqs.receiveMessage(r -> r.queueUrl(url)).messages().isEmpty());
        assertEquals("1", sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED)).attributesAsStrings()
                .get("ApproximateNumberOfMessagesDelayed"));
        now.addAndGet(10_000);
        assertEquals("later", sqs.receiveMessage(r -> r.queueUrl(url)).messages().get(0).body());
    }

    @Test
    void receive_returnsAtMostMaxNumberOfMessages_oldestFirst() {
        for (int i = 0; i < 12; i++) {
            String body = "m" + i;
            sqs.sendMessage(r -> r.queueUrl(url).messageBody(body));
        }
        List<String> bodies = sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10)).messages().stream()
                .map(Message::body).toList();
        assertEquals(List.of("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"), bodies);
        assertEquals(List.of("m10", "m11"), sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10))
                .messages().stream().map(Message::body).toList());
    }

    @Test
    void longPoll_returnsAMessageSentWhileWaiting() throws Exception {
        CompletableFuture<List<Message>> waiting = CompletableFuture.supplyAsync(() -> sqs.receiveMessage(r -> r
                .queueUrl(url).waitTimeSeconds(20)).messages());
        sqs.sendMessage(r -> r.queueUrl(url).messageBody("late"));
        assertEquals("late", waiting.get(30, TimeUnit.SECONDS).get(0).body());
    }

    @Test
    void errors_areTheModelledExceptions() {
        QueueDoesNotExistException missing = assertThrows(QueueDoesNotExistException.class,
                () -> sqs.getQueueUrl(r -> r.queueName("nope")));
        assertEquals(400, missing.statusCode());
        assertEquals("AWS.SimpleQueueService.NonExistentQueue", missing.awsErrorDetails().errorCode());
        assertThrows(QueueDoesNotExistException.class, () -> sqs.sendMessage(r -> r.queueUrl(endpoint()
                + "/111111111111/" + QUEUE).messageBody("x")));
        assertThrows(ReceiptHandleIsInvalidException.class, () -> sqs.deleteMessage(r -> r.queueUrl(url)
                .receiptHandle("never-issued")));
        assertThrows(InvalidAttributeNameException.class, () -> sqs.getQueueAttributes(r -> r.queueUrl(url)
                .attributeNamesWithStrings("Colour")));
        SqsException tooMany = assertThrows(SqsException.class, () -> sqs.receiveMessage(r -> r.queueUrl(url)
                .maxNumberOfMessages(11)));
        assertEquals("InvalidParameterValue", tooMany.awsErrorDetails().errorCode());
        SqsException control = assertThrows(SqsException.class, () -> sqs.sendMessage(r -> r.queueUrl(url)
                .messageBody("bell \u0007")));
        assertEquals("InvalidMessageContents", control.awsErrorDetails().errorCode());
        SqsException attributes = assertThrows(SqsException.class, () -> sqs.sendMessage(r -> r.queueUrl(url)
                .messageBody("x").messageAttributes(Map.of("a", software.amazon.awssdk.services.sqs.model
                        .MessageAttributeValue.builder().dataType("String").stringValue("b").build()))));
        assertEquals("AWS.SimpleQueueService.UnsupportedOperation", attributes.awsErrorDetails().errorCode());
    }

    @Test
    void purge_emptiesTheQueue_onceEvery60Seconds() {
        sqs.sendMessage(r -> r.queueUrl(url).messageBody("one"));
        sqs.purgeQueue(r -> r.queueUrl(url));
        assertEquals("0", counts().get("ApproximateNumberOfMessages"));
        now.addAndGet(59_000);
        assertThrows(PurgeQueueInProgressException.class, () -> sqs.purgeQueue(r -> r.queueUrl(url)));
        now.addAndGet(1_000);
        sqs.purgeQueue(r -> r.queueUrl(url));
    }

    @Test
    void sendToArn_isTheOnFailureDestination() {
        assertTrue(queues.sendToArn("arn:aws:sqs:us-east-1:000000000000:" + QUEUE, "{\"version\":\"1.0\"}"));
        assertTrue(!queues.sendToArn("arn:aws:sqs:us-east-1:000000000000:Other", "{}"), "no such queue here");
        assertTrue(!queues.sendToArn("arn:aws:sqs:eu-west-1:000000000000:" + QUEUE, "{}"), "another region");
        assertEquals("{\"version\":\"1.0\"}", sqs.receiveMessage(r -> r.queueUrl(url)).messages().get(0).body());
    }

    @Test
    void queryProtocol_answersXml_andErrorResponses() throws Exception {
        String body = "line1\r\nline2 <&> \"q\"";
        HttpResponse<String> sent = query("Action=SendMessage&Version=2012-11-05&QueueUrl=" + enc(url)
                + "&MessageBody=" + enc(body));
        assertEquals(200, sent.statusCode(), sent.body());
        assertTrue(sent.body().startsWith("<?xml version=\"1.0\"?><SendMessageResponse xmlns=\"" + SqsApi.NAMESPACE
                + "\"><SendMessageResult><MD5OfMessageBody>" + SqsQueues.md5(body) + "</MD5OfMessageBody>"),
                sent.body());

        HttpResponse<String> received = query("Action=ReceiveMessage&Version=2012-11-05&QueueUrl=" + enc(url)
                + "&AttributeName.1=ApproximateReceiveCount&MaxNumberOfMessages=10");
        assertTrue(received.body().contains("<Body>line1&#xD;\nline2 &lt;&amp;&gt; &quot;q&quot;</Body>"
                + "<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute></Message>"
                + "</ReceiveMessageResult>"), received.body());

        HttpResponse<String> missing = query("Action=GetQueueUrl&Version=2012-11-05&QueueName=nope");
        assertEquals(400, missing.statusCode());
        assertTrue(missing.body().contains("<Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue"
                + "</Code>"), missing.body());
        HttpResponse<String> unknown = query("Action=CreateQueue&Version=2012-11-05&QueueName=x");
        assertEquals(400, unknown.statusCode());
        assertTrue(unknown.body().contains("<Code>InvalidAction</Code>"), unknown.body());
    }

    /** Each distinct AWS CLI here: {@code aws} on the PATH and /usr/bin/aws (v1 speaks JSON, v2.9 query). */
    @Test
    void awsCli_sendReceiveDeleteAndErrors() throws Exception {
        Set<String> clis = new LinkedHashSet<>(List.of("aws"));
        if (new java.io.File("/usr/bin/aws").canExecute()) {
            clis.add("/usr/bin/aws");
        }
        Set<String> versions = new LinkedHashSet<>();
        for (String cli : clis) {
            AwsCli.Result version = cli(cli, "--version");
            assertEquals(0, version.exit(), version.err());
            if (!versions.add((version.out() + version.err()).trim().split(" ")[0])) {
                continue;
            }
            String body = "{\"requestPayload\":{\"thingName\":\"t-" + versions.size() + "\"}}";
            AwsCli.Result sent = cli(cli, "sqs", "send-message", "--queue-url", url, "--message-body", body);
            assertEquals(0, sent.exit(), cli + ": " + sent.err());
            AwsCli.Result received = cli(cli, "sqs", "receive-message", "--queue-url", url, "--max-number-of-messages",
                    "10", "--visibility-timeout", "120", "--attribute-names", "All");
            assertEquals(0, received.exit(), cli + ": " + received.err());
            JsonNode message = JSON.readTree(received.out()).path("Messages").get(0);
            assertEquals(body, message.path("Body").asText(), received.out());
            assertEquals("1", message.path("Attributes").path("ApproximateReceiveCount").asText(), received.out());
            AwsCli.Result attributes = cli(cli, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names",
                    "ApproximateNumberOfMessagesNotVisible");
            assertEquals("1", JSON.readTree(attributes.out()).path("Attributes")
                    .path("ApproximateNumberOfMessagesNotVisible").asText(),
                    cli + ": " + attributes.out() + attributes.err());
            AwsCli.Result released = cli(cli, "sqs", "change-message-visibility", "--queue-url", url,
                    "--receipt-handle", message.path("ReceiptHandle").asText(), "--visibility-timeout", "0");
            assertEquals(0, released.exit(), cli + ": " + released.err());
            assertEquals("0", counts().get("ApproximateNumberOfMessagesNotVisible"), cli + ": visible again");
            JsonNode again = JSON.readTree(cli(cli, "sqs", "receive-message", "--queue-url", url,
                    "--attribute-names", "All").out()).path("Messages").get(0);
            assertEquals("2", again.path("Attributes").path("ApproximateReceiveCount").asText(), again.toString());
            AwsCli.Result stale = cli(cli, "sqs", "change-message-visibility", "--queue-url", url,
                    "--receipt-handle", message.path("ReceiptHandle").asText(), "--visibility-timeout", "0");
            assertNotEquals(0, stale.exit());
            assertTrue(stale.err().contains("InvalidParameterValue"), cli + ": " + stale.err());
            message = again;
            AwsCli.Result deleted = cli(cli, "sqs", "delete-message", "--queue-url", url, "--receipt-handle",
                    message.path("ReceiptHandle").asText());
            assertEquals(0, deleted.exit(), cli + ": " + deleted.err());
            assertEquals("0", counts().get("ApproximateNumberOfMessagesNotVisible"));
            AwsCli.Result empty = cli(cli, "sqs", "receive-message", "--queue-url", url);
            assertEquals(0, empty.exit(), cli + ": " + empty.err());
            assertTrue(!empty.out().contains("Messages"), empty.out());
            AwsCli.Result missing = cli(cli, "sqs", "get-queue-url", "--queue-name", "nope");
            assertNotEquals(0, missing.exit());
            assertTrue(missing.err().contains("AWS.SimpleQueueService.NonExistentQueue"), cli + ": " + missing.err());
        }
    }

    /**
     * A function's credentials are held to its role (here: SendMessage on the queue only), in both protocols, before
     * the queue is looked up; anyone else keeps full access.
     */
    @Test
    void aFunctionsCredentials_areHeldToItsRole() throws Exception {
        String arn = queues.arn(QUEUE);
        api.iam(new IamAuthorizer(new FunctionRoles(Map.of("Fn", new FunctionRoles.Role("Fn", "fn-name", "FnRole",
                List.of("""
                        {"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "%s"}]}"""
                        .formatted(arn)), List.of()))),
                key -> key.startsWith("LOCALFn-") ? Optional.of("Fn") : Optional.empty(), "000000000000"));
        SqsClient function = SqsClient.builder().region(Region.US_EAST_1).endpointOverride(URI.create(endpoint()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("LOCALFn-1", "b")))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        open.add(function);

        function.sendMessage(r -> r.queueUrl(url).messageBody("from the function"));
        SqsException receive = assertThrows(SqsException.class, () -> function.receiveMessage(r -> r.queueUrl(url)));
        assertEquals(403, receive.statusCode());
        assertEquals("AccessDenied", receive.awsErrorDetails().errorCode());
        assertEquals("User: arn:aws:sts::000000000000:assumed-role/FnRole/fn-name is not authorized to perform:"
                + " sqs:receivemessage on resource: " + arn + " because no identity-based policy allows the"
                + " sqs:receivemessage action", receive.awsErrorDetails().errorMessage());
        assertEquals(403, assertThrows(SqsException.class, function::listQueues).statusCode(), "ListQueues on *");
        SqsException unknown = assertThrows(SqsException.class, () -> function.sendMessage(r -> r
                .queueUrl(endpoint() + "/000000000000/Nope").messageBody("x")));
        assertEquals(403, unknown.statusCode(), "IAM before the lookup");

        HttpResponse<String> query = query("Action=PurgeQueue&Version=2012-11-05&QueueUrl=" + enc(url),
                "AWS4-HMAC-SHA256 Credential=LOCALFn-1/20261201/us-east-1/sqs/aws4_request, SignedHeaders=host");
        assertEquals(403, query.statusCode());
        assertTrue(query.body().contains("<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts"
                + "::000000000000:assumed-role/FnRole/fn-name is not authorized to perform: sqs:purgequeue on resource: "
                + arn), query.body());

        List<Message> messages = sqs.receiveMessage(r -> r.queueUrl(url)).messages();
        assertEquals(List.of("from the function"), messages.stream().map(Message::body).toList(),
                "the operator is not restricted, and the denied calls had no effect");
    }

    @Test
    void changeMessageVisibility_releasesOrExtends_andRefusesWhatIsNotInFlight() {
        sqs.sendMessage(r -> r.queueUrl(url).messageBody("one"));
        Message received = sqs.receiveMessage(r -> r.queueUrl(url).visibilityTimeout(60)).messages().get(0);

        sqs.changeMessageVisibility(r -> r.queueUrl(url).receiptHandle(received.receiptHandle()).visibilityTimeout(300));
        now.addAndGet(299_000);
        assertTrue(sqs.receiveMessage(r -> r.queueUrl(url)).messages().isEmpty(), "extended to 300 s from the change");
        now.addAndGet(1_000);
        Message again = sqs.receiveMessage(r -> r.queueUrl(url).visibilityTimeout(60)).messages().get(0);
        sqs.changeMessageVisibility(r -> r.queueUrl(url).receiptHandle(again.receiptHandle()).visibilityTimeout(0));
        assertEquals("1", counts().get("ApproximateNumberOfMessages"));

        SqsException notInFlight = assertThrows(SqsException.class, () -> sqs.changeMessageVisibility(
                r -> r.queueUrl(url).receiptHandle(again.receiptHandle()).visibilityTimeout(0)));
        assertEquals("AWS.SimpleQueueService.MessageNotInflight", notInFlight.awsErrorDetails().errorCode());
        SqsException invalid = assertThrows(SqsException.class, () -> sqs.changeMessageVisibility(
                r -> r.queueUrl(url).receiptHandle("never-issued").visibilityTimeout(0)));
        assertEquals("ReceiptHandleIsInvalid", invalid.awsErrorDetails().errorCode());
        SqsException range = assertThrows(SqsException.class, () -> sqs.changeMessageVisibility(
                r -> r.queueUrl(url).receiptHandle(again.receiptHandle()).visibilityTimeout(43_201)));
        assertEquals("InvalidParameterValue", range.awsErrorDetails().errorCode());
    }

    private Map<String, String> counts() {
        return sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributesAsStrings();
    }

    private HttpResponse<String> query(String form) throws IOException, InterruptedException {
        return query(form, "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261201/us-east-1/sqs/aws4_request");
    }

    /** A query-protocol request with this Authorization header (its signature is not checked). */
    private HttpResponse<String> query(String form, String authorization) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(endpoint() + "/"))
                .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .header("Authorization", authorization)
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String enc(String text) {
        return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private AwsCli.Result cli(String cli, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(cli));
        if (!args[0].equals("--version")) {
            command.addAll(List.of("--endpoint-url", endpoint(), "--output", "json"));
        }
        command.addAll(List.of(args));
        return AwsCli.run(command);
    }
}
