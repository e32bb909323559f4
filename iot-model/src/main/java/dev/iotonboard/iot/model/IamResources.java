package dev.iotonboard.iot.model;

import static java.util.Map.entry;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The resource IAM authorizes each IoT operation on, and where a request names it. One table, for every operation
 * {@link IotApi} serves, used by the local IoT Core's control plane (it evaluates a function role's policies for
 * {@code iot:<Operation>} on {@link #resource}) and by local's FunctionGrantsTest (it holds each role's grants to a
 * representative resource of the same type).
 *
 * <p>Resource types: the Service Authorization Reference, "Actions, resources, and condition keys for AWS IoT"
 * ({@code service-authorization/latest/reference/list_awsiot.html}), as ../shared/docs/aws-behaviour.md "IAM resource
 * types for the IoT actions this project calls" quotes it; GetTopicRule (rule, required) and ListTopicRules (none),
 * which that table does not list, from the reference as udondan/iam-floyd's {@code lib/awsiot.ts} copies it. ARNs:
 * {@code arn:aws:iot:<region>:<account>:<type>/<id>} (the reference's resource types table).
 *
 * <p>An action with no resource type is authorized on {@code "*"} only ({@link #ANY}): a statement with a scoped
 * Resource never matches it. Where the request names the resource by ARN (AttachPolicy's target, the
 * x-amzn-principal header) and that ARN is not of one of the action's types (a Cognito identity, a malformed value),
 * the call is authorized on {@code "*"} as well: an assumption, since the reference lists those types as optional.
 */
public final class IamResources {

    /** What an action without a resource type (or a request naming none of its types) is authorized on. */
    public static final String ANY = "*";

    /**
     * How IAM authorizes one operation.
     *
     * @param types    the reference's resource types for the action, the one this project's calls name first;
     *                 empty when the action has none
     * @param location where the request names the resource: the service model's location (uri, header, body)
     * @param member   the wire name of that member
     * @param byArn    the member is an ARN (else the id or name the resource's ARN ends with)
     */
    public record Authorization(List<String> types, String location, String member, boolean byArn) {

        /** The resource type this project's calls name, or null for an action without one. */
        public String type() {
            return types.isEmpty() ? null : types.get(0);
        }
    }

    private static final Authorization NONE = new Authorization(List.of(), null, null, false);

    private static final Map<String, Authorization> TABLE = Map.ofEntries(
            entry("AttachPolicy", byArn("body", "target", "cert", "thinggroup")),
            entry("DetachPolicy", byArn("body", "target", "cert", "thinggroup")),
            entry("UpdateCertificate", byId("cert", "certificateId")),
            entry("DescribeCertificate", byId("cert", "certificateId")),
            entry("DeleteCertificate", byId("cert", "certificateId")),
            entry("DescribeCACertificate", byId("cacert", "caCertificateId")),
            entry("UpdateCACertificate", byId("cacert", "caCertificateId")),
            entry("DeleteCACertificate", byId("cacert", "caCertificateId")),
            entry("CreateThing", byId("thing", "thingName")),
            entry("DescribeThing", byId("thing", "thingName")),
            entry("UpdateThing", byId("thing", "thingName")),
            entry("DeleteThing", byId("thing", "thingName")),
            entry("ListThingPrincipals", byId("thing", "thingName")),
            entry("AttachThingPrincipal", byArn("header", "x-amzn-principal", "cert")),
            entry("DetachThingPrincipal", byArn("header", "x-amzn-principal", "cert")),
            entry("ListPrincipalThings", byArn("header", "x-amzn-principal", "cert")),
            entry("ListTargetsForPolicy", byId("policy", "policyName")),
            entry("GetPolicy", byId("policy", "policyName")),
            entry("GetTopicRule", byId("rule", "ruleName")),
            entry("ListCertificatesByCA", NONE), entry("ListAttachedPolicies", NONE),
            entry("ListCertificates", NONE), entry("ListThings", NONE), entry("ListPolicies", NONE),
            entry("ListCACertificates", NONE), entry("RegisterCertificate", NONE),
            entry("RegisterCACertificate", NONE), entry("GetRegistrationCode", NONE),
            entry("DescribeEndpoint", NONE), entry("CreateCertificateFromCsr", NONE),
            entry("ListTopicRules", NONE),
            // Issue 16's registry operations: the reference's types (thingtype, thinggroup, policy, thing, cert);
            // AddThingToThingGroup and RemoveThingFromThingGroup need thing and thinggroup both: authorized here on
            // the group named by thingGroupName (a request naming it by ARN only is authorized on "*").
            entry("CreateThingType", byId("thingtype", "thingTypeName")),
            entry("DescribeThingType", byId("thingtype", "thingTypeName")),
            entry("DeprecateThingType", byId("thingtype", "thingTypeName")),
            entry("DeleteThingType", byId("thingtype", "thingTypeName")),
            entry("ListThingTypes", NONE),
            entry("CreateThingGroup", byId("thinggroup", "thingGroupName")),
            entry("DescribeThingGroup", byId("thinggroup", "thingGroupName")),
            entry("UpdateThingGroup", byId("thinggroup", "thingGroupName")),
            entry("DeleteThingGroup", byId("thinggroup", "thingGroupName")),
            entry("ListThingsInThingGroup", byId("thinggroup", "thingGroupName")),
            entry("AddThingToThingGroup", new Authorization(List.of("thinggroup", "thing"), "body",
                    "thingGroupName", false)),
            entry("RemoveThingFromThingGroup", new Authorization(List.of("thinggroup", "thing"), "body",
                    "thingGroupName", false)),
            entry("ListThingGroupsForThing", byId("thing", "thingName")),
            entry("ListThingGroups", NONE),
            entry("CreatePolicy", byId("policy", "policyName")),
            entry("DeletePolicy", byId("policy", "policyName")),
            entry("CreatePolicyVersion", byId("policy", "policyName")),
            entry("ListPolicyVersions", byId("policy", "policyName")),
            entry("GetPolicyVersion", byId("policy", "policyName")),
            entry("SetDefaultPolicyVersion", byId("policy", "policyName")),
            entry("DeletePolicyVersion", byId("policy", "policyName")),
            entry("ListThingPrincipalsV2", byId("thing", "thingName")),
            entry("ListPrincipalThingsV2", byArn("header", "x-amzn-principal", "cert")),
            entry("RegisterCertificateWithoutCA", NONE));

    private IamResources() {
    }

    private static Authorization byId(String type, String pathParameter) {
        return new Authorization(List.of(type), "uri", pathParameter, false);
    }

    private static Authorization byArn(String location, String member, String... types) {
        return new Authorization(List.of(types), location, member, true);
    }

    /** How IAM authorizes {@code operation}; empty for an operation the table does not know. */
    public static Optional<Authorization> of(String operation) {
        return operation == null ? Optional.empty() : Optional.ofNullable(TABLE.get(operation));
    }

    /** Every operation the table knows. */
    public static Set<String> operations() {
        return TABLE.keySet();
    }

    /** {@code arn:aws:iot:<region>:<account>:<type>/<id>}. */
    public static String arn(String region, String account, String type, String id) {
        return "arn:aws:iot:" + region + ":" + account + ":" + type + "/" + id;
    }

    /**
     * What IAM authorizes {@code call} on: the ARN of the resource the request names, or {@link #ANY}.
     *
     * @throws IllegalArgumentException for a call without an operation, or of an operation the table does not know
     */
    public static String resource(IotApi.Call call, String region, String account) {
        Authorization authorization = of(call.operation()).orElseThrow(() -> new IllegalArgumentException(
                "no IAM resource type known for operation " + call.operation()));
        String value = authorization.type() == null ? null
                : call.member(authorization.location(), authorization.member());
        if (value == null || value.isEmpty()) {
            return ANY;
        }
        if (!authorization.byArn()) {
            return arn(region, account, authorization.type(), value);
        }
        String[] parts = value.split(":", 6);
        boolean ofItsTypes = parts.length == 6 && parts[0].equals("arn") && parts[2].equals("iot")
                && authorization.types().contains(parts[5].split("/", 2)[0]);
        return ofItsTypes ? value : ANY;
    }
}
