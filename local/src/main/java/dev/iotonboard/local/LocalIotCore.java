package dev.iotonboard.local;

import dev.iotonboard.iot.model.Registry;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.admin.AdminRoutes;
import dev.iotonboard.local.apigateway.ApiDefinition;
import dev.iotonboard.local.apigateway.ApiGateway;
import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.cloudwatch.AlarmDefinition;
import dev.iotonboard.local.cloudwatch.CloudWatch;
import dev.iotonboard.local.dynamodb.Dynalite;
import dev.iotonboard.local.dynamodb.DynamoDb;
import dev.iotonboard.local.dynamodb.DynamoDbApi;
import dev.iotonboard.local.events.CloudTrailEvents;
import dev.iotonboard.local.events.Scheduler;
import dev.iotonboard.local.gateway.Gateway;
import dev.iotonboard.local.iam.FunctionRoles;
import dev.iotonboard.local.iam.IamAuthorizer;
import dev.iotonboard.local.iot.control.ControlPlane;
import dev.iotonboard.local.iot.data.DeviceAdmission;
import dev.iotonboard.local.iot.data.HttpsDataPlane;
import dev.iotonboard.local.iot.data.MqttBroker;
import dev.iotonboard.local.iot.data.RetainedMessages;
import dev.iotonboard.local.iot.rules.RuleEngine;
import dev.iotonboard.local.lambda.LambdaApi;
import dev.iotonboard.local.lambda.LambdaPermissions;
import dev.iotonboard.local.lambda.LambdaRunner;
import dev.iotonboard.local.sqs.SqsApi;
import dev.iotonboard.local.sqs.SqsQueues;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.SSLContext;

/**
 * The local IoT Core: {@code java -jar local/target/local-iot-core.jar --cdk-out cdk.out}. Reads the synthesized
 * stack, serves the IoT control plane (HTTP, loopback) and the HTTPS data plane, routes messages through the stack's
 * topic rules to its Lambda functions, and prints one line per event. See local/README.md.
 *
 * <p>This class only wires the rooms together (each package is one, local/README.md maps them), starts them in order
 * and stops them; the command line is {@link Options}.
 */
public final class LocalIotCore implements AutoCloseable {

