package dev.iotonboard.lambda.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.EmbeddedMetrics.Unit;
import dev.iotonboard.lambda.testing.EmfLines;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** lambda-core's EMF writer, each line read back by {@link EmfLines} (the specification's rules). */
class EmbeddedMetricsTest {

    private static final Instant AT = Instant.parse("2026-11-30T12:00:00.123Z");
    private final List<String> lines = new ArrayList<>();

    @AfterEach
    void restore() {
        JsonLogger.redirect(null);
    }

    @Test
    void toJson_writesOneDirectiveWithTheDimensionsAndMetricsAsRootMembers() throws Exception {
        String line = EmbeddedMetrics.record().dimension("CaCertificateId", "ab".repeat(32))
                .metric("CertificatesExpiringSoon", 3, Unit.COUNT)
                .metric("CaDaysUntilExpiry", 364, Unit.NONE)
                .metric("Ratio", 0.25, Unit.PERCENT)
                .toJson(AT);

        EmfLines.Metrics metrics = EmfLines.parse(line);
        assertEquals("IotOnboarding", metrics.namespace());
        assertEquals(AT.toEpochMilli(), metrics.timestamp());
        assertEquals(Map.of("CaCertificateId", "ab".repeat(32)), metrics.dimensions());
        assertEquals(Map.of("CertificatesExpiringSoon", 3.0, "CaDaysUntilExpiry", 364.0, "Ratio", 0.25),
                metrics.values());
        assertEquals(Map.of("CertificatesExpiringSoon", "Count", "CaDaysUntilExpiry", "None", "Ratio", "Percent"),
                metrics.units());
        JsonNode root = Json.MAPPER.readTree(line);
        assertTrue(root.get("CertificatesExpiringSoon").isIntegralNumber(), "whole values are written as integers");
        assertEquals(List.of("CaCertificateId"), List.of(root.at("/_aws/CloudWatchMetrics/0/Dimensions/0/0").asText()));
    }

    @Test
    void toJson_withoutDimensions_writesOneEmptyDimensionSet() throws Exception {
        String line = EmbeddedMetrics.record("Other").metric("Runs", 1, Unit.COUNT).toJson(AT);

        EmfLines.Metrics metrics = EmfLines.parse(line);
        assertEquals("Other", metrics.namespace());
        assertEquals(Map.of(), metrics.dimensions());
        JsonNode dimensions = Json.MAPPER.readTree(line).at("/_aws/CloudWatchMetrics/0/Dimensions");
        assertEquals(1, dimensions.size(), "the specification requires at least one dimension set; it may be empty");
        assertEquals(0, dimensions.get(0).size());
    }

    @Test
    void toJson_withDeclaredDimensionSets_writesOnlyThoseSets() throws Exception {
        String line = EmbeddedMetrics.record().dimension("Reason", "UNKNOWN_CA").dimension("Cache", "HIT")
                .dimensionSet().dimensionSet("Reason").dimensionSet("Cache", "Reason")
                .metric("CertificatesRejected", 1, Unit.COUNT)
                .toJson(AT);

        EmfLines.Metrics metrics = EmfLines.parse(line);
        assertEquals(List.of(List.of(), List.of("Reason"), List.of("Cache", "Reason")), metrics.dimensionSets());
        assertEquals(Map.of("Reason", "UNKNOWN_CA", "Cache", "HIT"), metrics.dimensions());
        assertEquals(1.0, metrics.value("CertificatesRejected"));
        assertEquals(3, Json.MAPPER.readTree(line).at("/_aws/CloudWatchMetrics/0/Dimensions").size());
    }

    @Test
    void toJson_withoutDeclaredSets_writesAllDimensionsAsOneSet() {
        String line = EmbeddedMetrics.record().dimension("A", "a").dimension("B", "b").metric("M", 1, Unit.COUNT)
                .toJson(AT);

        assertEquals(List.of(List.of("A", "B")), EmfLines.parse(line).dimensionSets());
    }

    @Test
    void count_andCountByReason_countOneEventInTotalAndPerReason() {
        EmfLines.Metrics total = EmfLines.parse(EmbeddedMetrics.count("CertificatesActivated").toJson(AT));
        assertEquals(List.of(List.of()), total.dimensionSets());
        assertEquals(Map.of("CertificatesActivated", 1.0), total.values());
        assertEquals("Count", total.units().get("CertificatesActivated"));

        EmfLines.Metrics byReason = EmfLines.parse(EmbeddedMetrics.countByReason("CertificatesRejected", "UNKNOWN_CA")
                .toJson(AT));
        assertEquals("IotOnboarding", byReason.namespace());
        assertEquals(List.of(List.of(), List.of("Reason")), byReason.dimensionSets());
        assertEquals(Map.of("Reason", "UNKNOWN_CA"), byReason.dimensions());
        assertEquals(Map.of("CertificatesRejected", 1.0), byReason.values());
    }

