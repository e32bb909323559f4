package dev.iotonboard.local.iam;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Who is restricted, and AWS's AccessDenied wording for an assumed role. */
class IamAuthorizerTest {
    private static final String CERT = "arn:aws:iot:us-east-1:000000000000:cert/" + "5e1f".repeat(16);

    private final FunctionRoles roles = new FunctionRoles(Map.of("Fn", new FunctionRoles.Role("Fn", "fn-name",
            "FnRole", List.of("""
                    {"Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"},
                      {"Effect": "Deny", "Action": "iot:DeleteCertificate", "Resource": "*"},
                      {"Effect": "Deny", "Action": "iot:ListThings", "Resource": "*"}]}""",
                    """
                    {"Statement": [{"Effect": "Deny", "NotAction": ["iot:Describe*", "iot:List*", "iot:Delete*"],
                      "Resource": "*"}]}"""), List.of())));
    private final IamAuthorizer iam = new IamAuthorizer(roles,
            key -> key.equals("LOCALFn-1") ? Optional.of("Fn") : Optional.empty(), "000000000000");

    @Test
    void aFunctionsCredentials_areHeldToItsRole() {
        assertEquals(Optional.empty(), iam.denial("LOCALFn-1", "iot:DescribeCertificate", CERT));
        assertEquals(Optional.of("User: arn:aws:sts::000000000000:assumed-role/FnRole/fn-name is not authorized to "
                + "perform: iot:DeleteCertificate on resource: " + CERT + " with an explicit deny in an identity-based "
                + "policy"), iam.denial("LOCALFn-1", "iot:DeleteCertificate", CERT));
        assertEquals(Optional.of("User: arn:aws:sts::000000000000:assumed-role/FnRole/fn-name is not authorized to "
                + "perform: iot:ListThings on resource: * with an explicit deny in an identity-based policy"),
                iam.denial("LOCALFn-1", "iot:ListThings", "*"));
        assertEquals(Optional.of("User: arn:aws:sts::000000000000:assumed-role/FnRole/fn-name is not authorized to "
                + "perform: iot:UpdateCertificate on resource: " + CERT + " with an explicit deny in an identity-based "
                + "policy"), iam.denial("LOCALFn-1", "iot:UpdateCertificate", CERT), "a Deny in a second policy wins");
    }

    @Test
    void noMatchingAllow_isAnImplicitDeny() {
        IamAuthorizer none = new IamAuthorizer(new FunctionRoles(Map.of("Fn", new FunctionRoles.Role("Fn", "fn-name",
                "FnRole", List.of("{\"Statement\": []}"), List.of()))), key -> Optional.of("Fn"), "123456789012");

        assertEquals(Optional.of("User: arn:aws:sts::123456789012:assumed-role/FnRole/fn-name is not authorized to "
                + "perform: iot:ListCertificatesByCA on resource: * because no identity-based policy allows the "
                + "iot:ListCertificatesByCA action"), none.denial("LOCALFn-7", "iot:ListCertificatesByCA", "*"));
    }

    @Test
    void callersWithoutAFunctionsCredentials_keepFullAccess() {
        assertEquals(Optional.empty(), iam.denial("LOCALTEST", "iot:DeleteCertificate", CERT));
        assertEquals(Optional.empty(), iam.denial("AKIAIOSFODNN7EXAMPLE", "iot:ListThings", "*"));
        assertEquals(Optional.empty(), iam.denial(null, "iot:DeleteCertificate", CERT), "an unsigned request");
    }
}
