package dev.iotonboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The API authorization benchmark: N devices onboarded through the real JITR flow (the onboarding benchmark's
 * devices, quotas on), then each calls the API once over mutual TLS with its own certificate (authorizer cache
 * misses), then once more (hits). Optionally, onboarding and API traffic at the same time, each compared with its
 * rate alone. See docs/performance.md for the method; {@code --help} for the options.
 */
public final class ApiAuthorizationBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final String AUTHORIZER = "dev.iotonboard.lambda.api.DeviceAuthorizerHandler";
    static final String SAMPLE = "dev.iotonboard.lambda.api.SampleHandler";

    private ApiAuthorizationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        ApiAuthorizationOptions options;
        try {
            options = ApiAuthorizationOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + "\n\n" + ApiAuthorizationOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.println(ApiAuthorizationOptions.USAGE);
            return;
        }
        System.exit(run(options));
    }

    static int run(ApiAuthorizationOptions o) throws Exception {
        OnboardingOptions onboarding = o.onboarding();
        try (OnboardingSession session = OnboardingSession.open(onboarding, "api-authorization-bench")) {
            Api api = new Api(session, o);
            List<Fleet.Member> warm = session.warmup();
            ObjectNode report = JSON.createObjectNode();
            int threads = Math.min(onboarding.deviceThreads(), o.devices() + o.apiWarmupDevices());
            OnboardingSession.Outcome setup = session.onboard(o.devices() + o.apiWarmupDevices(), threads,
                    "setup: ");
            report.set("setup", onboardingSummary(setup.report()));
            List<DeviceResult> everyDevice = new ArrayList<>(setup.results());
            List<Fleet.Member> callers = new ArrayList<>();
            for (int i = 0; i < setup.members().size(); i++) {
                if (setup.results().get(i).onboarded()) {
                    callers.add(setup.members().get(i));
                }
            }
            long lost = setup.report().path("lost").asLong();
            if (!warm.isEmpty()) {
                List<Fleet.Member> twice = new ArrayList<>(warm);
                twice.addAll(warm);
                log("API warm-up: the " + warm.size() + " warm-up devices call the API twice (containers started)");
                ApiPass.run(twice, api.port, o.path(), o.concurrency());
            }
            if (o.apiWarmupDevices() > 0) {
                List<Fleet.Member> warmers = callers.subList(0, Math.min(o.apiWarmupDevices(), callers.size()));
                log("API warm-up: " + warmers.size() + " devices call the API once (misses, not measured)");
                ApiPass.run(warmers, api.port, o.path(), o.concurrency());
                callers = new ArrayList<>(callers.subList(warmers.size(), callers.size()));
            }

            ArrayNode passes = report.putArray("passes");
            if (o.withOnboarding() == 0) {
                api.missAndHit("", callers).forEach(passes::add);
            } else {
                List<Fleet.Member> alone = callers.subList(0, callers.size() / 2);
                List<Fleet.Member> together = callers.subList(callers.size() / 2, callers.size());
                api.missAndHit(" (alone)", alone).forEach(passes::add);
                int m = o.withOnboarding();
                int onboardingThreads = Math.min(onboarding.deviceThreads(), m);
                OnboardingSession.Outcome onboardingAlone = session.onboard(m, onboardingThreads,
                        "onboarding alone: ");
                everyDevice.addAll(onboardingAlone.results());
                List<Fleet.Member> newcomers = session.generate(m);
                log("onboarding " + m + " devices while " + together.size() + " others call the API");
                CompletableFuture<OnboardingSession.Outcome> withApi = CompletableFuture.supplyAsync(() -> {
                    try {
                        return session.onboard(newcomers, onboardingThreads, "onboarding with API traffic: ");
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                });
                passes.add(api.measure("miss pass (with onboarding)", together, false));
                for (int round = 1; !withApi.isDone(); round++) {
                    passes.add(api.measure("hit pass " + round + " (with onboarding)", together, false));
                }
                OnboardingSession.Outcome onboardingWithApi = withApi.join();
                everyDevice.addAll(onboardingWithApi.results());
                ObjectNode combined = report.putObject("combined");
                combined.set("onboardingAlone", onboardingSummary(onboardingAlone.report()));
                combined.set("onboardingWithApi", onboardingSummary(onboardingWithApi.report()));
                combined.put("onboardingRateWithApiOverAlone", ratio(onboardingWithApi.report(),
                        onboardingAlone.report(), "ratePerSecond"));
                combined.put("apiMissRateWithOnboardingOverAlone", ratio(passes.get(2), passes.get(0),
                        "authorizedDevicesPerSecond"));
                lost += onboardingAlone.report().path("lost").asLong() + onboardingWithApi.report().path("lost")
                        .asLong();
            }
            long refused = 0;
            for (JsonNode pass : passes) {
                refused += pass.path("denied").asLong() + pass.path("failed").asLong();
            }
            report.put("lost", lost);
            report.put("deniedOrFailedApiCalls", refused);

            List<String> problems = session.checkRegistry(everyDevice);
            report.put("registryProblems", problems.size());
            problems.stream().limit(10).forEach(report.withArray("registryProblemExamples")::add);
            ObjectNode run = session.describeRun(report);
            run.put("apiDevices", o.devices());
            run.put("apiConcurrency", o.concurrency());
            run.put("apiWarmupDevices", o.apiWarmupDevices());
            run.put("apiBatch", o.batch());
            run.put("apiPath", o.path());
            run.put("withOnboarding", o.withOnboarding());
            report.set("quotaBound", setup.report().path("quotaBound"));
            report.set("faultSpecs", setup.report().path("faultSpecs"));

            System.out.print(text(report));
            if (o.out() != null) {
                Files.createDirectories(o.out().toAbsolutePath().getParent());
                JSON.writeValue(o.out().toFile(), report);
                log("report written to " + o.out());
            }
            return lost > 0 || refused > 0 ? 1 : problems.isEmpty() ? 0 : 3;
        }
    }

    /** The API of the stage: its port, the authorizer's logical id, and measured passes. */
    private static final class Api {
        final OnboardingSession session;
        final ApiAuthorizationOptions options;
        final int port;
        final String authorizer;
        final ApiReport.ApiFunctions functions;

        Api(OnboardingSession session, ApiAuthorizationOptions options) {
            this.session = session;
            this.options = options;
            this.port = session.stage.tool.endpoints().apiPort();
            if (port < 0) {
                throw new IllegalStateException("the local IoT Core serves no API custom domain (no api= in its "
                        + "ready line)");
            }
            this.authorizer = session.stage.stack.function(AUTHORIZER).map(StackInfo.Function::logicalId)
                    .orElseThrow(() -> new IllegalStateException("no " + AUTHORIZER + " function in the stack"));
            this.functions = new ApiReport.ApiFunctions(authorizer, session.stage.stack.function(SAMPLE)
                    .map(StackInfo.Function::logicalId).orElse(""));
        }

        /**
         * The miss pass and the hit pass over {@code members}, batch by batch: each batch's devices call once, then
         * once more, so a device's second call follows its first within one batch's time, inside the cache TTL.
         */
        List<ObjectNode> missAndHit(String label, List<Fleet.Member> members) throws Exception {
            List<ApiPass.Window> miss = new ArrayList<>();
            List<ApiPass.Window> hit = new ArrayList<>();
            int batch = options.batch();
            for (int from = 0; from < members.size(); from += batch) {
                List<Fleet.Member> devices = members.subList(from, Math.min(members.size(), from + batch));
                log("batch of " + devices.size() + " devices (" + from + " done): miss pass then hit pass" + label);
                miss.add(window(devices));
                hit.add(window(devices));
            }
            List<ObjectNode> passes = List.of(ApiReport.pass("miss pass" + label, miss, functions, true),
                    ApiReport.pass("hit pass" + label, hit, functions, true));
            passes.forEach(p -> log(ApiReport.text(p).strip()));
            return passes;
        }

        /** One pass over {@code members} (no batches), while something else may call IoT too. */
        ObjectNode measure(String name, List<Fleet.Member> members, boolean iotCallsAreOurs) throws Exception {
            log(name + ": " + members.size() + " devices GET " + options.path() + ", " + options.concurrency()
                    + " at once");
            ObjectNode pass = ApiReport.pass(name, List.of(window(members)), functions, iotCallsAreOurs);
            log(ApiReport.text(pass).strip());
            return pass;
        }

        /** Each of {@code members} calls once, with the tool's counters and the authorizer's log lines meanwhile. */
        private ApiPass.Window window(List<Fleet.Member> members) throws Exception {
            LocalTool tool = session.stage.tool;
            JsonNode before = tool.stats();
            long offset = Files.size(tool.log());
            List<ApiPass.Call> calls = ApiPass.run(members, port, options.path(), options.concurrency());
            Thread.sleep(500); // the tool's last log lines of the window reach its log file
            JsonNode stats = StatsDelta.between(before, tool.stats());
            return new ApiPass.Window(calls, AuthorizerLog.parse(AuthorizerLog.linesFrom(tool.log(), offset),
                    authorizer), stats);
        }
    }

    private static ObjectNode onboardingSummary(JsonNode onboarding) {
        ObjectNode summary = JSON.createObjectNode();
        for (String field : List.of("devices", "onboarded", "lost", "wallSeconds", "ratePerSecond", "ratio",
                "deviceLatencySeconds", "meanAttemptsPerDevice", "measuredCallsPerDevice", "throttled")) {
            if (onboarding.has(field)) {
                summary.set(field, onboarding.get(field));
            }
        }
        return summary;
    }

    private static double ratio(JsonNode together, JsonNode alone, String field) {
        double base = alone.path(field).asDouble();
        return base > 0 ? OnboardingReport.round(together.path(field).asDouble() / base, 3) : Double.NaN;
    }

    static String text(JsonNode r) {
        StringBuilder out = new StringBuilder();
        JsonNode setup = r.path("setup");
        out.append(String.format(Locale.ROOT, "setup: %d devices onboarded, %d lost, %.2f devices/s (%.2f of R)%n",
                setup.path("onboarded").asInt(), setup.path("lost").asInt(), setup.path("ratePerSecond").asDouble(),
                setup.path("ratio").asDouble()));
        r.path("passes").forEach(p -> out.append(ApiReport.text(p)));
        JsonNode combined = r.path("combined");
        if (!combined.isMissingNode()) {
            out.append(String.format(Locale.ROOT, "onboarding alone %.2f devices/s, with API traffic %.2f devices/s "
                    + "(%.2f of alone); API miss pass with onboarding %.2f of alone%n",
                    combined.path("onboardingAlone").path("ratePerSecond").asDouble(),
                    combined.path("onboardingWithApi").path("ratePerSecond").asDouble(),
                    combined.path("onboardingRateWithApiOverAlone").asDouble(),
                    combined.path("apiMissRateWithOnboardingOverAlone").asDouble()));
        }
        out.append(String.format(Locale.ROOT, "lost %d, API calls denied or failed %d, registry problems %d%n",
                r.path("lost").asLong(), r.path("deniedOrFailedApiCalls").asLong(),
                r.path("registryProblems").asInt()));
        return out.toString();
    }

    static void log(String message) {
        Stage.log(message);
    }
}
