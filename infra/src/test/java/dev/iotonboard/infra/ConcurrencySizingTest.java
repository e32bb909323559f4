package dev.iotonboard.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConcurrencySizingTest {
    private final ConcurrencySizing defaults = new ConcurrencySizing(IotQuotas.defaults(), 50);

    @Test
    void defaults_allowFiveDevicesPerSecondBoundByDescribeCertificate() {
        assertEquals(0, BigDecimal.valueOf(5).compareTo(defaults.onboardingRate()), defaults.onboardingRate().toString());
        assertEquals(2, ConcurrencySizing.callsPerDevice().get("DescribeCertificate"));
        assertEquals(11, ConcurrencySizing.callsPerDevice().values().stream().mapToInt(Integer::intValue).sum());
    }

    @Test
    void defaults_giveTheHandComputedConcurrency() {
        // activation: 5/s x 3 calls x 0.05 s = 0.75 -> 1; provisioning: 5/s x 8 calls x 0.05 s = 2 (exactly, not 3)
        assertEquals(1, defaults.activationConcurrency());
        assertEquals(2, defaults.provisioningConcurrency());
    }

    @Test
    void doubledQuotas_raiseTheConcurrency() {
        ConcurrencySizing doubled = new ConcurrencySizing(IotQuotas.defaults().scaledBy(BigDecimal.valueOf(2)), 50);

        assertEquals(0, BigDecimal.TEN.compareTo(doubled.onboardingRate()));
        assertEquals(2, doubled.activationConcurrency()); // 10 x 3 x 0.05 = 1.5
        assertEquals(4, doubled.provisioningConcurrency()); // 10 x 8 x 0.05 = 4
        assertTrue(doubled.activationConcurrency() > defaults.activationConcurrency());
        assertTrue(doubled.provisioningConcurrency() > defaults.provisioningConcurrency());
    }

    @Test
    void slowerCalls_needMoreExecutions() {
        ConcurrencySizing slow = new ConcurrencySizing(IotQuotas.defaults(), 200);
        assertEquals(3, slow.activationConcurrency()); // 5 x 3 x 0.2 = 3
        assertEquals(8, slow.provisioningConcurrency()); // 5 x 8 x 0.2 = 8
    }

    @Test
    void tinyQuotas_stillReserveOneExecution() {
        Map<String, BigDecimal> tiny = new HashMap<>(IotQuotas.DEFAULTS);
        tiny.put("DescribeCertificate", new BigDecimal("0.1"));
        ConcurrencySizing sizing = new ConcurrencySizing(new IotQuotas(tiny), 1);

        assertEquals(0, new BigDecimal("0.05").compareTo(sizing.onboardingRate()));
        assertEquals(1, sizing.activationConcurrency());
        assertEquals(1, sizing.provisioningConcurrency());
    }

    @Test
    void anotherBindingQuota_takesOver() {
        Map<String, BigDecimal> quotas = new HashMap<>(IotQuotas.DEFAULTS);
        quotas.put("DescribeCertificate", BigDecimal.valueOf(1000));
        ConcurrencySizing sizing = new ConcurrencySizing(new IotQuotas(quotas), 50);

        // now AttachPolicy (15/s, twice per device) binds: 7.5 devices/s
        assertEquals(0, new BigDecimal("7.5").compareTo(sizing.onboardingRate()));
        assertEquals(3, sizing.provisioningConcurrency()); // 7.5 x 8 x 0.05 = 3
    }

    @Test
    void latency_mustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new ConcurrencySizing(IotQuotas.defaults(), 0));
    }

    @Test
    void thingGroups_addTheirCallsToEachProvisioningInvocation() {
        ConcurrencySizing sizing = new ConcurrencySizing(IotQuotas.defaults(), 50);

        assertEquals(2, sizing.provisioningConcurrency(0), "5/s x 8 calls x 0.05 s");
        assertEquals(sizing.provisioningConcurrency(), sizing.provisioningConcurrency(0));
        assertEquals(3, sizing.provisioningConcurrency(2), "5/s x 10 calls x 0.05 s = 2.5");
    }
}
