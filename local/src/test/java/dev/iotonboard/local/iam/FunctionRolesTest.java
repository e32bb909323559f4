package dev.iotonboard.local.iam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.local.iot.policy.PolicyEvaluator.Decision;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The roles of a stack's functions as IAM evaluates them: attached and inline policies with intrinsics resolved,
 * wildcards, explicit Deny, NotAction/NotResource, actions without a resource type, and what refuses to load.
 */
class FunctionRolesTest {
    private static final String REGION = "eu-west-1";
    private static final String ACCOUNT = "111122223333";
    private static final String ARN = "arn:aws:iot:" + REGION + ":" + ACCOUNT + ":";
    private static final String CERT = ARN + "cert/" + "5e1f".repeat(16);

    @TempDir
    Path dir;

    /** A stack with one Java function {@code Fn} whose role is {@code Role}, plus {@code resources} (JSON members). */
    private StackTemplate stack(String roleProperties, String resources) throws IOException {
        Files.writeString(dir.resolve("fn.jar"), "not read");
        String template = """
                {"Resources": {
                  "Fn": {"Type": "AWS::Lambda::Function", "Metadata": {"aws:asset:path": "fn.jar"},
                         "Properties": {"Runtime": "java21", "Handler": "x.Handler::handleRequest",
                                        "Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
                  "Role": {"Type": "AWS::IAM::Role", "Properties": %s}%s
                }}""".formatted(roleProperties, resources.isEmpty() ? "" : ", " + resources);
        Path file = dir.resolve("t.template.json");
        Files.writeString(file, template);
        return StackTemplate.fromTemplate(file, "T", ACCOUNT, REGION);
    }

    /** The role of {@code Fn} with one AWS::IAM::Policy attached holding {@code statements} (a JSON array). */
    private FunctionRoles.Role role(String statements) throws IOException {
        return FunctionRoles.from(stack("{}", policy("Policy", statements))).of("Fn").orElseThrow();
    }

    private static String policy(String id, String statements) {
        return "\"" + id + "\": {\"Type\": \"AWS::IAM::Policy\", \"Properties\": {\"PolicyName\": \"" + id + "\","
                + " \"Roles\": [{\"Ref\": \"Role\"}], \"PolicyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": "
                + statements + "}}}";
    }

    @Test
    void attachedAndInlinePolicies_withIntrinsicsResolved() throws IOException {
        FunctionRoles roles = FunctionRoles.from(stack("""
                {"RoleName": "the-role", "Policies": [{"PolicyName": "inline", "PolicyDocument": {"Statement": [
                  {"Effect": "Allow", "Action": "iot:DescribeThing",
                   "Resource": {"Fn::Sub": "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:thing/*"}}]}}]}
                """, policy("Attached", """
                [{"Effect": "Allow", "Action": ["iot:DescribeCertificate"], "Resource": {"Fn::Join": ["",
                  ["arn:", {"Ref": "AWS::Partition"}, ":iot:", {"Ref": "AWS::Region"}, ":",
                   {"Ref": "AWS::AccountId"}, ":cert/*"]]}}]""")));
        FunctionRoles.Role role = roles.of("Fn").orElseThrow();

        assertEquals("the-role", role.roleName(), "the role's name as the stack gives it");
        assertEquals("Fn", role.functionName());
        assertEquals(2, role.statements().size());
        assertTrue(role.allows("iot:DescribeCertificate", CERT));
        assertTrue(role.allows("iot:DescribeThing", ARN + "thing/t1"));
        assertFalse(role.allows("iot:DescribeThing", CERT));
        assertFalse(role.allows("iot:UpdateCertificate", CERT), "no Allow: implicitly denied");
        assertEquals(List.of("Fn"), List.copyOf(roles.all().keySet()));
    }

    @Test
    void matching_isIamsWildcardMatching() throws IOException {
        FunctionRoles.Role role = role("""
                [{"Effect": "Allow", "Action": "iot:describe*", "Resource": "arn:aws:iot:eu-west-1:1:cert/*"},
                 {"Effect": "Allow", "Action": "iot:UpdateCertificate", "Resource": "arn:aws:iot:*:1:cert/a?c"},
                 {"Effect": "Allow", "Action": "iot:DeleteCertificate", "Resource": "arn:aws:iot:eu-west-1:1:Cert/*"},
                 {"Effect": "Allow", "Action": "iot:GetPolicy", "Resource": "arn:aws:iot:eu-west-1:1:cert/a.c"}]""");

        assertTrue(role.allows("iot:DescribeCertificate", "arn:aws:iot:eu-west-1:1:cert/abc"), "actions ignore case");
        assertTrue(role.allows("iot:UpdateCertificate", "arn:aws:iot:eu-west-1:1:cert/abc"));
        assertFalse(role.allows("iot:UpdateCertificate", "arn:aws:iot:eu-west-1:1:cert/abbc"), "? is one character");
        assertFalse(role.allows("iot:DescribeCertificate", "arn:aws:iot:eu-west-1:1:thing/abc"));
        assertFalse(role.allows("iot:DeleteCertificate", "arn:aws:iot:eu-west-1:1:cert/abc"), "ARNs keep case");
        assertFalse(role.allows("iot:GetPolicy", "arn:aws:iot:eu-west-1:1:cert/abc"), ". is literal");
    }

