package dev.iotonboard.local;

import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.chaos.Quotas;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tool's command line: every option with its default, read by {@link #parse}; a bad one is a
 * {@link UsageException} naming it (exit 2), {@code --help} one without a message (exit 0, {@link #USAGE}).
 */
public record Options(Path cdkOut, String stack, String region, String account, int controlPort, int httpsPort,
        String bind, String host, Path stateDir, Path stateFile, Path lambdaRuntime, int defaultConcurrency,
        List<Duration> retryDelays, Duration initTimeout, int mqttPort, int apiPort,
        Map<String, String> functionEnv, boolean quotasEnabled, Map<String, Double> quotaRates,
        List<String> faults, Optional<Duration> scheduleInterval, Duration detachDelay, boolean iamEnabled,
        Optional<Path> dynalite, Optional<Path> dynamoDbDir, CloudTrail cloudTrail) {

    /** Whether CloudTrail events reach the stack's EventBridge rules: as the template's trails say, always, never. */
    public enum CloudTrail {
        AUTO, ON, OFF
    }

    /** DetachThingPrincipal takes effect after this (AWS: "might take several seconds"; an assumption). */
    static final Duration DEFAULT_DETACH_DELAY = Duration.ofSeconds(2);

    static Options parse(String[] args) {
        Path cdkOut = Path.of("cdk.out");
        String stack = "IotOnboarding";
        String region = "us-east-1";
        String account = "000000000000";
        int control = 4566;
        int https = 8443;
        int mqtt = 8883;
        int api = 9443;
        Map<String, String> functionEnv = new LinkedHashMap<>();
        String bind = "127.0.0.1";
        String host = "localhost";
        Path stateDir = Path.of(".local");
        Path stateFile = null;
        Path runtime = null;
        int concurrency = 2;
        List<Duration> delays = List.of(Duration.ofSeconds(1), Duration.ofSeconds(2));
        Optional<Duration> scheduleInterval = Optional.empty();
        Duration init = Duration.ofSeconds(60);
        boolean quotas = true;
        Map<String, Double> rates = new LinkedHashMap<>();
        List<String> faults = new ArrayList<>();
        Duration detachDelay = DEFAULT_DETACH_DELAY;
        boolean iam = true;
        Optional<Path> dynalite = Optional.empty();
        Optional<Path> dynamoDbDir = Optional.empty();
        CloudTrail cloudTrail = CloudTrail.AUTO;
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
                    case "--iam" -> {
                        if (!value.equals("on") && !value.equals("off")) {
                            throw new UsageException("--iam is on or off, not " + value);
                        }
                        iam = value.equals("on");
                    }
                    case "--dynalite" -> dynalite = Optional.of(Path.of(value));
                    case "--dynamodb-dir" -> dynamoDbDir = Optional.of(Path.of(value));
                    case "--cloudtrail" -> {
                        if (!value.equals("auto") && !value.equals("on") && !value.equals("off")) {
                            throw new UsageException("--cloudtrail is auto, on or off, not " + value);
                        }
                        cloudTrail = CloudTrail.valueOf(value.toUpperCase(java.util.Locale.ROOT));
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
                        scheduleInterval = Optional.of(Duration.ofMillis((long) (seconds * 1000)));
                    }
                    case "--detach-delay" -> {
                        double seconds = Double.parseDouble(value);
                        if (!(seconds >= 0) || seconds > 3600) {
                            throw new UsageException("--detach-delay must be 0 to 3600 seconds");
                        }
                        detachDelay = Duration.ofMillis((long) (seconds * 1000));
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
        if (dynamoDbDir.isEmpty() && stateFile != null) {
            // the registry persists across restarts, so do the tables, as both do across a redeploy on AWS
            dynamoDbDir = Optional.of(stateFile.resolveSibling(stateFile.getFileName() + ".dynamodb"));
        }
        return new Options(cdkOut, stack, region, account, control, https, bind, host, stateDir, stateFile,
                runtime, concurrency, delays, init, mqtt, api,
                Map.copyOf(functionEnv), quotas, Map.copyOf(rates), List.copyOf(faults),
                scheduleInterval, detachDelay, iam, dynalite, dynamoDbDir, cloudTrail);
    }

    private static int port(String value) {
        int port = Integer.parseInt(value.trim());
        if (port < 0 || port > 65535) {
            throw new UsageException("port out of range: " + value);
        }
        return port;
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
              --iam on|off              evaluate each function role's IAM policies for its control-plane calls,
                                        answered with AccessDeniedException (default: on; other callers: full
                                        access)
              --fault SPEC              inject a fault, repeatable: OP:N:KIND, OP:every=K:KIND (KIND 500, 503,
                                        throttle, 410), crash:OP:N, crash:OP:every=K, drop:FUNCTION:N,
                                        drop:FUNCTION:every=K (local/README.md "Quotas and faults")
              --detach-delay S          DetachThingPrincipal takes effect S seconds later, as on AWS where it
                                        propagates asynchronously (default: 2; 0: at once)
              --schedule-interval S     run every scheduled (EventBridge rate) function every S seconds instead of
                                        at its rule's rate (default: the rule's rate)
              --dynalite PATH           dynalite's cli.js (or the directory holding node_modules/dynalite), run
                                        when the stack has DynamoDB tables (default: found above the cdk.out, the
                                        working directory or this jar; install it with npm ci)
              --dynamodb-dir DIR        keep the DynamoDB tables in a LevelDB store there (default: with
                                        --state-file FILE, FILE.dynamodb next to it; otherwise in memory)
              --cloudtrail auto|on|off  deliver "AWS API Call via CloudTrail" events of the IoT calls to the
                                        stack's EventBridge rules: auto when the stack has a trail logging
                                        management events, on when the account has one outside the stack
                                        (default: auto)
            """;
}
