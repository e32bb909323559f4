package dev.iotonboard.local;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.admin.AdminRoutes;
import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.events.Scheduler;
import dev.iotonboard.local.gateway.Gateway;
import dev.iotonboard.local.iot.control.ControlPlane;
import dev.iotonboard.local.iot.data.DeviceAdmission;
import dev.iotonboard.local.iot.data.HttpsDataPlane;
import dev.iotonboard.local.iot.data.MqttBroker;
import dev.iotonboard.local.iot.rules.RuleEngine;
import dev.iotonboard.local.lambda.LambdaRunner;
import dev.iotonboard.local.stack.StackTemplate;
import dev.iotonboard.local.stack.Staleness;
import dev.iotonboard.local.tls.Pki;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.SSLContext;

/**
 * The local IoT Core: {@code java -jar local/target/local-iot-core.jar --cdk-out cdk.out}. Reads the synthesized
 * stack, serves the IoT control plane (HTTP, loopback) and the HTTPS data plane, routes messages through the stack's
 * topic rules to its Lambda functions, and prints one line per event. See local/README.md.
 */
public final class LocalIotCore implements AutoCloseable {

    /** Command-line options. */
    public record Options(Path cdkOut, String stack, String region, String account, int controlPort, int httpsPort,
            String bind, String host, Path stateDir, Path stateFile, Path lambdaRuntime, int defaultConcurrency,
            List<Duration> retryDelays, Duration initTimeout, int mqttPort, int apiPort,
            java.util.Map<String, String> functionEnv, boolean quotasEnabled, java.util.Map<String, Double> quotaRates,
            List<String> faults, java.util.Optional<Duration> scheduleInterval) {

        static Options parse(String[] args) {
            Path cdkOut = Path.of("cdk.out");
            String stack = "IotOnboarding";
            String region = "us-east-1";
            String account = "000000000000";
            int control = 4566;
            int https = 8443;
            int mqtt = 8883;
            int api = 9443;
            java.util.Map<String, String> functionEnv = new java.util.LinkedHashMap<>();
            String bind = "127.0.0.1";
            String host = "localhost";
            Path stateDir = Path.of(".local");
            Path stateFile = null;
            Path runtime = null;
            int concurrency = 2;
            List<Duration> delays = List.of(Duration.ofSeconds(1), Duration.ofSeconds(2));
            java.util.Optional<Duration> scheduleInterval = java.util.Optional.empty();
            Duration init = Duration.ofSeconds(60);
            boolean quotas = true;
            java.util.Map<String, Double> rates = new java.util.LinkedHashMap<>();
            List<String> faults = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String option = args[i];
                if (option.equals("-h") || option.equals("--help")) {
                    throw new UsageException(null);
                }
                if (i + 1 >= args.length) {
                    throw new UsageException("option " + option + " needs a value");
                }
                String value = args[++i];
                try {
                    switch (option) {
                        case "--cdk-out" -> cdkOut = Path.of(value);
                        case "--stack" -> stack = value;
                        case "--region" -> region = value;
                        case "--account" -> {
                            if (!value.matches("\\d{12}")) {
                                throw new UsageException("--account must be 12 digits");
                            }
                            account = value;
                        }
                        case "--control-port" -> control = port(value);
                        case "--https-port" -> https = port(value);
                        case "--mqtt-port" -> mqtt = port(value);
                        case "--api-port" -> api = port(value);
                        case "--function-env" -> {
                            int eq = value.indexOf('=');
                            if (eq <= 0) {
                                throw new UsageException("--function-env is NAME=VALUE, e.g. AUTH_CACHE_TTL_SECONDS=1");
                            }
                            functionEnv.put(value.substring(0, eq), value.substring(eq + 1));
                        }
                        case "--ports" -> {
                            String[] ports = value.split(",");
                            if (ports.length != 2) {
                                throw new UsageException("--ports is CONTROL,HTTPS, e.g. 4566,8443");
                            }
                            control = port(ports[0]);
                            https = port(ports[1]);
                        }
                        case "--bind" -> bind = value;
                        case "--host" -> host = value;
                        case "--state-dir" -> stateDir = Path.of(value);
                        case "--state-file" -> stateFile = Path.of(value);
                        case "--lambda-runtime" -> runtime = Path.of(value);
                        case "--default-concurrency" -> concurrency = Integer.parseInt(value);
                        case "--retry-delays" -> delays = Arrays.stream(value.split(","))
                                .map(s -> Duration.ofMillis((long) (Double.parseDouble(s) * 1000))).toList();
                        case "--init-timeout" -> init = Duration.ofSeconds(Long.parseLong(value));
                        case "--quotas" -> {
                            if (!value.equals("on") && !value.equals("off")) {
                                throw new UsageException("--quotas is on or off, not " + value);
                            }
                            quotas = value.equals("on");
                        }
                        case "--quota" -> {
                            int eq = value.indexOf('=');
                            if (eq <= 0) {
                                throw new UsageException("--quota is OPERATION=RATE, e.g. DescribeCertificate=20");
                            }
                            String operation = value.substring(0, eq);
                            double rate = Double.parseDouble(value.substring(eq + 1));
                            try {
                                Quotas.validate(operation, rate);
                            } catch (IllegalArgumentException e) {
                                throw new UsageException("--quota " + value + ": " + e.getMessage());
                            }
                            rates.put(operation, rate);
                        }
                        case "--schedule-interval" -> {
                            double seconds = Double.parseDouble(value);
                            if (!(seconds > 0)) {
                                throw new UsageException("--schedule-interval must be a positive number of seconds");
                            }
                            scheduleInterval = java.util.Optional.of(Duration.ofMillis((long) (seconds * 1000)));
                        }
                        case "--fault" -> {
                            try {
                                Faults.parse(value);
                            } catch (Faults.SpecException e) {
                                throw new UsageException("--fault: " + e.getMessage());
                            }
                            faults.add(value);
                        }
                        default -> throw new UsageException("unknown option " + option);
                    }
                } catch (NumberFormatException e) {
                    throw new UsageException(option + ": not a number: " + value);
                }
            }
            return new Options(cdkOut, stack, region, account, control, https, bind, host, stateDir, stateFile,
                    runtime, concurrency, delays, init, mqtt, api,
                    java.util.Map.copyOf(functionEnv), quotas, java.util.Map.copyOf(rates), List.copyOf(faults),
                    scheduleInterval);
        }