    private final Options options;
    private final ControlPlane controlPlane;
    private final Gateway gateway;
    private final LambdaRunner lambdas;
    private final RuleEngine rules;
    private final HttpsDataPlane dataPlane;
    private final MqttBroker mqtt;
    private final ApiGateway api;
    private final Registry registry;
    private final Path serverCaFile;
    private final Quotas quotas;
    private final Faults faults;
    private final Scheduler scheduler;
    private final DynamoDb dynamo;
    private final CloudTrailEvents cloudTrail;
    private final CloudWatch cloudWatch;

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
        FunctionRoles roles = options.iamEnabled() ? FunctionRoles.from(stack) : null;
        registry = new Registry(options.region(), options.account(), options.stateFile());
        registry.detachPropagationDelay(options.detachDelay());
        for (StackTemplate.IotPolicy policy : stack.policies().values()) {
            registry.policies().put(policy.name(), policy.document());
            log.event("template", "IoT policy " + policy.name());
        }
        for (StackTemplate.ThingType type : stack.thingTypes().values()) {
            if (registry.thingTypes().list().stream().noneMatch(t -> t.name().equals(type.name()))) {
                registry.thingTypes().create(type.name(), type.description(), type.searchableAttributes());
            }
            log.event("template", "thing type " + type.name() + " searchable " + type.searchableAttributes());
        }
        for (StackTemplate.ThingGroup group : stack.thingGroups().values()) {
            if (registry.thingGroups().list().stream().noneMatch(g -> g.name().equals(group.name()))) {
                registry.thingGroups().create(group.name(), group.description(), java.util.Map.of());
            }
            log.event("template", "thing group " + group.name());
        }
        for (StackTemplate.TopicRule rule : stack.rules().values()) {
            registry.topicRules().put(rule.name(), rule.payload());
            log.event("template", "topic rule " + rule.name() + ": " + rule.sql() + " -> " + rule.lambdaFunctions());
        }
        quotas = new Quotas(options.quotasEnabled(), options.quotaRates());
        faults = new Faults(stack.functions().values().stream().filter(StackTemplate.Function::runnable)
                .map(StackTemplate.Function::logicalId).toList());
        for (String spec : options.faults()) {
            faults.add(spec);
        }
        log.event("core", "quotas " + (quotas.enabled() ? "on: " + quotas.rates() : "off"));
        log.event("core", "iam " + (roles != null ? "on: " + roles.all().size() + " function roles" : "off"));
        for (Faults.Status fault : faults.list()) {
            log.event("core", "fault " + fault.spec().text() + (fault.spec().type() == Faults.Type.DROP
                    ? " (function " + fault.spec().target() + ")" : ""));
        }
        List<AutoCloseable> started = new ArrayList<>();
        cloudWatch = new CloudWatch(AlarmDefinition.from(stack), log);
        started.add(cloudWatch);
        try {
            dynamo = stack.tables().isEmpty() ? null : DynamoDb.start(Dynalite.find(options.dynalite(),
                    List.of(options.cdkOut(), Path.of(""), jarDir())), options.dynamoDbDir(), stack.tables().values(),
                    options.region(), log);
            if (dynamo != null) {
                started.add(dynamo);
            } else {
                log.event("dynamodb", "off: the stack has no AWS::DynamoDB::Table");
            }
            controlPlane = new ControlPlane(registry, options.host(), log, quotas, faults);
            // the IoT routes answer every path: the gateway's fallback, after DynamoDB, the admin routes, SQS and Lambda
            gateway = new Gateway(options.controlPort(), controlPlane);
            started.add(gateway);
            Path runtimeDir = options.lambdaRuntime() != null ? options.lambdaRuntime() : defaultRuntimeDir();
            Map<String, StackTemplate.Function> functions = new LinkedHashMap<>();
            stack.functions().forEach((id, f) -> functions.put(id, f.withEnvironment(options.functionEnv())));
            lambdas = new LambdaRunner(functions, new LambdaRunner.Settings(options.region(), options.account(),
                    gateway.url(), LambdaRunner.runtimeClasspath(runtimeDir), options.defaultConcurrency(),
                    options.initTimeout(), options.retryDelays(), options.stateDir().resolve("lambda-failures")), log,
                    faults);
            started.add(lambdas);
            lambdas.observe(new LambdaRunner.Observer() {
                @Override
                public void output(StackTemplate.Function function, String line) {
                    cloudWatch.functionLog(function.name(), line);
                }

                @Override
                public void attempt(StackTemplate.Function function, LambdaRunner.Result result) {
                    cloudWatch.services().lambdaAttempt(function.name(), result.error());
                }

                @Override
                public void throttled(StackTemplate.Function function) {
                    cloudWatch.services().lambdaThrottle(function.name());
                }
            });
            controlPlane.crashTargets(lambdas);
            DynamoDbApi dynamoApi = new DynamoDbApi(dynamo == null ? null : dynamo.endpoint(), options.region(),
                    options.account(), log);
            dynamoApi.faults(faults);
            gateway.addHandler(dynamoApi);
            IamAuthorizer iam = roles == null ? null : new IamAuthorizer(roles, lambdas, options.account());
            if (iam != null) {
                controlPlane.iam(iam);
                dynamoApi.iam(iam);
            }
            cloudTrail = cloudTrail(stack, options, iam, log);
            controlPlane.apiCalls(cloudTrail::called);
            LambdaPermissions permissions = LambdaPermissions.of(stack);
            permissions.refusals().forEach(refusal -> log.event("core", "WARNING: " + refusal));
            cloudTrail.permissions(permissions);
            rules = new RuleEngine(stack.rules().values(), lambdas::invokeAsync, log);
            rules.permissions(permissions);
            rules.onAction((rule, actionType, failed) -> cloudWatch.services().ruleAction(rule, actionType, failed));
            rules.onRuleNotFound(rule -> cloudWatch.services().ruleNotFound(rule));
            Pki.Issued root = Pki.rootCa("Local IoT Core Root CA " + System.currentTimeMillis(), Duration.ofDays(30));
            Pki.Issued server = Pki.issue(root, options.host(), Duration.ofDays(30), true,
                    new String[] {"localhost", options.host()}, new String[] {"127.0.0.1"});
            Files.createDirectories(options.stateDir());
            serverCaFile = options.stateDir().resolve("server-ca.pem").toAbsolutePath();
            Files.writeString(serverCaFile, CertificateIds.toPem(root.certificate()));
            DeviceAdmission admission = new DeviceAdmission(registry, rules, log, quotas);
            SSLContext deviceTls = admission.serverContext(server, root.certificate(), options.host());
            RetainedMessages retained = new RetainedMessages();
            dataPlane = new HttpsDataPlane(registry, rules, log, admission, deviceTls, retained, options.bind(),
                    options.httpsPort());
            started.add(dataPlane);
            gateway.addHandler(new AdminRoutes(quotas, faults, controlPlane::stats, lambdas::stats,
                    lambdas::pendingAsync, admission::connectThrottled, filters -> cloudWatch.metricsView(filters),
                    cloudWatch::alarmsView));
            SqsQueues sqs = new SqsQueues(options.region(), options.account());
            for (StackTemplate.Queue queue : stack.queues().values()) {
                sqs.create(queue.name(), stack.resolvedProperties(queue.logicalId()));
            }
            lambdas.onFailureDestinations(sqs::sendToArn);
            SqsApi sqsApi = new SqsApi(sqs, gateway.url(), log);
            sqsApi.iam(iam);
            gateway.addHandler(sqsApi);
            LambdaApi lambdaApi = new LambdaApi(options.region(), options.account(), stack.functions().values(),
                    lambdas::invokeAsync, lambdas::invoke, log);
            lambdaApi.iam(iam);
            gateway.addHandler(lambdaApi);
            scheduler = new Scheduler(stack.schedules().values(),
                    (function, payload) -> lambdas.invokeAsync(function, payload, "schedule"),
                    options.scheduleInterval(), log);
            scheduler.permissions(permissions);
            started.add(scheduler);
            mqtt = new MqttBroker(registry, rules, log, admission, deviceTls, retained, options.bind(),
                    options.mqttPort());
            started.add(mqtt);
            Optional<ApiDefinition> apiDefinition = ApiDefinition.from(stack);
            api = apiDefinition.isEmpty() ? null : new ApiGateway(apiDefinition.get(), lambdas::invoke, log, server,
                    root.certificate(), options.host(), options.region(), options.account(), options.bind(),
                    options.apiPort());
            if (api != null) {
                started.add(api);
                api.permissions(permissions);
                String apiName = stack.resolvedProperties(apiDefinition.get().apiId()).path("Name")
                        .asText(apiDefinition.get().apiId());
                api.onResponse(status -> cloudWatch.services().apiResponse(apiName, apiDefinition.get().stage(),
                        status));
            }
            cloudWatch.start(metrics -> sqs.names().forEach(queue -> metrics.queueDepth(queue,
                    Long.parseLong(sqs.attributes(queue, List.of("ApproximateNumberOfMessages"))
                            .get("ApproximateNumberOfMessages")))));
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
        cloudWatch.close();
        scheduler.close();
        if (api != null) {
            api.close();
        }
        mqtt.close();
        dataPlane.close();
        lambdas.close();
        gateway.close();
        if (dynamo != null) {
            dynamo.close();
        }
    }

