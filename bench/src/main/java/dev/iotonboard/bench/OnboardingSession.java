package dev.iotonboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a benchmark that onboards devices shares with {@link OnboardingBenchmark}: the stage (CA, synthesized stack,
 * the local IoT Core with the options' quotas, faults and reconciler schedule), the quota-bound limit R, and runs of
 * simulated devices measured with the tool's counters.
 */
public final class OnboardingSession implements AutoCloseable {
    private static final String ACTIVATION = "dev.iotonboard.lambda.activation.CertificateActivationHandler";
    private static final String PROVISIONING = "dev.iotonboard.lambda.provisioning.ThingProvisioningHandler";

    /** One run's devices and its report ({@link OnboardingReport}). */
    public record Outcome(List<Fleet.Member> members, List<DeviceResult> results, ObjectNode report) {
    }

    public final Stage stage;
    public final OnboardingOptions options;
    public final QuotaBound.Limit limit;
    private final List<String> toolArgs;
    private final CallsTable calls;
    private final JsonNode quotas;
    private final String appPolicy;
    private final DeviceTls tls;

    private OnboardingSession(Stage stage, OnboardingOptions options, List<String> toolArgs) throws Exception {
        this.stage = stage;
        this.options = options;
        this.toolArgs = Collections.unmodifiableList(toolArgs);
        this.appPolicy = stage.stack.env("APP_POLICY_NAME")
                .orElseThrow(() -> new IllegalStateException("no function sets APP_POLICY_NAME in the stack"));
        this.quotas = stage.tool.quotas();
        Map<String, Double> rates = new LinkedHashMap<>();
        quotas.path("rates").fields().forEachRemaining(e -> rates.put(e.getKey(), e.getValue().asDouble()));
        this.calls = CallsTable.load(options.repositoryRoot());
        this.limit = QuotaBound.compute(rates, calls.calls());
        this.tls = new DeviceTls(stage.tool.endpoints().serverCa());
        log(String.format("quota-bound limit R = %.2f devices/s (%s; calls per device from %s)",
                limit.devicesPerSecond(), limit.bottleneck(), calls.source()));
    }

    /** Creates the work folder (the options' or a new temporary one named {@code tempPrefix}) and the stage. */
    public static OnboardingSession open(OnboardingOptions o, String tempPrefix) throws Exception {
        Path root = o.repositoryRoot();
        Path jar = root.resolve("local/target/local-iot-core.jar");
        Path work = o.workDir() != null ? Files.createDirectories(o.workDir()) : Files.createTempDirectory(tempPrefix);
        log("work folder " + work);
        List<String> toolArgs = new ArrayList<>(List.of("--quotas", o.quotas() ? "on" : "off"));
        if (o.scheduleInterval() != null) {
            if (LocalTool.supports(jar, "--schedule-interval")) {
                toolArgs.addAll(List.of("--schedule-interval", o.scheduleInterval()));
            } else {
                log("this local IoT Core has no --schedule-interval: the reconciler does not run");
            }
        }
        Stage stage = Stage.create(root, work, o.synthContext(), stack -> {
            List<String> faults = new ArrayList<>(o.defaultFaults() ? defaultFaults(stack) : List.of());
            faults.addAll(o.faults());
            faults.forEach(f -> toolArgs.addAll(List.of("--fault", f)));
            toolArgs.addAll(o.toolArgs());
            return toolArgs;
        });
        try {
            return new OnboardingSession(stage, o, toolArgs);
        } catch (Exception | Error e) {
            stage.close();
            throw e;
        }
    }

    /**
     * The documented default fault set: failures the handlers must survive by SDK retries (500, 503, throttle),
     * containers killed right after a write took effect (Lambda retries the event), and dropped asynchronous
     * invocations (only the devices' own retries recover those).
     */
    static List<String> defaultFaults(StackInfo stack) {
        String activation = stack.function(ACTIVATION).map(StackInfo.Function::logicalId)
                .orElseThrow(() -> new IllegalStateException("no activation function in the stack"));
        String provisioning = stack.function(PROVISIONING).map(StackInfo.Function::logicalId)
                .orElseThrow(() -> new IllegalStateException("no provisioning function in the stack"));
        return List.of(
                "AttachPolicy:every=97:500",
                "CreateThing:every=89:503",
                "UpdateCertificate:every=101:throttle",
                "crash:UpdateCertificate:every=149",
                "crash:AttachThingPrincipal:every=151",
                "drop:" + activation + ":every=53",
                "drop:" + provisioning + ":every=59");
    }

    /** The options' warm-up devices, onboarded (so the Lambda containers exist); fails when one is not. */
    public List<Fleet.Member> warmup() throws Exception {
        if (options.warmup() == 0) {
            return List.of();
        }
        log("warming up: " + options.warmup() + " devices onboarded first, not counted (Lambda containers started)");
        List<Fleet.Member> members = generate(options.warmup());
        List<DeviceResult> warm = Fleet.onboard(members, options.warmup(), Duration.ofMinutes(5), stage.tool,
                "warm-up: ");
        warm.stream().filter(d -> !d.onboarded()).findFirst().ifPresent(d -> {
            throw new IllegalStateException("a warm-up device did not onboard: " + d.lastProblem());
        });
        return members;
    }

    /** {@code n} new devices with the options' behaviour. */
    public List<Fleet.Member> generate(int n) throws GeneralSecurityException {
        return Fleet.generate(n, stage.pki, tls, stage.tool.endpoints(), options.behaviour());
    }

    /** The options' deadline, else max(300 s, 4 N / R). */
    public Duration deadline(int n) {
        return options.deadline() != null ? options.deadline()
                : Duration.ofSeconds(Math.max(300, (long) (4 * n / limit.devicesPerSecond())));
    }

    /** Onboards {@code n} new devices, {@code threads} at once, and reports on them. */
    public Outcome onboard(int n, int threads, String label) throws Exception {
        log(label + "generating " + n + " devices (EC P-256 keys and certificates)");
        return onboard(generate(n), threads, label);
    }

    /** Onboards {@code members}, {@code threads} at once, and reports on them. */
    public Outcome onboard(List<Fleet.Member> members, int threads, String label) throws Exception {
        int n = members.size();
        Duration deadline = deadline(n);
        log(label + "running " + n + " devices on " + threads + " threads (deadline " + deadline.toSeconds() + " s)");
        JsonNode before = stage.tool.stats();
        List<DeviceResult> results = Fleet.onboard(members, threads, deadline, stage.tool, label);
        JsonNode stats = StatsDelta.between(before, stage.tool.stats());
        ObjectNode report = OnboardingReport.build(results, limit, calls.calls(), calls.source(), stats);
        report.set("faultSpecs", stage.tool.faults().path("faults"));
        report.set("quotas", quotas);
        report.put("deadlineSeconds", deadline.toSeconds());
        return new Outcome(members, results, report);
    }

    /**
     * Checks the registry for {@code results} through the control plane, after clearing the faults and switching
     * the quotas off (so: the last thing a benchmark does). One line per problem.
     */
    public List<String> checkRegistry(List<DeviceResult> results) throws Exception {
        log("checking the registry (quotas off, faults cleared)");
        stage.tool.clearFaults();
        stage.tool.setQuotasEnabled(false);
        return new RegistryCheck(stage.iot, appPolicy).check(results, 4);
    }

    /** The machine, the device behaviour and the tool's arguments, as the report's {@code run}. */
    public ObjectNode describeRun(ObjectNode report) {
        ObjectNode run = report.putObject("run");
        run.put("date", Instant.now().toString());
        run.put("cores", Runtime.getRuntime().availableProcessors());
        run.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        run.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        run.put("deviceThreads", options.deviceThreads());
        run.put("startBackoff", options.startBackoff().initial().toMillis() + ","
                + options.startBackoff().cap().toMillis());
        run.put("mqttBackoff", options.mqttBackoff().initial().toMillis() + "," + options.mqttBackoff().cap().toMillis());
        run.put("resendAfterSeconds", options.resendAfter().toSeconds());
        run.put("warmupDevices", options.warmup());
        toolArgs.forEach(run.withArray("toolArgs")::add);
        return run;
    }

    @Override
    public void close() {
        stage.close();
    }

    static void log(String message) {
        Stage.log(message);
    }
}
