package dev.iotonboard.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.chaos.ConnectThrottledException;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.iot.policy.PolicyEvaluator;
import dev.iotonboard.local.iot.rules.RuleEngine;
import dev.iotonboard.local.iot.rules.RuleSql;
import dev.iotonboard.local.tls.ClientCertificateTrustManager;
import dev.iotonboard.local.tls.Pki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * The HTTPS data plane (http.md): {@code POST /topics/<topic>?qos=0|1} over TLS 1.2+ with a client certificate.
 *
 * <p>At the handshake a dynamic trust manager accepts a client chain only when a CA registered at that moment signed
 * it, and the device certificate is not INACTIVE, REVOKED or otherwise unusable; an unknown certificate passes only
 * when its CA is ACTIVE and allows auto-registration. After the handshake (auto-register-device-cert.md): an unknown
 * certificate is registered as PENDING_ACTIVATION, the registered event is published to
 * {@code $aws/events/certificates/registered/<caCertificateId>}, and the connection is closed without a response
 * (curl: "Empty reply from server"); a certificate still PENDING_ACTIVATION re-publishes the event and is closed the
 * same way; an ACTIVE certificate's attached policies decide {@code iot:Publish} on the topic ARN: 200
 * {@code {"message":"OK","traceId":...}} and the message goes to the rule engine with principal() = the certificate
 * id, or 403 {@code {"message":"Forbidden","traceId":...}}.
 */
