package dev.iotonboard.infra;

import dev.iotonboard.infra.stacks.OnboardingStack;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Template;

/**
 * The app's stack, synthesized once per test JVM (jsii start-up and synthesis take seconds) by main's own code path
 * from the repository's cdk.json context plus a throwaway CA and a CA certificate id, cdk-nag included.
 */
public final class SynthesizedStack {
    /** The test CA's id: the truststore must hold each configured CA. */
    public static final String CA_CERTIFICATE_ID = TestCa.id();
    /** A concrete environment, as in a deployment; the hosted-zone variant in DeviceApiTest covers an agnostic one. */
    public static final String ACCOUNT = "111122223333";
    public static final String REGION = "eu-west-1";
    public static final Path ROOT = RepositoryRoot.fromWorkingDirectory();

    private static SynthesizedStack instance;

    private final OnboardingConfig config;
    private final OnboardingStack stack;
    private final Template template;
    private final Annotations annotations;

    private final OnboardingApp.Synthesis synthesis;
    private final Path outdir;

    private SynthesizedStack() {
        outdir = scratchDirectory("cdk.out");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        synthesis = OnboardingApp.synthesize(ROOT, outdir, Map.of(
                OnboardingConfig.TRUSTSTORE_PATH, TestCa.pem().toString(),
                OnboardingConfig.CA_CERTIFICATE_ID, CA_CERTIFICATE_ID),
                Environment.builder().account(ACCOUNT).region(REGION).build(), new PrintStream(err, true, StandardCharsets.UTF_8));
        if (synthesis.stack() == null) {
            throw new IllegalStateException(err.toString(StandardCharsets.UTF_8));
        }
        config = synthesis.config();
        stack = synthesis.stack();
        template = Template.fromStack(stack);
        annotations = Annotations.fromStack(stack);
    }

    /**
     * A synthesis of its own (not the shared stack): the test CA and its id, plus {@code extra} context keys, in the
     * shared stack's account and region; main's messages go to {@code err}.
     */
    public static OnboardingApp.Synthesis synthesizeWith(Map<String, String> extra, ByteArrayOutputStream err) {
        Map<String, Object> context = new java.util.HashMap<>(Map.of(
                OnboardingConfig.CA_CERTIFICATE_ID, CA_CERTIFICATE_ID,
                OnboardingConfig.TRUSTSTORE_PATH, TestCa.pem().toString()));
        context.putAll(extra);
        return OnboardingApp.synthesize(ROOT, scratchDirectory("cdk.out"), context,
                Environment.builder().account(ACCOUNT).region(REGION).build(),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    /** A temporary folder removed when the test JVM exits (cloud assemblies hold copies of the 14 MB jars). */
    public static Path scratchDirectory(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // best effort: it is a temp folder
        }
    }

    /** main's exit code for this synthesis (0: no bad context, no unsuppressed cdk-nag error). */
    public static int exitCode() {
        return get().synthesis.exitCode();
    }

    /** Where the cloud assembly was written. */
    public static Path outdir() {
        return get().outdir;
    }

    public static synchronized SynthesizedStack get() {
        if (instance == null) {
            instance = new SynthesizedStack();
        }
        return instance;
    }

    public static Template template() {
        return get().template;
    }

    public static Annotations annotations() {
        return get().annotations;
    }

    public static OnboardingStack stack() {
        return get().stack;
    }

    public static OnboardingConfig config() {
        return get().config;
    }
}
