package dev.iotonboard.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ThingPlacementTest {

    private final Map<String, Object> context = new HashMap<>();
    private final List<String> problems = new ArrayList<>();

    private ThingPlacement read() {
        return ThingPlacement.fromContext(context::get, problems);
    }

    @Test
    void unset_isNoPlacement() {
        assertEquals(ThingPlacement.NONE, read());
        assertEquals(List.of(), problems);
    }

    @Test
    void cdkJsonShapes_areRead_inTheirOrder() {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("org", "O");
        attributes.put("country", "C");
        attributes.put("certSerial", "serial");
        attributes.put("expires", "notAfter");
        context.putAll(Map.of("thingTypeName", "sensor", "thingGroupNames", List.of("fleet", "eu"),
                "thingAttributes", attributes));

        ThingPlacement placement = read();

        assertEquals(List.of(), problems);
        assertEquals(Optional.of("sensor"), placement.thingTypeName());
        assertEquals(List.of("fleet", "eu"), placement.thingGroupNames());
        assertEquals(List.of("org", "country", "certSerial"), placement.searchableAttributes());
        assertEquals("org=O,country=C,certSerial=serial,expires=notAfter", placement.attributesEnvironmentValue());
    }

    @Test
    void commandLineShapes_areRead() {
        context.putAll(Map.of("thingGroupNames", "fleet, eu", "thingAttributes", "org=O,unit=OU"));

        ThingPlacement placement = read();

        assertEquals(List.of(), problems);
        assertEquals(List.of("fleet", "eu"), placement.thingGroupNames());
        assertEquals(Map.of("org", "O", "unit", "OU"), placement.thingAttributes());
    }

    @Test
    void jsonStringsFromTheCommandLine_areRead() {
        context.putAll(Map.of("thingGroupNames", "[\"fleet\"]", "thingAttributes", "{\"org\":\"O\"}"));

        ThingPlacement placement = read();

        assertEquals(List.of(), problems);
        assertEquals(List.of("fleet"), placement.thingGroupNames());
        assertEquals(Map.of("org", "O"), placement.thingAttributes());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "thingTypeName|has space|not a thing type name",
            "thingGroupNames|fleet,fleet|listed twice",
            "thingGroupNames|a b|not a thing group name",
            "thingGroupNames|[oops|not a JSON array",
            "thingGroupNames|g1,g2,g3,g4,g5,g6,g7,g8,g9,g10,g11|at most 10 thing groups",
            "thingAttributes|org=Organization|not one of the certificate fields",
            "thingAttributes|org|not name=field",
            "thingAttributes|renewalAnnouncement=O|renewal announcement",
            "thingAttributes|bad name=O|not a thing attribute name",
            "thingAttributes|a=O,b=OU,c=C|without a thing type holds at most 3",
            "thingAttributes|{bad|not a JSON object"})
    void badValues_areNamedWithTheirKey(String key, String value, String message) {
        context.put(key, value);

        read();

        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith(key + ": ") && problems.get(0).contains(message), problems.get(0));
    }

    @Test
    void aThingTypeAllowsUpTo49Attributes_oneSlotStaysForTheRenewalAnnouncement() {
        context.put("thingTypeName", "sensor");
        Map<String, Object> attributes = new LinkedHashMap<>();
        for (int i = 0; i < 49; i++) {
            attributes.put("a" + i, "O");
        }
        context.put("thingAttributes", attributes);
        read();
        assertEquals(List.of(), problems);

        attributes.put("a49", "O");
        read();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("at most 49"), problems.get(0));
    }

    @Test
    void twoAttributesWithoutAType_fit() {
        context.put("thingAttributes", "org=O,country=C");

        read();

        assertEquals(List.of(), problems);
    }
}
