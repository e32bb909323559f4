package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.testing.EmfLines;
import dev.iotonboard.local.stack.StackTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end, the expiry watch: two devices made by the unmodified create-device.sh, one with {@code --days 5}, one
 * with the default year, onboarded by the unmodified jitr.sh; the stack's scheduled expiry watch (run every 3 s here)
 * must then report the five-day device as expiring soon, in its result and in its embedded-metric-format lines on the
 * function's log, and must not count the other. The tool evaluates the function's IAM role, so the run is held to
 * the grants the stack gives it. Output in local/target/expiry-watch-e2e.log.
 */
class ExpiryWatchIT {
    private static E2eFixture e2e;
    private static StackTemplate stack;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("expiry-watch-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"),
                Path.of("lambdas/reconciler/target/reconciler.jar"));
        Path cdkOut = e2e.createCaAndSynthesize();
        stack = StackTemplate.load(cdkOut, "IotOnboarding", "000000000000", "us-east-1");
        e2e.startToolOnFreePorts(cdkOut, "--schedule-interval", "3");
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    void deviceCertificateMadeToExpireInFiveDays_isReportedExpiringSoon_inTheResultAndTheMetrics() throws Exception {
        String caId = e2e.registerCa().lines().reduce((a, b) -> b).orElseThrow().trim();
        String shortLived = device("--days", "5");
        String longLived = device();
        for (String thing : List.of(shortLived, longLived)) {
            E2eFixture.Run jitr = e2e.jitr(thing, 240, "--timeout", "120", "--mqtt-timeout", "60",
                    "--initial-delay", "1", "--max-delay", "4");
            assertEquals(0, jitr.exit(), "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());
        }
        String shortCertificate = certificateOf(shortLived);

        // A run that started after both devices were onboarded sees both ACTIVE certificates.
        e2e.waitFor("an expiry scan that finds both certificates", Duration.ofSeconds(90),
                () -> lastReport().filter(r -> r.at("/cas/0/activeCertificates").asInt() == 2).isPresent());
        JsonNode report = lastReport().orElseThrow();

        JsonNode ca = report.at("/cas/0");
        assertEquals(caId, ca.get("caCertificateId").asText(), report.toString());
        assertEquals("ACTIVE", ca.get("caStatus").asText());
        assertEquals(1, ca.get("expiringSoon").asInt(), report.toString());
        assertEquals(0, ca.get("expired").asInt());
        assertTrue(ca.get("caDaysLeft").asLong() > 30, report.toString());
        assertTrue(report.get("complete").asBoolean(), report.toString());
        JsonNode soonest = report.at("/soonestExpiring/0");
        assertEquals(shortLived, soonest.get("thingName").asText(), report.toString());
        assertEquals(shortCertificate, soonest.get("certificateId").asText());
        assertEquals(4, soonest.get("daysLeft").asLong(), "five days from creation, whole days left: " + report);
        assertEquals(longLived, report.at("/soonestExpiring/1/thingName").asText());
        assertTrue(functionLines().stream().anyMatch(l -> l.contains("\"message\":\"expiry scan finished\"")
                && l.contains("\"certificatesDescribed\":0") && l.contains(shortCertificate)),
                "validity read from the device registry table, with no DescribeCertificate");

        List<EmfLines.Metrics> metrics = EmfLines.in(functionLines());
        EmfLines.Metrics caLine = metrics.stream()
                .filter(m -> caId.equals(m.dimensions().get("CaCertificateId")))
                .filter(m -> m.value("ActiveCertificates") == 2.0)
                .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no per-CA EMF line: " + metrics));
        assertEquals("IotOnboarding", caLine.namespace());
        assertEquals(1.0, caLine.value("CertificatesExpiringSoon"));
        assertEquals(0.0, caLine.value("CertificatesExpired"));
        assertEquals(ca.get("caDaysLeft").asDouble(), caLine.value("CaDaysUntilExpiry"));
        assertTrue(metrics.stream().anyMatch(m -> m.dimensions().isEmpty()
                && m.value("CertificatesExpiringSoon") == 1.0 && m.value("ExpiryScanIncomplete") == 0.0), metrics
                .toString());
        assertTrue(functionLines().stream().anyMatch(l -> l.contains("CERTIFICATE_EXPIRING_SOON")
                && l.contains(shortCertificate)), "the device is logged at WARN");
        assertEquals(List.of(), e2e.output().lines().filter(l -> l.contains("AccessDenied")).toList(),
                "calls the functions' IAM roles deny (the tool's log)");
    }

    private String device(String... options) {
        List<String> command = new ArrayList<>(List.of(e2e.script("device/create-device.sh")));
        command.addAll(List.of(options));
        E2eFixture.Run device = e2e.run(command, Map.of(), 60);
        assertEquals(0, device.exit(), "create-device.sh failed:\n" + device.err());
        return device.out().trim();
    }

    private String certificateOf(String thing) {
        String arn = e2e.cli("list-thing-principals", "--thing-name", thing).path("principals").get(0).asText();
        return arn.substring(arn.lastIndexOf('/') + 1);
    }

    /** The JSON lines the expiry watch's containers wrote, in order. */
    private static List<String> functionLines() {
        String prefix = "[fn " + E2eFixture.function(stack, "ExpiryWatchHandler").logicalId() + "-";
        List<String> lines = new ArrayList<>();
        e2e.output().lines().filter(l -> l.contains(prefix)).forEach(l -> {
            int json = l.indexOf("] {");
            if (json > 0) {
                lines.add(l.substring(json + 2));
            }
        });
        return lines;
    }

    /** The report of the latest finished scan. */
    private static Optional<JsonNode> lastReport() {
        return functionLines().stream().filter(l -> l.contains("\"message\":\"expiry scan finished\""))
                .reduce((a, b) -> b).map(l -> {
                    try {
                        return E2eFixture.JSON.readTree(l).get("report");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }
}
