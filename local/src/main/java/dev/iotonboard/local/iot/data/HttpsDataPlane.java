package dev.iotonboard.local.iot.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.Threads;
import dev.iotonboard.local.chaos.ConnectThrottledException;
import dev.iotonboard.local.iot.policy.PolicyEvaluator;
import dev.iotonboard.local.iot.rules.RuleEngine;
import dev.iotonboard.local.iot.rules.RuleSql;
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
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * The HTTPS data plane (http.md): {@code POST /topics/<topic>?qos=0|1} over TLS 1.2+ with a client certificate.
 *
 * <p>Who may connect is {@link DeviceAdmission}'s: its trust manager checks the client chain at the handshake (in the
 * {@code SSLContext} this listener is given), and after the handshake it runs JITR. An unknown or still
 * PENDING_ACTIVATION certificate is closed without a response (curl: "Empty reply from server"), and so is a
 * connection over the connect quota; an ACTIVE certificate's attached policies decide {@code iot:Publish} on the
 * topic ARN (and {@code iot:RetainPublish} too for {@code ?retain=true}): 200 {@code {"message":"OK","traceId":...}}
 * and the message goes to the rule engine with principal() = the certificate id (a retained one is also kept in
 * {@link RetainedMessages}), or 403 {@code {"message":"Forbidden","traceId":...}}. A topic over the broker's limits
 * is 400, a reserved topic a device may not publish to is 403 ({@link Topics}; iot-errors.md "Message broker error
 * codes": 400 Bad request, 403 Forbidden).
 */
public final class HttpsDataPlane implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_HEADER_BYTES = 16 * 1024;
    private static final int MAX_BODY_BYTES = 128 * 1024;

    private final DevicePolicies policies;
    private final RuleEngine rules;
    private final EventLog log;
    private final DeviceAdmission admission;
    private final RetainedMessages retained;
    private final SSLServerSocket server;
    private final ExecutorService connections = Executors.newFixedThreadPool(16, Threads.daemon("https-conn"));
    private final Thread acceptor;
    private volatile boolean closed;

    /**
     * @param tls      the device listeners' context, {@link DeviceAdmission#serverContext}
     * @param retained the broker's retained messages, which {@code ?retain=true} publishes update
     */
    public HttpsDataPlane(Registry registry, RuleEngine rules, EventLog log, DeviceAdmission admission, SSLContext tls,
            RetainedMessages retained, String bindAddress, int port) throws IOException {
        this.policies = new DevicePolicies(registry);
        this.rules = rules;
        this.log = log;
        this.admission = admission;
        this.retained = retained;
        server = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(bindAddress), port), 64);
        server.setNeedClientAuth(true);
        server.setEnabledProtocols(Pki.tlsProtocols(server.getSupportedProtocols()));
        acceptor = new Thread(this::acceptLoop, "https-accept");
        acceptor.setDaemon(true);
        acceptor.start();
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
        String sourceIp = socket.getInetAddress().getHostAddress();
        String peer = sourceIp + ":" + socket.getPort();
        try (socket) {
            socket.setSoTimeout(30_000);
            try {
                socket.startHandshake();
            } catch (SSLException e) {
                log.event("https", "TLS refused for " + peer + ": " + admission.handshakeRefusal(socket, e));
                return;
            }
            X509Certificate[] chain = (X509Certificate[]) socket.getSession().getPeerCertificates();
            X509Certificate leaf = chain[0];
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            Request request = readRequest(in);
            Optional<Registry.Certificate> admitted;
            try {
                admitted = admission.admit(socket, chain, "https");
            } catch (ConnectThrottledException e) {
                return;
            }
            if (admitted.isEmpty() || request == null) {
                return;
            }
            respond(out, handle(request, admitted.get(), leaf, sourceIp));
        } catch (IOException e) {
            if (!closed) {
                log.event("https", "connection " + peer + " ended: " + e.getMessage());
            }
        }
    }

    private record Request(String method, String path, Map<String, String> query, Map<String, String> headers,
            byte[] body) {
    }

    private record Response(int status, String reason, String body) {
    }

    private Response handle(Request request, Registry.Certificate certificate, X509Certificate leaf,
            String sourceIp) {
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
        String retain = request.query().getOrDefault("retain", "false");
        if (!retain.equals("true") && !retain.equals("false")) {
            return new Response(400, "Bad Request", message("Invalid retain " + retain + ": true or false",
                    traceId));
        }
        if (!Topics.validName(topic)) {
            return new Response(400, "Bad Request", message("Invalid topic name", traceId));
        }
        String what = "publish to " + topic + " by " + certificate.id();
        Topics.Refusal refusal = Topics.publishRefusal(topic, retain.equals("true"));
        if (refusal != null) {
            log.event("https", what + ": " + (refusal.reserved() ? 403 : 400) + " (" + refusal.reason() + ")");
            return refusal.reserved() ? new Response(403, "Forbidden", message("Forbidden", traceId))
                    : new Response(400, "Bad Request", message("Invalid topic name: " + refusal.reason(), traceId));
        }
        Map<String, String> context = DevicePolicies.httpsContext(leaf, sourceIp);
        for (String action : retain.equals("true") ? List.of("iot:Publish", "iot:RetainPublish")
                : List.of("iot:Publish")) {
            PolicyEvaluator.Decision decision = policies.evaluate(certificate.id(), action,
                    policies.arn("topic", topic), context);
            if (decision != PolicyEvaluator.Decision.ALLOW) {
                log.event("https", what + ": 403 (" + action + " " + decision + ")");
                return new Response(403, "Forbidden", message("Forbidden", traceId));
            }
        }
        log.event("https", what + ": 200 (" + request.body().length + " bytes, qos " + qos
                + (retain.equals("true") ? ", retained" : "") + ")");
        if (retain.equals("true")) {
            retained.retain(topic, request.body(), Integer.parseInt(qos));
        }
        rules.publish(new RuleSql.Message(topic, request.body(), certificate.id(), null, System.currentTimeMillis()));
        return new Response(200, "OK", message("OK", traceId));
    }

    private String message(String text, String traceId) {
        return JSON.createObjectNode().put("message", text).put("traceId", traceId).toString();
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

}
