package dev.iotonboard.iot.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.TestPki;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateStateException;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.DeleteConflictException;
import software.amazon.awssdk.services.iot.model.ResourceNotFoundException;

/**
 * Item 8's certificate rules through the real SDK client against the IoT double: DeleteCertificate (ACTIVE 406,
 * attached to a thing or to policies 409, forceDelete detaching policies only, a detachment still propagating still
 * attached), DeleteCACertificate (ACTIVE 406), ListCertificates; and what the state file keeps of the new state.
 */
class CertificateDeletionTest {
    private static final TestPki PKI = TestPki.newCa("deletion-ca");

    private final IotDouble iot = IotDouble.start();
    private final IotClient client = iot.client();

    @AfterEach
    void stop() {
        client.close();
        iot.close();
    }

    @Test
    void deleteCertificate_activeIsRefused_thenThingsThenPolicies_forceDeleteDetachesPoliciesOnly() {
        String id = iot.addCertificate(PKI.issueDevice().pem(), PKI.caId(), "ACTIVE");
        String arn = iot.certificateArn(id);
        iot.addThing("thing-1", arn);
        iot.addPolicy("app");
        iot.attachPolicy("app", arn);

        CertificateStateException active = assertThrows(CertificateStateException.class,
                () -> client.deleteCertificate(r -> r.certificateId(id).forceDelete(true)));
        assertEquals(406, active.statusCode());
        assertEquals("Certificate must be deactivated (not ACTIVE) before deletion. Id: " + id,
                active.awsErrorDetails().errorMessage());

        client.updateCertificate(r -> r.certificateId(id).newStatus(CertificateStatus.INACTIVE));
        DeleteConflictException thing = assertThrows(DeleteConflictException.class,
                () -> client.deleteCertificate(r -> r.certificateId(id).forceDelete(true)));
        assertEquals(409, thing.statusCode());
        assertEquals("Things must be detached before deletion (arn: " + arn + ")",
                thing.awsErrorDetails().errorMessage(), "forceDelete does not detach things");

        client.detachThingPrincipal(r -> r.thingName("thing-1").principal(arn));
        DeleteConflictException policies = assertThrows(DeleteConflictException.class,
                () -> client.deleteCertificate(r -> r.certificateId(id)));
        assertEquals("Certificate policies must be detached before deletion (arn: " + arn + ")",
                policies.awsErrorDetails().errorMessage());
        assertEquals(List.of("app"), iot.policiesOf(arn), "a refused delete changes nothing");

        client.deleteCertificate(r -> r.certificateId(id).forceDelete(true));
        assertThrows(ResourceNotFoundException.class, () -> client.describeCertificate(r -> r.certificateId(id)));
        assertEquals(List.of(), iot.policiesOf(arn));
        assertEquals(List.of(), client.listTargetsForPolicy(r -> r.policyName("app")).targets());
    }

    @Test
    void deleteCertificate_aDetachmentStillPropagatingIsStillAnAttachment() {
        String id = iot.addCertificate(PKI.issueDevice().pem(), PKI.caId(), "REVOKED");
        String arn = iot.certificateArn(id);
        iot.addThing("thing-1", arn);
        iot.detachPropagationDelay(Duration.ofSeconds(30));

        client.detachThingPrincipal(r -> r.thingName("thing-1").principal(arn));
        assertThrows(DeleteConflictException.class, () -> client.deleteCertificate(r -> r.certificateId(id)));
        assertEquals(List.of("thing-1"), client.listPrincipalThings(r -> r.principal(arn)).things());
        iot.advanceClock(Duration.ofSeconds(30));
        assertEquals(List.of(), client.listPrincipalThings(r -> r.principal(arn)).things());
        client.deleteCertificate(r -> r.certificateId(id));
    }

    @Test
    void deleteCaCertificate_refusedWhileActive() {
        TestPki other = TestPki.newCa("deletion-ca-2");
        iot.setCaStatus(other.caId(), "ACTIVE");
        CertificateStateException active = assertThrows(CertificateStateException.class,
                () -> client.deleteCACertificate(r -> r.certificateId(other.caId())));
        assertEquals(406, active.statusCode());
        client.updateCACertificate(r -> r.certificateId(other.caId()).newStatus("INACTIVE"));
        client.deleteCACertificate(r -> r.certificateId(other.caId()));
        assertThrows(ResourceNotFoundException.class,
                () -> client.describeCACertificate(r -> r.certificateId(other.caId())));
        assertThrows(ResourceNotFoundException.class,
                () -> client.deleteCACertificate(r -> r.certificateId(other.caId())));
    }

    @Test
    void listCertificates_oldestFirst_25APageByDefault() {
        Instant first = Instant.parse("2026-11-01T00:00:00Z");
        for (int i = 0; i < 26; i++) {
            String id = iot.addCertificate(PKI.issueDevice().pem(), PKI.caId(), "ACTIVE");
            iot.setCreationDate(id, first.plusSeconds(i));
        }
        var page = client.listCertificates(r -> { });
        assertEquals(25, page.certificates().size());
        assertEquals(first, page.certificates().get(0).creationDate());
        var rest = client.listCertificates(r -> r.marker(page.nextMarker()));
        assertEquals(1, rest.certificates().size());
        assertEquals(null, rest.nextMarker());
        assertEquals(first.plusSeconds(25), client.listCertificates(r -> r.ascendingOrder(false).pageSize(1))
                .certificates().get(0).creationDate());
        assertEquals(26, client.listCertificatesPaginator(r -> { }).certificates().stream().count());
    }

    @Test
    void stateFile_keepsTopicRulesAndPropagatingDetachments(@TempDir Path dir) {
        Path file = dir.resolve("registry.json");
        Instant now = Instant.parse("2026-11-01T00:00:00Z");
        String identity = "eu-west-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        Registry first = new Registry("eu-west-1", "123456789012", file, Clock.fixed(now, ZoneOffset.UTC));
        first.things().create("t1", Map.of());
        first.thingPrincipals().attach("t1", identity, null);
        first.detachPropagationDelay(Duration.ofMinutes(1));
        first.thingPrincipals().detach("t1", identity);
        first.topicRules().put("rule_1", "{\"Sql\":\"SELECT * FROM 'a/b'\",\"Actions\":[]}");

        Registry restarted = new Registry("eu-west-1", "123456789012", file, Clock.fixed(now, ZoneOffset.UTC));
        assertEquals("a/b", restarted.topicRules().get("rule_1").topicPattern());
        assertEquals(List.of(identity), restarted.thingPrincipals().principals("t1"),
                "still propagating after a restart");
        Registry later = new Registry("eu-west-1", "123456789012", file,
                Clock.fixed(now.plus(Duration.ofMinutes(1)), ZoneOffset.UTC));
        assertTrue(later.thingPrincipals().principals("t1").isEmpty());
    }
}
