package dev.iotonboard.lambda.core;

/** A permanently bad event: handlers log it and answer, they never rethrow it (Lambda would retry it). */
public final class MalformedEventException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MalformedEventException(String message) {
        super(message);
    }
}
