package dev.iotonboard.iot.model;

import dev.iotonboard.iot.model.Registry.ThingPrincipal;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The principals attached to things ({@link Registry#thingPrincipals()}). A detachment takes effect after the
 * registry's {@link Registry#detachPropagationDelay(Duration)}; until then the principal is still attached.
 */
public final class ThingPrincipals {

    private final Store store;
    private final Things things;

    ThingPrincipals(Store store, Things things) {
        this.store = store;
        this.things = things;
    }

    /**
     * AttachThingPrincipal. With EXCLUSIVE_THING the principal may be attached to this thing only (a principal already
     * attached to another thing is refused with InvalidRequestException: the error code is unconfirmed). Attaching a
     * principal whose detachment is still propagating attaches it again.
     */
    public void attach(String thingName, String principal, String type) {
        synchronized (store.lock) {
            things.get(thingName);
            Principals.require(store, principal, "principal");
            String kind = type == null || type.isEmpty() ? "NON_EXCLUSIVE_THING" : type;
            if (!Set.of("EXCLUSIVE_THING", "NON_EXCLUSIVE_THING").contains(kind)) {
                throw IotException.invalidRequest("thingPrincipalType must be EXCLUSIVE_THING or NON_EXCLUSIVE_THING");
            }
            List<ThingPrincipal> attached = store.attachments();
            boolean exclusiveElsewhere = attached.stream().anyMatch(tp -> tp.principal().equals(principal)
                    && !tp.thingName().equals(thingName) && tp.type().equals("EXCLUSIVE_THING"));
            boolean elsewhere = attached.stream().anyMatch(tp -> tp.principal().equals(principal)
                    && !tp.thingName().equals(thingName));
            if (exclusiveElsewhere || (kind.equals("EXCLUSIVE_THING") && elsewhere)) {
                throw IotException.invalidRequest("principal " + principal + " is already attached to another thing"
                        + " and one of the attachments is EXCLUSIVE_THING");
            }
            attached.removeIf(tp -> tp.principal().equals(principal) && tp.thingName().equals(thingName));
            attached.add(new ThingPrincipal(thingName, principal, kind, null));
            store.save();
        }
    }

    /**
     * DetachThingPrincipal: takes effect after the propagation delay (at once when zero); detaching again while it
     * propagates keeps the first deadline; detaching a principal that is not attached succeeds.
     */
    public void detach(String thingName, String principal) {
        synchronized (store.lock) {
            things.get(thingName);
            Principals.require(store, principal, "principal");
            List<ThingPrincipal> attached = store.attachments();
            if (store.detachPropagationDelay.isZero()) {
                attached.removeIf(tp -> tp.principal().equals(principal) && tp.thingName().equals(thingName));
            } else {
                long at = store.clock.millis() + store.detachPropagationDelay.toMillis();
                attached.replaceAll(tp -> tp.principal().equals(principal) && tp.thingName().equals(thingName)
                        && tp.detachAt() == null ? new ThingPrincipal(thingName, principal, tp.type(), at) : tp);
            }
            store.save();
        }
    }

    /** ListThingPrincipals: the thing must exist; a detachment still propagating is listed. */
    public List<String> principals(String thingName) {
        synchronized (store.lock) {
            things.get(thingName);
            return store.attachments().stream().filter(tp -> tp.thingName().equals(thingName))
                    .map(ThingPrincipal::principal).toList();
        }
    }

    /**
     * ListPrincipalThings: a certificate principal must exist (ResourceNotFoundException); a detachment still
     * propagating is listed.
     */
    public List<String> things(String principal) {
        synchronized (store.lock) {
            Principals.require(store, principal, "principal");
            return store.attachments().stream().filter(tp -> tp.principal().equals(principal))
                    .map(ThingPrincipal::thingName).toList();
        }
    }

    /** ListThingPrincipalsV2: the attachments of a thing, with their type; the thing must exist. */
    public List<ThingPrincipal> attachmentsOfThing(String thingName) {
        synchronized (store.lock) {
            things.get(thingName);
            return store.attachments().stream().filter(tp -> tp.thingName().equals(thingName)).toList();
        }
    }

    /** ListPrincipalThingsV2: the attachments of a principal, with their type; a certificate must exist. */
    public List<ThingPrincipal> attachmentsOfPrincipal(String principal) {
        synchronized (store.lock) {
            Principals.require(store, principal, "principal");
            return store.attachments().stream().filter(tp -> tp.principal().equals(principal)).toList();
        }
    }
}
