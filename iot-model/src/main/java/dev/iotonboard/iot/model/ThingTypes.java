package dev.iotonboard.iot.model;

import dev.iotonboard.iot.model.Registry.ThingType;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The registry's thing types ({@link Registry#thingTypes()}): created, deprecated (a deprecated type takes no new
 * things), undeprecated, and deleted once deprecated for five minutes and unused. Sources: iot-model/README.md.
 */
public final class ThingTypes {

    /** "Before you can delete a thing type, wait for five minutes after you deprecate it" (delete-thing-types.md). */
    static final Duration DELETE_AFTER_DEPRECATION = Duration.ofMinutes(5);
    /** Searchable attributes of a thing type: at most three (developer guide, thing-types.md). */
    static final int MAX_SEARCHABLE_ATTRIBUTES = 3;

    private final Store store;

    ThingTypes(Store store) {
        this.store = store;
    }

    /**
     * CreateThingType: again with the same properties answers the existing type (unconfirmed, as CreateThing);
     * with other properties ResourceAlreadyExistsException 409. More than three searchable attributes is
     * InvalidRequestException.
     */
    public ThingType create(String name, String description, List<String> searchableAttributes) {
        synchronized (store.lock) {
            List<String> searchable = searchableAttributes == null ? List.of() : List.copyOf(searchableAttributes);
            if (searchable.size() > MAX_SEARCHABLE_ATTRIBUTES) {
                throw IotException.invalidRequest("A thing type can have at most " + MAX_SEARCHABLE_ATTRIBUTES
                        + " searchable attributes, not " + searchable.size());
            }
            ThingType existing = store.thingTypes.get(name);
            if (existing != null) {
                if (Objects.equals(existing.description(), description)
                        && existing.searchableAttributes().equals(searchable)) {
                    return existing;
                }
                throw IotException.alreadyExists("Thing type " + name + " already exists with different properties",
                        existing.id());
            }
            ThingType type = new ThingType(name, UUID.randomUUID().toString(), description, searchable, false, null,
                    store.now());
            store.thingTypes.put(name, type);
            store.save();
            return type;
        }
    }

    public ThingType get(String name) {
        synchronized (store.lock) {
            return Store.existing(store.thingTypes, name, "Thing type ");
        }
    }

    /** Every thing type, in creation order. */
    public List<ThingType> list() {
        synchronized (store.lock) {
            return List.copyOf(store.thingTypes.values());
        }
    }

    /**
     * DeprecateThingType; {@code undo} (undoDeprecate) makes the type take new things again. Deprecating a deprecated
     * type keeps its deprecation date (unconfirmed), so the five minutes before DeleteThingType do not start again.
     */
    public void deprecate(String name, boolean undo) {
        synchronized (store.lock) {
            ThingType type = get(name);
            if (type.deprecated() != undo) {
                return;
            }
            store.thingTypes.put(name, new ThingType(name, type.id(), type.description(),
                    type.searchableAttributes(), !undo, undo ? type.deprecationDate() : Double.valueOf(store.now()),
                    type.creationDate()));
            store.save();
        }
    }

    /**
     * DeleteThingType: only a type deprecated at least five minutes ago, and with no thing of it (API reference,
     * DeleteThingType: "You cannot delete a thing type if it has things associated with it"); each refusal is
     * InvalidRequestException (the error code and messages are unconfirmed).
     */
    public void delete(String name) {
        synchronized (store.lock) {
            ThingType type = get(name);
            if (!type.deprecated()) {
                throw IotException.invalidRequest("Thing type " + name + " must be deprecated before it is deleted");
            }
            double deletableAt = type.deprecationDate() + DELETE_AFTER_DEPRECATION.toSeconds();
            if (store.now() < deletableAt) {
                throw IotException.invalidRequest("Thing type " + name + " was deprecated less than "
                        + DELETE_AFTER_DEPRECATION.toMinutes() + " minutes ago: delete it after that");
            }
            if (store.things.values().stream().anyMatch(t -> name.equals(t.thingTypeName()))) {
                throw IotException.invalidRequest("Thing type " + name + " cannot be deleted: things are still"
                        + " associated with it");
            }
            store.thingTypes.remove(name);
            store.save();
        }
    }

    /**
     * The type a thing may be given now (CreateThing, UpdateThing): ResourceNotFoundException for an unknown type,
     * InvalidRequestException for a deprecated one. Call while holding the store's lock.
     */
    static ThingType requireUsable(Store store, String name) {
        ThingType type = Store.existing(store.thingTypes, name, "Thing type ");
        if (type.deprecated()) {
            throw IotException.invalidRequest("Thing type " + name + " is deprecated: it cannot be associated with"
                    + " a thing");
        }
        return type;
    }
}
