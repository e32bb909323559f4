package dev.iotonboard.iot.model;

import static dev.iotonboard.iot.model.RestJson.DEFAULT_PAGE_SIZE;
import static dev.iotonboard.iot.model.RestJson.EMPTY;
import static dev.iotonboard.iot.model.RestJson.obj;
import static dev.iotonboard.iot.model.RestJson.ordered;
import static dev.iotonboard.iot.model.RestJson.page;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.iotonboard.iot.model.Registry.Policy;
import dev.iotonboard.iot.model.Registry.PolicyVersion;
import java.util.List;
import java.util.function.Consumer;

/** {@link IotApi}'s operations on policies, their versions and their attachments, over {@link Policies}. */
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
                    .put("policyDocument", policy.document()).put("defaultVersionId", policy.defaultVersionId())
                    .put("creationDate", policy.creationDate()).put("lastModifiedDate", policy.lastModifiedDate())
                    .put("generationId", Integer.toString(policy.lastVersionId()));
        });
        routes.add("CreatePolicy", "POST", "/policies/{policyName}", r -> {
            RestJson.refuse(r.body().get("tags"), "tags");
            Policy policy = registry.policies().create(r.path().get("policyName"), r.bodyText("policyDocument"));
            events.accept("CreatePolicy " + policy.name());
            return obj().put("policyName", policy.name()).put("policyArn", registry.policyArn(policy.name()))
                    .put("policyDocument", policy.document()).put("policyVersionId", policy.defaultVersionId());
        });
        routes.add("DeletePolicy", "DELETE", "/policies/{policyName}", r -> {
            registry.policies().delete(r.path().get("policyName"));
            events.accept("DeletePolicy " + r.path().get("policyName"));
            return EMPTY;
        });
        routes.add("CreatePolicyVersion", "POST", "/policies/{policyName}/version", r -> {
            String name = r.path().get("policyName");
            boolean setAsDefault = r.flag("setAsDefault");
            PolicyVersion version = registry.policies().createVersion(name, r.bodyText("policyDocument"),
                    setAsDefault);
            events.accept("CreatePolicyVersion " + name + " " + version.id() + (setAsDefault ? " (default)" : ""));
            return obj().put("policyArn", registry.policyArn(name)).put("policyDocument", version.document())
                    .put("policyVersionId", version.id()).put("isDefaultVersion", setAsDefault);
        });
        routes.add("ListPolicyVersions", "GET", "/policies/{policyName}/version", r -> {
            Policy policy = registry.policies().get(r.path().get("policyName"));
            ArrayNode versions = RestJson.JSON.createArrayNode();
            policy.versions().forEach(v -> versions.add(obj().put("versionId", v.id())
                    .put("isDefaultVersion", v.id().equals(policy.defaultVersionId()))
                    .put("createDate", v.createDate())));
            ObjectNode out = obj();
            out.set("policyVersions", versions);
            return out;
        });
        routes.add("GetPolicyVersion", "GET", "/policies/{policyName}/version/{policyVersionId}", r -> {
            Policy policy = registry.policies().get(r.path().get("policyName"));
            PolicyVersion version = registry.policies().version(policy.name(), r.path().get("policyVersionId"));
            return obj().put("policyArn", registry.policyArn(policy.name())).put("policyName", policy.name())
                    .put("policyDocument", version.document()).put("policyVersionId", version.id())
                    .put("isDefaultVersion", version.id().equals(policy.defaultVersionId()))
                    .put("creationDate", version.createDate()).put("lastModifiedDate", version.createDate())
                    .put("generationId", version.id());
        });
        routes.add("SetDefaultPolicyVersion", "PATCH", "/policies/{policyName}/version/{policyVersionId}", r -> {
            registry.policies().setDefaultVersion(r.path().get("policyName"), r.path().get("policyVersionId"));
            events.accept("SetDefaultPolicyVersion " + r.path().get("policyName") + " "
                    + r.path().get("policyVersionId"));
            return EMPTY;
        });
        routes.add("DeletePolicyVersion", "DELETE", "/policies/{policyName}/version/{policyVersionId}", r -> {
            registry.policies().deleteVersion(r.path().get("policyName"), r.path().get("policyVersionId"));
            events.accept("DeletePolicyVersion " + r.path().get("policyName") + " "
                    + r.path().get("policyVersionId"));
            return EMPTY;
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
