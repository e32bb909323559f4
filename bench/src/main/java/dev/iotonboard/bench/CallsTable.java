package dev.iotonboard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** The IoT calls per onboarded device behind R: lambdas/README.md's table, else {@link QuotaBound#DEFAULT_CALLS}. */
public record CallsTable(Map<String, Integer> calls, String source) {

    public static CallsTable load(Path repositoryRoot) throws IOException {
        Path readme = repositoryRoot.resolve("lambdas/README.md");
        if (Files.isRegularFile(readme)) {
            Optional<Map<String, Integer>> table = QuotaBound.fromReadme(Files.readString(readme));
            if (table.isPresent()) {
                return new CallsTable(table.get(), "lambdas/README.md \"IoT calls per onboarded device\"");
            }
        }
        return new CallsTable(QuotaBound.DEFAULT_CALLS,
                "the benchmark's default table (no table in lambdas/README.md)");
    }
}
