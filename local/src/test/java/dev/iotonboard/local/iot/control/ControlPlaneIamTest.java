package dev.iotonboard.local.iot.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.gateway.Gateway;
import dev.iotonboard.local.iam.FunctionRoles;
import dev.iotonboard.local.iam.IamAuthorizer;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * IAM on the control plane, driven by the real SDK: a caller signing with a function's access key id is held to the
 * function role's policies (read from a template), before quotas and faults; a denied call has no effect and answers
 * 403 AccessDeniedException with AWS's message; anyone else keeps full access.
 */
class ControlPlaneIamTest {
    private static final String FUNCTION_KEY = "LOCALFn-1";
    private static final String ROLE = "arn:aws:sts::000000000000:assumed-role/FnRole/fn-name";

    @TempDir
    Path dir;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final List<IotClient> clients = new ArrayList<>();
    private Registry registry;
    private ControlPlane plane;
    private Gateway gateway;

    @AfterEach
    void close() {
        clients.forEach(IotClient::close);
        if (gateway != null) {
            gateway.close();
        }
    }

    /** The control plane with quotas, faults, and IAM for function {@code Fn}, whose role may create thing/allowed-*. */
    private void start(Quotas quotas, Faults faults) throws IOException {
        Files.writeString(dir.resolve("fn.jar"), "not read");
        Path template = dir.resolve("iam.template.json");
        Files.writeString(template, """
                {"Resources": {
                  "Fn": {"Type": "AWS::Lambda::Function", "Metadata": {"aws:asset:path": "fn.jar"},
                    "Properties": {"FunctionName": "fn-name", "Runtime": "java21", "Handler": "x.H::handleRequest",
                                   "Role": {"Fn::GetAtt": ["FnRole", "Arn"]}}},
                  "FnRole": {"Type": "AWS::IAM::Role", "Properties": {}},
                  "FnPolicy": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "p",
                    "Roles": [{"Ref": "FnRole"}], "PolicyDocument": {"Statement": [
                      {"Effect": "Allow", "Action": "iot:CreateThing",
                       "Resource": {"Fn::Sub": "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:thing/allowed-*"}},
                      {"Effect": "Allow", "Action": "iot:ListThings", "Resource": "*"}]}}}
                }}""");
        StackTemplate stack = StackTemplate.fromTemplate(template, "T", "000000000000", "us-east-1");
        registry = new Registry("us-east-1", "000000000000", null);
        plane = new ControlPlane(registry, "localhost", new EventLog(new PrintStream(log, true,
                StandardCharsets.UTF_8)), quotas, faults);
        plane.iam(new IamAuthorizer(FunctionRoles.from(stack),
                key -> key.startsWith("LOCALFn-") ? Optional.of("Fn") : Optional.empty(), "000000000000"));
        gateway = new Gateway(0, plane);
    }

    private IotClient sdk(String accessKeyId) {
        IotClient iot = IotClient.builder().region(Region.US_EAST_1)
                .endpointOverride(URI.create(gateway.url()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, "s")))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
        clients.add(iot);
        return iot;
    }

    @Test
    void aFunctionsCall_outsideItsRole_isAccessDenied403_withoutEffect() throws IOException {
        start(Quotas.off(), Faults.none());
        IotClient function = sdk(FUNCTION_KEY);

        AwsServiceException denied = assertThrows(AwsServiceException.class,
                () -> function.createThing(r -> r.thingName("other-thing")));

        assertEquals(403, denied.statusCode());
        assertEquals("AccessDeniedException", denied.awsErrorDetails().errorCode());
        assertEquals("User: " + ROLE + " is not authorized to perform: iot:CreateThing on resource: "
                + "arn:aws:iot:us-east-1:000000000000:thing/other-thing because no identity-based policy allows the "
                + "iot:CreateThing action", denied.awsErrorDetails().errorMessage());
        assertFalse(registry.things().find("other-thing").isPresent(), "a denied call has no effect");
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("[control] AccessDeniedException: User: " + ROLE));

        function.createThing(r -> r.thingName("allowed-thing"));
        assertTrue(registry.things().find("allowed-thing").isPresent());
        assertEquals(1, function.listThings().things().size(), "ListThings on \"*\"");
        AwsServiceException untyped = assertThrows(AwsServiceException.class,
                () -> function.listCertificates(r -> { }));
        assertTrue(untyped.awsErrorDetails().errorMessage().endsWith("iot:ListCertificates on resource: * because no "
                + "identity-based policy allows the iot:ListCertificates action"), untyped.getMessage());
    }

    @Test
    void callersWithoutAFunctionsCredentials_keepFullAccess() throws IOException {
        start(Quotas.off(), Faults.none());

        sdk("LOCALTEST").createThing(r -> r.thingName("operator-thing"));
        sdk("AKIAIOSFODNN7EXAMPLE").listCertificates(r -> { });

        assertTrue(registry.things().find("operator-thing").isPresent());
    }

    @Test
    void iamComesBeforeQuotasAndFaults() throws IOException {
        long frozen = System.nanoTime();
        Faults faults = new Faults(List.of());
        faults.add("CreateThing:1:503");
        start(new Quotas(true, Map.of("CreateThing", 1.0), () -> frozen), faults);
        IotClient function = sdk(FUNCTION_KEY);

        for (int i = 0; i < 3; i++) {
            AwsServiceException e = assertThrows(AwsServiceException.class,
                    () -> function.createThing(r -> r.thingName("denied-thing")));
            assertEquals(403, e.statusCode(), "denied before the quota and the fault: " + e.getMessage());
        }
        assertEquals(0, faults.list().get(0).matched(), "a denied call reaches no fault");

        AwsServiceException fault = assertThrows(AwsServiceException.class,
                () -> function.createThing(r -> r.thingName("allowed-1")));
        assertEquals(503, fault.statusCode(), "the first allowed call takes the quota's token and meets the fault");
        AwsServiceException throttled = assertThrows(AwsServiceException.class,
                () -> function.createThing(r -> r.thingName("allowed-2")));
        assertEquals(400, throttled.statusCode(), "the bucket of one is empty now: " + throttled.getMessage());
        assertEquals(new ControlPlane.OperationStats(5, 1, 1), plane.stats().get("CreateThing"));
    }
}
