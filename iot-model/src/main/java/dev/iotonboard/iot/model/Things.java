package dev.iotonboard.iot.model;

import dev.iotonboard.iot.model.Registry.Thing;
import dev.iotonboard.lambda.core.ThingNameRule;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/** The registry's things ({@link Registry#things()}); their principals are {@link ThingPrincipals}. */
public final class Things {

    private final Store store;

    Things(Store store) {
        this.store = store;
    }

    /**
     * The attributes a thing may hold: three without a thing type, fifty with one (developer guide, thing-types.md:
     * "Things associated with a thing type can have up to 50 attributes"; AWS IoT quotas, 3 for a thing without a
     * type).
     */
    static final int MAX_ATTRIBUTES_UNTYPED = 3;
    static final int MAX_ATTRIBUTES_TYPED = 50;

    /** CreateThing: succeeds again for the same name and attributes (idempotent); 409 when they differ. */
    public Thing create(String name, Map<String, String> attributes) {
        return create(name, null, attributes);
    }

    /**
     * CreateThing with a thing type (null: none): the type must exist (ResourceNotFoundException) and not be
     * deprecated (InvalidRequestException); succeeds again for the same name, type and attributes (idempotent), 409
     * when they differ; more attributes than the type allows ({@link #MAX_ATTRIBUTES_UNTYPED},
     * {@link #MAX_ATTRIBUTES_TYPED}) is InvalidRequestException.
     */
    public Thing create(String name, String thingTypeName, Map<String, String> attributes) {
        synchronized (store.lock) {
            requireName(name);
            Map<String, String> attrs = attributes == null ? Map.of() : Map.copyOf(attributes);
            Thing existing = store.things.get(name);
            if (existing != null) {
                if (existing.attributes().equals(attrs) && Objects.equals(existing.thingTypeName(), thingTypeName)) {
                    return existing;
                }
                throw IotException.alreadyExists("thing " + name + " already exists with a different configuration",
                        existing.id());
            }
            if (thingTypeName != null) {
                ThingTypes.requireUsable(store, thingTypeName);
            }
            requireAttributeCount(name, attrs, thingTypeName);
            Thing thing = new Thing(name, UUID.randomUUID().toString(), attrs, 1, thingTypeName);
            store.things.put(name, thing);
            store.save();
            return thing;
        }
    }

    public Thing get(String name) {
        synchronized (store.lock) {
            return Store.existing(store.things, name, "thing ");
        }
    }

    public Optional<Thing> find(String name) {
        synchronized (store.lock) {
            return Optional.ofNullable(store.things.get(name));
        }
    }

    /**
     * UpdateThing: {@code attributes} (null: unchanged) replace the thing's, or with {@code merge} are merged into
     * them, an empty value removing its attribute (AttributePayload: "To remove an attribute, call UpdateThing with an
     * empty attribute value"; empty values are dropped without merge too, unconfirmed); {@code expectedVersion} other
     * than the thing's is VersionConflictException 409 (API reference, UpdateThing); the version goes up by one.
     */
    public Thing update(String name, Map<String, String> attributes, boolean merge, Long expectedVersion) {
        synchronized (store.lock) {
            return update(name, attributes, merge, expectedVersion, get(name).thingTypeName(), false);
        }
    }

    /**
     * UpdateThing with its thing type: {@code thingTypeName} (null: unchanged) must exist and, when it is not the
     * thing's type already, not be deprecated; {@code removeThingType} removes the type (both together is
     * InvalidRequestException, unconfirmed). The attributes after the update must fit the resulting type's limit.
     */
    public Thing update(String name, Map<String, String> attributes, boolean merge, Long expectedVersion,
            String thingTypeName, boolean removeThingType) {
        synchronized (store.lock) {
            Thing thing = get(name);
            requireVersion(thing, expectedVersion);
            if (removeThingType && thingTypeName != null) {
                throw IotException.invalidRequest("thingTypeName and removeThingType cannot be given together");
            }
            String type = removeThingType ? null : thingTypeName != null ? thingTypeName : thing.thingTypeName();
            if (type != null && !type.equals(thing.thingTypeName())) {
                ThingTypes.requireUsable(store, type);
            }
            Map<String, String> updated = updatedAttributes(thing.attributes(), attributes, merge);
            requireAttributeCount(name, updated, type);
            Thing next = new Thing(name, thing.id(), Map.copyOf(updated), thing.version() + 1, type);
            store.things.put(name, next);
            store.save();
            return next;
        }
    }