    @Test
    void dimensionSets_areChecked() {
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record().dimensionSet("A", "A"),
                "a dimension named twice in a set");
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record().dimensionSet("A", "B")
                .dimensionSet("B", "A"), "the same set declared twice");
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record().dimensionSet()
                .dimensionSet(), "the empty set declared twice");
        String[] tooMany = new String[EmbeddedMetrics.MAX_DIMENSIONS + 1];
        for (int i = 0; i < tooMany.length; i++) {
            tooMany[i] = "d" + i;
        }
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record().dimensionSet(tooMany));
        assertThrows(IllegalStateException.class, () -> EmbeddedMetrics.record().dimensionSet("Reason")
                .metric("M", 1, Unit.COUNT).toJson(AT), "a set naming a dimension the line does not have");
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.countByReason("M", ""));
    }

    @Test
    void emit_writesTheLineToTheLogOutput_whateverTheLevel() {
        JsonLogger.redirect(lines::add);
        JsonLogger.level(JsonLogger.Level.ERROR);
        try {
            EmbeddedMetrics.record().metric("Runs", 1, Unit.COUNT).emit(AT);
        } finally {
            JsonLogger.level(JsonLogger.Level.INFO);
        }

        assertEquals(1, lines.size());
        assertEquals(1.0, EmfLines.parse(lines.get(0)).value("Runs"));
        assertFalse(lines.get(0).contains("\"level\""), "an EMF line is not a log line");
    }

    @Test
    void limits_ofTheSpecification_areEnforcedWhenTheLineIsBuilt() {
        EmbeddedMetrics.Record full = EmbeddedMetrics.record();
        for (int i = 0; i < EmbeddedMetrics.MAX_METRICS; i++) {
            full.metric("m" + i, i, Unit.COUNT);
        }
        assertEquals(100, EmfLines.parse(full.toJson(AT)).values().size());
        assertThrows(IllegalArgumentException.class, () -> full.metric("m100", 1, Unit.COUNT));

        EmbeddedMetrics.Record wide = EmbeddedMetrics.record();
        for (int i = 0; i < EmbeddedMetrics.MAX_DIMENSIONS; i++) {
            wide.dimension("d" + i, "v");
        }
        assertThrows(IllegalArgumentException.class, () -> wide.dimension("d30", "v"));
    }

    @Test
    void badNamesAndValues_areRefused() {
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record(""));
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record("n".repeat(256)));
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record().metric("", 1, Unit.COUNT));
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record().metric("x", Double.NaN,
                Unit.COUNT));
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record().metric("x",
                Double.POSITIVE_INFINITY, Unit.COUNT));
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record().dimension("d", ""));
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record().dimension("d",
                "v".repeat(1025)));
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record().dimension("_aws", "v"));
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record().dimension("x", "v")
                .metric("x", 1, Unit.COUNT));
        assertThrows(IllegalArgumentException.class, () -> EmbeddedMetrics.record().metric("x", 1, Unit.COUNT)
                .metric("x", 2, Unit.COUNT));
        assertThrows(IllegalStateException.class, () -> EmbeddedMetrics.record().dimension("d", "v").toJson(AT));
    }

    @Test
    void emfLines_rejectsALineThatBreaksTheSpecification() {
        assertThrows(AssertionError.class, () -> EmfLines.parse("{\"_aws\":{\"Timestamp\":1,\"CloudWatchMetrics\":"
                + "[{\"Namespace\":\"N\",\"Dimensions\":[[\"d\"]],\"Metrics\":[{\"Name\":\"m\",\"Unit\":\"Count\"}]}]},"
                + "\"m\":1}"), "a dimension key with no root member");
        assertThrows(AssertionError.class, () -> EmfLines.parse("{\"_aws\":{\"Timestamp\":1,\"CloudWatchMetrics\":"
                + "[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\",\"Unit\":\"Days\"}]}]},"
                + "\"m\":1}"), "a unit CloudWatch does not have");
        assertThrows(AssertionError.class, () -> EmfLines.parse("{\"_aws\":{\"Timestamp\":1,\"CloudWatchMetrics\":"
                + "[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":\"1\"}"),
                "a metric that is not a number");
        assertThrows(AssertionError.class, () -> EmfLines.parse("{\"_aws\":{\"CloudWatchMetrics\":"
                + "[{\"Namespace\":\"N\",\"Dimensions\":[[]],\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":1}"),
                "no timestamp");
        assertThrows(AssertionError.class, () -> EmfLines.parse("{\"_aws\":{\"Timestamp\":1,\"CloudWatchMetrics\":"
                + "[{\"Namespace\":\"N\",\"Dimensions\":[],\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":1}"),
                "no dimension set");
        assertThrows(AssertionError.class, () -> EmfLines.parse("{\"_aws\":{\"Timestamp\":1,\"CloudWatchMetrics\":"
                + "[{\"Namespace\":\"N\",\"Dimensions\":[[],[\"d\",\"d\"]],\"Metrics\":[{\"Name\":\"m\"}]}]},"
                + "\"d\":\"v\",\"m\":1}"), "a dimension set naming a key twice");
    }
}
