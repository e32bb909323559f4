package dev.iotonboard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/**
 * The cold-start benchmark: for each Java function of the stack, K fresh JVMs started as Lambda starts them (the
 * runtime interface client's {@code AWSLambda <handler>} with the function jar first on the class path), with and
 * without the stack's {@code JAVA_TOOL_OPTIONS}, each serving one representative event whose IoT calls go to a running
 * local IoT Core. Timed from process start to the first {@code /invocation/next} (init) and to the posted answer.
 */
public final class ColdStartBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String RIC_MAIN = "com.amazonaws.services.lambda.runtime.api.client.AWSLambda";
    static final String USAGE = """
            Usage: java -cp bench/target/bench.jar dev.iotonboard.bench.ColdStartBenchmark [options]
            Run from the repository root after mvn -DskipTests package.

              --runs K          fresh JVMs per function and JVM setting (default 10)
              --out FILE        JSON report (default bench/target/cold-start.json)
              --repo DIR        repository root (default .)
              --work-dir DIR    CA, cdk.out, tool state and log (default a new temporary folder)
              --only CLASS      run only this handler class (simple or full name); repeatable
              --variant NAME=JAR
                                also run JAR in place of the function's own jar, for each function whose handler
                                class JAR holds, alternating with the own jar run by run; repeatable
                                (docs/performance.md, "Metrics and logging: Powertools or hand-written")""";

    /**
     * The JVM settings compared: none, the stack's JAVA_TOOL_OPTIONS, and (for handlers with a public {@code prime()})
     * the stack's options with {@code prime()} called before the runtime starts ({@link PrimeThenRun}).
     */
    record Mode(String name, String javaToolOptions, boolean prime) {
    }

    /** A jar run for a function: its own ({@code variant} null) or a variant's. */
    record Subject(String variant, Path jar) {
    }

    private ColdStartBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int runs = 10;
        Path out = Path.of("bench/target/cold-start.json");
        Path root = Path.of(".");
        Path work = null;
        List<String> only = new ArrayList<>();
        Map<String, Path> variants = new LinkedHashMap<>();
        try {
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("-h") || args[i].equals("--help")) {
                    System.out.println(USAGE);
                    return;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(args[i] + " needs a value");
                }
                String value = args[++i];
                switch (args[i - 1]) {
                    case "--runs" -> runs = Integer.parseInt(value);
                    case "--out" -> out = Path.of(value);
                    case "--repo" -> root = Path.of(value);
                    case "--work-dir" -> work = Path.of(value);
                    case "--only" -> only.add(value);
                    case "--variant" -> {
                        int eq = value.indexOf('=');
                        if (eq < 1 || eq == value.length() - 1) {
                            throw new IllegalArgumentException("--variant takes NAME=JAR: " + value);
                        }
                        Path jar = Path.of(value.substring(eq + 1));
                        if (!Files.isRegularFile(jar)) {
                            throw new IllegalArgumentException("--variant " + value + ": no such file");
                        }
                        if (variants.put(value.substring(0, eq), jar.toAbsolutePath()) != null) {
                            throw new IllegalArgumentException("--variant " + value.substring(0, eq) + " given twice");
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i - 1]);
                }
            }
            if (runs < 1) {
                throw new IllegalArgumentException("--runs must be at least 1");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + "\n\n" + USAGE);
            System.exit(2);
            return;
        }
        root = root.toAbsolutePath().normalize();
        work = work != null ? Files.createDirectories(work) : Files.createTempDirectory("cold-start-bench");
        System.exit(run(root, work, runs, out, only, variants));
    }

    static int run(Path root, Path work, int runs, Path out, List<String> only, Map<String, Path> variants)
            throws Exception {
        List<Path> runtime = runtimeJars(root);
        Path jni = extractJni(runtime, work);
        try (Stage stage = Stage.create(root, work, Map.of(), stack -> List.of("--quotas", "off"))) {
            Events events = Events.forOnboardedDevice(stage);
            ObjectNode report = JSON.createObjectNode();
            ObjectNode runInfo = report.putObject("run");
            runInfo.put("date", Instant.now().toString());
            runInfo.put("cores", Runtime.getRuntime().availableProcessors());
            runInfo.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
            runInfo.put("runsPerSetting", runs);
            ArrayNode functions = report.putArray("functions");
            int failures = 0;
            for (StackInfo.Function function : stage.stack.functions()) {
                if (!selected(function.handlerClass(), only)) {
                    continue;
                }
                Optional<Path> jar = jarOf(root, function.handlerClass());
                if (jar.isEmpty()) {
                    log("no jar under lambdas/*/target holds " + function.handlerClass() + ": skipped");
                    continue;
                }
                String templateOptions = function.environment().getOrDefault("JAVA_TOOL_OPTIONS", "");
                List<Mode> modes = new ArrayList<>(List.of(new Mode("JAVA_TOOL_OPTIONS unset", null, false),
                        new Mode("stack's JAVA_TOOL_OPTIONS", templateOptions, false)));
                if (hasPrime(jar.get(), function.handlerClass())) {
                    modes.add(new Mode("stack's options + prime()", templateOptions, true));
                }
                String event = events.forHandler(function.handlerClass());
                List<Subject> subjects = new ArrayList<>(List.of(new Subject(null, jar.get())));
                variants.forEach((name, variantJar) -> {
                    if (holds(variantJar, function.handlerClass())) {
                        subjects.add(new Subject(name, variantJar));
                    }
                });
                Map<Subject, Map<Mode, List<RuntimeApiServer.Outcome>>> byMode = new LinkedHashMap<>();
                Map<Subject, Map<Mode, List<Long>>> starts = new LinkedHashMap<>();
                for (int i = 0; i < runs; i++) {
                    for (Subject subject : subjects) {
                        for (Mode mode : modes) {
                            long[] started = new long[1];
                            RuntimeApiServer.Outcome outcome = once(function, subject.jar(), runtime, jni, mode,
                                    event, stage, started);
                            byMode.computeIfAbsent(subject, x -> new LinkedHashMap<>())
                                    .computeIfAbsent(mode, m -> new ArrayList<>()).add(outcome);
                            starts.computeIfAbsent(subject, x -> new LinkedHashMap<>())
                                    .computeIfAbsent(mode, m -> new ArrayList<>()).add(started[0]);
                            if (outcome.error()) {
                                failures++;
                            }
                        }
                    }
                }
                Map<Mode, double[]> ownTotals = new LinkedHashMap<>();
                Map<Mode, double[]> ownInvokes = new LinkedHashMap<>();
                for (Subject subject : subjects) {
                    ObjectNode entry = functions.addObject();
                    entry.put("function", function.logicalId());
                    entry.put("handler", function.handler());
                    entry.put("variant", subject.variant());
                    entry.put("jar", subject.jar().startsWith(root) ? root.relativize(subject.jar()).toString()
                            : subject.jar().toString());
                    entry.put("jarBytes", Files.size(subject.jar()));
                    entry.put("memoryMb", function.memoryMb());
                    ArrayNode settings = entry.putArray("settings");
                    for (Mode mode : modes) {
                        List<RuntimeApiServer.Outcome> outcomes = byMode.get(subject).get(mode);
                        List<Long> t0 = starts.get(subject).get(mode);
                        double[] init = new double[outcomes.size()];
                        double[] total = new double[outcomes.size()];
                        double[] invoke = new double[outcomes.size()];
                        for (int i = 0; i < outcomes.size(); i++) {
                            init[i] = (outcomes.get(i).firstNextNanos() - t0.get(i)) / 1e6;
                            total[i] = (outcomes.get(i).answeredNanos() - t0.get(i)) / 1e6;
                            invoke[i] = (outcomes.get(i).answeredNanos() - outcomes.get(i).firstNextNanos()) / 1e6;
                        }
                        ObjectNode setting = settings.addObject();
                        setting.put("setting", mode.name());
                        setting.put("javaToolOptions", mode.javaToolOptions());
                        setting.put("primedBeforeFirstEvent", mode.prime());
                        setting.put("errors", outcomes.stream().filter(RuntimeApiServer.Outcome::error).count());
                        setting.put("firstAnswer", outcomes.get(0).body());
                        putStats(setting.putObject("initMs"), init);
                        putStats(setting.putObject("firstInvocationMs"), invoke);
                        putStats(setting.putObject("startToAnswerMs"), total);
                        if (subject.variant() == null) {
                            ownTotals.put(mode, total);
                            ownInvokes.put(mode, invoke);
                        } else {
                            ObjectNode paired = setting.putObject("minusOwnJarMs");
                            putStats(paired.putObject("startToAnswer"), minus(total, ownTotals.get(mode)));
                            putStats(paired.putObject("firstInvocation"), minus(invoke, ownInvokes.get(mode)));
                        }
                    }
                    log(entry.toString());
                }
            }
            System.out.println(text(report));
            Files.createDirectories(out.toAbsolutePath().getParent());
            JSON.writeValue(out.toFile(), report);
            log("report written to " + out);
            return failures == 0 ? 0 : 1;
        }
    }

    private static RuntimeApiServer.Outcome once(StackInfo.Function function, Path jar, List<Path> runtime, Path jni,
            Mode mode, String event, Stage stage, long[] started) throws IOException, InterruptedException {
        try (RuntimeApiServer api = new RuntimeApiServer(event)) {
            List<String> command = new ArrayList<>(List.of(LocalTool.javaBin(), "-XX:+UseSerialGC",
                    "-Xmx" + Math.max(64, function.memoryMb() * 85 / 100) + "m"));
            if (jni != null) {
                command.add("-Dcom.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI=" + jni);
            }
            StringBuilder classpath = new StringBuilder(jar.toString());
            runtime.forEach(p -> classpath.append(File.pathSeparator).append(p));
            if (mode.prime()) {
                classpath.append(File.pathSeparator).append(launcherDir(stage.work));
            }
            command.addAll(List.of("-cp", classpath.toString(), mode.prime() ? PrimeThenRun.class.getName() : RIC_MAIN,
                    function.handler()));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(stage.work.resolve("cold-start-function.log").toFile());
            Map<String, String> env = builder.environment();
            String path = env.get("PATH");
            env.clear();
            if (path != null) {
                env.put("PATH", path);
            }
            env.putAll(function.environment());
            env.remove("JAVA_TOOL_OPTIONS");
            if (mode.javaToolOptions() != null) {
                env.put("JAVA_TOOL_OPTIONS", mode.javaToolOptions());
            }
            env.put("LANG", "en_US.UTF-8");
            env.put("TZ", ":UTC");
            env.put("AWS_REGION", "us-east-1");
            env.put("AWS_DEFAULT_REGION", "us-east-1");
            env.put("AWS_ACCESS_KEY_ID", "BENCH");
            env.put("AWS_SECRET_ACCESS_KEY", "bench");
            env.put("AWS_SESSION_TOKEN", "bench");
            env.put("AWS_ENDPOINT_URL_IOT", stage.tool.endpoints().controlPlane().toString());
            env.put("AWS_LAMBDA_RUNTIME_API", api.address());
            env.put("_HANDLER", function.handler());
            env.put("AWS_LAMBDA_FUNCTION_NAME", function.logicalId());
            env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
            env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(function.memoryMb()));
            env.put("LAMBDA_TASK_ROOT", jar.getParent().toString());
            started[0] = System.nanoTime();
            Process process = builder.start();
            try {
                return api.outcome().get(120, TimeUnit.SECONDS);
            } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                return new RuntimeApiServer.Outcome(true, "no answer in 120 s (see "
                        + stage.work.resolve("cold-start-function.log") + ")", System.nanoTime(), System.nanoTime());
            } finally {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Run-by-run differences {@code a[i] - b[i]}: a variant's and the own jar's i-th runs are back to back, so the
     * machine's load drifts out of the difference.
     */
    static double[] minus(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - b[i];
        }
        return out;
    }

    static void putStats(ObjectNode node, double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        node.put("median", OnboardingReport.round(median(sorted), 1));
        node.put("p90", OnboardingReport.round(OnboardingReport.percentile(sorted, 90), 1));
        node.put("min", OnboardingReport.round(sorted[0], 1));
        node.put("max", OnboardingReport.round(sorted[sorted.length - 1], 1));
        ArrayNode runs = node.putArray("runs");
        for (double value : values) {
            runs.add(OnboardingReport.round(value, 1));
        }
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static String text(ObjectNode report) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-30s %-27s %10s %13s %13s %13s %6s %s%n",
                "handler (ms: median/p90)", "setting", "jar bytes", "init", "1st invoke", "start→answer",
                "errors", "variant minus own jar, run by run: start→answer, 1st invoke"));
        report.path("functions").forEach(f -> f.path("settings").forEach(s -> out.append(String.format(Locale.ROOT,
                "%-30s %-27s %10d %13s %13s %13s %6d %s%n",
                f.path("handler").asText().replaceAll("^.*\\.", "").replace("::handleRequest", "")
                        + (f.path("variant").isTextual() ? " [" + f.path("variant").asText() + "]" : ""),
                s.path("setting").asText(), f.path("jarBytes").asLong(), pair(s.path("initMs")),
                pair(s.path("firstInvocationMs")), pair(s.path("startToAnswerMs")), s.path("errors").asInt(),
                s.has("minusOwnJarMs") ? pair(s.path("minusOwnJarMs").path("startToAnswer")) + ", "
                        + pair(s.path("minusOwnJarMs").path("firstInvocation")) : ""))));
        return out.toString();
    }

    private static String pair(com.fasterxml.jackson.databind.JsonNode stats) {
        return String.format(Locale.ROOT, "%.0f/%.0f", stats.path("median").asDouble(), stats.path("p90").asDouble());
    }

    /**
     * The shaded jar under lambdas/*\/target/ (named as its module) of the module that compiles the handler class
     * (other jars may bundle it: the reconciler's holds the activation handler).
     */
    static Optional<Path> jarOf(Path root, String handlerClass) throws IOException {
        String entry = handlerClass.replace('.', '/') + ".class";
        try (Stream<Path> modules = Files.list(root.resolve("lambdas"))) {
            for (Path module : modules.sorted().toList()) {
                Path jar = module.resolve("target").resolve(module.getFileName() + ".jar");
                if (Files.isRegularFile(module.resolve("target/classes").resolve(entry)) && Files.isRegularFile(jar)) {
                    return Optional.of(jar);
                }
            }
        }
        return Optional.empty();
    }

    /** Whether {@code handlerClass} is among {@code only} (full or simple names); an empty list selects all. */
    static boolean selected(String handlerClass, List<String> only) {
        return only.isEmpty() || only.stream().anyMatch(name -> name.equals(handlerClass)
                || name.equals(handlerClass.substring(handlerClass.lastIndexOf('.') + 1)));
    }

    /** Whether {@code jar} holds the class file of {@code handlerClass}. */
    static boolean holds(Path jar, String handlerClass) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return zip.getEntry(handlerClass.replace('.', '/') + ".class") != null;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether the handler class has a public no-argument {@code prime()} (SnapStart priming). */
    static boolean hasPrime(Path jar, String handlerClass) {
        try (java.net.URLClassLoader loader = new java.net.URLClassLoader(new java.net.URL[] {jar.toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            Class.forName(handlerClass, false, loader).getMethod("prime");
            return true;
        } catch (ReflectiveOperationException | IOException | LinkageError e) {
            return false;
        }
    }

    /** A folder holding only {@link PrimeThenRun}'s class, for the function's class path. */
    private static Path launcherDir(Path work) throws IOException {
        Path dir = work.resolve("prime-launcher");
        Path file = dir.resolve(PrimeThenRun.class.getName().replace('.', '/') + ".class");
        if (!Files.isRegularFile(file)) {
            Files.createDirectories(file.getParent());
            try (InputStream in = PrimeThenRun.class.getResourceAsStream("PrimeThenRun.class")) {
                Files.copy(in, file);
            }
        }
        return dir;
    }

    private static List<Path> runtimeJars(Path root) throws IOException {
        Path dir = root.resolve("local/target/lambda-runtime");
        if (!Files.isDirectory(dir)) {
            throw new IOException("no " + dir + ": build first (mvn -DskipTests package)");
        }
        try (Stream<Path> jars = Files.list(dir)) {
            return jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
    }

    /** The runtime interface client's JNI library, extracted once (Lambda's runtime has it installed). */
    private static Path extractJni(List<Path> runtime, Path work) throws IOException {
        String arch = System.getProperty("os.arch").equals("aarch64") ? "aarch_64" : "x86_64";
        String resource = "jni/libaws-lambda-jni.linux-" + arch + ".so";
        for (Path jar : runtime) {
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                var entry = zip.getEntry(resource);
                if (entry != null) {
                    Path library = work.resolve("libaws-lambda-jni.so");
                    try (InputStream in = zip.getInputStream(entry)) {
                        Files.copy(in, library, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                    return library;
                }
            }
        }
        return null;
    }

    static void log(String message) {
        System.err.println("[cold-start] " + message);
    }

    /** One representative event per handler, about a device onboarded for real before the runs. */
    record Events(String thingName, String certificateId, String certificatePem, String caCertificateId) {

        static Events forOnboardedDevice(Stage stage) throws Exception {
            String thing = UUID.randomUUID().toString();
            BenchPki.Issued certificate = stage.pki.device(thing);
            DeviceTls tls = new DeviceTls(stage.tool.endpoints().serverCa());
            LocalTool.Endpoints endpoints = stage.tool.endpoints();
            SimulatedDevice device = new SimulatedDevice(thing, BenchPki.certificateId(certificate.certificate()),
                    new DeviceClient(tls.context(certificate, stage.pki.ca().certificate()), endpoints.host(),
                            endpoints.httpsPort(), endpoints.mqttPort()),
                    new SimulatedDevice.Behaviour(new Backoff(Duration.ofMillis(500), Duration.ofSeconds(2)),
                            new Backoff(Duration.ofMillis(500), Duration.ofSeconds(2)), Duration.ofSeconds(20)),
                    System::nanoTime);
            DeviceResult result = device.run(System.nanoTime() + Duration.ofMinutes(3).toNanos());
            if (!result.onboarded()) {
                throw new IllegalStateException("the cold-start benchmark's device did not onboard: "
                        + result.lastProblem());
            }
            log("device " + thing + " onboarded; its certificate and thing feed the events");
            return new Events(thing, result.certificateId(), certificate.pem(), stage.pki.caCertificateId());
        }

        String forHandler(String handlerClass) throws IOException {
            String simple = handlerClass.substring(handlerClass.lastIndexOf('.') + 1);
            ObjectNode event = JSON.createObjectNode();
            switch (simple) {
                case "CertificateActivationHandler" -> event.put("certificateId", certificateId)
                        .put("caCertificateId", caCertificateId).put("timestamp", System.currentTimeMillis())
                        .put("certificateStatus", "PENDING_ACTIVATION").put("awsAccountId", "000000000000")
                        .put("certificateRegistrationTimestamp", Long.toString(System.currentTimeMillis()));
                case "ThingProvisioningHandler" -> event.put("thingName", thingName)
                        .put("certificateId", certificateId);
                case "DeviceAuthorizerHandler" -> {
                    event.put("type", "REQUEST").put("methodArn",
                            "arn:aws:execute-api:us-east-1:000000000000:DeviceApi/prod/GET/hello");
                    event.putObject("requestContext").putObject("identity").put("sourceIp", "127.0.0.1")
                            .putObject("clientCert").put("clientCertPem", certificatePem);
                }
                case "SampleHandler" -> {
                    event.put("httpMethod", "GET").put("path", "/hello");
                    event.putObject("requestContext").putObject("authorizer").put("thingName", thingName)
                            .put("principalId", thingName);
                }
                case "ReconcilerHandler" -> event.put("version", "0").put("detail-type", "Scheduled Event")
                        .put("source", "aws.events").put("time", Instant.now().toString()).putObject("detail");
                default -> {
                    // an unknown function gets an empty object
                }
            }
            return JSON.writeValueAsString(event);
        }
    }
}
