package dev.iotonboard.iot.model;

import dev.iotonboard.lambda.core.CertificateIds;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a principal (AttachThingPrincipal, DetachThingPrincipal, ListPrincipalThings) or a policy target
 * (AttachPolicy, DetachPolicy, ListAttachedPolicies) may be.
 */
final class Principals {

    /** An ARN: arn:partition:service:region:account:resource. */
    private static final Pattern ARN = Pattern.compile("arn:[^:]+:[^:]+:[^:]*:[^:]*:.+");
    /** An Amazon Cognito identity id (region:uuid), Cognito's IdentityId pattern. */
    private static final Pattern COGNITO_IDENTITY = Pattern.compile("[\\w-]+:[0-9a-f-]+");

    private Principals() {
    }

    /**
     * A principal or policy target must be an ARN (arn:partition:service:region:account:resource) or the id of an
     * Amazon Cognito identity (API reference, AttachThingPrincipal and DetachThingPrincipal: "If the principal is a
     * certificate, this value must be ARN of the certificate. If the principal is an Amazon Cognito identity, this
     * value must be the ID of the Amazon Cognito identity"; AttachPolicy's target: a certificate or thing group ARN, or
     * a Cognito identity). Anything else is InvalidRequestException (the message is unconfirmed); a certificate ARN
     * must name a registered certificate (ResourceNotFoundException). Call while holding the store's lock.
     */
    static void require(Store store, String principal, String member) {
        requireShape(principal, member);
        Optional<String> id = CertificateIds.fromArn(principal);
        if (principal.contains(":cert/") && (id.isEmpty() || !store.certificates.containsKey(id.get()))) {
            throw IotException.notFound("certificate " + principal + " does not exist");
        }
    }

    /** The shape check of {@link #require} alone (DetachPolicy, ListAttachedPolicies). */
    static void requireShape(String target, String member) {
        if (target == null || !(ARN.matcher(target).matches() || COGNITO_IDENTITY.matcher(target).matches())) {
            throw IotException.invalidRequest("The " + member + " " + target + " is not valid: it must be an ARN or"
                    + " the id of an Amazon Cognito identity");
        }
    }

    /** Whether {@code principal} is the ARN of the certificate {@code id}. */
    static boolean isCertificate(String principal, String id) {
        return CertificateIds.fromArn(principal).filter(id::equals).isPresent();
    }
}