    @Test
    void anActionWithoutResourceType_isAllowedOnlyByResourceStar() throws IOException {
        FunctionRoles.Role scoped = role("""
                [{"Effect": "Allow", "Action": "iot:ListAttachedPolicies", "Resource": {"Fn::Join": ["",
                  ["arn:", {"Ref": "AWS::Partition"}, ":iot:eu-west-1:111122223333:cert/*"]]}},
                 {"Effect": "Allow", "Action": "iot:ListCertificatesByCA", "Resource": "arn:aws:iot:*"}]""");
        FunctionRoles.Role star = role("""
                [{"Effect": "Allow", "Action": ["iot:ListAttachedPolicies"], "Resource": "*"}]""");

        assertTrue(scoped.allows("iot:ListAttachedPolicies", CERT), "the statement resolved to " + ARN + "cert/*");
        assertFalse(scoped.allows("iot:ListAttachedPolicies", "*"));
        assertFalse(scoped.allows("iot:ListCertificatesByCA", "*"));
        assertTrue(star.allows("iot:ListAttachedPolicies", "*"));
    }

    @Test
    void aDenyWins() throws IOException {
        FunctionRoles.Role role = role("""
                [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"},
                 {"Effect": "Deny", "Action": "iot:UpdateCertificate", "Resource": "%scert/*"}]""".formatted(ARN));

        assertEquals(Decision.EXPLICIT_DENY, role.evaluate("iot:UpdateCertificate", CERT));
        assertEquals(Decision.ALLOW, role.evaluate("iot:DescribeCertificate", CERT));
        assertEquals(Decision.ALLOW, role.evaluate("iot:UpdateCertificate", ARN + "thing/t"));
    }

    @Test
    void notActionAndNotResource_matchEverythingElse() throws IOException {
        FunctionRoles.Role role = role("""
                [{"Effect": "Allow", "NotAction": "iot:Delete*", "Resource": "*"},
                 {"Effect": "Deny", "Action": "iot:UpdateCertificate", "NotResource": "%scert/*"}]""".formatted(ARN));

        assertTrue(role.allows("iot:DescribeThing", ARN + "thing/t"));
        assertFalse(role.allows("iot:DeleteThing", ARN + "thing/t"));
        assertTrue(role.allows("iot:UpdateCertificate", CERT));
        assertEquals(Decision.EXPLICIT_DENY, role.evaluate("iot:UpdateCertificate", ARN + "cacert/c"));
    }

    @Test
    void aConditionRefusesToLoad_namingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> role("""
                [{"Sid": "OnlySecure", "Effect": "Allow", "Action": "iot:UpdateCertificate", "Resource": "*",
                  "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]"""));

        assertTrue(e.getMessage().contains("Policy (AWS::IAM::Policy), statement OnlySecure")
                && e.getMessage().contains("{\"Bool\":{\"aws:SecureTransport\":\"true\"}}"), e.getMessage());
    }

    @Test
    void whatCannotBeEvaluated_refusesToLoad() {
        assertRefused("policy variable", () -> role("""
                [{"Effect": "Allow", "Action": "iot:DescribeThing", "Resource": "%sthing/${aws:username}"}]"""
                .formatted(ARN)));
        assertRefused("Effect must be Allow or Deny", () -> role("""
                [{"Effect": "Maybe", "Action": "iot:DescribeThing", "Resource": "*"}]"""));
        assertRefused("one of Action and NotAction", () -> role("""
                [{"Effect": "Allow", "Resource": "*"}]"""));
        assertRefused("Role (AWS::IAM::Role, the role of Fn): ManagedPolicyArns", () -> FunctionRoles.from(stack(
                "{\"ManagedPolicyArns\": [\"arn:aws:iam::aws:policy/AWSIoTFullAccess\"]}", "")));
        assertRefused("Role (AWS::IAM::Role, the role of Fn): PermissionsBoundary", () -> FunctionRoles.from(stack(
                "{\"PermissionsBoundary\": \"arn:aws:iam::111122223333:policy/boundary\"}", "")));
        assertRefused("Managed (AWS::IAM::ManagedPolicy), attached to Role", () -> FunctionRoles.from(stack("{}",
                "\"Managed\": {\"Type\": \"AWS::IAM::ManagedPolicy\", \"Properties\": {\"Roles\": [{\"Ref\": "
                        + "\"Role\"}], \"PolicyDocument\": {\"Statement\": []}}}")));
    }

    @Test
    void aRoleOutsideTheStack_refusesToLoad() throws IOException {
        Files.writeString(dir.resolve("fn.jar"), "not read");
        Path file = dir.resolve("outside.template.json");
        Files.writeString(file, """
                {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Metadata": {"aws:asset:path": "fn.jar"},
                  "Properties": {"Runtime": "java21", "Handler": "x.Handler::handleRequest",
                                 "Role": "arn:aws:iam::111122223333:role/elsewhere"}}}}""");

        assertRefused("Fn (AWS::Lambda::Function): its role \"arn:aws:iam::111122223333:role/elsewhere\" is not an "
                + "AWS::IAM::Role of this stack", () -> FunctionRoles.from(StackTemplate.fromTemplate(file, "T",
                        ACCOUNT, REGION)));
    }

    @Test
    void rolesOfFunctionsThatCannotRun_areNotRead() throws IOException {
        Path file = dir.resolve("node.template.json");
        Files.writeString(file, """
                {"Resources": {
                  "NodeFn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "nodejs20.x",
                    "Handler": "index.handler", "Role": {"Fn::GetAtt": ["NodeRole", "Arn"]}}},
                  "NodeRole": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": ["arn:aws:iam::aws:x"],
                    "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{"Effect": "Allow",
                      "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}}]}}
                }}""");

        assertEquals(0, FunctionRoles.from(StackTemplate.fromTemplate(file, "T", ACCOUNT, REGION)).all().size());
    }

    private static void assertRefused(String expected, org.junit.jupiter.api.function.Executable load) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, load);
        assertTrue(e.getMessage().contains(expected), "expected \"" + expected + "\" in: " + e.getMessage());
    }
}
