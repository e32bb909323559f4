package dev.iotonboard.infra;

import dev.iotonboard.infra.stacks.OnboardingStack;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Template;

/**
 * The app's stack, synthesized once per test JVM (jsii start-up and synthesis take seconds) from the repository's
 * cdk.json context plus a throwaway CA and a CA certificate id, with cdk-nag applied exactly as in main.
 */
public final class SynthesizedStack {
    public static final String CA_CERTIFICATE_ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    public static final Path ROOT = RepositoryRoot.fromWorkingDirectory();

    private static SynthesizedStack instance;

    private final OnboardingConfig config;
    private final OnboardingStack stack;
    private final Template template;
    private final Annotations annotations;

    private SynthesizedStack() {
        Map<String, Object> context = new HashMap<>(CdkJsonContext.read(ROOT));
        context.put(OnboardingConfig.TRUSTSTORE_PATH, TestCa.pem().toString());
        context.put(OnboardingConfig.CA_CERTIFICATE_ID, CA_CERTIFICATE_ID);
        App app = new App(AppProps.builder().context(context).build());
        config = OnboardingConfig.fromContext(app.getNode()::tryGetContext, ROOT);
        stack = OnboardingApp.build(app, config, LambdaJars.under(ROOT).requireBuilt(), Environment.builder().build());
        template = Template.fromStack(stack);
        annotations = Annotations.fromStack(stack);
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
