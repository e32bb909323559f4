package dev.iotonboard.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The onboarding benchmark's command line. */
public record OnboardingOptions(boolean help, int devices, int deviceThreads, Path out, Path repositoryRoot,
        Path workDir, boolean quotas, boolean defaultFaults, List<String> faults, List<String> toolArgs,
        String scheduleInterval, Map<String, String> synthContext, Duration deadline, Backoff startBackoff,
        Backoff mqttBackoff, Duration resendAfter, int warmup) {

    public static final String USAGE = """
            Usage: java -cp bench/target/bench.jar dev.iotonboard.bench.OnboardingBenchmark [options]
            Run from the repository root after mvn -DskipTests package.

              --devices N             simulated devices (default 1000)
              --device-threads T      devices running at once (default 30; = N: all at the same instant)
              --out FILE              JSON report (default bench/target/onboarding.json)
              --repo DIR              repository root (default .; must hold cdk.json)
              --work-dir DIR          CA, cdk.out, tool state and log (default a new temporary folder)
              --quotas on|off         the tool's quotas (default on)
              --no-default-faults     do not inject the default fault set (docs/performance.md)
              --fault SPEC            one more fault for the tool (its --fault grammar); repeatable
              --tool-arg ARG          one more argument for the local IoT Core; repeatable
              --schedule-interval S   seconds between the reconciler's runs in the tool (default 10; "none": its rate)
              --synth-context K=V     one more CDK context value for synthesis; repeatable
              --deadline SECONDS      a device not onboarded by then is LOST (default max(300, 4 N / R))
              --start-backoff MS,MS   jitr/start and jitr/request retry backoff: initial,cap (default 1000,16000;
                                      retry k waits between initial/2 and min(cap, initial*2^k), as jitr.sh)
              --mqtt-backoff MS,MS    MQTT connect retry backoff: initial,cap (default 1000,8000)
              --resend-after SECONDS  send jitr/request again when MQTT still refuses after this (default 5)
              --warmup N              devices onboarded before the measured run, not counted (default 5; 0: none)
            Exit: 0 all onboarded and the registry in order, 1 devices lost, 2 bad arguments,
            3 registry problems.""";

    public static OnboardingOptions parse(String[] args) {
        boolean help = false;
        int devices = 1000;
        Integer threads = null;
        Path out = Path.of("bench/target/onboarding.json");
        Path root = Path.of(".");
        Path work = null;
        boolean quotas = true;
        boolean defaultFaults = true;
        List<String> faults = new ArrayList<>();
        List<String> toolArgs = new ArrayList<>();
        String schedule = "10";
        Map<String, String> context = new LinkedHashMap<>();
        Duration deadline = null;
        Backoff start = new Backoff(Duration.ofMillis(1000), Duration.ofMillis(16000));
        Backoff mqtt = new Backoff(Duration.ofMillis(1000), Duration.ofMillis(8000));
        Duration resend = Duration.ofSeconds(5);
        int warmup = 5;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("-h") || option.equals("--help")) {
                help = true;
                continue;
            }
            if (option.equals("--no-default-faults")) {
                defaultFaults = false;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            String value = args[++i];
            switch (option) {
                case "--devices" -> devices = positive(option, value);
                case "--device-threads" -> threads = positive(option, value);
                case "--out" -> out = Path.of(value);
                case "--repo" -> root = Path.of(value);
                case "--work-dir" -> work = Path.of(value);
                case "--quotas" -> {
                    if (!value.equals("on") && !value.equals("off")) {
                        throw new IllegalArgumentException("--quotas is on or off, not " + value);
                    }
                    quotas = value.equals("on");
                }
                case "--fault" -> faults.add(value);
                case "--tool-arg" -> toolArgs.add(value);
                case "--schedule-interval" -> schedule = value.equals("none") ? null : value;
                case "--synth-context" -> {
                    int equals = value.indexOf('=');
                    if (equals <= 0) {
                        throw new IllegalArgumentException("--synth-context is KEY=VALUE, not " + value);
                    }
                    context.put(value.substring(0, equals), value.substring(equals + 1));
                }
                case "--deadline" -> deadline = Duration.ofSeconds(positive(option, value));
                case "--start-backoff" -> start = backoff(option, value);
                case "--mqtt-backoff" -> mqtt = backoff(option, value);
                case "--resend-after" -> resend = Duration.ofSeconds(positive(option, value));
                case "--warmup" -> {
                    try {
                        warmup = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        warmup = -1;
                    }
                    if (warmup < 0) {
                        throw new IllegalArgumentException("--warmup must be 0 or more, not " + value);
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }
        root = root.toAbsolutePath().normalize();
        if (!help && !Files.isRegularFile(root.resolve("cdk.json"))) {
            throw new IllegalArgumentException(root + " is not the repository root (no cdk.json): run from the "
                    + "root or pass --repo");
        }
        return new OnboardingOptions(help, devices, Math.min(threads != null ? threads : 30, devices), out, root,
                work, quotas, defaultFaults, Collections.unmodifiableList(faults),
                Collections.unmodifiableList(toolArgs), schedule, Collections.unmodifiableMap(context), deadline,
                start, mqtt, resend, warmup);
    }

    public SimulatedDevice.Behaviour behaviour() {
        return new SimulatedDevice.Behaviour(startBackoff, mqttBackoff, resendAfter);
    }

    static int positive(String option, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " must be a positive integer, not " + value);
    }

    private static Backoff backoff(String option, String value) {
        String[] parts = value.split(",");
        if (parts.length != 2) {
            throw new IllegalArgumentException(option + " is INITIAL_MS,CAP_MS, e.g. 1000,8000, not " + value);
        }
        try {
            return new Backoff(Duration.ofMillis(positive(option, parts[0])), Duration.ofMillis(positive(option,
                    parts[1])));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
    }
}