public final class DataPlane implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_HEADER_BYTES = 16 * 1024;
    private static final int MAX_BODY_BYTES = 128 * 1024;

    private final Registry registry;
    private final RuleEngine rules;
    private final EventLog log;
    private final SSLServerSocket server;
    private final ExecutorService connections = Executors.newFixedThreadPool(16, Threads.daemon("https-conn"));
    private final Thread acceptor;
    private final Quotas quotas;
    private final AtomicLong connectThrottled = new AtomicLong();
    private volatile boolean closed;

    /** Without a connect quota. */
    public DataPlane(Registry registry, RuleEngine rules, EventLog log, Pki.Issued serverCertificate,
            X509Certificate serverRoot, String bindAddress, int port) throws IOException {
        this(registry, rules, log, serverCertificate, serverRoot, bindAddress, port, Quotas.off());
    }

    /** @param quotas its {@link Quotas#CONNECT} rate limits {@link #admit} (HTTPS and MQTT connections) */
    public DataPlane(Registry registry, RuleEngine rules, EventLog log, Pki.Issued serverCertificate,
            X509Certificate serverRoot, String bindAddress, int port, Quotas quotas) throws IOException {
        this.quotas = quotas;
        this.registry = registry;
        this.rules = rules;
        this.log = log;
        SSLContext context = Pki.serverContext(serverCertificate, serverRoot, new RegistryTrustManager());
        server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(bindAddress), port), 64);
        server.setNeedClientAuth(true);
        server.setEnabledProtocols(Pki.tlsProtocols(server.getSupportedProtocols()));
        acceptor = new Thread(this::acceptLoop, "https-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Connections refused by the connect quota so far. */
    public long connectThrottled() {
        return connectThrottled.get();
    }

    public int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        connections.shutdownNow();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                connections.execute(() -> serve((SSLSocket) socket));
            } catch (IOException e) {
                if (!closed) {
                    log.event("https", "accept failed: " + e);
                }
            }
        }
    }

    private void serve(SSLSocket socket) {
        String peer = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
        try (socket) {
            socket.setSoTimeout(30_000);
            try {
                socket.startHandshake();
            } catch (SSLException e) {
                log.event("https", "TLS refused for " + peer + ": " + rootMessage(e));
                return;
            }
            X509Certificate[] chain = (X509Certificate[]) socket.getSession().getPeerCertificates();
            X509Certificate leaf = chain[0];
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            Request request = readRequest(in);
            Optional<Registry.Certificate> admitted;
            try {
                admitted = admit(chain, "https");
            } catch (ConnectThrottledException e) {
                return;
            }
            if (admitted.isEmpty() || request == null) {
                return;
            }
            respond(out, handle(request, admitted.get(), leaf));
        } catch (IOException e) {
            if (!closed) {
                log.event("https", "connection " + peer + " ended: " + e.getMessage());
            }
        }
    }

    /**
     * JITR and the certificate status for a connection whose TLS handshake passed (the HTTPS and MQTT listeners):
     * an unknown certificate is registered as PENDING_ACTIVATION and the registered event is published, a certificate
     * still PENDING_ACTIVATION re-publishes it; both, and any status but ACTIVE, give empty (close the connection).
     * Otherwise the ACTIVE certificate. First the {@code connect} quota: over it, {@link ConnectThrottledException}
     * (nothing else happens: no JITR).
     */
    public Optional<Registry.Certificate> admit(X509Certificate[] chain, String listener) {
        X509Certificate leaf = chain[0];
        String certificateId = CertificateIds.fromCertificate(leaf);
        if (!quotas.tryAcquire(Quotas.CONNECT)) {
            connectThrottled.incrementAndGet();
            log.event(listener, "connect quota exceeded: " + certificateId + " refused");
            throw new ConnectThrottledException("connect quota exceeded");
        }
        Optional<Registry.CaCertificate> ca = issuingCa(chain);
        if (ca.isEmpty()) {
            return Optional.empty();
        }
        Optional<Registry.Certificate> known = registry.findCertificate(certificateId);
        if (known.isEmpty() || known.get().status().equals("PENDING_ACTIVATION")) {
            Registry.Certificate pending = registry.registerPendingActivation(leaf, ca.get().id());
            publishRegisteredEvent(pending);
            log.event(listener, (known.isEmpty() ? "JITR: registered " : "JITR: still PENDING_ACTIVATION ")
                    + certificateId + " (CA " + ca.get().id() + "); connection closed"
                    + (listener.equals("https") ? " without a response" : ""));
            return Optional.empty();
        }
        if (!known.get().status().equals("ACTIVE")) {
            log.event(listener, "refused " + certificateId + ": status " + known.get().status());
            return Optional.empty();
        }
        return known;
    }

    private record Request(String method, String path, Map<String, String> query, Map<String, String> headers,
            byte[] body) {
    }

    private record Response(int status, String reason, String body) {
    }

    private Response handle(Request request, Registry.Certificate certificate, X509Certificate leaf) {
        String traceId = UUID.randomUUID().toString();
        if (!request.path().startsWith("/topics/") || request.path().length() <= "/topics/".length()) {
            return new Response(404, "Not Found", message("Not Found", traceId));
        }
        if (!request.method().equals("POST")) {
            return new Response(405, "Method Not Allowed", message("Method Not Allowed", traceId));
        }
        String topic = URLDecoder.decode(request.path().substring("/topics/".length()).replace("+", "%2B"),
                StandardCharsets.UTF_8);
        String qos = request.query().getOrDefault("qos", "0");
        if (!qos.equals("0") && !qos.equals("1")) {
            return new Response(400, "Bad Request", message("Invalid qos " + qos + ": 0 or 1", traceId));
        }
        if (topic.contains("+") || topic.contains("#") || topic.isEmpty()) {
            return new Response(400, "Bad Request", message("Invalid topic name", traceId));
        }
        String resource = "arn:aws:iot:" + registry.region() + ":" + registry.account() + ":topic/" + topic;
        List<String> documents = registry.attachedPolicies(registry.certificateArn(certificate.id())).stream()
                .map(Registry.Policy::document).toList();
        PolicyEvaluator.Decision decision = PolicyEvaluator.evaluate(documents, "iot:Publish", resource,
                connectionContext(leaf));
        if (decision != PolicyEvaluator.Decision.ALLOW) {
            log.event("https", "publish to " + topic + " by " + certificate.id() + ": 403 (" + decision + ")");
            return new Response(403, "Forbidden", message("Forbidden", traceId));
        }
        log.event("https", "publish to " + topic + " by " + certificate.id() + ": 200 (" + request.body().length
                + " bytes, qos " + qos + ")");
        rules.publish(new RuleSql.Message(topic, request.body(), certificate.id(), null, System.currentTimeMillis()));
        return new Response(200, "OK", message("OK", traceId));
    }

    /**
     * Policy variables of an HTTPS connection: certificate ones only. HTTPS has no client id, so
     * {@code iot:ClientId} and the thing variables stay unresolved (thing-policy-variables.md, http.md).
     */
    static Map<String, String> connectionContext(X509Certificate leaf) {
        Map<String, String> context = new LinkedHashMap<>();
        String subjectCn = Pki.commonName(leaf);
        if (subjectCn != null) {
            context.put("iot:Certificate.Subject.CommonName", subjectCn);
        }
        context.put("iot:Certificate.SerialNumber", leaf.getSerialNumber().toString());
        return context;
    }

    private String message(String text, String traceId) {
        return JSON.createObjectNode().put("message", text).put("traceId", traceId).toString();
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

    private static void respond(OutputStream out, Response response) throws IOException {
        byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + response.status() + " " + response.reason() + "\r\n"
                + "content-type: application/json\r\n"
                + "content-length: " + body.length + "\r\n"
                + "x-amzn-RequestId: " + UUID.randomUUID() + "\r\n"
                + "connection: close\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    /** Reads one HTTP/1.1 request (Content-Length or chunked body); null when the client sent nothing usable. */
    private static Request readRequest(InputStream in) throws IOException {
        String head = readHead(in);
        if (head == null) {
            return null;
        }
        String[] lines = head.split("\r\n");
        String[] requestLine = lines[0].split(" ");
        if (requestLine.length < 2) {
            return null;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        String target = requestLine[1];
        int question = target.indexOf('?');
        String path = question < 0 ? target : target.substring(0, question);
        Map<String, String> query = new LinkedHashMap<>();
        if (question >= 0) {
            for (String pair : target.substring(question + 1).split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    query.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        byte[] body;
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = readChunked(in);
        } else {
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            if (length < 0 || length > MAX_BODY_BYTES) {
                throw new IOException("body too large: " + length);
            }
            body = in.readNBytes(length);
        }
        return new Request(requestLine[0], path, query, headers, body);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (head.size() < MAX_HEADER_BYTES) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                String text = head.toString(StandardCharsets.ISO_8859_1);
                return text.substring(0, text.length() - 4);
            }
        }
        throw new IOException("request head too large");
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
            if (size == 0) {
                while (!readLine(in).isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            if (body.size() + size > MAX_BODY_BYTES) {
                throw new IOException("body too large");
            }
            body.write(in.readNBytes(size));
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    /** The registered CA that signed the chain (the leaf, or a certificate the leaf chains to). */
    private Optional<Registry.CaCertificate> issuingCa(X509Certificate[] chain) {
        for (Registry.CaCertificate ca : registry.caCertificates()) {
            X509Certificate caCert = CertificateIds.parsePem(ca.pem());
            for (int i = 0; i < chain.length; i++) {
                if (signs(caCert, chain[i]) && linked(chain, i)) {
                    return Optional.of(ca);
                }
            }
        }
        return Optional.empty();
    }

    private static boolean linked(X509Certificate[] chain, int upTo) {
        for (int i = 0; i < upTo; i++) {
            if (!signs(chain[i + 1], chain[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean signs(X509Certificate issuer, X509Certificate subject) {
        if (!issuer.getSubjectX500Principal().equals(subject.getIssuerX500Principal())) {
            return false;
        }
        try {
            subject.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    /**
     * Accepts a client chain signed by a CA registered now, whose device certificate is valid in time and either
     * ACTIVE, PENDING_ACTIVATION, or unknown with a CA that is ACTIVE and allows auto-registration. Deactivating a CA
     * stops new registrations; certificates it already registered keep working until revoked one by one
     * (aws-behaviour.md, deactivate-ca-cert.md).
     */
    final class RegistryTrustManager extends ClientCertificateTrustManager {

        @Override
        protected void checkClient(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("no client certificate");
            }
            X509Certificate leaf = chain[0];
            leaf.checkValidity();
            Optional<Registry.CaCertificate> ca = issuingCa(chain);
            if (ca.isEmpty()) {
                throw new CertificateException("the client certificate was not issued by a registered CA");
            }
            String id = CertificateIds.fromCertificate(leaf);
            Optional<Registry.Certificate> known = registry.findCertificate(id);
            if (known.isEmpty()) {
                if (!ca.get().status().equals("ACTIVE")) {
                    throw new CertificateException("certificate " + id + " is not registered and its CA "
                            + ca.get().id() + " is " + ca.get().status());
                }
                if (!ca.get().autoRegistrationStatus().equals("ENABLE")) {
                    throw new CertificateException("certificate " + id + " is not registered and CA " + ca.get().id()
                            + " does not allow auto-registration");
                }
                return;
            }
            String status = known.get().status();
            if (!status.equals("ACTIVE") && !status.equals("PENDING_ACTIVATION")) {
                throw new CertificateException("certificate " + id + " is " + status);
            }
        }
    }

    /** The trust manager for other TLS listeners of the tool (the MQTT broker of issue 6). */
    public ClientCertificateTrustManager trustManager() {
        return new RegistryTrustManager();
    }
}
