package dev.iotonboard.iot.model;

/** An IoT API error: the service model's error shape name and HTTP status, and the message. */
public final class IotException extends RuntimeException {
    private final String errorType;
    private final int status;
    private final String resourceId;

    public IotException(String errorType, int status, String message) {
        this(errorType, status, message, null);
    }

    public IotException(String errorType, int status, String message, String resourceId) {
        super(message);
        this.errorType = errorType;
        this.status = status;
        this.resourceId = resourceId;
    }

    public String errorType() {
        return errorType;
    }

    public int status() {
        return status;
    }

    public String resourceId() {
        return resourceId;
    }

    public static IotException invalidRequest(String message) {
        return new IotException("InvalidRequestException", 400, message);
    }

    public static IotException notFound(String message) {
        return new IotException("ResourceNotFoundException", 404, message);
    }

    public static IotException alreadyExists(String message, String resourceId) {
        return new IotException("ResourceAlreadyExistsException", 409, message, resourceId);
    }

    public static IotException certificateValidation(String message) {
        return new IotException("CertificateValidationException", 400, message);
    }

    public static IotException certificateState(String message) {
        return new IotException("CertificateStateException", 406, message);
    }

    public static IotException deleteConflict(String message) {
        return new IotException("DeleteConflictException", 409, message);
    }

    public static IotException malformedPolicy(String message) {
        return new IotException("MalformedPolicyException", 400, message);
    }

    public static IotException versionsLimitExceeded(String message) {
        return new IotException("VersionsLimitExceededException", 409, message);
    }

    public static IotException versionConflict(String message) {
        return new IotException("VersionConflictException", 409, message);
    }

    public static IotException unauthorized(String message) {
        return new IotException("UnauthorizedException", 401, message);
    }

    public static IotException registrationCode(String message) {
        return new IotException("RegistrationCodeValidationException", 400, message);
    }
}
