package dev.iotonboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * The onboarding benchmark: N simulated devices (EC P-256 keys, distinct certificates, CN = thing name = a random
 * UUID) doing the real JITR flow concurrently against the local IoT Core with quotas on and faults injected. See
 * docs/performance.md for the method; {@code --help} for the options.
 */
public final class OnboardingBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String ACTIVATION = "dev.iotonboard.lambda.activation.CertificateActivationHandler";
    private static final String PROVISIONING = "dev.iotonboard.lambda.provisioning.ThingProvisioningHandler";

    private OnboardingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        OnboardingOptions options;
        try {
            options = OnboardingOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + "\n\n" + OnboardingOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.println(OnboardingOptions.USAGE);
            return;
        }
        System.exit(run(options));
    }

    static int run(OnboardingOptions o) throws Exception {
        Path root = o.repositoryRoot();
        Path jar = root.resolve("local/target/local-iot-core.jar");
        Path work = o.workDir() != null ? Files.createDirectories(o.workDir())
                : Files.createTempDirectory("onboarding-bench");
        log("work folder " + work);

        List<String> toolArgs = new ArrayList<>(List.of("--quotas", o.quotas() ? "on" : "off"));
        if (o.scheduleInterval() != null) {
            if (LocalTool.supports(jar, "--schedule-interval")) {
                toolArgs.addAll(List.of("--schedule-interval", o.scheduleInterval()));
            } else {
                log("this local IoT Core has no --schedule-interval: the reconciler does not run");
            }
        }
        try (Stage stage = Stage.create(root, work, o.synthContext(), stack -> {
            List<String> args = new ArrayList<>(toolArgs);
            List<String> faults = new ArrayList<>(o.defaultFaults() ? defaultFaults(stack) : List.of());
            faults.addAll(o.faults());
            faults.forEach(f -> args.addAll(List.of("--fault", f)));
            args.addAll(o.toolArgs());
            toolArgs.clear();
            toolArgs.addAll(args);
            return args;
        })) {
            LocalTool tool = stage.tool;
            IotClient iot = stage.iot;
            BenchPki pki = stage.pki;
            LocalTool.Endpoints endpoints = tool.endpoints();
            String appPolicy = stage.stack.env("APP_POLICY_NAME")
                    .orElseThrow(() -> new IllegalStateException("no function sets APP_POLICY_NAME in the stack"));
            JsonNode quotas = tool.quotas();
            Map<String, Double> rates = new LinkedHashMap<>();
            quotas.path("rates").fields().forEachRemaining(e -> rates.put(e.getKey(), e.getValue().asDouble()));
            CallsTable calls = CallsTable.load(root);
            QuotaBound.Limit limit = QuotaBound.compute(rates, calls.calls());
            log(String.format("quota-bound limit R = %.2f devices/s (%s; calls per device from %s)",
                    limit.devicesPerSecond(), limit.bottleneck(), calls.source()));

            DeviceTls tls = new DeviceTls(endpoints.serverCa());
            if (o.warmup() > 0) {
                log("warming up: " + o.warmup() + " devices onboarded first, not counted (Lambda containers started)");
                List<DeviceResult> warm = runDevices(devices(o.warmup(), pki, tls, endpoints, o.behaviour()),
                        o.warmup(), Duration.ofMinutes(5), tool);
                if (warm.stream().anyMatch(d -> !d.onboarded())) {
                    throw new IllegalStateException("a warm-up device did not onboard: " + warm.stream()
                            .filter(d -> !d.onboarded()).findFirst().orElseThrow().lastProblem());
                }
            }
            log("generating " + o.devices() + " devices (EC P-256 keys and certificates)");
            List<SimulatedDevice> devices = devices(o.devices(), pki, tls, endpoints, o.behaviour());

            Duration deadline = o.deadline() != null ? o.deadline()
                    : Duration.ofSeconds(Math.max(300, (long) (4 * o.devices() / limit.devicesPerSecond())));
            log("running " + o.devices() + " devices on " + o.deviceThreads() + " threads (deadline "
                    + deadline.toSeconds() + " s)");
            JsonNode before = tool.stats();
            List<DeviceResult> results = runDevices(devices, o.deviceThreads(), deadline, tool);

            JsonNode stats = StatsDelta.between(before, tool.stats());
            ObjectNode report = OnboardingReport.build(results, limit, calls.calls(), calls.source(), stats);
            report.set("faultSpecs", tool.faults().path("faults"));
            report.set("quotas", quotas);

            log("checking the registry (quotas off, faults cleared)");
            tool.clearFaults();
            tool.setQuotasEnabled(false);
            List<String> problems = new RegistryCheck(iot, appPolicy).check(results, 4);
            report.put("registryProblems", problems.size());
            problems.stream().limit(10).forEach(report.withArray("registryProblemExamples")::add);

            ObjectNode run = report.putObject("run");
            run.put("date", Instant.now().toString());
            run.put("cores", Runtime.getRuntime().availableProcessors());
            run.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
            run.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
            run.put("deviceThreads", o.deviceThreads());
            run.put("startBackoff", o.startBackoff().initial().toMillis() + "," + o.startBackoff().cap().toMillis());
            run.put("mqttBackoff", o.mqttBackoff().initial().toMillis() + "," + o.mqttBackoff().cap().toMillis());
            run.put("resendAfterSeconds", o.resendAfter().toSeconds());
            run.put("deadlineSeconds", deadline.toSeconds());
            run.put("warmupDevices", o.warmup());
            toolArgs.forEach(run.withArray("toolArgs")::add);

            System.out.print(OnboardingReport.text(report));
            if (o.out() != null) {
                Files.createDirectories(o.out().toAbsolutePath().getParent());
                JSON.writeValue(o.out().toFile(), report);
                log("report written to " + o.out());
            }
            long lost = report.path("lost").asLong();
            return lost > 0 ? 1 : problems.isEmpty() ? 0 : 3;
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

    private static List<SimulatedDevice> devices(int n, BenchPki pki, DeviceTls tls, LocalTool.Endpoints endpoints,
            SimulatedDevice.Behaviour behaviour) throws java.security.GeneralSecurityException {
        List<SimulatedDevice> devices = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String thing = UUID.randomUUID().toString();
            BenchPki.Issued certificate = pki.device(thing);
            SSLContext context = tls.context(certificate, pki.ca().certificate());
            devices.add(new SimulatedDevice(thing, BenchPki.certificateId(certificate.certificate()),
                    new DeviceClient(context, endpoints.host(), endpoints.httpsPort(), endpoints.mqttPort()),
                    behaviour, System::nanoTime));
        }
        return devices;
    }

    private static List<DeviceResult> runDevices(List<SimulatedDevice> devices, int threads, Duration deadline,
            LocalTool tool) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread thread = new Thread(r, "device");
            thread.setDaemon(true);
            return thread;
        });
        long deadlineNanos = System.nanoTime() + deadline.toNanos();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger onboarded = new AtomicInteger();
        List<Future<DeviceResult>> futures = new ArrayList<>();
        for (SimulatedDevice device : devices) {
            futures.add(pool.submit(() -> {
                DeviceResult result = device.run(deadlineNanos);
                done.incrementAndGet();
                if (result.onboarded()) {
                    onboarded.incrementAndGet();
                }
                return result;
            }));
        }
        pool.shutdown();
        long started = System.nanoTime();
        while (!pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
            log(String.format("%.0f s: %d onboarded, %d finished of %d%s", (System.nanoTime() - started) / 1e9,
                    onboarded.get(), done.get(), devices.size(), tool.isAlive() ? "" : " (the tool exited!)"));
        }
        List<DeviceResult> results = new ArrayList<>();
        for (Future<DeviceResult> future : futures) {
            results.add(future.get());
        }
        return Collections.unmodifiableList(results);
    }

    static void log(String message) {
        System.err.println("[bench] " + message);
    }
}