    /**
     * The attributes after an update (UpdateThing, UpdateThingGroup) of {@code current} with {@code attributes}: null
     * leaves them; otherwise they replace them or, with {@code merge}, are merged into them, an empty value removing
     * its attribute.
     */
    static Map<String, String> updatedAttributes(Map<String, String> current, Map<String, String> attributes,
            boolean merge) {
        Map<String, String> updated = new LinkedHashMap<>(merge || attributes == null ? current : Map.of());
        if (attributes != null) {
            attributes.forEach((key, value) -> {
                if (value == null || value.isEmpty()) {
                    updated.remove(key);
                } else {
                    updated.put(key, value);
                }
            });
        }
        return updated;
    }

    /**
     * DeleteThing (API reference: "Returns successfully with no error if the deletion is successful or you specify a
     * thing that doesn't exist"): {@code expectedVersion} other than the thing's is VersionConflictException 409 (API
     * reference; checked before the attachments: the order is unconfirmed); a thing with principals attached (a
     * detachment still propagating included) is InvalidRequestException "Cannot delete. Thing &lt;name&gt; is still
     * attached to one or more principals" (rebuy-de/aws-nuke#374, CGI-FR/IoT-Hub-Portal#2147).
     */
    public void delete(String name, Long expectedVersion) {
        synchronized (store.lock) {
            requireName(name);
            Thing thing = store.things.get(name);
            if (thing == null) {
                return;
            }
            requireVersion(thing, expectedVersion);
            if (store.attachments().stream().anyMatch(tp -> tp.thingName().equals(name))) {
                throw IotException.invalidRequest("Cannot delete. Thing " + name
                        + " is still attached to one or more principals");
            }
            store.things.remove(name);
            store.groupThings.values().forEach(members -> members.remove(name));
            store.save();
        }
    }

    /** Every thing, in creation order. */
    public List<Thing> list() {
        synchronized (store.lock) {
            return List.copyOf(store.things.values());
        }
    }

    /** The names of every thing, in creation order. */
    public List<String> names() {
        synchronized (store.lock) {
            return List.copyOf(store.things.keySet());
        }
    }

    /** InvalidRequestException when {@code attributes} are more than a thing of {@code thingTypeName} may hold. */
    private static void requireAttributeCount(String name, Map<String, String> attributes, String thingTypeName) {
        int max = thingTypeName == null ? MAX_ATTRIBUTES_UNTYPED : MAX_ATTRIBUTES_TYPED;
        if (attributes.size() > max) {
            throw IotException.invalidRequest("Thing " + name + (thingTypeName == null ? " has no thing type: it"
                    : " of thing type " + thingTypeName) + " can have at most " + max + " attributes, not "
                    + attributes.size());
        }
    }

    private static void requireName(String name) {
        if (name == null || !ThingNameRule.IOT_THING_NAME.matcher(name).matches()) {
            throw IotException.invalidRequest("thingName must match [a-zA-Z0-9:_-]{1,128}");
        }
    }

    /** VersionConflictException 409 when {@code expected} is given and is not the thing's version. */
    private static void requireVersion(Thing thing, Long expected) {
        if (expected != null && expected != thing.version()) {
            throw IotException.versionConflict("The expected version " + expected + " does not match the version "
                    + thing.version() + " of thing " + thing.name());
        }
    }
}
