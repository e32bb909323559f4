package dev.iotonboard.local.iot.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.testing.AwsCli;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.tls.Pki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateStateException;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.CertificateValidationException;
import software.amazon.awssdk.services.iot.model.InvalidRequestException;
import software.amazon.awssdk.services.iot.model.IotException;
import software.amazon.awssdk.services.iot.model.RegistrationCodeValidationException;
import software.amazon.awssdk.services.iot.model.ResourceAlreadyExistsException;
import software.amazon.awssdk.services.iot.model.ResourceNotFoundException;
import software.amazon.awssdk.services.iot.model.ThingPrincipalType;

/** The control plane driven by the real AWS SDK (and, for a few calls, the real AWS CLI). */
class ControlPlaneTest {
    private static Registry registry;
    private static ControlPlane plane;
    private static IotClient iot;
    private static Pki.Issued ca;

    @BeforeAll
    static void start() throws IOException {
        registry = new Registry("us-east-1", "000000000000", null);
        registry.policies().put("jitr", "{\"Statement\":[]}");
        registry.policies().put("app", "{\"Statement\":[]}");
        plane = new ControlPlane(registry, 0, "localhost", new EventLog(new PrintStream(new ByteArrayOutputStream())));
        iot = IotClient.builder().region(Region.US_EAST_1)
                .endpointOverride(URI.create("http://127.0.0.1:" + plane.port()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
        ca = Pki.rootCa("Test CA", Duration.ofDays(1));
    }

    @AfterAll
    static void stop() {
        iot.close();
        plane.close();
    }

    private static String verification(Pki.Issued signer, String cn) {
        return CertificateIds.toPem(Pki.issue(signer, cn, Duration.ofDays(1), false, null, null).certificate());
    }

    private static String registerCa(Pki.Issued root) {
        return iot.registerCACertificate(r -> r.caCertificate(CertificateIds.toPem(root.certificate()))
                .verificationCertificate(verification(root, iot.getRegistrationCode(b -> { }).registrationCode()))
                .setAsActive(true).allowAutoRegistration(true)).certificateId();
    }

    /** A device certificate of {@code root}, registered as JITR does (PENDING_ACTIVATION). */
    private static String device(Pki.Issued root, String caId) {
        return registry.certificates().registerPendingActivation(Pki.issue(root, "device", Duration.ofDays(1), false,
                null, null).certificate(), caId).id();
    }

    @Test
    void registerCaCertificate_checksCodeSignatureAndDuplicates() {
        Pki.Issued root = Pki.rootCa("CA one", Duration.ofDays(1));
        String id = registerCa(root);
        assertEquals(CertificateIds.fromCertificate(root.certificate()), id);
        var description = iot.describeCACertificate(r -> r.certificateId(id)).certificateDescription();
        assertEquals("ACTIVE", description.statusAsString());
        assertEquals("ENABLE", description.autoRegistrationStatusAsString());
        assertEquals("arn:aws:iot:us-east-1:000000000000:cacert/" + id, description.certificateArn());

        ResourceAlreadyExistsException again = assertThrows(ResourceAlreadyExistsException.class, () -> registerCa(root));
        assertEquals(409, again.statusCode());

        Pki.Issued other = Pki.rootCa("CA two", Duration.ofDays(1));
        RegistrationCodeValidationException code = assertThrows(RegistrationCodeValidationException.class,
                () -> iot.registerCACertificate(r -> r.caCertificate(CertificateIds.toPem(other.certificate()))
                        .verificationCertificate(verification(other, "not-the-code"))));
        assertEquals(400, code.statusCode());
        CertificateValidationException signature = assertThrows(CertificateValidationException.class,
                () -> iot.registerCACertificate(r -> r.caCertificate(CertificateIds.toPem(other.certificate()))
                        .verificationCertificate(verification(root, registry.registrationCode()))));
        assertEquals(400, signature.statusCode());

        iot.updateCACertificate(r -> r.certificateId(id).newStatus("INACTIVE").newAutoRegistrationStatus("DISABLE"));
        description = iot.describeCACertificate(r -> r.certificateId(id)).certificateDescription();
        assertEquals("INACTIVE", description.statusAsString());
        assertEquals("DISABLE", description.autoRegistrationStatusAsString());
        assertTrue(iot.listCACertificatesPaginator(r -> r.pageSize(1)).certificates().stream()
                .anyMatch(c -> c.certificateId().equals(id)), "paginated list holds the CA");
    }

    @Test
    void updateCertificate_followsTheDocumentedTransitions() {
        String caId = registerCa(Pki.rootCa("CA transitions", Duration.ofDays(1)));
        Pki.Issued root = Pki.rootCa("CA transitions 2", Duration.ofDays(1));
        String caId2 = registerCa(root);
        String id = device(root, caId2);
        assertEquals(CertificateStatus.PENDING_ACTIVATION,
                iot.describeCertificate(r -> r.certificateId(id)).certificateDescription().status());
        InvalidRequestException pending = assertThrows(InvalidRequestException.class,
                () -> iot.updateCertificate(r -> r.certificateId(id).newStatus(CertificateStatus.PENDING_ACTIVATION)));
        assertEquals(400, pending.statusCode());
        iot.updateCertificate(r -> r.certificateId(id).newStatus(CertificateStatus.ACTIVE));
        iot.updateCertificate(r -> r.certificateId(id).newStatus(CertificateStatus.ACTIVE));
        iot.updateCertificate(r -> r.certificateId(id).newStatus(CertificateStatus.REVOKED));
        CertificateStateException revoked = assertThrows(CertificateStateException.class,
                () -> iot.updateCertificate(r -> r.certificateId(id).newStatus(CertificateStatus.ACTIVE)));
        assertEquals(406, revoked.statusCode());
        var description = iot.describeCertificate(r -> r.certificateId(id)).certificateDescription();
        assertEquals(CertificateStatus.REVOKED, description.status());
        assertEquals(caId2, description.caCertificateId());
        assertTrue(description.certificatePem().startsWith("-----BEGIN CERTIFICATE-----"));
        assertEquals(List.of(id), iot.listCertificatesByCAPaginator(r -> r.caCertificateId(caId2)).certificates()
                .stream().map(c -> c.certificateId()).toList());
        assertEquals(List.of(), iot.listCertificatesByCA(r -> r.caCertificateId(caId)).certificates());
    }

    @Test
    void unknownResources_are404ResourceNotFound() {
        ResourceNotFoundException certificate = assertThrows(ResourceNotFoundException.class,
                () -> iot.describeCertificate(r -> r.certificateId("0".repeat(64))));
        assertEquals(404, certificate.statusCode());
        assertEquals("ResourceNotFoundException", certificate.awsErrorDetails().errorCode());
        assertThrows(ResourceNotFoundException.class, () -> iot.describeThing(r -> r.thingName("missing")));
        assertThrows(ResourceNotFoundException.class, () -> iot.getPolicy(r -> r.policyName("missing")));
        assertThrows(ResourceNotFoundException.class,
                () -> iot.attachPolicy(r -> r.policyName("missing").target("arn:aws:iot:x")));
        assertThrows(ResourceNotFoundException.class, () -> iot.listThingPrincipals(r -> r.thingName("missing")));
    }

    @Test
    void things_createIsIdempotent_andPrincipalsAttach() {
        Pki.Issued root = Pki.rootCa("CA things", Duration.ofDays(1));
        String caId = registerCa(root);
        String arn = registry.certificateArn(device(root, caId));
        var created = iot.createThing(r -> r.thingName("thing-a"));
        assertEquals(created.thingId(), iot.createThing(r -> r.thingName("thing-a")).thingId());
        ResourceAlreadyExistsException different = assertThrows(ResourceAlreadyExistsException.class,
                () -> iot.createThing(r -> r.thingName("thing-a").attributePayload(p -> p.attributes(Map.of("k", "v")))));
        assertEquals(409, different.statusCode());
        assertThrows(InvalidRequestException.class, () -> iot.createThing(r -> r.thingName("bad/name")));

        iot.attachThingPrincipal(r -> r.thingName("thing-a").principal(arn)
                .thingPrincipalType(ThingPrincipalType.EXCLUSIVE_THING));
        assertEquals(List.of(arn), iot.listThingPrincipalsPaginator(r -> r.thingName("thing-a")).principals()
                .stream().toList());
        assertEquals(List.of("thing-a"), iot.listPrincipalThingsPaginator(r -> r.principal(arn)).things().stream()
                .toList());
        iot.createThing(r -> r.thingName("thing-b"));
        assertThrows(InvalidRequestException.class, () -> iot.attachThingPrincipal(r -> r.thingName("thing-b")
                .principal(arn)), "an EXCLUSIVE_THING principal cannot join a second thing");
        assertEquals("thing-a", iot.describeThing(r -> r.thingName("thing-a")).defaultClientId());
        iot.detachThingPrincipal(r -> r.thingName("thing-a").principal(arn));
        assertEquals(List.of(), iot.listThingPrincipals(r -> r.thingName("thing-a")).principals());
    }

    @Test
    void policies_attachListDetach() {
        Pki.Issued root = Pki.rootCa("CA of the policy target", Duration.ofDays(1));
        String target = registry.certificateArn(device(root, registerCa(root)));
        assertThrows(ResourceNotFoundException.class, () -> iot.attachPolicy(r -> r.policyName("jitr")
                .target("arn:aws:iot:us-east-1:000000000000:cert/" + "c".repeat(64))), "no such certificate");
        iot.attachPolicy(r -> r.policyName("jitr").target(target));
        iot.attachPolicy(r -> r.policyName("app").target(target));
        assertEquals(List.of("jitr", "app"), iot.listAttachedPoliciesPaginator(r -> r.target(target)).policies()
                .stream().map(p -> p.policyName()).toList());
        iot.detachPolicy(r -> r.policyName("jitr").target(target));
        iot.detachPolicy(r -> r.policyName("jitr").target(target));
        assertEquals(List.of("app"), iot.listAttachedPolicies(r -> r.target(target)).policies().stream()
                .map(p -> p.policyName()).toList());
        var policy = iot.getPolicy(r -> r.policyName("app"));
        assertEquals("{\"Statement\":[]}", policy.policyDocument());
        assertEquals("arn:aws:iot:us-east-1:000000000000:policy/app", policy.policyArn());
    }

    @Test
    void describeEndpoint_answersTheDataHost() {
        assertEquals("localhost", iot.describeEndpoint(r -> r.endpointType("iot:Data-ATS")).endpointAddress());
    }

    @Test
    void unknownRoute_isAnErrorTheSdkReports() {
        // an operation the model does not serve (ListThings and ListThingTypes, used here before, are served now)
        IotException e = assertThrows(IotException.class, () -> iot.listBillingGroups(r -> { }));
        assertEquals(404, e.statusCode());
    }

    private static AwsCli.Result cli(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url", "http://127.0.0.1:" + plane.port(),
                "iot"));
        command.addAll(List.of(args));
        return AwsCli.run(command);
    }

