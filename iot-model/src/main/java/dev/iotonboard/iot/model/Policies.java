package dev.iotonboard.iot.model;

import dev.iotonboard.iot.model.Registry.Policy;
import java.util.ArrayList;
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

    /** At most five versions of a policy (API reference, CreatePolicyVersion). */
    static final int MAX_VERSIONS = 5;

    /**
     * Creates or replaces a policy, with one version (used for the template's AWS::IoT::Policy resources, without
     * CreatePolicy's rules).
     */
    public void put(String name, String document) {
        synchronized (store.lock) {
            if (!POLICY_NAME.matcher(name).matches()) {
                throw IotException.invalidRequest("policy name " + name + " is not valid");
            }
            store.policies.put(name, Policy.of(name, document, store.now()));
            store.save();
        }
    }

    /**
     * CreatePolicy: version "1", the default. A name taken is ResourceAlreadyExistsException 409; a document
     * outside IoT's policy grammar is MalformedPolicyException 400 ({@link PolicyGrammar}).
     */
    public Policy create(String name, String document) {
        synchronized (store.lock) {
            if (store.policies.containsKey(name)) {
                throw IotException.alreadyExists("Policy " + name + " already exists", name);
            }
            PolicyGrammar.check(document);
            put(name, document);
            return store.policies.get(name);
        }
    }

    /**
     * DeletePolicy (API reference: "A policy cannot be deleted if it has non-default versions or it is attached to
     * any certificate"): attached to any target (a certificate, a thing group, a Cognito identity) is
     * DeleteConflictException 409 "The policy cannot be deleted as the policy is attached to one or more principals
     * (name=&lt;name&gt;)" (aws-behaviour.md; the "(name=...)" suffix is moto's, unconfirmed); with non-default
     * versions DeleteConflictException (message unconfirmed). An unknown policy is 404.
     */
    public void delete(String name) {
        synchronized (store.lock) {
            Policy policy = get(name);
            if (store.targetPolicies.values().stream().anyMatch(names -> names.contains(name))) {
                throw IotException.deleteConflict("The policy cannot be deleted as the policy is attached to one or"
                        + " more principals (name=" + name + ")");
            }
            if (policy.versions().size() > 1) {
                throw IotException.deleteConflict("Cannot delete the policy because it has one or more non-default"
                        + " policy versions (name=" + name + "): delete them with DeletePolicyVersion first");
            }
            store.policies.remove(name);
            store.save();
        }
    }

    /**
     * CreatePolicyVersion: the next version id (ids are not reused); with {@code setAsDefault} it becomes the
     * default. A policy with five versions already is VersionsLimitExceededException 409 (API reference: "A managed
     * policy can have up to five versions. If the policy has five versions, you must use DeletePolicyVersion to
     * delete an existing version before you create a new one").
     */
    public Registry.PolicyVersion createVersion(String name, String document, boolean setAsDefault) {
        synchronized (store.lock) {
            Policy policy = get(name);
            PolicyGrammar.check(document);
            if (policy.versions().size() >= MAX_VERSIONS) {
                throw IotException.versionsLimitExceeded("The policy " + name + " already has the maximum number of "
                        + MAX_VERSIONS + " versions");
            }
            double now = store.now();
            int id = policy.lastVersionId() + 1;
            Registry.PolicyVersion version = new Registry.PolicyVersion(Integer.toString(id), document, now);
            List<Registry.PolicyVersion> versions = new ArrayList<>(policy.versions());
            versions.add(version);
            store.policies.put(name, new Policy(name, setAsDefault ? document : policy.document(),
                    policy.creationDate(), setAsDefault ? version.id() : policy.defaultVersionId(),
                    List.copyOf(versions), id, now));
            store.save();
            return version;
        }
    }

    /** ListPolicyVersions: oldest first; an unknown policy is 404. */
    public List<Registry.PolicyVersion> versions(String name) {
        synchronized (store.lock) {
            return get(name).versions();
        }
    }

    /** GetPolicyVersion: an unknown policy or version is 404. */
    public Registry.PolicyVersion version(String name, String versionId) {
        synchronized (store.lock) {
            return get(name).version(versionId);
        }
    }

    /** SetDefaultPolicyVersion: the version becomes the default, the one the data plane evaluates. */
    public void setDefaultVersion(String name, String versionId) {
        synchronized (store.lock) {
            Policy policy = get(name);
            Registry.PolicyVersion version = policy.version(versionId);
            store.policies.put(name, new Policy(name, version.document(), policy.creationDate(), version.id(),
                    policy.versions(), policy.lastVersionId(), store.now()));
            store.save();
        }
    }

    /**
     * DeletePolicyVersion: the default version is DeleteConflictException 409 (API reference: "You cannot delete the
     * default version of a policy using this action. To delete the default version of a policy, use DeletePolicy";
     * message unconfirmed); an unknown policy or version is 404.
     */
    public void deleteVersion(String name, String versionId) {
        synchronized (store.lock) {
            Policy policy = get(name);
            policy.version(versionId);
            if (versionId.equals(policy.defaultVersionId())) {
                throw IotException.deleteConflict("Cannot delete the default version " + versionId + " of policy "
                        + name + ": make another version the default, or delete the policy with DeletePolicy");
            }
            store.policies.put(name, new Policy(name, policy.document(), policy.creationDate(),
                    policy.defaultVersionId(), policy.versions().stream().filter(v -> !v.id().equals(versionId))
                    .toList(), policy.lastVersionId(), store.now()));
            store.save();
        }
    }

    /**
     * The policies that apply to a certificate on the data plane: those attached to it, then those attached to the
     * thing groups of its things (developer guide, thing-groups.md: a policy attached to a group applies to "all of
     * the things in the group"). {@code thingName}: the thing of the connection (an MQTT client id naming a thing the
     * certificate is attached to); null: every thing the certificate is attached to (unconfirmed). Each once, its
     * default version's document.
     */
    public List<Policy> effective(String certificateArn, String thingName) {
        synchronized (store.lock) {
            Set<String> names = new LinkedHashSet<>(store.targetPolicies.getOrDefault(certificateArn, Set.of()));
            List<String> thingNames = thingName != null ? List.of(thingName) : store.attachments().stream()
                    .filter(tp -> tp.principal().equals(certificateArn)).map(Registry.ThingPrincipal::thingName)
                    .toList();
            for (String thing : thingNames) {
                for (String group : ThingGroups.groupsOf(store, thing)) {
                    names.addAll(store.targetPolicies.getOrDefault(store.arns.thingGroup(group), Set.of()));
                }
            }
            return names.stream().map(store.policies::get).filter(Objects::nonNull).toList();
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
     * identity id (InvalidRequestException), and a certificate or thing group target must exist
     * (ResourceNotFoundException).
     */
    public void attach(String name, String target) {
        synchronized (store.lock) {
            get(name);
            Principals.require(store, target, "target");
            String groupPrefix = store.arns.thingGroup("");
            if (target.startsWith(groupPrefix)
                    && !store.thingGroups.containsKey(target.substring(groupPrefix.length()))) {
                throw IotException.notFound("thing group " + target + " does not exist");
            }
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