    /** The CloudTrail events of the IoT calls, delivered as the template's trails (or --cloudtrail) say. */
    private CloudTrailEvents cloudTrail(StackTemplate stack, Options options, IamAuthorizer iam, EventLog log) {
        List<String> trails = stack.trails().values().stream()
                .filter(t -> t.logging() && t.managementWriteEvents()).map(StackTemplate.Trail::logicalId).toList();
        boolean delivering = switch (options.cloudTrail()) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> !trails.isEmpty();
        };
        CloudTrailEvents events = new CloudTrailEvents(stack.eventRules().values(), delivering,
                key -> iam == null ? null : iam.role(key)
                        .map(r -> new CloudTrailEvents.Caller(key, r.roleName(), r.functionName())).orElse(null),
                (function, payload) -> lambdas.invokeAsync(function, payload, "cloudtrail"), options.region(),
                options.account(), log, java.time.Clock.systemUTC());
        String rules = stack.eventRules().isEmpty() ? "no event-pattern rules"
                : "rules " + String.join(", ", stack.eventRules().keySet());
        log.event("events", "CloudTrail events " + (delivering ? "on" : "off") + " ("
                + switch (options.cloudTrail()) {
                    case ON -> "--cloudtrail on: the account has a trail";
                    case OFF -> "--cloudtrail off";
                    case AUTO -> trails.isEmpty() ? "no trail of the stack logs management write events"
                            : "trail " + String.join(", ", trails) + " logs management write events";
                } + "); " + rules);
        return events;
    }

    /** The CloudTrail event delivery (tests: what was delivered). */
    public CloudTrailEvents cloudTrailEvents() {
        return cloudTrail;
    }

    /** The stack's DynamoDB (dynalite), or empty when the stack has no table. */
    public Optional<DynamoDb> dynamoDb() {
        return Optional.ofNullable(dynamo);
    }

    /** The directory of this tool's jar (or classes), where a repository checkout may hold node_modules above. */
    private static Path jarDir() {
        try {
            return Path.of(LocalIotCore.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("");
        }
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
        } catch (Options.UsageException e) {
            if (e.getMessage() == null) {
                out.print(Options.USAGE);
                return 0;
            }
            err.println("local-iot-core: " + e.getMessage());
            err.print(Options.USAGE);
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
