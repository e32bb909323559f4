package dev.iotonboard.local.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.lambda.core.CertificateIds;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The events API Gateway gives a REST API's REQUEST authorizer and a Lambda proxy integration (format 1.0), with
 * {@code requestContext.identity.clientCert} for mutual TLS (api-gateway-lambda-authorizer-input.md,
 * rest-api-mutual-tls.md).
 */
public final class ApiEvents {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter CERT_TIME = DateTimeFormatter.ofPattern("MMM d HH:mm:ss yyyy 'GMT'",
            Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter REQUEST_TIME = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z",
            Locale.ROOT).withZone(ZoneOffset.UTC);

    private ApiEvents() {
    }

    /** What the stand-in knows about one request. */
    public record Request(String method, String path, Map<String, List<String>> headers,
            Map<String, List<String>> query, byte[] body, X509Certificate clientCert, String sourceIp,
            String requestId, Instant time, String domainName) {
    }

    public static String methodArn(String region, String account, ApiDefinition api, String method, String path) {
        return "arn:aws:execute-api:" + region + ":" + account + ":" + api.apiId() + "/" + api.stage() + "/" + method
                + path;
    }

    /** The REQUEST authorizer event. */
    public static ObjectNode authorizerEvent(String region, String account, ApiDefinition api, ApiDefinition.Match match,
            Request request) {
        ObjectNode event = JSON.createObjectNode();
        event.put("type", "REQUEST");
        event.put("methodArn", methodArn(region, account, api, request.method(), request.path()));
        common(event, account, api, match, request);
        return event;
    }

    /** The Lambda proxy event; {@code authorizer} is the authorizer's context plus principalId (or null). */
    public static ObjectNode proxyEvent(String account, ApiDefinition api, ApiDefinition.Match match, Request request,
            JsonNode authorizer) {
        ObjectNode event = JSON.createObjectNode();
        common(event, account, api, match, request);
        if (authorizer != null) {
            ((ObjectNode) event.get("requestContext")).set("authorizer", authorizer);
        }
        if (request.body() == null || request.body().length == 0) {
            event.putNull("body");
            event.put("isBase64Encoded", false);
        } else if (isText(request)) {
            event.put("body", new String(request.body(), java.nio.charset.StandardCharsets.UTF_8));
            event.put("isBase64Encoded", false);
        } else {
            event.put("body", java.util.Base64.getEncoder().encodeToString(request.body()));
            event.put("isBase64Encoded", true);
        }
        return event;
    }

    private static boolean isText(Request request) {
        String type = first(request.headers(), "content-type");
        if (type == null) {
            return true;
        }
        type = type.toLowerCase(Locale.ROOT);
        return type.startsWith("text/") || type.contains("json") || type.contains("xml")
                || type.contains("x-www-form-urlencoded");
    }

    private static void common(ObjectNode event, String account, ApiDefinition api, ApiDefinition.Match match,
            Request request) {
        ApiDefinition.Route route = match.route();
        event.put("resource", route.path());
        event.put("path", request.path());
        event.put("httpMethod", request.method());
        ObjectNode headers = event.putObject("headers");
        ObjectNode multiHeaders = event.putObject("multiValueHeaders");
        request.headers().forEach((name, values) -> {
            headers.put(name, values.get(values.size() - 1));
            values.forEach(multiHeaders.putArray(name)::add);
        });
        ObjectNode query = event.putObject("queryStringParameters");
        ObjectNode multiQuery = event.putObject("multiValueQueryStringParameters");
        request.query().forEach((name, values) -> {
            query.put(name, values.get(values.size() - 1));
            values.forEach(multiQuery.putArray(name)::add);
        });
        ObjectNode pathParameters = event.putObject("pathParameters");
        match.pathParameters().forEach(pathParameters::put);
        event.putObject("stageVariables");
        ObjectNode context = event.putObject("requestContext");
        context.put("resourceId", route.resourceId());
        context.put("resourcePath", route.path());
        context.put("httpMethod", request.method());
        context.put("extendedRequestId", request.requestId());
        context.put("requestTime", REQUEST_TIME.format(request.time()));
        context.put("path", request.path());
        context.put("accountId", account);
        context.put("protocol", "HTTP/1.1");
        context.put("stage", api.stage());
        String domain = request.domainName();
        context.put("domainPrefix", domain.contains(".") ? domain.substring(0, domain.indexOf('.')) : domain);
        context.put("requestTimeEpoch", request.time().toEpochMilli());
        context.put("requestId", request.requestId());
        ObjectNode identity = context.putObject("identity");
        identity.put("sourceIp", request.sourceIp());
        String agent = first(request.headers(), "user-agent");
        if (agent != null) {
            identity.put("userAgent", agent);
        }
        if (request.clientCert() != null) {
            identity.set("clientCert", clientCert(request.clientCert()));
        }
        context.put("domainName", domain);
        context.put("apiId", api.apiId());
    }

    /** {@code clientCert}: clientCertPem, subjectDN, issuerDN, serialNumber (colon hex), validity. */
    public static ObjectNode clientCert(X509Certificate certificate) {
        ObjectNode cert = JSON.createObjectNode();
        cert.put("clientCertPem", CertificateIds.toPem(certificate));
        cert.put("subjectDN", certificate.getSubjectX500Principal().getName());
        cert.put("issuerDN", certificate.getIssuerX500Principal().getName());
        byte[] serial = certificate.getSerialNumber().toByteArray();
        if (serial.length > 1 && serial[0] == 0) {
            serial = java.util.Arrays.copyOfRange(serial, 1, serial.length);
        }
        cert.put("serialNumber", HexFormat.ofDelimiter(":").formatHex(serial));
        ObjectNode validity = cert.putObject("validity");
        validity.put("notBefore", CERT_TIME.format(certificate.getNotBefore().toInstant()));
        validity.put("notAfter", CERT_TIME.format(certificate.getNotAfter().toInstant()));
        return cert;
    }

    static String first(Map<String, List<String>> map, String name) {
        for (Map.Entry<String, List<String>> e : map.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }
}
