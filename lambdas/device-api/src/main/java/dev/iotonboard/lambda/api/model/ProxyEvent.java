package dev.iotonboard.lambda.api.model;

/** The input of a REST API Lambda proxy integration, reduced to the authorizer context. */
public record ProxyEvent(String httpMethod, String path, RequestContext requestContext) {

    public record RequestContext(Authorizer authorizer, String requestId) {
    }

    /** What the authorizer put in its context, plus the principal id API Gateway adds. */
    public record Authorizer(String thingName, String principalId) {
    }

    /** The thing name from the authorizer context, or null. */
    public String thingName() {
        return requestContext == null || requestContext.authorizer() == null ? null
                : requestContext.authorizer().thingName();
    }
}
