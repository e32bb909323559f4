package dev.iotonboard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Synthesizes the stack as scripts/demo.sh does: {@code mvn -B -q -pl infra exec:java} from the repository root with
 * {@code CDK_OUTDIR} and {@code CDK_CONTEXT_JSON} (the CA as truststore, its id as {@code caCertificateId}, so the
 * stack's rule and reconciler are CA-specific). Needs the reactor built (the Lambda jars).
 */
public final class Synthesizer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Synthesizer() {
    }

    public static Path synthesize(Path repositoryRoot, Path cdkOut, Path truststore, String caCertificateId,
            Map<String, String> extraContext, Path log) throws IOException, InterruptedException {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("truststorePath", truststore.toString());
        context.put("caCertificateId", caCertificateId);
        context.putAll(extraContext);
        String mvn = System.getProperty("os.name").startsWith("Windows") ? "mvn.cmd" : "mvn";
        ProcessBuilder builder = new ProcessBuilder(List.of(mvn, "-B", "-q", "-pl", "infra", "exec:java"))
                .directory(repositoryRoot.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("CDK_OUTDIR", cdkOut.toString());
        builder.environment().put("CDK_CONTEXT_JSON", JSON.writeValueAsString(context));
        builder.environment().put("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20");
        Process process = builder.start();
        process.getOutputStream().close();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IOException("synthesis did not finish in 10 minutes; see " + log);
        }
        if (process.exitValue() != 0 || !Files.isRegularFile(cdkOut.resolve("manifest.json"))) {
            throw new IOException("synthesis failed (exit " + process.exitValue() + "); see " + log
                    + " (build the reactor first: mvn -DskipTests package)");
        }
        return cdkOut;
    }
}
