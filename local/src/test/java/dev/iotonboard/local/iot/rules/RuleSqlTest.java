package dev.iotonboard.local.iot.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RuleSqlTest {
    private static final String CERT = "ab".repeat(32);

    private static RuleSql.Message message(String topic, String payload) {
        return new RuleSql.Message(topic, payload.getBytes(StandardCharsets.UTF_8), CERT, "client-1", 1700000000000L);
    }

    private static String apply(String sql, String topic, String payload) {
        Optional<byte[]> out = RuleSql.parse(sql).apply(message(topic, payload));
        return out.map(b -> new String(b, StandardCharsets.UTF_8)).orElse(null);
    }

    @Test
    void selectStar_passesThePayloadOnMatchingTopics() {
        String sql = "SELECT * FROM '$aws/events/certificates/registered/#'";
        assertEquals("{\"certificateId\":\"x\"}", apply(sql, "$aws/events/certificates/registered/abc",
                "{\"certificateId\":\"x\"}"));
        assertEquals(null, apply(sql, "$aws/events/certificates/other/abc", "{}"));
    }

    @Test
    void projection_withPrincipalAlias_takesIdentityFromTheConnection() {
        String sql = "SELECT thingName, principal() AS certificateId FROM 'jitr/request'";
        assertEquals("{\"thingName\":\"t\",\"certificateId\":\"" + CERT + "\"}",
                apply(sql, "jitr/request", "{\"thingName\":\"t\",\"certificateId\":\"forged\",\"x\":1}"));
    }

    @Test
    void projection_leavesUndefinedFieldsOut() {
        assertEquals("{\"certificateId\":\"" + CERT + "\"}",
                apply("SELECT thingName, principal() AS certificateId FROM 'jitr/request'", "jitr/request", "{}"));
        assertEquals("{}", apply("SELECT thingName FROM 'jitr/request'", "jitr/request", "not json"));
    }

    @Test
    void functions_topicClientIdTimestamp() {
        assertEquals("{\"t\":\"things/a/b\",\"second\":\"a\",\"c\":\"client-1\",\"ts\":1700000000000}",
                apply("SELECT topic() AS t, topic(2) AS second, clientid() AS c, timestamp() AS ts FROM 'things/+/b'",
                        "things/a/b", "{}"));
    }

    @Test
    void nestedFields_andWhere() {
        String sql = "SELECT a.b AS v FROM 'x/#' WHERE a.b > 2 AND (kind = 'k' OR NOT flag = true)";
        assertEquals("{\"v\":3}", apply(sql, "x/y", "{\"a\":{\"b\":3},\"kind\":\"k\"}"));
        assertEquals(null, apply(sql, "x/y", "{\"a\":{\"b\":1},\"kind\":\"k\"}"));
        assertEquals("{\"v\":5}", apply(sql, "x", "{\"a\":{\"b\":5},\"kind\":\"z\",\"flag\":false}"));
        assertEquals(null, apply("SELECT * FROM 'x' WHERE missing = 1", "x", "{}"));
        assertEquals("{\"n\":1}", apply("SELECT * FROM 'x' WHERE n <> 2", "x", "{\"n\":1}"));
    }

    @Test
    void selectStar_onNonJsonPayload_passesItRaw() {
        assertEquals("raw bytes", apply("SELECT * FROM 'x'", "x", "raw bytes"));
    }

    @Test
    void topicFilters() {
        assertTrue(RuleSql.topicMatches("a/+/c", "a/b/c"));
        assertFalse(RuleSql.topicMatches("a/+/c", "a/b/d"));
        assertTrue(RuleSql.topicMatches("a/#", "a"));
        assertTrue(RuleSql.topicMatches("a/#", "a/b/c"));
        assertFalse(RuleSql.topicMatches("a/b", "a/b/c"));
        assertFalse(RuleSql.topicMatches("#", "$aws/events/x"));
        assertTrue(RuleSql.topicMatches("$aws/events/#", "$aws/events/x"));
    }

    @Test
    void parse_rejectsWhatIsNotSupported() {
        assertThrows(IllegalArgumentException.class, () -> RuleSql.parse("SELECT * FROM topic"));
        assertThrows(IllegalArgumentException.class, () -> RuleSql.parse("SELECT md5(x) AS h FROM 'a'"));
        assertThrows(IllegalArgumentException.class, () -> RuleSql.parse("SELECT * FROM 'a' ORDER BY x"));
        assertThrows(IllegalArgumentException.class, () -> RuleSql.parse("SELECT * FROM 'a"));
        assertThrows(IllegalArgumentException.class, () -> RuleSql.parse("SELECT * 'a'"));
    }

    @Test
    void withoutFrom_theStatementTakesBasicIngestOnly() {
        RuleSql sql = RuleSql.parse("SELECT t, topic() AS topic WHERE t > 20");
        assertEquals(null, sql.topicFilter());
        assertTrue(sql.apply(message("a/b", "{\"t\":21}")).isEmpty(), "no broker message selects it");
        assertEquals("{\"t\":21,\"topic\":\"a/b\"}",
                new String(sql.applyIngested(message("a/b", "{\"t\":21}")).orElseThrow(), StandardCharsets.UTF_8));
        assertTrue(sql.applyIngested(message("a/b", "{\"t\":19}")).isEmpty(), "WHERE still applies");
    }
}
