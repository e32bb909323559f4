package dev.iotonboard.infra;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Where thing provisioning places a device (issue 16): a thing type and static thing groups the stack creates, and
 * thing attributes read from fields of the device's certificate. The handler (thing-provisioning's Placement) holds
 * the same field names and IoT limits.
 *
 * @param thingTypeName   {@value #THING_TYPE_NAME}: the type every new thing gets (AWS::IoT::ThingType)
 * @param thingGroupNames {@value #THING_GROUP_NAMES}: the static groups every thing is added to (AWS::IoT::ThingGroup)
 * @param thingAttributes {@value #THING_ATTRIBUTES}: attribute name to certificate field, in the configured order
 */
public record ThingPlacement(Optional<String> thingTypeName, List<String> thingGroupNames,
        Map<String, String> thingAttributes) {

    public static final String THING_TYPE_NAME = "thingTypeName";
    public static final String THING_GROUP_NAMES = "thingGroupNames";
    public static final String THING_ATTRIBUTES = "thingAttributes";

    /** The certificate fields, as JITP's AWS::IoT::Certificate::* parameters: subject O, OU, serialNumber, C; serial, notAfter. */
    public static final List<String> FIELDS = List.of("O", "OU", "serialNumber", "C", "serial", "notAfter");
    /** IoT's ThingTypeName and ThingGroupName (service model). */
    public static final Pattern TYPE_OR_GROUP_NAME = Pattern.compile("[a-zA-Z0-9:_-]{1,128}");
    /** IoT's AttributeName, without ',' (THING_ATTRIBUTES reaches the handler as name=field,...). */
    public static final Pattern ATTRIBUTE_NAME = Pattern.compile("[a-zA-Z0-9_.@/:#-]{1,128}");
    /** The renewal announcement (thing-provisioning's RenewalAttributes) takes one attribute slot on every thing. */
    public static final String RENEWAL_ATTRIBUTE = "renewalAnnouncement";
    /** IoT: a thing without a type holds 3 attributes, with one 50; a type has at most 3 searchable attributes. */
    public static final int MAX_ATTRIBUTES_UNTYPED = 3;
    public static final int MAX_ATTRIBUTES_TYPED = 50;
    public static final int MAX_SEARCHABLE_ATTRIBUTES = 3;
    /** IoT: a thing belongs to at most 10 thing groups. */
    public static final int MAX_GROUPS_PER_THING = 10;

    public static final ThingPlacement NONE = new ThingPlacement(Optional.empty(), List.of(), Map.of());

    public ThingPlacement {
        thingGroupNames = List.copyOf(thingGroupNames);
        thingAttributes = Collections.unmodifiableMap(new LinkedHashMap<>(thingAttributes));
    }

    /** The type's searchable attributes: the first three configured attribute names. */
    public List<String> searchableAttributes() {
        return thingAttributes.keySet().stream().limit(MAX_SEARCHABLE_ATTRIBUTES).toList();
    }

    /** THING_ATTRIBUTES as the handler reads it: {@code name=field,...}. */
    public String attributesEnvironmentValue() {
        return String.join(",", thingAttributes.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }

    /** Reads the three keys; adds one line per bad key to {@code problems}. */
    public static ThingPlacement fromContext(Function<String, Object> context, List<String> problems) {
        Optional<String> type = Optional.ofNullable(context.apply(THING_TYPE_NAME)).map(Object::toString)
                .map(String::trim).filter(s -> !s.isEmpty());
        type.filter(name -> !TYPE_OR_GROUP_NAME.matcher(name).matches()).ifPresent(name -> problems.add(
                THING_TYPE_NAME + ": '" + name + "' is not a thing type name (1 to 128 of a-z A-Z 0-9 : _ -)."));
        List<String> groups = groups(context.apply(THING_GROUP_NAMES), problems);
        Map<String, String> attributes = attributes(context.apply(THING_ATTRIBUTES), problems);
        int slots = (type.isPresent() ? MAX_ATTRIBUTES_TYPED : MAX_ATTRIBUTES_UNTYPED) - 1;
        if (attributes.size() > slots) {
            problems.add(THING_ATTRIBUTES + ": " + attributes.size() + " attributes; a thing " + (type.isPresent()
                    ? "of a thing type holds at most " + MAX_ATTRIBUTES_TYPED : "without a thing type holds at most "
                    + MAX_ATTRIBUTES_UNTYPED) + ", and one is kept free for the renewal announcement ("
                    + RENEWAL_ATTRIBUTE + "): give at most " + slots + (type.isPresent() ? "."
                    : ", or set " + THING_TYPE_NAME + "."));
        }
        return new ThingPlacement(type, groups, attributes);
    }

    private static List<String> groups(Object value, List<String> problems) {
        List<String> entries = new ArrayList<>();
        Object listed = value;
        if (listed instanceof String text && text.trim().startsWith("[")) {
            try {
                listed = new ObjectMapper().readValue(text, List.class);
            } catch (JsonProcessingException e) {
                problems.add(THING_GROUP_NAMES + ": '" + text + "' is not a JSON array of thing group names ("
                        + e.getOriginalMessage() + ").");
                return List.of();
            }
        }
        if (listed instanceof Collection<?> collection) {
            collection.forEach(entry -> entries.add(entry == null ? "" : entry.toString().trim()));
        } else if (listed != null && !listed.toString().isBlank()) {
            for (String entry : listed.toString().split(",", -1)) {
                entries.add(entry.trim());
            }
        }
        List<String> groups = new ArrayList<>();
        for (String name : entries) {
            if (!TYPE_OR_GROUP_NAME.matcher(name).matches()) {
                problems.add(THING_GROUP_NAMES + ": '" + name + "' is not a thing group name (1 to 128 of a-z A-Z 0-9 "
                        + ": _ -); give a JSON array in cdk.json or a comma-separated list with -c.");
            } else if (groups.contains(name)) {
                problems.add(THING_GROUP_NAMES + ": " + name + " is listed twice.");
            } else {
                groups.add(name);
            }
        }
        if (groups.size() > MAX_GROUPS_PER_THING) {
            problems.add(THING_GROUP_NAMES + ": " + groups.size() + " groups; a thing belongs to at most "
                    + MAX_GROUPS_PER_THING + " thing groups.");
        }
        return groups;
    }

    private static Map<String, String> attributes(Object value, List<String> problems) {
        Map<?, ?> map;
        if (value == null || value.toString().isBlank()) {
            return Map.of();
        } else if (value instanceof Map<?, ?> given) {
            map = given;
        } else if (value.toString().trim().startsWith("{")) {
            try {
                map = new ObjectMapper().readValue(value.toString(), LinkedHashMap.class);
            } catch (JsonProcessingException e) {
                problems.add(THING_ATTRIBUTES + ": '" + value + "' is not a JSON object of attribute name to "
                        + "certificate field (" + e.getOriginalMessage() + ").");
                return Map.of();
            }
        } else {
            Map<String, String> pairs = new LinkedHashMap<>();
            for (String entry : value.toString().split(",", -1)) {
                String[] parts = entry.split("=", -1);
                if (parts.length != 2) {
                    problems.add(THING_ATTRIBUTES + ": '" + entry.trim() + "' is not name=field; give a JSON object "
                            + "in cdk.json ({\"org\": \"O\"}) or name=field,name=field with -c.");
                    return Map.of();
                }
                if (pairs.putIfAbsent(parts[0].trim(), parts[1].trim()) != null) {
                    problems.add(THING_ATTRIBUTES + ": " + parts[0].trim() + " is given twice.");
                }
            }
            map = pairs;
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        map.forEach((key, field) -> {
            String name = String.valueOf(key).trim();
            String source = field == null ? "" : field.toString().trim();
            if (!ATTRIBUTE_NAME.matcher(name).matches()) {
                problems.add(THING_ATTRIBUTES + ": '" + name + "' is not a thing attribute name (1 to 128 of "
                        + "a-z A-Z 0-9 _ . @ / : # -; IoT also allows ',', which this key does not).");
            } else if (name.equals(RENEWAL_ATTRIBUTE)) {
                problems.add(THING_ATTRIBUTES + ": " + RENEWAL_ATTRIBUTE + " is the renewal announcement's attribute; "
                        + "choose another name.");
            } else if (!FIELDS.contains(source)) {
                problems.add(THING_ATTRIBUTES + ": " + name + " takes its value from '" + source + "', which is not "
                        + "one of the certificate fields " + FIELDS + ".");
            } else {
                attributes.put(name, source);
            }
        });
        return attributes;
    }
}
