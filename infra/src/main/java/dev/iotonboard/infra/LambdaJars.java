package dev.iotonboard.infra;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The shaded Lambda jars, at the paths docs/contracts.md gives (relative to the repository root). */
public record LambdaJars(Path certificateActivation, Path thingProvisioning, Path deviceApi, Path reconciler) {

    public static LambdaJars under(Path repositoryRoot) {
        return new LambdaJars(
                repositoryRoot.resolve("lambdas/certificate-activation/target/certificate-activation.jar"),
                repositoryRoot.resolve("lambdas/thing-provisioning/target/thing-provisioning.jar"),
                repositoryRoot.resolve("lambdas/device-api/target/device-api.jar"),
                repositoryRoot.resolve("lambdas/reconciler/target/reconciler.jar"));
    }

    /** Fails with the command to run when a jar is missing: Code.fromAsset would fail later and less clearly. */
    public LambdaJars requireBuilt() {
        List<Path> missing = Stream.of(certificateActivation, thingProvisioning, deviceApi, reconciler)
                .filter(jar -> !Files.isRegularFile(jar))
                .toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("Lambda jar(s) missing: " + missing
                    + ": build the lambda modules first (mvn verify from the root, or mvn -DskipTests package).");
        }
        return this;
    }
}
