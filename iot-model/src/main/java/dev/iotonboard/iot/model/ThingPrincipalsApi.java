package dev.iotonboard.iot.model;

import static dev.iotonboard.iot.model.RestJson.DEFAULT_PAGE_SIZE;
import static dev.iotonboard.iot.model.RestJson.EMPTY;
import static dev.iotonboard.iot.model.RestJson.obj;
import static dev.iotonboard.iot.model.RestJson.page;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.iotonboard.iot.model.Registry.ThingPrincipal;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@link IotApi}'s operations on the principals of things, over {@link ThingPrincipals}: the principal comes in the
 * {@code x-amzn-principal} header.
 */
final class ThingPrincipalsApi {

    private final Registry registry;
    private final Consumer<String> events;

    ThingPrincipalsApi(Registry registry, Consumer<String> events) {
        this.registry = registry;
        this.events = events;
    }

    void addTo(Routes routes) {
        routes.add("AttachThingPrincipal", "PUT", "/things/{thingName}/principals", r -> {
            String principal = r.headers().first("x-amzn-principal");
            registry.thingPrincipals().attach(r.path().get("thingName"), principal, r.query("thingPrincipalType"));
            events.accept("AttachThingPrincipal " + r.path().get("thingName") + " <- " + principal);
            return EMPTY;
        });
        routes.add("DetachThingPrincipal", "DELETE", "/things/{thingName}/principals", r -> {
            String principal = r.headers().first("x-amzn-principal");
            registry.thingPrincipals().detach(r.path().get("thingName"), principal);
            events.accept("DetachThingPrincipal " + r.path().get("thingName") + " -x- " + principal);
            return EMPTY;
        });
        routes.add("ListThingPrincipals", "GET", "/things/{thingName}/principals",
                r -> page(registry.thingPrincipals().principals(r.path().get("thingName")), r, "maxResults",
                        "nextToken", DEFAULT_PAGE_SIZE, "principals", "nextToken", TextNode::valueOf));
        routes.add("ListPrincipalThings", "GET", "/principals/things",
                r -> page(registry.thingPrincipals().things(r.headers().first("x-amzn-principal")), r, "maxResults",
                        "nextToken", DEFAULT_PAGE_SIZE, "things", "nextToken", TextNode::valueOf));
        routes.add("ListThingPrincipalsV2", "GET", "/things/{thingName}/principals-v2",
                r -> page(ofType(registry.thingPrincipals().attachmentsOfThing(r.path().get("thingName")), r), r,
                        "maxResults", "nextToken", DEFAULT_PAGE_SIZE, "thingPrincipalObjects", "nextToken",
                        tp -> obj().put("principal", tp.principal()).put("thingPrincipalType", tp.type())));
        routes.add("ListPrincipalThingsV2", "GET", "/principals/things-v2",
                r -> page(ofType(registry.thingPrincipals().attachmentsOfPrincipal(
                        r.headers().first("x-amzn-principal")), r), r, "maxResults", "nextToken", DEFAULT_PAGE_SIZE,
                        "principalThingObjects", "nextToken",
                        tp -> obj().put("thingName", tp.thingName()).put("thingPrincipalType", tp.type())));
    }

    /** The attachments of the request's thingPrincipalType (all without one). */
    private static List<ThingPrincipal> ofType(List<ThingPrincipal> attachments, Request r) {
        String type = r.query("thingPrincipalType");
        return type == null ? attachments : attachments.stream().filter(tp -> tp.type().equals(type)).toList();
    }
}
