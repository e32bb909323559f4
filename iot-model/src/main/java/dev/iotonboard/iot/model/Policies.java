package dev.iotonboard.iot.model;

import dev.iotonboard.iot.model.Registry.Policy;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/** The registry's policies and what they are attached to ({@link Registry#policies()}). */
public final class Policies {

    private static final Pattern POLICY_NAME = Pattern.compile("[\\w+=,.@-]{1,128}");

    private final Store store;

    Policies(Store store) {
        this.store = store;
    }

    /** Creates or replaces a policy (used for the template's AWS::IoT::Policy resources). */
    public void put(String name, String document) {
        synchronized (store.lock) {
            if (!POLICY_NAME.matcher(name).matches()) {
                throw IotException.invalidRequest("policy name " + name + " is not valid");
            }
            store.policies.put(name, new Policy(name, document, store.now()));
            store.save();
        }
    }

    public Policy get(String name) {
        synchronized (store.lock) {
            return Store.existing(store.policies, name, "policy ");
        }
    }

    /** Every policy, in creation order. */
    public List<Policy> list() {
        synchronized (store.lock) {
            return List.copyOf(store.policies.values());
        }
    }

    /**
     * AttachPolicy: the policy must exist (ResourceNotFoundException), then the target must be an ARN or a Cognito
     * identity id (InvalidRequestException), and a certificate target must exist (ResourceNotFoundException).
     */
    public void attach(String name, String target) {
        synchronized (store.lock) {
            get(name);
            Principals.require(store, target, "target");
            store.targetPolicies.computeIfAbsent(target, t -> new LinkedHashSet<>()).add(name);
            store.save();
        }
    }

    /** DetachPolicy: detaching a policy that is not attached succeeds. */
    public void detach(String name, String target) {
        synchronized (store.lock) {
            Principals.requireShape(target, "target");
            Set<String> names = store.targetPolicies.get(target);
            if (names != null) {
                names.remove(name);
                if (names.isEmpty()) {
                    store.targetPolicies.remove(target);
                }
            }
            store.save();
        }
    }

    /** ListAttachedPolicies: the policies attached to {@code target}, in attachment order. */
    public List<Policy> attached(String target) {
        synchronized (store.lock) {
            Principals.requireShape(target, "target");
            return store.targetPolicies.getOrDefault(target, Set.of()).stream().map(store.policies::get)
                    .filter(Objects::nonNull).toList();
        }
    }

    /** ListTargetsForPolicy: the targets the policy is attached to, in attachment order; an unknown policy is 404. */
    public List<String> targets(String name) {
        synchronized (store.lock) {
            get(name);
            return store.targetPolicies.entrySet().stream().filter(e -> e.getValue().contains(name))
                    .map(Map.Entry::getKey).toList();
        }
    }
}
