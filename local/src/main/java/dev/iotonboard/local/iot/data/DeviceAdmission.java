package dev.iotonboard.local.iot.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.chaos.ConnectThrottledException;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.iot.rules.RuleEngine;
import dev.iotonboard.local.iot.rules.RuleSql;
import dev.iotonboard.local.tls.CertificateAlgorithms;
import dev.iotonboard.local.tls.ClientCertificateTrustManager;
import dev.iotonboard.local.tls.Pki;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;

/**
 * Who may connect to the device side, HTTPS and MQTT alike, decided once per connection (auto-register-device-cert.md;
 * aws-behaviour.md "CA registration and JITR").
 *
 * <p>At the TLS handshake ({@link #trustManager()}) the connection's certificate is looked at once: which registered
 * CA signed its chain, its id, what the registry knows of it. The handshake fails unless a CA registered at that
 * moment signed the chain and the device certificate is valid in time, signed with SHA-256 or stronger over an
 * accepted key ({@link CertificateAlgorithms}: an MD5 or SHA-1 signature is refused, x509-client-certs.md), and
 * either ACTIVE, PENDING_ACTIVATION, or unknown with a CA that is ACTIVE and allows auto-registration. Before that,
 * the server certificate goes only to clients that name the endpoint in SNI ({@link #serverContext}). Deactivating a CA stops new registrations;
 * certificates it already registered keep working until revoked one by one (deactivate-ca-cert.md). What was found is
 * kept for the connection.
 *
 * <p>After the handshake ({@link #admit}), with what the handshake found: first the {@code connect} quota (over it,
 * {@link ConnectThrottledException}, and nothing else happens: no JITR); then an unknown certificate is registered as
 * PENDING_ACTIVATION and the registered event is published to
 * {@code $aws/events/certificates/registered/<caCertificateId>}, a certificate still PENDING_ACTIVATION re-publishes
 * it, and both, like any status but ACTIVE, close the connection (empty); an ACTIVE certificate is admitted. A resumed
 * TLS session skips the trust manager: its certificate is then looked at here, by the same rules.
 *
 * <p>A registered CA's certificate is parsed once, not at every handshake: its id is the SHA-256 of its DER, so an id
 * names one certificate for good.
 */
public final class DeviceAdmission {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one connection's certificate is: its CA (null: no registered CA signed it) and its registry entry. */
    private record Finding(X509Certificate leaf, String certificateId, Registry.CaCertificate ca,
            Optional<Registry.Certificate> known) {
    }

    /** A registered CA's certificate, parsed. */
    private record ParsedCa(String pem, X509Certificate certificate) {
    }

    private final Registry registry;
    private final RuleEngine rules;
    private final EventLog log;
    private final Quotas quotas;
    private final AtomicLong connectThrottled = new AtomicLong();
    private final AtomicLong findings = new AtomicLong();
    private final Map<String, ParsedCa> caCertificates = new ConcurrentHashMap<>();
    /** What each connection's handshake found, by its socket or engine, until the listener admits it. */
    private final Map<Object, Finding> handshakes = Collections.synchronizedMap(new WeakHashMap<>());
    /** Handshakes refused for their SNI, by socket or engine, until the listener logs the failure. */
    private final Map<Object, String> tlsRefusals = Collections.synchronizedMap(new WeakHashMap<>());

    /** @param quotas its {@link Quotas#CONNECT} rate limits {@link #admit} (HTTPS and MQTT connections) */
    public DeviceAdmission(Registry registry, RuleEngine rules, EventLog log, Quotas quotas) {
        this.registry = registry;
        this.rules = rules;
        this.log = log;
        this.quotas = quotas;
    }

    /** Connections refused by the connect quota so far, HTTPS and MQTT. */
    public long connectThrottled() {
        return connectThrottled.get();
    }

    /**
     * The device listeners' TLS: the tool's server certificate, for clients that send {@code endpoint} (the data
     * endpoint, {@code --host}) as SNI; client certificates checked by this admission.
     */
    public SSLContext serverContext(Pki.Issued serverCertificate, X509Certificate serverRoot, String endpoint) {
        return Pki.serverContext(serverCertificate, serverRoot, endpoint, tlsRefusals::put, trustManager());
    }

    /** Why a connection's TLS handshake failed: the SNI refusal if that was it, else the failure's own message. */
    String handshakeRefusal(Object connection, Throwable failure) {
        String sni = tlsRefusals.remove(connection);
        return sni != null ? sni : MqttBroker.rootMessage(failure);
    }

    /** The handshake's check, for the SSLContext of a device listener. */
    public ClientCertificateTrustManager trustManager() {
        return new HandshakeCheck();
    }

    /** How many certificates were looked at so far: one per connection (tests). */
    long findings() {
        return findings.get();
    }

