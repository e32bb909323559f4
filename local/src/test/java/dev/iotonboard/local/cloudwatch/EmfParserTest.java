package dev.iotonboard.local.cloudwatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.core.EmbeddedMetrics;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class EmfParserTest {
    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    private static final long TS = NOW.toEpochMilli();

    private static List<Datum> extracted(String line) {
        EmfParser.Result result = EmfParser.parse(line, "/aws/lambda/fn", NOW);
        return assertInstanceOf(EmfParser.Extracted.class, result, () -> "refused: " + result).data();
    }

    @Test
    void parse_givesOneDataPointPerDirectiveDimensionSetAndMetric() {
        List<Datum> data = extracted("{\"_aws\":{\"Timestamp\":" + TS + ",\"CloudWatchMetrics\":[{\"Namespace\":"
                + "\"IotOnboarding\",\"Dimensions\":[[],[\"Reason\"]],\"Metrics\":[{\"Name\":\"CertificatesRejected\","
                + "\"Unit\":\"Count\"},{\"Name\":\"Latency\",\"Unit\":\"Milliseconds\",\"StorageResolution\":60}]},"
                + "{\"Namespace\":\"Other\",\"Dimensions\":[[\"Reason\"]],\"Metrics\":[{\"Name\":\"Runs\"}]}]},"
                + "\"Reason\":\"CA_NOT_ALLOWED\",\"CertificatesRejected\":1,\"Latency\":[3,4.5],\"Runs\":2}");

        assertEquals(5, data.size());
        Datum fleet = data.get(0);
        assertEquals("IotOnboarding", fleet.namespace());
        assertEquals("CertificatesRejected", fleet.name());
        assertEquals(Map.of(), fleet.dimensions());
        assertEquals(List.of(1.0), fleet.values());
        assertEquals("Count", fleet.unit());
        assertEquals(NOW, fleet.timestamp(), "the line's _aws.Timestamp");
        assertEquals("/aws/lambda/fn", fleet.source());
        assertEquals(Map.of("Reason", "CA_NOT_ALLOWED"), data.get(1).dimensions());
        assertEquals(List.of(3.0, 4.5), data.get(2).values(), "an array is several samples");
        assertEquals("Milliseconds", data.get(2).unit());
        assertEquals(new Datum("Other", "Runs", new java.util.TreeMap<>(Map.of("Reason", "CA_NOT_ALLOWED")), NOW,
                List.of(2.0), "None", "/aws/lambda/fn"), data.get(4), "no Unit: None");
    }

    @Test
    void parse_readsWhatLambdaCoreWrites() {
        String line = EmbeddedMetrics.record().dimension("CaCertificateId", "ab".repeat(32))
                .metric("CertificatesExpiringSoon", 3, EmbeddedMetrics.Unit.COUNT).toJson(NOW);

        List<Datum> data = extracted(line);

        assertEquals(1, data.size());
        assertEquals(EmbeddedMetrics.NAMESPACE, data.get(0).namespace());
        assertEquals(Map.of("CaCertificateId", "ab".repeat(32)), data.get(0).dimensions());
        assertEquals(List.of(3.0), data.get(0).values());
    }

    @ParameterizedTest
    @ValueSource(strings = {"START RequestId: 1 Version: $LATEST", "{\"level\":\"INFO\",\"message\":\"_aws\"}",
            "[1,2]", ""})
    void parse_ignoresLinesThatAreNotEmf(String line) {
        assertInstanceOf(EmfParser.NotEmf.class, EmfParser.parse(line, "g", NOW));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "not JSON|{\"_aws\":{\"Timestamp\":TS,|not a JSON object",
        "no Timestamp|{\"_aws\":{\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":1}|Timestamp",
        "Timestamp a string|{\"_aws\":{\"Timestamp\":\"TS\",\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":1}|Timestamp",
        "Timestamp three weeks old|{\"_aws\":{\"Timestamp\":OLD,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":1}|two weeks old",
        "no directive|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[]},\"m\":1}|CloudWatchMetrics",
        "empty Namespace|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[{\"Namespace\":\"\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":1}|Namespace",
        "no Dimensions|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":1}|Dimensions",
        "no dimension set|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[],\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":1}|Dimensions",
        "dimension not in the root|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[\"d\"]],\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":1}|dimension d",
        "dimension a number|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[\"d\"]],\"Metrics\":[{\"Name\":\"m\"}]}]},\"d\":7,\"m\":1}|dimension d",
        "no metric definition|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[]}]},\"m\":1}|Metrics",
        "metric not in the root|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\"}]}]}}|no root member",
        "metric a string|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":\"1\"}|number",
        "array of strings|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":[1,\"2\"]}|number",
        "unknown unit|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\",\"Unit\":\"Days\"}]}]},\"m\":1}|not a CloudWatch unit",
        "metric twice|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\"},{\"Name\":\"m\"}]}]},\"m\":1}|twice",
        "bad StorageResolution|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\",\"StorageResolution\":5}]}]},\"m\":1}|StorageResolution",
        "metric also a dimension|{\"_aws\":{\"Timestamp\":TS,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[\"m\"]],\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":1}|dimension m",
    })
    void parse_refusesALineThatBreaksTheSpecification_naming_theRule(String what, String line, String reason) {
        String filled = line.replace("OLD", Long.toString(TS - 21L * 86_400_000)).replace("TS", Long.toString(TS));

        EmfParser.Result result = EmfParser.parse(filled, "g", NOW);

        EmfParser.Refused refused = assertInstanceOf(EmfParser.Refused.class, result, what);
        assertTrue(refused.reason().contains(reason), what + ": " + refused.reason());
    }

    @Test
    void parse_refusesMoreThan100MetricsOrValues() {
        StringBuilder definitions = new StringBuilder();
        StringBuilder members = new StringBuilder();
        for (int i = 0; i <= 100; i++) {
            definitions.append(i == 0 ? "" : ",").append("{\"Name\":\"m").append(i).append("\"}");
            members.append(",\"m").append(i).append("\":1");
        }
        assertInstanceOf(EmfParser.Refused.class, EmfParser.parse("{\"_aws\":{\"Timestamp\":" + TS
                + ",\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[" + definitions
                + "]}]}" + members + "}", "g", NOW));
        String values = "1,".repeat(100) + "1";
        assertInstanceOf(EmfParser.Refused.class, EmfParser.parse("{\"_aws\":{\"Timestamp\":" + TS
                + ",\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\"}]}]},"
                + "\"m\":[" + values + "]}", "g", NOW));
    }
}
