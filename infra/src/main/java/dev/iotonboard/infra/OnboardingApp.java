package dev.iotonboard.infra;

import dev.iotonboard.infra.stacks.OnboardingStack;
import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import io.github.cdklabs.cdknag.NagPackProps;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Aspects;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.cxapi.SynthesisMessageLevel;

/** The CDK app: validated context in, one stack checked by cdk-nag out. Exits non-zero on bad context or nag errors. */
public final class OnboardingApp {
    public static final String STACK_NAME = "IotOnboarding";

    private OnboardingApp() {
    }

    public static void main(String[] args) {
        Path root = RepositoryRoot.fromWorkingDirectory();
        String outdir = System.getenv("CDK_OUTDIR");
        System.exit(run(root, outdir != null ? Path.of(outdir) : root.resolve("cdk.out"), Map.of(), environment(),
                System.err));
    }

    /**
     * Synthesizes the app into {@code outdir}; 0 on success, 1 on bad context or any error annotation (cdk-nag).
     *
     * @param contextOverrides context on top of cdk.json's (the cdk CLI adds its own through the environment)
     */
    public static int run(Path root, Path outdir, Map<String, Object> contextOverrides, Environment environment,
                          PrintStream err) {
        return synthesize(root, outdir, contextOverrides, environment, err).exitCode();
    }

    /** What {@link #run} did: its exit code and, when context and jars were fine, the config and synthesized stack. */
    record Synthesis(int exitCode, OnboardingConfig config, OnboardingStack stack) {
    }

    static Synthesis synthesize(Path root, Path outdir, Map<String, Object> contextOverrides, Environment environment,
                                PrintStream err) {
        Map<String, Object> context = new HashMap<>(CdkJsonContext.read(root));
        context.putAll(contextOverrides);
        App app = new App(AppProps.builder().context(context).outdir(outdir.toString()).build());
        OnboardingConfig config;
        LambdaJars jars;
        try {
            config = OnboardingConfig.fromContext(app.getNode()::tryGetContext, root);
            jars = LambdaJars.under(root).requireBuilt();
        } catch (InvalidConfigurationException | IllegalStateException e) {
            err.println(e.getMessage());
            return new Synthesis(1, null, null);
        }
        OnboardingStack stack = build(app, config, jars, environment);
        List<String> errors = app.synth().getStackByName(stack.getStackName()).getMessages().stream()
                .filter(message -> message.getLevel() == SynthesisMessageLevel.ERROR)
                .map(message -> message.getId() + ": " + message.getEntry().getData())
                .toList();
        if (!errors.isEmpty()) {
            err.println("Synthesis found " + errors.size() + " error(s); fix each or suppress it with a specific reason:");
            errors.forEach(error -> err.println("  " + error));
        }
        return new Synthesis(errors.isEmpty() ? 0 : 1, config, stack);
    }

    /** The stack with cdk-nag's AWS Solutions checks applied; shared by main and the tests. */
    public static OnboardingStack build(App app, OnboardingConfig config, LambdaJars jars, Environment environment) {
        OnboardingStack stack = new OnboardingStack(app, STACK_NAME, StackProps.builder()
                .env(environment)
                .description("IoT onboarding: JITR with a private CA, thing provisioning, mutual TLS device API")
                .build(), config, jars);
        Aspects.of(app).add(new AwsSolutionsChecks(NagPackProps.builder().verbose(true).build()));
        return stack;
    }

    /** The CLI's account and region when it has them; otherwise an environment-agnostic stack (no credentials needed). */
    static Environment environment() {
        return Environment.builder()
                .account(System.getenv("CDK_DEFAULT_ACCOUNT"))
                .region(System.getenv("CDK_DEFAULT_REGION"))
                .build();
    }
}
