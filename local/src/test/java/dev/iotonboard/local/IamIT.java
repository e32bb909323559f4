package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.local.stack.StackTemplate;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end, IAM per function with the real AWS CLI: the tool started on the synthesized stack (IAM on, the default),
 * the CLI signing with the access key id of a function's containers ({@code LOCAL<function logical id>-<n>}) is held
 * to that function's role, as the stack grants it: allowed calls succeed, others answer AccessDeniedException with
 * AWS's message and change nothing; the operator's credentials (the scripts', any other key) are never restricted.
 * Output in local/target/iam-e2e.log.
 */
class IamIT {
    private static final String ACCOUNT = "000000000000";
    private static final String ARN = "arn:aws:iot:us-east-1:" + ACCOUNT + ":";
    private static E2eFixture e2e;
    private static StackTemplate stack;
    private static String caId;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("iam-e2e.log");
        Path cdkOut = e2e.createCaAndSynthesize();
        stack = StackTemplate.load(cdkOut, "IotOnboarding", ACCOUNT, "us-east-1");
        e2e.startToolOnFreePorts(cdkOut);
        caId = e2e.registerCa();
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    /** {@code aws iot <args>} signed with {@code accessKeyId}. */
    private static E2eFixture.Run iotAs(String accessKeyId, String... args) {
        List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url", e2e.endpoint(), "--output", "json",
                "iot"));
        command.addAll(List.of(args));
        return e2e.run(command, Map.of("AWS_ACCESS_KEY_ID", accessKeyId), 60);
    }

    /** The access key id of the first container of the function whose handler is {@code handlerClass}. */
    private static String keyOf(String handlerClass) {
        return "LOCAL" + E2eFixture.function(stack, handlerClass).logicalId() + "-1";
    }

    /** AWS's message for the function's role, from the template: the role's name and the function's. */
    private static String denied(String handlerClass, String action, String resource) {
        return denied(handlerClass, action, "iot:" + action, resource);
    }

    /** The CLI's line for the operation denied as the IAM action, for the function's role. */
    private static String denied(String handlerClass, String operation, String action, String resource) {
        StackTemplate.Function function = E2eFixture.function(stack, handlerClass);
        String roleArn = stack.resolvedProperties(function.logicalId()).path("Role").asText();
        return "An error occurred (AccessDeniedException) when calling the " + operation + " operation: User:"
                + " arn:aws:sts::" + ACCOUNT + ":assumed-role/" + roleArn.substring(roleArn.indexOf(":role/") + 6) + "/"
                + function.name() + " is not authorized to perform: " + action + " on resource: " + resource
                + " because no identity-based policy allows the " + action + " action";
    }

    private static void assertDenied(E2eFixture.Run run, String expected) {
        assertNotEquals(0, run.exit(), "denied: " + run.out());
        assertEquals(expected, run.err().trim());
    }

    private static void assertAllowed(E2eFixture.Run run) {
        assertEquals(0, run.exit(), run.err());
    }

    @Test
    void theReconcilersCredentials_areHeldToItsRole() {
        String reconciler = keyOf("ReconcilerHandler");
        String otherCa = "ca0e".repeat(16);

        assertAllowed(iotAs(reconciler, "list-certificates-by-ca", "--ca-certificate-id", caId));
        assertAllowed(iotAs(reconciler, "describe-ca-certificate", "--certificate-id", caId));
        assertDenied(iotAs(reconciler, "describe-ca-certificate", "--certificate-id", otherCa),
                denied("ReconcilerHandler", "DescribeCACertificate", ARN + "cacert/" + otherCa));
        assertDenied(iotAs(reconciler, "create-thing", "--thing-name", "made-by-the-reconciler"),
                denied("ReconcilerHandler", "CreateThing", ARN + "thing/made-by-the-reconciler"));

        E2eFixture.Run lookup = iotAs("LOCALTEST", "describe-thing", "--thing-name", "made-by-the-reconciler");
        assertTrue(lookup.exit() != 0 && lookup.err().contains("ResourceNotFoundException"),
                "a denied call has no effect: " + lookup.err());
        assertTrue(e2e.output().contains("[control] AccessDeniedException: User: arn:aws:sts::" + ACCOUNT
                + ":assumed-role/"), "the tool logs each denial");
    }

    @Test
    void theExpiryWatchsCredentials_onlyRead_andOnlyItsCa() {
        String watch = keyOf("ExpiryWatchHandler");
        String otherCa = "ca0e".repeat(16);
        String device = "5e1f".repeat(16);

        assertAllowed(iotAs(watch, "describe-ca-certificate", "--certificate-id", caId));
        assertAllowed(iotAs(watch, "list-certificates-by-ca", "--ca-certificate-id", caId));
        assertDenied(iotAs(watch, "describe-ca-certificate", "--certificate-id", otherCa),
                denied("ExpiryWatchHandler", "DescribeCACertificate", ARN + "cacert/" + otherCa));
        assertDenied(iotAs(watch, "update-certificate", "--certificate-id", device, "--new-status", "REVOKED"),
                denied("ExpiryWatchHandler", "UpdateCertificate", ARN + "cert/" + device));
        assertDenied(iotAs(watch, "list-principal-things", "--principal", ARN + "cert/" + device),
                denied("ExpiryWatchHandler", "ListPrincipalThings", ARN + "cert/" + device));
    }

    @Test
    void otherFunctions_areHeldToTheirRoles_onTypedAndUntypedActions() {
        String provisioning = keyOf("ThingProvisioningHandler");
        String authorizer = keyOf("DeviceAuthorizerHandler");
        String certificate = ARN + "cert/" + "5e1f".repeat(16);

        assertAllowed(iotAs(provisioning, "create-thing", "--thing-name", "made-by-provisioning"));
        // Provisioning may list a certificate's policies (its policy swap); listing a CA's certificates it may not.
        assertDenied(iotAs(provisioning, "list-certificates-by-ca", "--ca-certificate-id", caId),
                denied("ThingProvisioningHandler", "ListCertificatesByCA", "*"));
        assertDenied(iotAs(authorizer, "update-certificate", "--certificate-id", "5e1f".repeat(16),
                "--new-status", "REVOKED"), denied("DeviceAuthorizerHandler", "UpdateCertificate", certificate));
        assertDenied(iotAs(keyOf("SampleHandler"), "list-things"), denied("SampleHandler", "ListThings", "*"));
    }

    /** {@code aws lambda invoke --invocation-type DryRun} of the provisioning function, signed with the key. */
    private static E2eFixture.Run dryRunProvisioningAs(String accessKeyId, Path out) {
        return e2e.run(List.of("aws", "--endpoint-url", e2e.endpoint(), "--output", "json", "lambda", "invoke",
                "--function-name", E2eFixture.function(stack, "ThingProvisioningHandler").name(), "--invocation-type",
                "DryRun", out.toString()), Map.of("AWS_ACCESS_KEY_ID", accessKeyId), 60);
    }

    @Test
    void aFunctionsCredentials_cannotInvokeAnotherFunction_theOperatorsCan(@TempDir Path tmp) {
        String provisioning = "arn:aws:lambda:us-east-1:" + ACCOUNT + ":function:"
                + E2eFixture.function(stack, "ThingProvisioningHandler").name();

        assertDenied(dryRunProvisioningAs(keyOf("DeviceAuthorizerHandler"), tmp.resolve("out.json")),
                denied("DeviceAuthorizerHandler", "Invoke", "lambda:InvokeFunction", provisioning));
        assertAllowed(dryRunProvisioningAs("LOCALTEST", tmp.resolve("out.json")));
    }

    @Test
    void theOperatorsCredentials_areNeverRestricted() {
        for (String operator : List.of("LOCALTEST", "AKIAIOSFODNN7EXAMPLE", "LOCALNoSuchFunction-1")) {
            String thing = "made-by-" + operator.toLowerCase(java.util.Locale.ROOT).replace("_", "-");
            assertAllowed(iotAs(operator, "create-thing", "--thing-name", thing));
            assertAllowed(iotAs(operator, "list-attached-policies", "--target", ARN + "cert/" + "5e1f".repeat(16)));
            assertAllowed(iotAs(operator, "describe-ca-certificate", "--certificate-id", caId));
        }
    }
}
