package dev.iotonboard.local.sqs;

/**
 * An SQS error as both wire protocols name it: {@code shape} is the service model's error shape (the JSON protocol's
 * {@code __type}, prefixed with the model's namespace unless it has one), {@code code} the query protocol's error
 * code (also sent in JSON answers as {@code x-amzn-query-error: <code>;Sender}, which botocore and the SDK read for
 * query-compatible services).
 */
public final class SqsException extends RuntimeException {
    private final String shape;
    private final String code;
    private final int status;

    public SqsException(String shape, String code, int status, String message) {
        super(message);
        this.shape = shape;
        this.code = code;
        this.status = status;
    }

    public String shape() {
        return shape;
    }

    public String code() {
        return code;
    }

    public int status() {
        return status;
    }

    /**
     * IAM's denial: query code {@code AccessDenied}, HTTP 403, the shape a fully qualified {@code __type} (it is no
     * shape of the SQS model).
     */
    static SqsException accessDenied(String message) {
        return new SqsException("com.amazon.coral.service#AccessDeniedException", "AccessDenied", 403, message);
    }

    static SqsException queueDoesNotExist() {
        return new SqsException("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400,
                "The specified queue does not exist.");
    }

    static SqsException invalidParameter(String message) {
        return new SqsException("InvalidParameterValue", "InvalidParameterValue", 400, message);
    }

    static SqsException missingParameter(String name) {
        return new SqsException("MissingParameter", "MissingParameter", 400,
                "The request must contain the parameter " + name + ".");
    }

    static SqsException unsupported(String message) {
        return new SqsException("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", 400, message);
    }
}
