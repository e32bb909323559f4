package dev.iotonboard.local.iot.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.TestTls;
import dev.iotonboard.local.iot.rules.RuleSql;
import dev.iotonboard.local.tls.Pki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTPS data plane with a JDK TLS client: JITR semantics, policy decisions, refusals at the handshake. */
class HttpsDataPlaneTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PUBLISH_JITR = """
            {"Statement":[{"Effect":"Allow","Action":"iot:Publish",
             "Resource":"arn:aws:iot:us-east-1:000000000000:topic/jitr/*"}]}""";

    private static DeviceListeners listeners;
    private static Registry registry;
    private static HttpsDataPlane plane;
    private static Pki.Issued serverRoot;
    private static Pki.Issued ca;
    private static String caId;
    private static final List<RuleSql.Message> published = new CopyOnWriteArrayList<>();

    /** What the client saw: the handshake passed and the server answered this (empty: closed without a response). */
    private record Exchange(String response) {
        int status() {
            return Integer.parseInt(response.substring(9, 12));
        }

        JsonNode body() throws IOException {
            return JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
        }
    }

    @BeforeAll
    static void start() throws IOException {
        listeners = DeviceListeners.logged(Quotas.off());
        listeners.rules.addListener(published::add);
        registry = listeners.registry;
        registry.policies().put("jitr", PUBLISH_JITR);
        plane = listeners.https;
        serverRoot = listeners.serverRoot;
        ca = listeners.ca;
        caId = listeners.caId;
    }

    @AfterAll
    static void stop() {
        listeners.close();
    }

    private static Pki.Issued device(Pki.Issued issuer) {
        return Pki.issue(issuer, "device", Duration.ofDays(1), false, null, null);
    }

    /** The device's certificate, registered under the CA and set to {@code status}. */
    private static Pki.Issued registered(Pki.Issued device, String status) {
        registry.certificates().registerPendingActivation(device.certificate(), caId);
        registry.certificates().update(CertificateIds.fromCertificate(device.certificate()), status);
        return device;
    }

    private static Exchange post(Pki.Issued device, Pki.Issued issuer, String target) throws Exception {
        SSLContext context = TestTls.clientContext(Pki.keyStore(device, issuer.certificate()),
                serverRoot.certificate());
        try (SSLSocket socket = TestTls.socket(context, "localhost", plane.port())) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            byte[] body = "{\"thingName\":\"t\"}".getBytes(StandardCharsets.UTF_8);
            String head = "POST " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            return new Exchange(new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void unknownCertificate_isRegisteredPending_eventPublished_connectionClosedWithoutResponse() throws Exception {
        Pki.Issued device = device(ca);
        String id = CertificateIds.fromCertificate(device.certificate());
        published.clear();
        assertEquals("", post(device, ca, "/topics/jitr/start?qos=1").response());
        assertEquals("PENDING_ACTIVATION", registry.certificates().get(id).status());
        assertEquals(caId, registry.certificates().get(id).caCertificateId());
        RuleSql.Message event = published.get(0);
        assertEquals("$aws/events/certificates/registered/" + caId, event.topic());
        JsonNode payload = JSON.readTree(event.payload());
        assertEquals(id, payload.path("certificateId").asText());
        assertEquals(caId, payload.path("caCertificateId").asText());
        assertEquals("PENDING_ACTIVATION", payload.path("certificateStatus").asText());
        assertEquals("000000000000", payload.path("awsAccountId").asText());
        assertTrue(payload.path("timestamp").isNumber());
        assertTrue(payload.path("certificateRegistrationTimestamp").isTextual());

        assertEquals("", post(device, ca, "/topics/jitr/start?qos=1").response(), "still pending: closed again");
        assertEquals(2, published.size(), "the event is published again");
    }

    @Test
    void activeCertificate_publishesWhatItsPoliciesAllow() throws Exception {
        Pki.Issued device = registered(device(ca), "ACTIVE");
        String id = CertificateIds.fromCertificate(device.certificate());
        Exchange noPolicy = post(device, ca, "/topics/jitr/request?qos=1");
        assertEquals(403, noPolicy.status());
        assertEquals("Forbidden", noPolicy.body().path("message").asText());

        registry.policies().attach("jitr", registry.certificateArn(id));
        published.clear();
        Exchange ok = post(device, ca, "/topics/jitr/request?qos=1");
        assertEquals(200, ok.status(), ok.response());
        assertEquals("OK", ok.body().path("message").asText());
        assertTrue(ok.body().path("traceId").asText().matches("[0-9a-f-]{36}"));
        assertEquals("jitr/request", published.get(0).topic());
        assertEquals(id, published.get(0).principal(), "principal() is the certificate id");

        assertEquals(403, post(device, ca, "/topics/things/other?qos=1").status());
        assertEquals(400, post(device, ca, "/topics/jitr/request?qos=2").status());
        assertEquals(404, post(device, ca, "/other").status());
    }

    @Test
    void thePolicyReadsTheClientsAddress_andTheCertificatesNames() throws Exception {
        Pki.Issued device = registered(device(ca), "ACTIVE");
        String id = CertificateIds.fromCertificate(device.certificate());
        String policy = """
                {"Statement":[{"Effect":"Allow","Action":"iot:Publish",
                 "Resource":"arn:aws:iot:us-east-1:000000000000:topic/by/${iot:Certificate.Subject.CommonName}",
                 "Condition":{"IpAddress":{"aws:SourceIp":"%s"}}}]}""";
        registry.policies().create("by-address", policy.formatted("127.0.0.1/32"));
        registry.policies().attach("by-address", registry.certificateArn(id));

        assertEquals(200, post(device, ca, "/topics/by/device").status(), "CN device, from 127.0.0.1");
        assertEquals(403, post(device, ca, "/topics/by/other").status());
        registry.policies().createVersion("by-address", policy.formatted("192.0.2.0/24"), true);
        assertEquals(403, post(device, ca, "/topics/by/device").status(), "not from 192.0.2.0/24");
    }

    @Test
    void inactiveOrRevokedCertificate_isRefusedAtTheHandshake() throws Exception {
        for (String status : List.of("INACTIVE", "REVOKED")) {
            Pki.Issued device = registered(device(ca), status);
            assertThrows(IOException.class, () -> post(device, ca, "/topics/jitr/start?qos=1"), status);
        }
    }

    @Test
    void unregisteredCa_orCaWithoutAutoRegistration_isRefusedAtTheHandshake() throws Exception {
        Pki.Issued other = Pki.rootCa("Unregistered CA", Duration.ofDays(1));
        assertThrows(IOException.class, () -> post(device(other), other, "/topics/jitr/start?qos=1"));

        Pki.Issued manual = Pki.rootCa("Manual CA", Duration.ofDays(1));
        String manualId = registry.caCertificates().register(CertificateIds.toPem(manual.certificate()),
                CertificateIds.toPem(Pki.issue(manual, registry.registrationCode(), Duration.ofDays(1), false, null,
                        null).certificate()), true, false).id();
        Pki.Issued device = device(manual);
        assertThrows(IOException.class, () -> post(device, manual, "/topics/jitr/start?qos=1"));
        assertTrue(registry.certificates().find(CertificateIds.fromCertificate(device.certificate())).isEmpty());

        registry.caCertificates().update(manualId, "INACTIVE", "ENABLE");
        assertThrows(IOException.class, () -> post(device(manual), manual, "/topics/jitr/start?qos=1"),
                "an INACTIVE CA registers nothing");
    }

    @Test
    void deactivatedCa_stopsNewRegistrations_butItsActiveCertificatesStillConnect() throws Exception {
        Pki.Issued old = Pki.rootCa("Deactivated CA", Duration.ofDays(1));
        String oldId = registry.caCertificates().register(CertificateIds.toPem(old.certificate()),
                CertificateIds.toPem(Pki.issue(old, registry.registrationCode(), Duration.ofDays(1), false, null, null)
                        .certificate()), true, true).id();
        Pki.Issued registered = device(old);
        String id = CertificateIds.fromCertificate(registered.certificate());
        registry.certificates().registerPendingActivation(registered.certificate(), oldId);
        registry.certificates().update(id, "ACTIVE");
        registry.policies().attach("jitr", registry.certificateArn(id));
        registry.caCertificates().update(oldId, "INACTIVE", null);

        assertThrows(IOException.class, () -> post(device(old), old, "/topics/jitr/start?qos=1"),
                "no new registration through an INACTIVE CA");
        assertEquals(200, post(registered, old, "/topics/jitr/start?qos=1").status(),
                "a certificate already registered keeps working until it is revoked");
        registry.certificates().update(id, "REVOKED");
        assertThrows(IOException.class, () -> post(registered, old, "/topics/jitr/start?qos=1"));
    }
}
