package dev.iotonboard.iot.model;

import static dev.iotonboard.iot.model.RestJson.DEFAULT_PAGE_SIZE;
import static dev.iotonboard.iot.model.RestJson.EMPTY;
import static dev.iotonboard.iot.model.RestJson.obj;
import static dev.iotonboard.iot.model.RestJson.ordered;
import static dev.iotonboard.iot.model.RestJson.page;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.iotonboard.iot.model.Registry.Policy;
import java.util.List;
import java.util.function.Consumer;

/** {@link IotApi}'s operations on policies and their attachments, over {@link Policies}. */
final class PoliciesApi {

    private final Registry registry;
    private final Consumer<String> events;

    PoliciesApi(Registry registry, Consumer<String> events) {
        this.registry = registry;
        this.events = events;
    }

    void addTo(Routes routes) {
        routes.add("AttachPolicy", "PUT", "/target-policies/{policyName}", r -> {
            registry.policies().attach(r.path().get("policyName"), r.bodyText("target"));
            events.accept("AttachPolicy " + r.path().get("policyName") + " -> " + r.bodyText("target"));
            return EMPTY;
        });
        routes.add("DetachPolicy", "POST", "/target-policies/{policyName}", r -> {
            registry.policies().detach(r.path().get("policyName"), r.bodyText("target"));
            events.accept("DetachPolicy " + r.path().get("policyName") + " from " + r.bodyText("target"));
            return EMPTY;
        });
        routes.add("ListAttachedPolicies", "POST", "/attached-policies/{target}",
                r -> policyPage(registry.policies().attached(r.path().get("target")), r, false));
        routes.add("GetPolicy", "GET", "/policies/{policyName}", r -> {
            Policy policy = registry.policies().get(r.path().get("policyName"));
            return obj().put("policyName", policy.name()).put("policyArn", registry.policyArn(policy.name()))
                    .put("policyDocument", policy.document()).put("defaultVersionId", "1")
                    .put("creationDate", policy.creationDate()).put("lastModifiedDate", policy.creationDate())
                    .put("generationId", "1");
        });
        routes.add("ListPolicies", "GET", "/policies", r -> policyPage(registry.policies().list(), r, true));
        routes.add("ListTargetsForPolicy", "POST", "/policy-targets/{policyName}",
                r -> page(registry.policies().targets(r.path().get("policyName")), r, "pageSize", "marker",
                        DEFAULT_PAGE_SIZE, "targets", "nextMarker", TextNode::valueOf));
    }

    /** ListAttachedPolicies and ListPolicies ({@code ordered}: isAscendingOrder=false lists the newest first). */
    private Object policyPage(List<Policy> policies, Request r, boolean ordered) {
        return page(ordered ? ordered(policies, r) : policies, r, "pageSize", "marker", DEFAULT_PAGE_SIZE, "policies",
                "nextMarker", p -> obj().put("policyName", p.name()).put("policyArn", registry.policyArn(p.name())));
    }
}
