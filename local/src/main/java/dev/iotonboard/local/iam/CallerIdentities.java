package dev.iotonboard.local.iam;

import java.util.Optional;

/**
 * Whose credentials an access key id is: the function whose containers sign with it. The control plane asks it for
 * each call and knows nothing else of the callers; the Lambda runner implements it for its containers.
 */
public interface CallerIdentities {

    /** The logical id of the function whose credentials carry {@code accessKeyId}; empty for anyone else. */
    Optional<String> function(String accessKeyId);
}
