package dev.iotonboard.local.events;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** EventBridge pattern matching for the operators the tool implements, and a clear refusal of the others. */
class EventPatternTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode event(String json) throws Exception {
        return JSON.readTree(json);
    }

    private static final String CLOUDTRAIL_RULE = """
            {"source": ["aws.iot"], "detail-type": ["AWS API Call via CloudTrail"],
             "detail": {"eventSource": ["iot.amazonaws.com"],
                        "eventName": ["UpdateCertificate", "DeleteCertificate"]}}""";

    @Test
    void exactValues_inArrays_andNestedFields() throws Exception {
        EventPattern pattern = EventPattern.parse(CLOUDTRAIL_RULE, "rule");
        assertTrue(pattern.matches(event("""
                {"source": "aws.iot", "detail-type": "AWS API Call via CloudTrail", "account": "1",
                 "detail": {"eventSource": "iot.amazonaws.com", "eventName": "DeleteCertificate", "x": 1}}""")));
        assertFalse(pattern.matches(event("""
                {"source": "aws.iot", "detail-type": "AWS API Call via CloudTrail",
                 "detail": {"eventSource": "iot.amazonaws.com", "eventName": "CreateThing"}}""")), "another name");
        assertFalse(pattern.matches(event("""
                {"source": "aws.events", "detail-type": "AWS API Call via CloudTrail",
                 "detail": {"eventSource": "iot.amazonaws.com", "eventName": "UpdateCertificate"}}""")), "source");
        assertFalse(pattern.matches(event("""
                {"source": "aws.iot", "detail-type": "AWS API Call via CloudTrail"}""")), "no detail");
        assertFalse(pattern.matches(event("""
                {"source": "aws.iot", "detail-type": "AWS API Call via CloudTrail",
                 "detail": {"eventSource": "iot.amazonaws.com", "eventName": {"S": "UpdateCertificate"}}}""")),
                "an object is not a value");
    }

    @Test
    void anEventArray_matchesWhenAnyElementDoes_numbersCompareByValue_nullIsAValue() throws Exception {
        EventPattern pattern = EventPattern.parse("{\"resources\": [\"arn:b\"], \"n\": [5], \"z\": [null]}", "r");
        assertTrue(pattern.matches(event("{\"resources\": [\"arn:a\", \"arn:b\"], \"n\": 5.0, \"z\": null}")));
        assertFalse(pattern.matches(event("{\"resources\": [\"arn:a\"], \"n\": 5, \"z\": null}")));
        assertFalse(pattern.matches(event("{\"resources\": [\"arn:b\"], \"n\": 5}")), "a missing field is not null");
    }

    @Test
    void prefix_suffix_equalsIgnoreCase_anythingBut_exists() throws Exception {
        EventPattern pattern = EventPattern.parse("""
                {"detail": {"eventName": [{"prefix": "Update"}], "thing": [{"suffix": "-01"}],
                 "status": [{"equals-ignore-case": "revoked"}], "errorCode": [{"exists": false}],
                 "userAgent": [{"anything-but": ["console", "cli"]}], "readOnly": [{"anything-but": true}]}}""", "r");
        assertTrue(pattern.matches(event("""
                {"detail": {"eventName": "UpdateCertificate", "thing": "dev-01", "status": "REVOKED",
                 "userAgent": "sdk", "readOnly": false}}""")));
        assertFalse(pattern.matches(event("""
                {"detail": {"eventName": "UpdateCertificate", "thing": "dev-01", "status": "REVOKED",
                 "userAgent": "sdk", "readOnly": false, "errorCode": "AccessDenied"}}""")), "exists false");
        assertFalse(pattern.matches(event("""
                {"detail": {"eventName": "UpdateCertificate", "thing": "dev-01", "status": "REVOKED",
                 "userAgent": "cli", "readOnly": false}}""")), "anything-but");
        assertFalse(pattern.matches(event("""
                {"detail": {"eventName": "UpdateCertificate", "thing": "dev-01", "status": "REVOKED",
                 "readOnly": false}}""")), "anything-but needs the field");
        assertFalse(pattern.matches(event("""
                {"detail": {"eventName": "DeleteCertificate", "thing": "dev-01", "status": "REVOKED",
                 "userAgent": "sdk", "readOnly": false}}""")), "prefix");
        assertTrue(EventPattern.parse("{\"a\": [{\"exists\": true}]}", "r").matches(event("{\"a\": null}")));
    }

    @Test
    void unsupportedOperatorsAndMalformedPatterns_areRefused_namingThem() {
        String[][] cases = {
            {"{\"n\": [{\"numeric\": [\">\", 0]}]}", "n: the filter numeric is not supported"},
            {"{\"ip\": [{\"cidr\": \"10.0.0.0/24\"}]}", "ip: the filter cidr is not supported"},
            {"{\"detail\": {\"k\": [{\"wildcard\": \"a*\"}]}}", "detail.k: the filter wildcard is not supported"},
            {"{\"$or\": [{\"a\": [\"b\"]}]}", "the operator $or is not supported"},
            {"{\"a\": [{\"anything-but\": {\"prefix\": \"x\"}}]}", "anything-but with a filter"},
            {"{\"a\": []}", "a non-empty array"},
            {"{\"a\": \"b\"}", "a non-empty array"},
            {"{}", "a non-empty JSON object"},
            {"not json", "not JSON"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EventPattern.parse(c[0], "Rule (AWS::Events::Rule)"), c[0]);
            assertTrue(e.getMessage().startsWith("Rule (AWS::Events::Rule): ") && e.getMessage().contains(c[1]),
                    e.getMessage());
        }
    }
}