    /**
     * JITR and the certificate status for a connection whose TLS handshake passed: the ACTIVE certificate, or empty
     * (close the connection).
     *
     * @param connection the {@code SSLSocket} or {@code SSLEngine} of the connection
     * @param listener   the log component ({@code https}, {@code mqtt})
     * @throws ConnectThrottledException over the {@code connect} quota
     */
    Optional<Registry.Certificate> admit(Object connection, X509Certificate[] chain, String listener) {
        Finding finding = handshakes.remove(connection);
        boolean resumed = finding == null;
        if (resumed) {
            finding = find(chain);
        }
        String certificateId = finding.certificateId();
        if (!quotas.tryAcquire(Quotas.CONNECT)) {
            connectThrottled.incrementAndGet();
            log.event(listener, "connect quota exceeded: " + certificateId + " refused");
            throw new ConnectThrottledException("connect quota exceeded");
        }
        if (resumed) {
            String refusal = refusal(finding);
            if (refusal != null) {
                log.event(listener, "refused " + certificateId + " (resumed TLS session): " + refusal);
                return Optional.empty();
            }
        }
        Optional<Registry.Certificate> known = finding.known();
        if (known.isEmpty() || known.get().status().equals("PENDING_ACTIVATION")) {
            Registry.Certificate pending = registry.certificates().registerPendingActivation(finding.leaf(), finding.ca().id());
            publishRegisteredEvent(pending);
            log.event(listener, (known.isEmpty() ? "JITR: registered " : "JITR: still PENDING_ACTIVATION ")
                    + certificateId + " (CA " + finding.ca().id() + "); connection closed"
                    + (listener.equals("https") ? " without a response" : ""));
            return Optional.empty();
        }
        if (!known.get().status().equals("ACTIVE")) {
            log.event(listener, "refused " + certificateId + ": status " + known.get().status());
            return Optional.empty();
        }
        return known;
    }

    /** Looks at a chain once: the registered CA that signed it, the leaf's id and registry entry. */
    private Finding find(X509Certificate[] chain) {
        findings.incrementAndGet();
        X509Certificate leaf = chain[0];
        String certificateId = CertificateIds.fromCertificate(leaf);
        return new Finding(leaf, certificateId, issuingCa(chain).orElse(null),
                registry.certificates().find(certificateId));
    }

    /** Why the handshake refuses this certificate, or null. */
    private static String refusal(Finding finding) {
        Registry.CaCertificate ca = finding.ca();
        String id = finding.certificateId();
        if (ca == null) {
            Optional<Registry.Certificate> withoutCa = finding.known().filter(c -> c.caCertificateId() == null);
            if (withoutCa.isPresent()) {
                // RegisterCertificateWithoutCA (certificateMode SNI_ONLY): no CA to check, its status decides
                String status = withoutCa.get().status();
                return status.equals("ACTIVE") ? null : "certificate " + id + " is " + status;
            }
            return "the client certificate was not issued by a registered CA";
        }
        if (finding.known().isEmpty()) {
            if (!ca.status().equals("ACTIVE")) {
                return "certificate " + id + " is not registered and its CA " + ca.id() + " is " + ca.status();
            }
            if (!ca.autoRegistrationStatus().equals("ENABLE")) {
                return "certificate " + id + " is not registered and CA " + ca.id()
                        + " does not allow auto-registration";
            }
            return null;
        }
        String status = finding.known().get().status();
        if (!status.equals("ACTIVE") && !status.equals("PENDING_ACTIVATION")) {
            return "certificate " + id + " is " + status;
        }
        return null;
    }

    /** The registered CA that signed the chain (the leaf, or a certificate the leaf chains to). */
    private Optional<Registry.CaCertificate> issuingCa(X509Certificate[] chain) {
        for (Registry.CaCertificate ca : registry.caCertificates().list()) {
            X509Certificate caCert = parsed(ca);
            for (int i = 0; i < chain.length; i++) {
                if (Pki.signs(caCert, chain[i]) && linked(chain, i)) {
                    return Optional.of(ca);
                }
            }
        }
        return Optional.empty();
    }

    private X509Certificate parsed(Registry.CaCertificate ca) {
        ParsedCa parsed = caCertificates.get(ca.id());
        if (parsed == null || !parsed.pem().equals(ca.pem())) {
            parsed = new ParsedCa(ca.pem(), CertificateIds.parsePem(ca.pem()));
            caCertificates.put(ca.id(), parsed);
        }
        return parsed.certificate();
    }

    private static boolean linked(X509Certificate[] chain, int upTo) {
        for (int i = 0; i < upTo; i++) {
            if (!Pki.signs(chain[i + 1], chain[i])) {
                return false;
            }
        }
        return true;
    }

    private void publishRegisteredEvent(Registry.Certificate certificate) {
        long now = System.currentTimeMillis();
        String event = JSON.createObjectNode().put("certificateId", certificate.id())
                .put("caCertificateId", certificate.caCertificateId()).put("timestamp", now)
                .put("certificateStatus", "PENDING_ACTIVATION").put("awsAccountId", registry.account())
                .put("certificateRegistrationTimestamp", Long.toString((long) (certificate.creationDate() * 1000)))
                .toString();
        rules.publish(new RuleSql.Message("$aws/events/certificates/registered/" + certificate.caCertificateId(),
                event.getBytes(StandardCharsets.UTF_8), null, null, now));
    }

    /** The handshake's part: refuses what the rules refuse, keeps what it found for the connection. */
    private final class HandshakeCheck extends ClientCertificateTrustManager {
        @Override
        protected void checkClient(X509Certificate[] chain, String authType, Object connection)
                throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("no client certificate");
            }
            chain[0].checkValidity();
            String insecure = CertificateAlgorithms.insecurity(chain[0]);
            if (insecure != null) {
                throw new CertificateException("the device certificate is " + insecure);
            }
            Finding finding = find(chain);
            String refusal = refusal(finding);
            if (refusal != null) {
                throw new CertificateException(refusal);
            }
            if (connection != null) {
                handshakes.put(connection, finding);
            }
        }
    }
}
