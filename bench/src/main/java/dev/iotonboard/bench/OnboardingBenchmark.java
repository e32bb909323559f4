package dev.iotonboard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.util.List;

/**
 * The onboarding benchmark: N simulated devices (EC P-256 keys, distinct certificates, CN = thing name = a random
 * UUID) doing the real JITR flow concurrently against the local IoT Core with quotas on and faults injected. See
 * docs/performance.md for the method; {@code --help} for the options.
 */
public final class OnboardingBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

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
        try (OnboardingSession session = OnboardingSession.open(o, "onboarding-bench")) {
            session.warmup();
            OnboardingSession.Outcome outcome = session.onboard(o.devices(), o.deviceThreads(), "");
            ObjectNode report = outcome.report();
            List<String> problems = session.checkRegistry(outcome.results());
            report.put("registryProblems", problems.size());
            problems.stream().limit(10).forEach(report.withArray("registryProblemExamples")::add);
            session.describeRun(report).put("deadlineSeconds", report.path("deadlineSeconds").asLong());

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

    static void log(String message) {
        System.err.println("[bench] " + message);
    }
}
