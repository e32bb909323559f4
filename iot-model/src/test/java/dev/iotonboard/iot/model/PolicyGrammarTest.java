package dev.iotonboard.iot.model;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyGrammarTest {

    @ParameterizedTest
    @ValueSource(strings = {
        // the stack's two policies, in the shape CDK writes them
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iot:Publish\","
                + "\"Resource\":[\"arn:aws:iot:us-east-1:000000000000:topic/jitr/start\","
                + "\"arn:aws:iot:us-east-1:000000000000:topic/jitr/request\"]}]}",
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iot:Connect\","
                + "\"Resource\":\"arn:aws:iot:us-east-1:000000000000:client/${iot:Connection.Thing.ThingName}\","
                + "\"Condition\":{\"Bool\":{\"iot:Connection.Thing.IsAttached\":\"true\"}}}]}",
        // a single statement object, no Version, NotAction/NotResource, Sid, Id
        "{\"Id\":\"p\",\"Statement\":{\"Sid\":\"s1\",\"Effect\":\"Deny\",\"NotAction\":[\"iot:Connect\"],"
                + "\"NotResource\":\"*\"}}",
        "{\"Version\":\"2008-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
                + "\"Condition\":{\"ForAnyValue:StringLikeIfExists\":{\"iot:ClientId\":[\"a*\",\"b*\"]},"
                + "\"NumericLessThan\":{\"iot:Connection.Thing.Attributes[n]\":5},"
                + "\"Null\":{\"iot:ClientId\":false},\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:*:*:*:*\"}}}]}"})
    void check_acceptsPoliciesInTheGrammar(String document) {
        assertDoesNotThrow(() -> PolicyGrammar.check(document));
        assertDoesNotThrow(() -> PolicyGrammar.check("  \n" + document.replace(",", ",\n   ") + "\n"),
                "whitespace is not counted and not significant");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                                                                              | 0 characters",
        "'   '                                                                           | 0 characters",
        "not json                                                                        | not JSON",
        "[]                                                                              | not a JSON object",
        "{}                                                                              | no Statement",
        "{\"Statement\":[]}                                                              | no Statement",
        "{\"Version\":\"2012-10-18\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}"
                + "                                                                      | Version",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},\"Extra\":1}"
                + "                                                                      | unknown element \"Extra\"",
        "{\"Statement\":[\"x\"]}                                                         | not a JSON object",
        "{\"Statement\":{\"Effect\":\"deny\",\"Action\":\"*\",\"Resource\":\"*\"}}       | Effect must be",
        "{\"Statement\":{\"Action\":\"*\",\"Resource\":\"*\"}}                           | Effect must be",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Resource\":\"*\"}}                       | exactly one of Action",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"NotAction\":\"iot:Connect\",\"Resource\":\"*\"}}"
                + "                                                                      | exactly one of Action",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\"}}                         | exactly one of Resource",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\"}}         | empty list",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"Publish\",\"Resource\":\"*\"}}| not * or vendor:action",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:a:b\",\"Resource\":\"*\"}}| not * or vendor:action",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:*\",\"Resource\":\"topic/a\"}}| not * or an ARN",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:*\",\"Resource\":[\"\"]}} | not a value",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:*\",\"Resource\":[{}]}}   | not a value",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"iot:*\",\"Resource\":\"*\"}}"
                + "                                                                      | names a Principal",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:*\",\"Resource\":\"*\",\"Condition\":"
                + "{\"StringEqual\":{\"iot:ClientId\":\"a\"}}}}                          | not a condition operator",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:*\",\"Resource\":\"*\",\"Condition\":"
                + "{\"NullIfExists\":{\"iot:ClientId\":\"true\"}}}}                      | not a condition operator",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:*\",\"Resource\":\"*\",\"Condition\":"
                + "{\"StringEquals\":[\"iot:ClientId\"]}}}                               | does not map condition keys",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:*\",\"Resource\":\"*\",\"Condition\":"
                + "{\"StringEquals\":{\"iot:ClientId\":[]}}}}                            | empty list"})
    void check_refusesWhatIsOutsideTheGrammar_asMalformedPolicy(String document, String reason) {
        IotException e = assertThrows(IotException.class, () -> PolicyGrammar.check(document));
        assertEquals("MalformedPolicyException", e.errorType());
        assertEquals(400, e.status());
        assertTrue(e.getMessage().startsWith("Policy document is Malformed: "), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void check_countsCharactersWithoutWhitespace_upTo2048() {
        int room = PolicyGrammar.MAX_CHARACTERS - publishTo("").length();
        String fits = publishTo("a".repeat(room));
        assertEquals(2048, fits.length());
        assertDoesNotThrow(() -> PolicyGrammar.check(fits.replace(",", ",        ")), "whitespace is free");
        IotException over = assertThrows(IotException.class, () -> PolicyGrammar.check(publishTo("a".repeat(room + 1))));
        assertTrue(over.getMessage().contains("2049 characters"), over.getMessage());
    }

    private static String publishTo(String topic) {
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iot:Publish\","
                + "\"Resource\":\"arn:aws:iot:::topic/" + topic + "\"}]}";
    }
}