        private static int port(String value) {
            int port = Integer.parseInt(value.trim());
            if (port < 0 || port > 65535) {
                throw new UsageException("port out of range: " + value);
            }
            return port;
        }
    }

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    static final String USAGE = """
            Usage: java -jar local/target/local-iot-core.jar [options]

            Runs the synthesized stack locally: IoT control plane (AWS CLI/SDK endpoint), HTTPS data plane with JITR,
            topic rules and the stack's Java Lambda functions.

              --cdk-out DIR             cloud assembly (default: cdk.out)
              --stack NAME              stack in the assembly (default: IotOnboarding)
              --region REGION           region of ARNs and functions (default: us-east-1)
              --account ID              12-digit account id of ARNs (default: 000000000000)
              --control-port N          IoT control plane, plain HTTP on --bind (default: 4566; 0: any free port)
              --https-port N            HTTPS data plane (default: 8443; 0: any free port)
              --ports CONTROL,HTTPS     both ports at once
              --mqtt-port N             MQTT over TLS (default: 8883; 0: any free port)
              --api-port N              API custom domain stand-in, HTTPS with mutual TLS (default: 9443; 0: any
                                        free port)
              --function-env NAME=VALUE set (or override) a variable in every function's environment, repeatable
                                        (e.g. AUTH_CACHE_TTL_SECONDS=1 for a short authorizer cache)
              --bind ADDRESS            listen address (default: 127.0.0.1)
              --host NAME               data endpoint host name: DescribeEndpoint answer and server certificate
                                        SAN, besides localhost and 127.0.0.1 (default: localhost)
              --state-dir DIR           where server-ca.pem and lambda-failures/ are written (default: .local)
              --state-file FILE         save the registry there after each change and load it at start
                                        (default: memory only)
              --lambda-runtime DIR      jars of the Lambda runtime interface client
                                        (default: lambda-runtime/ next to this jar)
              --default-concurrency N   containers per function without reserved concurrency (default: 2)
              --retry-delays S,S        waits before the async retries, seconds (default: 1,2; Lambda: ~60,120)
              --init-timeout S          longest wait for a new container to ask for its first event (default: 60)
              --quotas on|off           per-operation request-rate quotas, answered with ThrottlingException
                                        (default: on, docs/contracts.md rates)
              --quota OPERATION=RATE    requests per second of one operation (or connect), repeatable
              --fault SPEC              inject a fault, repeatable: OP:N:KIND, OP:every=K:KIND (KIND 500, 503,
                                        throttle, 410), crash:OP:N, crash:OP:every=K, drop:FUNCTION:N,
                                        drop:FUNCTION:every=K (local/README.md "Quotas and faults")
              --schedule-interval S     run every scheduled (EventBridge rate) function every S seconds instead of
                                        at its rule's rate (default: the rule's rate)
            """;

    private final Options options;
    private final ControlPlane controlPlane;
    private final Gateway gateway;
    private final LambdaRunner lambdas;
    private final RuleEngine rules;
    private final HttpsDataPlane dataPlane;
    private final MqttBroker mqtt;
    private final dev.iotonboard.local.apigateway.ApiGateway api;
    private final Registry registry;
    private final Path serverCaFile;
    private final Quotas quotas;
    private final Faults faults;
    private final Scheduler scheduler;

    /** Starts everything; throws IllegalArgumentException for a bad or missing cloud assembly. */
    public LocalIotCore(Options options, EventLog log) throws IOException {
        this.options = options;
        StackTemplate stack = StackTemplate.load(options.cdkOut(), options.stack(), options.account(),
                options.region());
        List<String> stale = Staleness.check(options.cdkOut(), stack);
        if (!stale.isEmpty()) {
            throw new IllegalArgumentException(options.cdkOut() + " is stale: " + String.join("; ", stale)
                    + ". Run the build first: synthesize again (cdk synth, or mvn -pl infra exec:java)");
        }
        log.event("template", "stack " + options.stack() + ": " + stack.policies().size() + " IoT policies, "
                + stack.rules().size() + " topic rules, " + stack.functions().size() + " functions ("
                + stack.functions().values().stream().filter(StackTemplate.Function::runnable).count()
                + " runnable); ignored: " + stack.ignored().size() + " resources");
        registry = new Registry(options.region(), options.account(), options.stateFile());
        for (StackTemplate.IotPolicy policy : stack.policies().values()) {
            registry.putPolicy(policy.name(), policy.document());
            log.event("template", "IoT policy " + policy.name());
        }
        for (StackTemplate.TopicRule rule : stack.rules().values()) {
            log.event("template", "topic rule " + rule.name() + ": " + rule.sql() + " -> " + rule.lambdaFunctions());
        }
        quotas = new Quotas(options.quotasEnabled(), options.quotaRates());
        faults = new Faults(stack.functions().values().stream().filter(StackTemplate.Function::runnable)
                .map(StackTemplate.Function::logicalId).toList());
        for (String spec : options.faults()) {
            faults.add(spec);
        }
        log.event("core", "quotas " + (quotas.enabled() ? "on: " + quotas.rates() : "off"));
        for (Faults.Status fault : faults.list()) {
            log.event("core", "fault " + fault.spec().text() + (fault.spec().type() == Faults.Type.DROP
                    ? " (function " + fault.spec().target() + ")" : ""));
        }
        List<AutoCloseable> started = new ArrayList<>();
        try {
            controlPlane = new ControlPlane(registry, options.host(), log, quotas, faults);
            // the IoT routes answer every path: the gateway's fallback, after the admin routes, SQS and Lambda
            gateway = new Gateway(options.controlPort(), controlPlane);
            started.add(gateway);
            Path runtimeDir = options.lambdaRuntime() != null ? options.lambdaRuntime() : defaultRuntimeDir();
            java.util.Map<String, StackTemplate.Function> functions = new java.util.LinkedHashMap<>();
            stack.functions().forEach((id, f) -> functions.put(id, f.withEnvironment(options.functionEnv())));
            lambdas = new LambdaRunner(functions,
                    new LambdaRunner.Settings(options.region(),
                    options.account(), gateway.url(),
                    LambdaRunner.runtimeClasspath(runtimeDir), options.defaultConcurrency(), options.initTimeout(),
                    options.retryDelays(), options.stateDir().resolve("lambda-failures")), log, faults);
            started.add(lambdas);
            controlPlane.crashTargets(lambdas);
            rules = new RuleEngine(stack.rules().values(), lambdas::invokeAsync, log);
            Pki.Issued root = Pki.rootCa("Local IoT Core Root CA " + System.currentTimeMillis(), Duration.ofDays(30));
            Pki.Issued server = Pki.issue(root, options.host(), Duration.ofDays(30), true,
                    new String[] {"localhost", options.host()}, new String[] {"127.0.0.1"});
            Files.createDirectories(options.stateDir());
            serverCaFile = options.stateDir().resolve("server-ca.pem").toAbsolutePath();
            Files.writeString(serverCaFile, CertificateIds.toPem(root.certificate()));
            DeviceAdmission admission = new DeviceAdmission(registry, rules, log, quotas);
            SSLContext deviceTls = admission.serverContext(server, root.certificate());
            dataPlane = new HttpsDataPlane(registry, rules, log, admission, deviceTls, options.bind(),
                    options.httpsPort());
            started.add(dataPlane);
            gateway.addHandler(new AdminRoutes(quotas, faults, controlPlane::stats, lambdas::stats,
                    lambdas::pendingAsync, admission::connectThrottled));
            dev.iotonboard.local.sqs.SqsQueues sqs = new dev.iotonboard.local.sqs.SqsQueues(options.region(),
                    options.account());
            for (StackTemplate.Queue queue : stack.queues().values()) {
                sqs.create(queue.name(), stack.resolvedProperties(queue.logicalId()));
            }
            lambdas.onFailureDestinations(sqs::sendToArn);
            gateway.addHandler(new dev.iotonboard.local.sqs.SqsApi(sqs, gateway.url(), log));
            gateway.addHandler(new dev.iotonboard.local.lambda.LambdaApi(options.region(), options.account(),
                    stack.functions().values(), lambdas::invokeAsync, lambdas::invoke, log));
            scheduler = new Scheduler(stack.schedules().values(),
                    (function, payload) -> lambdas.invokeAsync(function, payload, "schedule"),
                    options.scheduleInterval(), log);
            started.add(scheduler);
            mqtt = new MqttBroker(registry, rules, log, admission, deviceTls, options.bind(), options.mqttPort());
            started.add(mqtt);
            java.util.Optional<dev.iotonboard.local.apigateway.ApiDefinition> apiDefinition =
                    dev.iotonboard.local.apigateway.ApiDefinition.from(stack);
            api = apiDefinition.isEmpty() ? null : new dev.iotonboard.local.apigateway.ApiGateway(apiDefinition.get(),
                    lambdas::invoke, log, server, root.certificate(), options.region(), options.account(),
                    options.bind(), options.apiPort());
            if (api != null) {
                started.add(api);
            }
        } catch (IOException | RuntimeException e) {
            for (AutoCloseable closeable : started) {
                try {
                    closeable.close();
                } catch (Exception ignored) {
                    // best effort
                }
            }
            throw e;
        }
    }

    public int controlPort() {
        return gateway.port();
    }

    public int httpsPort() {
        return dataPlane.port();
    }

    public int mqttPort() {
        return mqtt.port();
    }

    /** The API stand-in's port, or -1 when the stack has no REST API. */
    public int apiPort() {
        return api == null ? -1 : api.port();
    }

    public Path serverCaFile() {
        return serverCaFile;
    }

    public Registry registry() {
        return registry;
    }

    public RuleEngine rules() {
        return rules;
    }

    public LambdaRunner lambdas() {
        return lambdas;
    }

    public Quotas quotas() {
        return quotas;
    }

    public Faults faults() {
        return faults;
    }

    @Override
    public void close() {
        scheduler.close();
        if (api != null) {
            api.close();
        }
        mqtt.close();
        dataPlane.close();
        lambdas.close();
        gateway.close();
    }

    private static Path defaultRuntimeDir() {
        try {
            Path location = Path.of(LocalIotCore.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return (Files.isDirectory(location) ? location.getParent() : location.getParent()).resolve("lambda-runtime");
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("lambda-runtime");
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, true));
    }

    /** Runs until interrupted (Ctrl-C); the exit code: 0 stopped, 2 bad arguments, 1 cannot start. */
    public static int run(String[] args, PrintStream out, PrintStream err, boolean block) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (UsageException e) {
            if (e.getMessage() == null) {
                out.print(USAGE);
                return 0;
            }
            err.println("local-iot-core: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        EventLog log = new EventLog(out);
        LocalIotCore core;
        try {
            core = new LocalIotCore(options, log);
        } catch (Faults.SpecException e) {
            err.println("local-iot-core: --fault: " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("local-iot-core: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("local-iot-core: cannot start: " + e);
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.event("core", "stopping");
            core.close();
            stopped.countDown();
        }, "local-iot-core-shutdown"));
        log.event("core", "ready control-plane=http://127.0.0.1:" + core.controlPort() + " https=https://"
                + options.host() + ":" + core.httpsPort() + " mqtt=mqtts://" + options.host() + ":" + core.mqttPort()
                + (core.apiPort() > 0 ? " api=https://" + options.host() + ":" + core.apiPort() : "")
                + " server-ca=" + core.serverCaFile() + " region="
                + options.region() + " account=" + options.account());
        if (block) {
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return 0;
    }
}