    @Test
    void awsCli_readsAnswersAndErrors() throws Exception {
        AwsCli.Result code = cli("get-registration-code", "--output", "text");
        assertEquals(0, code.exit(), code.err());
        assertEquals(registry.registrationCode(), code.out().trim());
        AwsCli.Result missing = cli("describe-certificate", "--certificate-id", "0".repeat(64));
        assertTrue(missing.exit() != 0 && missing.err().contains("ResourceNotFoundException"),
                "exit " + missing.exit() + ": " + missing.err());
        AwsCli.Result thing = cli("create-thing", "--thing-name", "cli-thing", "--query", "thingName", "--output", "text");
        assertEquals(0, thing.exit(), thing.err());
        assertEquals("cli-thing", thing.out().trim());
    }

    @Test
    void awsCli_registryOperations_onTheLocalControlPlane() throws Exception {
        String document = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iot:Publish\","
                + "\"Resource\":\"arn:aws:iot:us-east-1:000000000000:topic/fleet/*\"}]}";
        AwsCli.Result created = cli("create-policy", "--policy-name", "cli-fleet", "--policy-document", document);
        assertEquals(0, created.exit(), created.err());
        AwsCli.Result empty = cli("create-policy", "--policy-name", "cli-empty", "--policy-document",
                "{\"Version\":\"2012-10-17\",\"Statement\":[]}");
        assertTrue(empty.exit() != 0 && empty.err().contains("MalformedPolicyException")
                && empty.err().contains("Policy document is Malformed: the document has no Statement"), empty.err());
        AwsCli.Result group = cli("create-thing-group", "--thing-group-name", "cli-fleet", "--query", "thingGroupArn",
                "--output", "text");
        assertEquals(0, group.exit(), group.err());
        String groupArn = group.out().trim();
        assertEquals(0, cli("attach-policy", "--policy-name", "cli-fleet", "--target", groupArn).exit());
        AwsCli.Result attached = cli("list-attached-policies", "--target", groupArn, "--query",
                "policies[].policyName", "--output", "text");
        assertEquals("cli-fleet", attached.out().trim(), attached.err());
        AwsCli.Result conflict = cli("delete-policy", "--policy-name", "cli-fleet");
        assertTrue(conflict.exit() != 0 && conflict.err().contains("DeleteConflictException"), conflict.err());
        assertEquals(0, cli("create-thing-type", "--thing-type-name", "cli-type").exit());
        assertEquals(0, cli("deprecate-thing-type", "--thing-type-name", "cli-type").exit());
        AwsCli.Result deprecated = cli("create-thing", "--thing-name", "cli-typed", "--thing-type-name", "cli-type");
        assertTrue(deprecated.exit() != 0 && deprecated.err().contains("InvalidRequestException"), deprecated.err());
    }
}
