package dev.iotonboard.local.iam;

import dev.iotonboard.local.iot.policy.PolicyEvaluator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides a call signed with a function's credentials: the role of the function whose credentials the access key id
 * is ({@link CallerIdentities}) must allow the action on the resource ({@link FunctionRoles}). Callers without a
 * function's credentials (the scripts, an operator's CLI) are not restricted.
 *
 * <p>A denial is worded as AWS words it for an assumed role (IAM User Guide, "Troubleshoot access denied error
 * messages"; an AWS IoT answer quoted in aws/aws-connected-device-framework#36: {@code User:
 * arn:aws:sts::<account>:assumed-role/<role>/<function> is not authorized to perform: iot:RegisterCertificateWithoutCA
 * on resource: * because no identity-based policy allows the iot:RegisterCertificateWithoutCA action}); Lambda names
 * the role session after the function.
 */
public final class IamAuthorizer {
    private static final Pattern ACCESS_KEY = Pattern.compile("Credential=([^/,\\s]+)/");

    private final FunctionRoles roles;
    private final CallerIdentities callers;
    private final String account;

    public IamAuthorizer(FunctionRoles roles, CallerIdentities callers, String account) {
        this.roles = roles;
        this.callers = callers;
        this.account = account;
    }

    /** The access key id of a SigV4 {@code Authorization} header, or null. */
    public static String accessKeyId(String authorization) {
        if (authorization == null) {
            return null;
        }
        Matcher matcher = ACCESS_KEY.matcher(authorization);
        return matcher.find() ? matcher.group(1) : null;
    }

    /** The role whose session signs with {@code accessKeyId}: a function's; empty for anyone else. */
    public Optional<FunctionRoles.Role> role(String accessKeyId) {
        return (accessKeyId == null ? Optional.<String>empty() : callers.function(accessKeyId))
                .flatMap(roles::of);
    }

    /**
     * The AccessDenied message for {@code action} on {@code resource} by whoever signs with {@code accessKeyId}; empty
     * when the call is allowed, or when the key is no function's (or there is none).
     */
    public Optional<String> denial(String accessKeyId, String action, String resource) {
        Optional<String> function = accessKeyId == null ? Optional.empty() : callers.function(accessKeyId);
        if (function.isEmpty()) {
            return Optional.empty();
        }
        FunctionRoles.Role role = roles.of(function.get()).orElseThrow(() -> new IllegalStateException(
                "credentials of " + function.get() + ", which has no role"));
        PolicyEvaluator.Decision decision = role.evaluate(action, resource);
        if (decision == PolicyEvaluator.Decision.ALLOW) {
            return Optional.empty();
        }
        return Optional.of("User: arn:aws:sts::" + account + ":assumed-role/" + role.roleName() + "/"
                + role.functionName() + " is not authorized to perform: " + action + " on resource: " + resource
                + (decision == PolicyEvaluator.Decision.EXPLICIT_DENY
                        ? " with an explicit deny in an identity-based policy"
                        : " because no identity-based policy allows the " + action + " action"));
    }
}
