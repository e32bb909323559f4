package dev.iotonboard.iot.model;

import static dev.iotonboard.iot.model.RestJson.DEFAULT_PAGE_SIZE;
import static dev.iotonboard.iot.model.RestJson.EMPTY;
import static dev.iotonboard.iot.model.RestJson.JSON;
import static dev.iotonboard.iot.model.RestJson.obj;
import static dev.iotonboard.iot.model.RestJson.page;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.iot.model.Registry.ThingType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** {@link IotApi}'s operations on thing types, over {@link ThingTypes}; tags are refused. */
final class ThingTypesApi {

    private final Registry registry;
    private final Consumer<String> events;

    ThingTypesApi(Registry registry, Consumer<String> events) {
        this.registry = registry;
        this.events = events;
    }

    void addTo(Routes routes) {
        routes.add("CreateThingType", "POST", "/thing-types/{thingTypeName}", this::create);
        routes.add("DescribeThingType", "GET", "/thing-types/{thingTypeName}",
                r -> definition(registry.thingTypes().get(r.path().get("thingTypeName")), true));
        routes.add("ListThingTypes", "GET", "/thing-types", r -> {
            String name = r.query("thingTypeName");
            List<ThingType> types = registry.thingTypes().list().stream()
                    .filter(t -> name == null || t.name().equals(name)).toList();
            return page(types, r, "maxResults", "nextToken", DEFAULT_PAGE_SIZE, "thingTypes", "nextToken",
                    t -> definition(t, false));
        });
        routes.add("DeprecateThingType", "POST", "/thing-types/{thingTypeName}/deprecate", r -> {
            boolean undo = r.body().path("undoDeprecate").asBoolean(false);
            registry.thingTypes().deprecate(r.path().get("thingTypeName"), undo);
            events.accept((undo ? "UndoDeprecateThingType " : "DeprecateThingType ") + r.path().get("thingTypeName"));
            return EMPTY;
        });
        routes.add("DeleteThingType", "DELETE", "/thing-types/{thingTypeName}", r -> {
            registry.thingTypes().delete(r.path().get("thingTypeName"));
            events.accept("DeleteThingType " + r.path().get("thingTypeName"));
            return EMPTY;
        });
    }

    private Object create(Request r) {
        RestJson.refuse(r.body().get("tags"), "tags");
        JsonNode properties = r.body().path("thingTypeProperties");
        List<String> searchable = new ArrayList<>();
        properties.path("searchableAttributes").forEach(a -> searchable.add(a.asText()));
        ThingType type = registry.thingTypes().create(r.path().get("thingTypeName"),
                RestJson.text(properties.get("thingTypeDescription")), searchable);
        events.accept("CreateThingType " + type.name());
        return obj().put("thingTypeName", type.name()).put("thingTypeArn", registry.thingTypeArn(type.name()))
                .put("thingTypeId", type.id());
    }

    /** DescribeThingType's answer ({@code withId}), or a ListThingTypes item (ThingTypeDefinition). */
    private ObjectNode definition(ThingType type, boolean withId) {
        ObjectNode out = obj().put("thingTypeName", type.name());
        if (withId) {
            out.put("thingTypeId", type.id());
        }
        out.put("thingTypeArn", registry.thingTypeArn(type.name()));
        ObjectNode properties = obj();
        if (type.description() != null) {
            properties.put("thingTypeDescription", type.description());
        }
        properties.set("searchableAttributes", JSON.valueToTree(type.searchableAttributes()));
        out.set("thingTypeProperties", properties);
        ObjectNode metadata = obj().put("deprecated", type.deprecated()).put("creationDate", type.creationDate());
        if (type.deprecationDate() != null) {
            metadata.put("deprecationDate", type.deprecationDate());
        }
        out.set("thingTypeMetadata", metadata);
        return out;
    }
}
