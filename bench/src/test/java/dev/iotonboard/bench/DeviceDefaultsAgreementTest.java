package dev.iotonboard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The simulated device does what scripts/device/jitr.sh does, with the same defaults for jitr/start's backoff and for
 * the jitr/request resend (docs/performance.md, "What a device does"): read from the script's own assignments.
 */
class DeviceDefaultsAgreementTest {

    private static int scriptDefault(String script, String variable) {
        Matcher m = Pattern.compile("=\\$\\{" + variable + ":-(\\d+)}").matcher(script);
        if (!m.find()) {
            throw new AssertionError("scripts/device/jitr.sh has no default for " + variable);
        }
        return Integer.parseInt(m.group(1));
    }

    @Test
    void startBackoffAndResend_areJitrShDefaults() throws IOException {
        String script = Files.readString(Path.of("../scripts/device/jitr.sh"));
        OnboardingOptions defaults = OnboardingOptions.parse(new String[] {"--repo", ".."});

        assertEquals(new Backoff(Duration.ofSeconds(scriptDefault(script, "JITR_INITIAL_DELAY")),
                Duration.ofSeconds(scriptDefault(script, "JITR_MAX_DELAY"))), defaults.startBackoff());
        assertEquals(Duration.ofSeconds(scriptDefault(script, "JITR_RESEND_AFTER")), defaults.resendAfter());
    }
}
