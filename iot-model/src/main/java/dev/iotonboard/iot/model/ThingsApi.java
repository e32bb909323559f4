package dev.iotonboard.iot.model;

import static dev.iotonboard.iot.model.RestJson.DEFAULT_PAGE_SIZE;
import static dev.iotonboard.iot.model.RestJson.EMPTY;
import static dev.iotonboard.iot.model.RestJson.JSON;
import static dev.iotonboard.iot.model.RestJson.obj;
import static dev.iotonboard.iot.model.RestJson.page;
import static dev.iotonboard.iot.model.RestJson.parseLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.iot.model.Registry.Thing;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** {@link IotApi}'s operations on things, over {@link Things}; billing groups are not modelled (refused). */
final class ThingsApi {

    private final Registry registry;
    private final Consumer<String> events;

    ThingsApi(Registry registry, Consumer<String> events) {
        this.registry = registry;
        this.events = events;
    }

    void addTo(Routes routes) {
        routes.add("CreateThing", "POST", "/things/{thingName}", this::create);
        routes.add("DescribeThing", "GET", "/things/{thingName}", r -> describe(r.path().get("thingName")));
        routes.add("UpdateThing", "PATCH", "/things/{thingName}", this::update);
        routes.add("DeleteThing", "DELETE", "/things/{thingName}", r -> {
            String name = r.path().get("thingName");
            boolean existed = registry.things().find(name).isPresent();
            registry.things().delete(name, parseLong(r.query("expectedVersion")));
            if (existed) {
                events.accept("DeleteThing " + name);
            }
            return EMPTY;
        });
        routes.add("ListThings", "GET", "/things", this::list);
    }

    private Object create(Request r) {
        Map<String, String> attributes = attributes(r);
        if (r.body().hasNonNull("billingGroupName")) {
            throw IotException.invalidRequest("billing groups are not supported by the IoT model");
        }
        String name = r.path().get("thingName");
        boolean existed = registry.things().find(name).isPresent();
        Thing thing = registry.things().create(name, r.bodyText("thingTypeName"),
                attributes == null ? Map.of() : attributes);
        if (!existed) {
            events.accept("CreateThing " + name);
        }
        return obj().put("thingName", thing.name()).put("thingArn", registry.thingArn(thing.name()))
                .put("thingId", thing.id());
    }

    private Object describe(String name) {
        Thing thing = registry.things().get(name);
        ObjectNode out = obj().put("defaultClientId", thing.name()).put("thingName", thing.name())
                .put("thingId", thing.id()).put("thingArn", registry.thingArn(thing.name()))
                .put("version", thing.version());
        if (thing.thingTypeName() != null) {
            out.put("thingTypeName", thing.thingTypeName());
        }
        out.set("attributes", JSON.valueToTree(thing.attributes()));
        return out;
    }

    /** UpdateThing: attributes (merged with attributePayload.merge), expectedVersion, thingTypeName, removeThingType. */
    private Object update(Request r) {
        String name = r.path().get("thingName");
        JsonNode expected = r.body().get("expectedVersion");
        Thing thing = registry.things().update(name, attributes(r),
                r.body().path("attributePayload").path("merge").asBoolean(false),
                expected == null || expected.isNull() ? null : expected.asLong(), r.bodyText("thingTypeName"),
                r.body().path("removeThingType").asBoolean(false));
        events.accept("UpdateThing " + name + " version " + thing.version() + " attributes " + thing.attributes());
        return EMPTY;
    }

    /** attributePayload.attributes, or null when the request has none. */
    private static Map<String, String> attributes(Request r) {
        JsonNode payload = r.body().path("attributePayload").path("attributes");
        if (!payload.isObject()) {
            return null;
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        payload.fields().forEachRemaining(e -> attributes.put(e.getKey(), e.getValue().asText()));
        return attributes;
    }

    /**
     * ListThings: every thing in creation order; attributeName and attributeValue keep the things whose attribute has
     * that value (a prefix of it with usePrefixAttributeValue; attributeName alone: the things that have the
     * attribute, unconfirmed); thingTypeName keeps the things of that type.
     */
    private Object list(Request r) {
        String name = r.query("attributeName");
        String value = r.query("attributeValue");
        boolean prefix = r.flag("usePrefixAttributeValue");
        String type = r.query("thingTypeName");
        List<Thing> things = registry.things().list().stream()
                .filter(t -> type == null || type.equals(t.thingTypeName()))
                .filter(t -> name == null || t.attributes().containsKey(name) && (value == null
                        || (prefix ? t.attributes().get(name).startsWith(value)
                        : t.attributes().get(name).equals(value))))
                .toList();
        return page(things, r, "maxResults", "nextToken", DEFAULT_PAGE_SIZE, "things", "nextToken", t -> {
            ObjectNode thing = obj().put("thingName", t.name()).put("thingArn", registry.thingArn(t.name()))
                    .put("version", t.version());
            if (t.thingTypeName() != null) {
                thing.put("thingTypeName", t.thingTypeName());
            }
            thing.set("attributes", JSON.valueToTree(t.attributes()));
            return thing;
        });
    }
}
