package dev.iotonboard.infra.constructs;

import java.util.List;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;

/**
 * IoT control-plane permissions for a function role, on the resource type the Service Authorization Reference
 * ("Actions, resources, and condition keys for AWS IoT") names for each action. Device certificate ids and thing
 * names are only known at run time, so these are the only wildcard resources (each suppressed with a reason where
 * the role is created). IAM authorizes iot:AttachPolicy and DetachPolicy on the target certificate, not on the policy,
 * so they cannot be narrowed to one policy name. Actions with no resource type (ListAttachedPolicies,
 * ListCertificatesByCA) are authorized on "*" only: {@link #withoutResourceType}. local's FunctionGrantsTest holds
 * each function's grants to the IoT operations its handler declares.
 */
final class IotGrants {
    private IotGrants() {
    }

    static void certificates(Role role, String... actions) {
        grant(role, "cert", actions);
        Nag.suppress(role, "AwsSolutions-IAM5", "Device certificate ids are created by JITR at run time; IAM authorizes "
                + "these IoT actions on the certificate, so no narrower resource exists at deploy time.",
                Nag.iotResourceFinding(Stack.of(role), "cert/*"));
    }

    static void things(Role role, String... actions) {
        grant(role, "thing", actions);
        Nag.suppress(role, "AwsSolutions-IAM5", "Thing names are chosen by each device (a UUID) at provisioning time, "
                + "so the thing ARN is unknown at deploy time; the handler validates the name.",
                Nag.iotResourceFinding(Stack.of(role), "thing/*"));
    }

    /**
     * {@code actions} that IAM authorizes on a thing and a thing group both (AddThingToThingGroup): on the listed
     * groups and any thing (the thing's suppression is {@link #things}'s, which the role also holds).
     */
    static void thingsInGroups(Role role, List<String> groupNames, String... actions) {
        if (groupNames.isEmpty()) {
            throw new IllegalArgumentException("no thing group to grant " + List.of(actions) + " on");
        }
        List<String> resources = new java.util.ArrayList<>(groupNames.stream()
                .map(group -> DevicePolicies.iotArn(Stack.of(role), "thinggroup", group)).toList());
        resources.add(DevicePolicies.iotArn(Stack.of(role), "thing", "*"));
        role.addToPrincipalPolicy(PolicyStatement.Builder.create()
                .actions(List.of(actions))
                .resources(resources)
                .build());
    }

    /** {@code actions} on each registered CA certificate of {@code caCertificateIds} (at least one): no wildcard. */
    static void listedCaCertificates(Role role, List<String> caCertificateIds, String... actions) {
        if (caCertificateIds.isEmpty()) {
            throw new IllegalArgumentException("no CA certificate to grant " + List.of(actions) + " on");
        }
        role.addToPrincipalPolicy(PolicyStatement.Builder.create()
                .actions(List.of(actions))
                .resources(caCertificateIds.stream()
                        .map(id -> DevicePolicies.iotArn(Stack.of(role), "cacert", id))
                        .toList())
                .build());
    }

    /**
     * {@code actions} on each configured CA certificate, or, when any auto-registration CA is accepted (the user's
     * explicit {@code allowAnyCa}: an empty list), on every CA certificate of the account.
     */
    static void caCertificates(Role role, List<String> caCertificateIds, String... actions) {
        if (!caCertificateIds.isEmpty()) {
            listedCaCertificates(role, caCertificateIds, actions);
            return;
        }
        grant(role, "cacert", actions);
        Nag.suppress(role, "AwsSolutions-IAM5", "allowAnyCa: the stack accepts every CA registered for "
                + "auto-registration, so the CA certificate is known only from each registered event.",
                Nag.iotResourceFinding(Stack.of(role), "cacert/*"));
    }

    /**
     * {@code actions} for which IAM has no resource type: a statement allows them only with {@code "Resource": "*"}
     * (a scoped ARN never matches them, and the call is denied), so they get a statement of their own.
     */
    static void withoutResourceType(Role role, String... actions) {
        role.addToPrincipalPolicy(PolicyStatement.Builder.create()
                .actions(List.of(actions))
                .resources(List.of("*"))
                .build());
        Nag.suppress(role, "AwsSolutions-IAM5", "IAM has no resource type for " + String.join(", ", actions)
                + " (Service Authorization Reference, AWS IoT): they are authorized on Resource \"*\" only, and "
                + "a scoped ARN would deny every call.", "Resource::*");
    }

    private static void grant(Role role, String resourceType, String... actions) {
        role.addToPrincipalPolicy(PolicyStatement.Builder.create()
                .actions(List.of(actions))
                .resources(List.of(DevicePolicies.iotArn(Stack.of(role), resourceType, "*")))
                .build());
    }
}
