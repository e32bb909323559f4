package dev.iotonboard.iot.model;

import dev.iotonboard.iot.model.Registry.Thing;
import dev.iotonboard.lambda.core.ThingNameRule;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** The registry's things ({@link Registry#things()}); their principals are {@link ThingPrincipals}. */
public final class Things {

    private final Store store;

    Things(Store store) {
        this.store = store;
    }

    /**
     * How many attributes a thing without a thing type may have (developer guide, "Thing types": "Things without a
     * thing type can have up to three attributes"; the model has no thing types). The error's message is
     * unconfirmed.
     */
    public static final int MAX_ATTRIBUTES_WITHOUT_TYPE = 3;

    /** CreateThing: succeeds again for the same name and attributes (idempotent); 409 when they differ. */
    public Thing create(String name, Map<String, String> attributes) {
        synchronized (store.lock) {
            requireName(name);
            Map<String, String> attrs = attributes == null ? Map.of() : Map.copyOf(attributes);
            requireAttributeCount(attrs);
            Thing existing = store.things.get(name);
            if (existing != null) {
                if (existing.attributes().equals(attrs)) {
                    return existing;
                }
                throw IotException.alreadyExists("thing " + name + " already exists with a different configuration",
                        existing.id());
            }
            Thing thing = new Thing(name, UUID.randomUUID().toString(), attrs, 1);
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
     * empty attribute value"; empty values are dropped without merge too, unconfirmed), at most
     * {@value #MAX_ATTRIBUTES_WITHOUT_TYPE} after the update; {@code expectedVersion} other
     * than the thing's is VersionConflictException 409 (API reference, UpdateThing); the version goes up by one.
     */
    public Thing update(String name, Map<String, String> attributes, boolean merge, Long expectedVersion) {
        synchronized (store.lock) {
            Thing thing = get(name);
            requireVersion(thing, expectedVersion);
            Map<String, String> updated = new LinkedHashMap<>(merge || attributes == null ? thing.attributes()
                    : Map.of());
            if (attributes != null) {
                attributes.forEach((key, value) -> {
                    if (value == null || value.isEmpty()) {
                        updated.remove(key);
                    } else {
                        updated.put(key, value);
                    }
                });
            }
            requireAttributeCount(updated);
            Thing next = new Thing(name, thing.id(), Map.copyOf(updated), thing.version() + 1);
            store.things.put(name, next);
            store.save();
            return next;
        }
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

    private static void requireName(String name) {
        if (name == null || !ThingNameRule.IOT_THING_NAME.matcher(name).matches()) {
            throw IotException.invalidRequest("thingName must match [a-zA-Z0-9:_-]{1,128}");
        }
    }

    /** InvalidRequestException 400 when a thing would have more attributes than a thing without a type may. */
    private static void requireAttributeCount(Map<String, String> attributes) {
        if (attributes.size() > MAX_ATTRIBUTES_WITHOUT_TYPE) {
            throw IotException.invalidRequest("A thing without a thing type can have at most "
                    + MAX_ATTRIBUTES_WITHOUT_TYPE + " attributes; this one would have " + attributes.size());
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
