package dev.iotonboard.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The API authorization benchmark's command line: its own options, and every other one passed to
 * {@link OnboardingOptions} (the stage and the onboarding of the devices are the onboarding benchmark's).
 */
public record ApiAuthorizationOptions(boolean help, int devices, int concurrency, int batch, String path,
        int withOnboarding, int apiWarmupDevices, Path out, OnboardingOptions onboarding) {

    public static final String USAGE = """
            Usage: java -cp bench/target/bench.jar dev.iotonboard.bench.ApiAuthorizationBenchmark [options]
            Run from the repository root after mvn -DskipTests package.
            N devices are onboarded through the real JITR flow (quotas on, the default faults), then each calls the
            API once (cache misses), then once more (cache hits), batch by batch.

              --devices N             devices that call the API (default 2000)
              --concurrency C         API calls in flight at once (default 32)
              --batch B               devices per batch: each batch's devices call once (miss pass), then once
                                      more (hit pass), so the second call comes within the authorizer's cache TTL
                                      (default 250)
              --path PATH             the API route each device GETs (default /sample)
              --with-onboarding M     also measure onboarding and API traffic at the same time: M devices onboard
                                      alone, then M more while half of the N devices call the API (default 0: off)
              --api-warmup-devices W  W more devices are onboarded and make one unmeasured miss pass first, so
                                      the measured passes find the JIT-compiled miss path (the authorizer's
                                      registry read, the tool's DynamoDB gateway); they never call again
                                      (default 0)
              --out FILE              JSON report (default bench/target/api-authorization.json)
            The onboarding benchmark's options apply to the onboarding runs (--device-threads, --repo, --work-dir,
            --quotas, --no-default-faults, --fault, --tool-arg, --synth-context, --deadline, --start-backoff,
            --mqtt-backoff, --resend-after, --warmup); --schedule-interval defaults to none here (the stack's own
            rates: the reconciler every 5 minutes), so its IoT calls stay out of most API passes (each pass names
            any other function that ran during it).
            Exit: 0 every device authorized in every pass and the registry in order, 1 devices lost in onboarding
            or API calls denied or failed, 2 bad arguments, 3 registry problems.""";

    public static ApiAuthorizationOptions parse(String[] args) {
        boolean help = false;
        int devices = 2000;
        int concurrency = 32;
        int batch = 250;
        String path = "/sample";
        int withOnboarding = 0;
        int apiWarmupDevices = 0;
        Path out = Path.of("bench/target/api-authorization.json");
        boolean schedule = false;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            switch (option) {
                case "-h", "--help" -> help = true;
                case "--devices", "--concurrency", "--batch", "--path", "--with-onboarding", "--api-warmup-devices",
                        "--out" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(option + " needs a value");
                    }
                    String value = args[++i];
                    switch (option) {
                        case "--devices" -> devices = OnboardingOptions.positive(option, value);
                        case "--concurrency" -> concurrency = OnboardingOptions.positive(option, value);
                        case "--batch" -> batch = OnboardingOptions.positive(option, value);
                        case "--path" -> {
                            if (!value.startsWith("/") || value.chars().anyMatch(c -> c <= ' ')) {
                                throw new IllegalArgumentException("--path must start with / and hold no spaces, "
                                        + "not " + value);
                            }
                            path = value;
                        }
                        case "--with-onboarding" -> withOnboarding = OnboardingOptions.positive(option, value);
                        case "--api-warmup-devices" -> apiWarmupDevices = OnboardingOptions.positive(option, value);
                        default -> out = Path.of(value);
                    }
                }
                default -> {
                    schedule |= option.equals("--schedule-interval");
                    rest.add(option);
                }
            }
        }
        if (!schedule) {
            rest.addAll(List.of("--schedule-interval", "none"));
        }
        rest.addAll(List.of("--devices", String.valueOf(Math.max(devices + apiWarmupDevices, withOnboarding))));
        if (help) {
            rest.add("--help");
        }
        OnboardingOptions onboarding = OnboardingOptions.parse(rest.toArray(String[]::new));
        if (!help && devices < 2 && withOnboarding > 0) {
            throw new IllegalArgumentException("--with-onboarding needs --devices 2 or more (half call the API alone, "
                    + "half with the onboarding)");
        }
        return new ApiAuthorizationOptions(help, devices, concurrency, batch, path, withOnboarding, apiWarmupDevices,
                out, onboarding);
    }
}
