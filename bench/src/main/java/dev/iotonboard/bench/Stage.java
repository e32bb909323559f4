package dev.iotonboard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * What both benchmarks set up, as scripts/demo.sh does: a new CA, the stack synthesized for it (truststore and
 * {@code caCertificateId}), the local IoT Core started on free ports, the CA registered with auto-registration.
 */
public final class Stage implements AutoCloseable {
    public final Path work;
    public final BenchPki pki;
    public final Path cdkOut;
    public final StackInfo stack;
    public final LocalTool tool;
    public final IotClient iot;

    private Stage(Path work, BenchPki pki, Path cdkOut, StackInfo stack, LocalTool tool, IotClient iot) {
        this.work = work;
        this.pki = pki;
        this.cdkOut = cdkOut;
        this.stack = stack;
        this.tool = tool;
        this.iot = iot;
    }

    /** @param toolArgs the tool's extra arguments, given the synthesized stack (fault specs name its functions) */
    public static Stage create(Path root, Path work, Map<String, String> synthContext,
            Function<StackInfo, List<String>> toolArgs) throws IOException, InterruptedException {
        Path jar = root.resolve("local/target/local-iot-core.jar");
        BenchPki pki = BenchPki.newCa();
        Path truststore = Files.createDirectories(work.resolve("certs")).resolve("rootCA.pem");
        Files.writeString(truststore, pki.ca().pem());
        log("synthesizing the stack for CA " + pki.caCertificateId() + " (mvn -pl infra exec:java)");
        Path cdkOut = Synthesizer.synthesize(root, work.resolve("cdk.out"), truststore, pki.caCertificateId(),
                synthContext, work.resolve("synth.log"));
        StackInfo stack = StackInfo.read(cdkOut, "IotOnboarding");
        List<String> args = toolArgs.apply(stack);
        log("starting the local IoT Core: " + String.join(" ", args));
        LocalTool tool = LocalTool.start(jar, cdkOut, work.resolve("state"), work.resolve("local-iot-core.log"),
                args);
        try {
            IotClient iot = ControlPlaneClient.create(tool.endpoints().controlPlane());
            String caId = ControlPlaneClient.registerCa(iot, pki);
            if (!caId.equals(pki.caCertificateId())) {
                throw new IllegalStateException("IoT gave the CA id " + caId + ", the stack was synthesized for "
                        + pki.caCertificateId());
            }
            return new Stage(work, pki, cdkOut, stack, tool, iot);
        } catch (RuntimeException e) {
            tool.close();
            throw e;
        }
    }

    @Override
    public void close() {
        iot.close();
        tool.close();
    }

    static void log(String message) {
        System.err.println("[bench] " + message);
    }
}
