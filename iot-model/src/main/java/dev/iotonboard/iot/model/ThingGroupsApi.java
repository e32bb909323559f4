package dev.iotonboard.iot.model;

import static dev.iotonboard.iot.model.RestJson.DEFAULT_PAGE_SIZE;
import static dev.iotonboard.iot.model.RestJson.EMPTY;
import static dev.iotonboard.iot.model.RestJson.JSON;
import static dev.iotonboard.iot.model.RestJson.obj;
import static dev.iotonboard.iot.model.RestJson.page;
import static dev.iotonboard.iot.model.RestJson.parseLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.iotonboard.iot.model.Registry.ThingGroup;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@link IotApi}'s operations on static thing groups and their things, over {@link ThingGroups}. Not modelled, so
 * refused: a parent group (parentGroupName) and tags. A thing or group may be named by name or ARN.
 */
final class ThingGroupsApi {

    private final Registry registry;
    private final Consumer<String> events;

    ThingGroupsApi(Registry registry, Consumer<String> events) {
        this.registry = registry;
        this.events = events;
    }

    void addTo(Routes routes) {
        routes.add("CreateThingGroup", "POST", "/thing-groups/{thingGroupName}", this::create);
        routes.add("DescribeThingGroup", "GET", "/thing-groups/{thingGroupName}",
                r -> describe(registry.thingGroups().get(r.path().get("thingGroupName"))));
        routes.add("ListThingGroups", "GET", "/thing-groups", this::list);
        routes.add("UpdateThingGroup", "PATCH", "/thing-groups/{thingGroupName}", this::update);
        routes.add("DeleteThingGroup", "DELETE", "/thing-groups/{thingGroupName}", r -> {
            registry.thingGroups().delete(r.path().get("thingGroupName"), parseLong(r.query("expectedVersion")));
            events.accept("DeleteThingGroup " + r.path().get("thingGroupName"));
            return EMPTY;
        });
        routes.add("AddThingToThingGroup", "PUT", "/thing-groups/addThingToThingGroup", r -> {
            String group = groupName(r);
            String thing = thingName(r);
            registry.thingGroups().addThing(group, thing);
            events.accept("AddThingToThingGroup " + thing + " -> " + group);
            return EMPTY;
        });
        routes.add("RemoveThingFromThingGroup", "PUT", "/thing-groups/removeThingFromThingGroup", r -> {
            String group = groupName(r);
            String thing = thingName(r);
            registry.thingGroups().removeThing(group, thing);
            events.accept("RemoveThingFromThingGroup " + thing + " -x- " + group);
            return EMPTY;
        });
        routes.add("ListThingsInThingGroup", "GET", "/thing-groups/{thingGroupName}/things",
                r -> page(registry.thingGroups().thingsIn(r.path().get("thingGroupName")), r, "maxResults",
                        "nextToken", DEFAULT_PAGE_SIZE, "things", "nextToken", TextNode::valueOf));
        routes.add("ListThingGroupsForThing", "GET", "/things/{thingName}/thing-groups",
                r -> page(registry.thingGroups().groupsFor(r.path().get("thingName")), r, "maxResults",
                        "nextToken", DEFAULT_PAGE_SIZE, "thingGroups", "nextToken", this::nameAndArn));
    }

    private Object create(Request r) {
        RestJson.refuse(r.body().get("tags"), "tags");
        RestJson.refuse(r.body().get("parentGroupName"), "parentGroupName (thing group hierarchies)");
        JsonNode properties = r.body().path("thingGroupProperties");
        ThingGroup group = registry.thingGroups().create(r.path().get("thingGroupName"),
                RestJson.text(properties.get("thingGroupDescription")),
                RestJson.stringMap(properties.path("attributePayload").get("attributes")));
        events.accept("CreateThingGroup " + group.name());
        return obj().put("thingGroupName", group.name()).put("thingGroupArn", registry.thingGroupArn(group.name()))
                .put("thingGroupId", group.id());
    }

    private Object update(Request r) {
        JsonNode properties = r.body().path("thingGroupProperties");
        JsonNode payload = properties.path("attributePayload");
        JsonNode expected = r.body().get("expectedVersion");
        ThingGroup group = registry.thingGroups().update(r.path().get("thingGroupName"),
                RestJson.text(properties.get("thingGroupDescription")), RestJson.stringMap(payload.get("attributes")),
                payload.path("merge").asBoolean(false), expected == null || expected.isNull() ? null
                        : expected.asLong());
        events.accept("UpdateThingGroup " + group.name() + " version " + group.version());
        return obj().put("version", group.version());
    }

    /**
     * ListThingGroups: in creation order; namePrefixFilter keeps the names that start with it; a parentGroup keeps
     * its children, none here (no hierarchy), and an unknown one is 404; recursive changes nothing without a
     * hierarchy.
     */
    private Object list(Request r) {
        String parent = r.query("parentGroup");
        if (parent != null) {
            registry.thingGroups().get(parent);
        }
        String prefix = r.query("namePrefixFilter");
        List<String> names = parent != null ? List.of() : registry.thingGroups().list().stream()
                .map(ThingGroup::name).filter(n -> prefix == null || n.startsWith(prefix)).toList();
        return page(names, r, "maxResults", "nextToken", DEFAULT_PAGE_SIZE, "thingGroups", "nextToken",
                this::nameAndArn);
    }

    private ObjectNode describe(ThingGroup group) {
        ObjectNode out = obj().put("thingGroupName", group.name()).put("thingGroupId", group.id())
                .put("thingGroupArn", registry.thingGroupArn(group.name())).put("version", group.version());
        ObjectNode properties = obj();
        if (group.description() != null) {
            properties.put("thingGroupDescription", group.description());
        }
        ObjectNode payload = obj();
        payload.set("attributes", JSON.valueToTree(group.attributes()));
        properties.set("attributePayload", payload);
        out.set("thingGroupProperties", properties);
        ObjectNode metadata = obj().put("creationDate", group.creationDate());
        metadata.set("rootToParentThingGroups", JSON.createArrayNode());
        out.set("thingGroupMetadata", metadata);
        return out;
    }

    private ObjectNode nameAndArn(String group) {
        return obj().put("groupName", group).put("groupArn", registry.thingGroupArn(group));
    }

    /** The group a request names by thingGroupName or thingGroupArn (one is required; both must agree). */
    private String groupName(Request r) {
        return named(r, "thingGroupName", "thingGroupArn", registry.thingGroupArn(""), "thing group");
    }

    private String thingName(Request r) {
        return named(r, "thingName", "thingArn", registry.thingArn(""), "thing");
    }

    /**
     * A name given by name or by ARN (this account's and region's {@code prefix} + name): neither is
     * InvalidRequestException; an ARN of another shape is InvalidRequestException; both naming different resources
     * is InvalidRequestException (messages unconfirmed).
     */
    private static String named(Request r, String nameMember, String arnMember, String prefix, String what) {
        String name = r.bodyText(nameMember);
        String arn = r.bodyText(arnMember);
        if (name == null && arn == null) {
            throw IotException.invalidRequest("Give the " + what + " by " + nameMember + " or " + arnMember);
        }
        if (arn == null) {
            return name;
        }
        if (!arn.startsWith(prefix) || arn.length() == prefix.length()) {
            throw IotException.invalidRequest(arnMember + " " + arn + " is not the ARN of a " + what
                    + " of this account and region");
        }
        String fromArn = arn.substring(prefix.length());
        if (name != null && !name.equals(fromArn)) {
            throw IotException.invalidRequest(nameMember + " " + name + " and " + arnMember + " " + arn
                    + " name different resources");
        }
        return fromArn;
    }
}
