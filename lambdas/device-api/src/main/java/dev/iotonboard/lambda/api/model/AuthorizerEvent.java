package dev.iotonboard.lambda.api.model;

/**
 * The input of an API Gateway REST API REQUEST authorizer, reduced to what is used. With mutual TLS on the custom
 * domain, API Gateway adds {@code requestContext.identity.clientCert}.
 */
public record AuthorizerEvent(String type, String methodArn, RequestContext requestContext) {

    public record RequestContext(Identity identity, String requestId) {
    }

    public record Identity(ClientCert clientCert, String sourceIp) {
    }

    public record ClientCert(String clientCertPem, String subjectDN, String issuerDN, String serialNumber,
            Validity validity) {
    }

    public record Validity(String notBefore, String notAfter) {
    }

    /** The client certificate PEM, or null when any level is missing. */
    public String clientCertPem() {
        if (requestContext == null || requestContext.identity() == null
                || requestContext.identity().clientCert() == null) {
            return null;
        }
        return requestContext.identity().clientCert().clientCertPem();
    }
}
