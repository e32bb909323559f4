package dev.iotonboard.lambda.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.core.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What every function jar test sets up, as a JUnit extension: the module's shaded jar ({@code target/<name>}), a
 * fresh {@link IotDouble} and {@link TestPki} CA per test, and the environment a Lambda container would give the
 * function (region, the double as endpoint, credentials) plus the function's own variables. Runs the jar in a fresh
 * JVM through the no-arg constructor ({@link #run}) or under the real runtime interface client
 * ({@link #runWithRuntimeClient}).
 */
public final class JarTestBed implements BeforeEachCallback, AfterEachCallback {

    private final Path jar;
    private final String handlerClass;
    private final String caName;
    private IotDouble iot;
    private TestPki pki;
    private RegistryTable registry;

    /**
     * @param jarName      the shaded jar under {@code target/}, e.g. {@code certificate-activation.jar}
     * @param handlerClass the handler {@link #run(Map, String)} runs, e.g. {@code dev.iotonboard...Handler}
     */
    public JarTestBed(String jarName, String handlerClass) {
        this.jar = Path.of("target", jarName);
        this.handlerClass = handlerClass;
        this.caName = "jar-ca " + jarName;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        iot = IotDouble.start();
        pki = TestPki.newCa(caName);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        iot.close();
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }

    public Path jar() {
        return jar;
    }

    public IotDouble iot() {
        return iot;
    }

    public TestPki pki() {
        return pki;
    }

    /** This test's device registry table (in the JVM's {@link SharedDynalite}), created on first use. */
    public RegistryTable registry() {
        if (registry == null) {
            registry = RegistryTable.on(SharedDynalite.get());
        }
        return registry;
    }

    /**
     * A Lambda container's environment aimed at {@link #iot()} and {@link #registry()}, with the function's own
     * variables (name, value...).
     */
    public Map<String, String> env(String... variables) {
        Map<String, String> env = new HashMap<>(Map.of("AWS_REGION", IotDouble.REGION,
                "AWS_ENDPOINT_URL_IOT", iot.endpoint().toString(),
                "AWS_ENDPOINT_URL_DYNAMODB", registry().endpoint().toString(),
                "DEVICE_REGISTRY_TABLE", registry().name(),
                "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret"));
        for (int i = 0; i < variables.length; i += 2) {
            env.put(variables[i], variables[i + 1]);
        }
        return env;
    }

    /** Runs the handler from the jar once, in a fresh JVM, with {@code event} on its standard input. */
    public JarRunner.Run run(Map<String, String> env, String event) {
        return run(handlerClass, env, event);
    }

    /** Runs another handler class of the jar so. */
    public JarRunner.Run run(String otherHandlerClass, Map<String, String> env, String event) {
        return JarRunner.run(jar, otherHandlerClass, env, event);
    }

    /** Runs the handler from the jar under the real Lambda runtime interface client. */
    public RuntimeApiDouble.Result runWithRuntimeClient(Map<String, String> env, String event) {
        return runWithRuntimeClient(handlerClass, env, event);
    }

    /** Runs another handler class of the jar so. */
    public RuntimeApiDouble.Result runWithRuntimeClient(String otherHandlerClass, Map<String, String> env,
            String event) {
        return JarRunner.runWithRuntimeClient(jar, otherHandlerClass + "::handleRequest", env, event);
    }

    /** The jar holds no Netty, no Apache HTTP client and no signature files. */
    public void assertSelfContained() {
        assertEquals(List.of(), JarRunner.forbiddenEntries(jar));
    }

    /**
     * A successful run: exit 0, SLF4J silent, every log line a JSON object; prints its cold-start times under
     * {@code label}.
     */
    public void assertCleanRun(JarRunner.Run run, String label) {
        assertEquals(0, run.exitCode(), run.stderr());
        assertFalse(run.stderr().contains("SLF4J"), run.stderr());
        for (String line : JarRunner.logLines(run)) {
            try {
                assertTrue(Json.MAPPER.readTree(line).isObject(), line);
            } catch (IOException e) {
                throw new UncheckedIOException(line, e);
            }
        }
        System.out.printf("%s cold start: init_ms=%d total_ms=%d%n", label, run.initMs(), run.totalMs());
    }
}
