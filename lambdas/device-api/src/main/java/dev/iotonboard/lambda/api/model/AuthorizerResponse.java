package dev.iotonboard.lambda.api.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The answer of a REST API Lambda authorizer: an IAM policy allowing or denying {@code execute-api:Invoke} on the
 * method ARN, the principal id, and the context passed to the integration ({@code thingName}).
 */
public record AuthorizerResponse(String principalId, PolicyDocument policyDocument, Map<String, String> context) {

    public record PolicyDocument(@JsonProperty("Version") String version,
            @JsonProperty("Statement") List<Statement> statement) {
    }

    public record Statement(@JsonProperty("Action") String action, @JsonProperty("Effect") String effect,
            @JsonProperty("Resource") String resource) {
    }

    public static AuthorizerResponse allow(String thingName, String methodArn) {
        return new AuthorizerResponse(thingName, policy("Allow", methodArn), Map.of("thingName", thingName));
    }

    public static AuthorizerResponse deny(String principalId, String methodArn) {
        return new AuthorizerResponse(principalId, policy("Deny", methodArn), null);
    }

    private static PolicyDocument policy(String effect, String methodArn) {
        return new PolicyDocument("2012-10-17", List.of(new Statement("execute-api:Invoke", effect, methodArn)));
    }
}
