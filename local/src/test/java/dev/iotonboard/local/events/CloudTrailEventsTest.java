package dev.iotonboard.local.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.iot.control.ApiCall;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CloudTrail events of IoT calls: their shape, and delivery to the matching enabled rules only when on. */
class CloudTrailEventsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PATTERN = """
            {"source": ["aws.iot"], "detail-type": ["AWS API Call via CloudTrail"],
             "detail": {"eventSource": ["iot.amazonaws.com"], "eventName": ["UpdateCertificate"]}}""";
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-30T12:00:00.250Z"), ZoneOffset.UTC);

    private final List<String[]> invoked = new ArrayList<>();

    private CloudTrailEvents events(boolean delivering, StackTemplate.EventRule... rules) {
        return new CloudTrailEvents(List.of(rules), delivering,
                key -> key.startsWith("LOCALSync-") ? new CloudTrailEvents.Caller(key, "SyncRole", "sync") : null,
                (function, payload) -> invoked.add(new String[] {function, payload}), "eu-west-1", "123456789012",
                new EventLog(new PrintStream(OutputStream.nullOutputStream())), CLOCK);
    }

    private static StackTemplate.EventRule rule(String id, boolean enabled, String... targets) {
        return new StackTemplate.EventRule(id, id, "arn:aws:events:eu-west-1:123456789012:rule/" + id, PATTERN,
                enabled, List.of(targets));
    }

    private static ApiCall call(String operation, String key, String errorCode) {
        ObjectNode parameters = JSON.createObjectNode().put("certificateId", "ab12").put("newStatus", "REVOKED");
        return new ApiCall(operation, parameters, key, "127.0.0.1", "aws-cli/2", "req-1", errorCode,
                errorCode == null ? null : "denied");
    }

    @Test
    void aWriteCall_isDeliveredToEachTargetOfEachMatchingEnabledRule() throws Exception {
        CloudTrailEvents events = events(true, rule("On", true, "Sync", "Audit"), rule("Off", false, "Sync"));
        events.called(call("UpdateCertificate", "LOCALSync-1", null));
        events.called(call("CreateThing", "LOCALSync-1", null));
        assertEquals(List.of("Sync", "Audit"), invoked.stream().map(i -> i[0]).toList());
        assertEquals(Map.of("On", 1L), events.delivered());
        JsonNode event = JSON.readTree(invoked.get(0)[1]);
        assertEquals("aws.iot", event.path("source").asText());
        assertEquals("AWS API Call via CloudTrail", event.path("detail-type").asText());
        assertEquals("2026-11-30T12:00:00Z", event.path("time").asText());
        assertEquals("123456789012", event.path("account").asText());
        JsonNode detail = event.path("detail");
        assertEquals("UpdateCertificate", detail.path("eventName").asText());
        assertEquals("eu-west-1", detail.path("awsRegion").asText());
        assertEquals("REVOKED", detail.path("requestParameters").path("newStatus").asText());
        assertEquals("AwsApiCall", detail.path("eventType").asText());
        assertEquals(false, detail.path("readOnly").asBoolean(true));
        assertEquals("req-1", detail.path("requestID").asText());
        JsonNode identity = detail.path("userIdentity");
        assertEquals("AssumedRole", identity.path("type").asText());
        assertEquals("arn:aws:sts::123456789012:assumed-role/SyncRole/sync", identity.path("arn").asText());
        assertEquals("LOCALSync-1", identity.path("accessKeyId").asText());
    }

    @Test
    void failedCalls_carryTheirError_othersAreIamUsers() throws Exception {
        events(true, rule("On", true, "Sync")).called(call("UpdateCertificate", "AKIDOPERATOR", "AccessDeniedException"));
        JsonNode detail = JSON.readTree(invoked.get(0)[1]).path("detail");
        assertEquals("AccessDeniedException", detail.path("errorCode").asText());
        assertEquals("denied", detail.path("errorMessage").asText());
        assertEquals("IAMUser", detail.path("userIdentity").path("type").asText());
        assertEquals("AKIDOPERATOR", detail.path("userIdentity").path("accessKeyId").asText());
    }

    @Test
    void readOnlyCalls_andNoTrail_deliverNothing() {
        CloudTrailEvents on = events(true, rule("On", true, "Sync"));
        on.called(call("DescribeCertificate", null, null));
        on.called(call("ListCertificates", null, null));
        on.called(call("GetPolicy", null, null));
        CloudTrailEvents off = events(false, rule("On", true, "Sync"));
        off.called(call("UpdateCertificate", null, null));
        assertEquals(List.of(), invoked);
        assertEquals(Map.of(), off.delivered());
    }

    @Test
    void aRuleWithAnUnsupportedPattern_failsLoading_namingTheRule() {
        StackTemplate.EventRule numeric = new StackTemplate.EventRule("Numeric", "Numeric", "arn", "{\"n\": [{\"numeric\": [\">\", 1]}]}",
                true, List.of("Sync"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> events(true, numeric));
        assertTrue(e.getMessage().startsWith("Numeric (AWS::Events::Rule): n: the filter numeric"), e.getMessage());
    }
}
