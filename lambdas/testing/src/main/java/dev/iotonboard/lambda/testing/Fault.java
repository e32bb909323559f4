package dev.iotonboard.lambda.testing;

import dev.iotonboard.iot.model.IotApi;
import dev.iotonboard.iot.model.IotException;
import java.nio.charset.StandardCharsets;

/** Error answers {@link IotDouble} can be told to give ({@link IotDouble#failAlways} and the like). */
public enum Fault {
    THROTTLING(400, "ThrottlingException", "Rate exceeded"),
    INVALID_REQUEST(400, "InvalidRequestException", "Invalid request"),
    UNAUTHORIZED(401, "UnauthorizedException", "Unauthorized"),
    RESOURCE_NOT_FOUND(404, "ResourceNotFoundException", "Not found"),
    CERTIFICATE_STATE(406, "CertificateStateException", "Certificate state does not allow this"),
    RESOURCE_ALREADY_EXISTS(409, "ResourceAlreadyExistsException", "Resource already exists"),
    LIMIT_EXCEEDED(410, "LimitExceededException", "Limit exceeded"),
    INTERNAL_FAILURE(500, "InternalFailureException", "Internal failure"),
    /** A bare 502 from a proxy: no error type header, an HTML body. */
    BAD_GATEWAY(502, null, "<html><body>502 Bad Gateway</body></html>"),
    SERVICE_UNAVAILABLE(503, "ServiceUnavailableException", "Service unavailable");

    final int status;
    final String errorType;
    final String message;

    Fault(int status, String errorType, String message) {
        this.status = status;
        this.errorType = errorType;
        this.message = message;
    }

    IotApi.Response response() {
        return errorType == null ? new IotApi.Response(status, null, message.getBytes(StandardCharsets.UTF_8))
                : IotApi.error(new IotException(errorType, status, message));
    }
}
