package dev.iotonboard.infra;

import dev.iotonboard.infra.stacks.OnboardingStack;
import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import io.github.cdklabs.cdknag.NagPackProps;
import java.nio.file.Path;
import java.util.List;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Aspects;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.cxapi.CloudAssembly;

/** The CDK app: validated context in, one stack checked by cdk-nag out. Exits non-zero on bad context or nag errors. */
public final class OnboardingApp {
    public static final String STACK_NAME = "IotOnboarding";

    private OnboardingApp() {
    }

    public static void main(String[] args) {
        Path root = RepositoryRoot.fromWorkingDirectory();
        AppProps.Builder props = AppProps.builder().context(CdkJsonContext.read(root));
        if (System.getenv("CDK_OUTDIR") == null) {
            props.outdir(root.resolve("cdk.out").toString());
        }
        App app = new App(props.build());
        OnboardingConfig config;
        try {
            config = OnboardingConfig.fromContext(app.getNode()::tryGetContext, root);
        } catch (InvalidConfigurationException e) {
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        OnboardingStack stack = build(app, config, LambdaJars.under(root).requireBuilt(), environment());
        CloudAssembly assembly = app.synth();
        List<String> errors = assembly.getStackByName(stack.getStackName()).getMessages().stream()
                .filter(message -> message.getLevel().name().equals("ERROR"))
                .map(message -> message.getId() + ": " + message.getEntry().getData())
                .toList();
        if (!errors.isEmpty()) {
            System.err.println("Synthesis found " + errors.size() + " error(s) (cdk-nag findings need a fix or a "
                    + "suppression with a reason):");
            errors.forEach(error -> System.err.println("  " + error));
            System.exit(1);
        }
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
    private static Environment environment() {
        return Environment.builder()
                .account(System.getenv("CDK_DEFAULT_ACCOUNT"))
                .region(System.getenv("CDK_DEFAULT_REGION"))
                .build();
    }
}
