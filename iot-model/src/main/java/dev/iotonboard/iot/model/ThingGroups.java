package dev.iotonboard.iot.model;

import dev.iotonboard.iot.model.Registry.ThingGroup;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The registry's static thing groups and their things ({@link Registry#thingGroups()}). Groups have no parent here
 * (a parentGroupName is refused by the binding): no hierarchy, so a thing may be in any ten groups. Policies attached
 * to a group's ARN apply to its things' certificates ({@link Policies#effective}). Sources: iot-model/README.md.
 */
public final class ThingGroups {

    /** "You can add a thing to a maximum of 10 groups" (developer guide, thing-groups.md). */
    static final int MAX_GROUPS_PER_THING = 10;

    private final Store store;
    private final Things things;

    ThingGroups(Store store, Things things) {
        this.store = store;
        this.things = things;
    }

    /**
     * CreateThingGroup: again with the same properties answers the existing group (unconfirmed, as CreateThing); with
     * other properties ResourceAlreadyExistsException 409.
     */
    public ThingGroup create(String name, String description, Map<String, String> attributes) {
        synchronized (store.lock) {
            Map<String, String> attrs = withoutEmptyValues(attributes);
            ThingGroup existing = store.thingGroups.get(name);
            if (existing != null) {
                if (Objects.equals(existing.description(), description) && existing.attributes().equals(attrs)) {
                    return existing;
                }
                throw IotException.alreadyExists("Thing group " + name + " already exists with different properties",
                        existing.id());
            }
            ThingGroup group = new ThingGroup(name, UUID.randomUUID().toString(), description, attrs, 1,
                    store.now());
            store.thingGroups.put(name, group);
            store.groupThings.put(name, new LinkedHashSet<>());
            store.save();
            return group;
        }
    }

    public ThingGroup get(String name) {
        synchronized (store.lock) {
            return Store.existing(store.thingGroups, name, "Thing group ");
        }
    }

    /** Every group, in creation order. */
    public List<ThingGroup> list() {
        synchronized (store.lock) {
            return List.copyOf(store.thingGroups.values());
        }
    }

    /**
     * UpdateThingGroup: the description (null: unchanged) and the attributes (null: unchanged; replaced, or merged
     * with {@code merge}, an empty value removing its attribute, as UpdateThing); {@code expectedVersion} other than
     * the group's is VersionConflictException 409; the version goes up by one.
     */
    public ThingGroup update(String name, String description, Map<String, String> attributes, boolean merge,
            Long expectedVersion) {
        synchronized (store.lock) {
            ThingGroup group = get(name);
            requireVersion(group, expectedVersion);
            Map<String, String> updated = Things.updatedAttributes(group.attributes(), attributes, merge);
            ThingGroup next = new ThingGroup(name, group.id(), description != null ? description
                    : group.description(), Map.copyOf(updated), group.version() + 1, group.creationDate());
            store.thingGroups.put(name, next);
            store.save();
            return next;
        }
    }

    /**
     * DeleteThingGroup: a group that does not exist is deleted already (unconfirmed; the model lists no
     * ResourceNotFoundException for it); {@code expectedVersion} other than the group's is VersionConflictException.
     * Its things leave it, and the policies attached to it are detached (unconfirmed).
     */
    public void delete(String name, Long expectedVersion) {
        synchronized (store.lock) {
            ThingGroup group = store.thingGroups.get(name);
            if (group == null) {
                return;
            }
            requireVersion(group, expectedVersion);
            store.thingGroups.remove(name);
            store.groupThings.remove(name);
            store.targetPolicies.remove(store.arns.thingGroup(name));
            store.save();
        }
    }

    /**
     * AddThingToThingGroup: the group and the thing must exist (ResourceNotFoundException); adding a thing already
     * in the group succeeds; a thing already in {@link #MAX_GROUPS_PER_THING} groups is InvalidRequestException (the
     * error code is unconfirmed; AWS's LimitExceededException is not among the operation's errors).
     */
    public void addThing(String groupName, String thingName) {
        synchronized (store.lock) {
            get(groupName);
            things.get(thingName);
            Set<String> members = store.groupThings.computeIfAbsent(groupName, g -> new LinkedHashSet<>());
            if (members.contains(thingName)) {
                return;
            }
            if (groupsOf(thingName).size() >= MAX_GROUPS_PER_THING) {
                throw IotException.invalidRequest("Thing " + thingName + " is already in " + MAX_GROUPS_PER_THING
                        + " thing groups, the most a thing can belong to");
            }
            members.add(thingName);
            store.save();
        }
    }

    /** RemoveThingFromThingGroup: group and thing must exist; removing a thing not in the group succeeds. */
    public void removeThing(String groupName, String thingName) {
        synchronized (store.lock) {
            get(groupName);
            things.get(thingName);
            Set<String> members = store.groupThings.get(groupName);
            if (members != null && members.remove(thingName)) {
                store.save();
            }
        }
    }

    /** ListThingsInThingGroup: the group's things, in the order they were added; an unknown group is 404. */
    public List<String> thingsIn(String groupName) {
        synchronized (store.lock) {
            get(groupName);
            return List.copyOf(store.groupThings.getOrDefault(groupName, Set.of()));
        }
    }

    /** ListThingGroupsForThing: the thing's groups, in creation order of the groups; an unknown thing is 404. */
    public List<String> groupsFor(String thingName) {
        synchronized (store.lock) {
            things.get(thingName);
            return groupsOf(thingName);
        }
    }

    /** The groups of a thing (none for an unknown thing). Call while holding the store's lock. */
    static List<String> groupsOf(Store store, String thingName) {
        return store.groupThings.entrySet().stream().filter(e -> e.getValue().contains(thingName))
                .map(Map.Entry::getKey).toList();
    }

    private List<String> groupsOf(String thingName) {
        return groupsOf(store, thingName);
    }

    private static Map<String, String> withoutEmptyValues(Map<String, String> attributes) {
        Map<String, String> kept = new LinkedHashMap<>();
        if (attributes != null) {
            attributes.forEach((key, value) -> {
                if (value != null && !value.isEmpty()) {
                    kept.put(key, value);
                }
            });
        }
        return Map.copyOf(kept);
    }

    private static void requireVersion(ThingGroup group, Long expected) {
        if (expected != null && expected != group.version()) {
            throw IotException.versionConflict("The expected version " + expected + " does not match the version "
                    + group.version() + " of thing group " + group.name());
        }
    }
}
