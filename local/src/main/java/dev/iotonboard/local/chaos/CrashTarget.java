package dev.iotonboard.local.chaos;

/**
 * What a crash fault ({@code crash:OP:N}) kills: the callers of the control plane that can crash, known by the access
 * key id each one signs its requests with. The control plane asks it after a call took effect and knows nothing else
 * of them; the Lambda runner implements it for its containers.
 */
public interface CrashTarget {

    /** Whether {@code accessKeyId} signs for a target; calls by anyone else are not counted by crash faults. */
    boolean isTarget(String accessKeyId);

    /** Kills the target at once (as a crashed runtime); returns when it is gone. */
    void crash(String accessKeyId);
}
