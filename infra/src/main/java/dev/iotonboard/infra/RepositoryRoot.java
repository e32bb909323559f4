package dev.iotonboard.infra;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository root is the nearest folder, from the working directory up, that holds cdk.json. */
public final class RepositoryRoot {
    public static final String MARKER = "cdk.json";

    private RepositoryRoot() {
    }

    public static Path fromWorkingDirectory() {
        return find(Path.of("").toAbsolutePath());
    }

    public static Path find(Path start) {
        for (Path dir = start.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(MARKER))) {
                return dir;
            }
        }
        throw new IllegalStateException("No " + MARKER + " in " + start
                + " or any parent folder: run the app from the repository (cdk synth, or mvn -pl infra exec:java from the root).");
    }
}
