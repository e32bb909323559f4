package dev.iotonboard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The API benchmark's own options, and the onboarding benchmark's ones passed through. */
class ApiAuthorizationOptionsTest {
    private static final String REPO = Path.of("..").toAbsolutePath().normalize().toString();

    @Test
    void defaults_2000DevicesAndTheReconcilerAtTheStacksOwnRate() {
        ApiAuthorizationOptions o = ApiAuthorizationOptions.parse(new String[] {"--repo", REPO});
        assertEquals(2000, o.devices());
        assertEquals(32, o.concurrency());
        assertEquals(250, o.batch());
        assertEquals("/sample", o.path());
        assertEquals(0, o.withOnboarding());
        assertEquals(0, o.apiWarmupDevices());
        assertNull(o.onboarding().scheduleInterval(), "--schedule-interval none unless given");
        assertEquals(30, o.onboarding().deviceThreads());
    }

    @Test
    void onboardingOptionsPassThrough() {
        ApiAuthorizationOptions o = ApiAuthorizationOptions.parse(new String[] {"--repo", REPO, "--devices", "300",
            "--concurrency", "8", "--batch", "100", "--with-onboarding", "100", "--device-threads", "50", "--schedule-interval", "10",
            "--no-default-faults", "--path", "/sample"});
        assertEquals(300, o.devices());
        assertEquals(8, o.concurrency());
        assertEquals(100, o.batch());
        assertEquals(100, o.withOnboarding());
        assertEquals(50, o.onboarding().deviceThreads());
        assertEquals("10", o.onboarding().scheduleInterval());
        assertEquals(false, o.onboarding().defaultFaults());
    }

    @Test
    void apiWarmupDevices_areOnboardedOnTopOfTheMeasuredOnes() {
        ApiAuthorizationOptions o = ApiAuthorizationOptions.parse(new String[] {"--repo", REPO, "--devices", "2000",
            "--api-warmup-devices", "500"});
        assertEquals(2000, o.devices());
        assertEquals(500, o.apiWarmupDevices());
        assertEquals(2500, o.onboarding().devices());
    }

    @Test
    void badValuesAreRefused() {
        for (String[] args : new String[][] {{"--devices", "0"}, {"--concurrency", "x"}, {"--batch", "0"}, {"--path", "sample"},
            {"--with-onboarding"}, {"--bogus", "1"}, {"--devices", "1", "--with-onboarding", "5"},
            {"--api-warmup-devices", "0"}, {"--api-warmup-devices"}}) {
            String[] withRepo = new String[args.length + 2];
            withRepo[0] = "--repo";
            withRepo[1] = REPO;
            System.arraycopy(args, 0, withRepo, 2, args.length);
            assertThrows(IllegalArgumentException.class, () -> ApiAuthorizationOptions.parse(withRepo),
                    String.join(" ", args));
        }
    }
}
