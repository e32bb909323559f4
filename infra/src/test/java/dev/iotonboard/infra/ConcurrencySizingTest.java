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
    void defaults_allowSevenAndAHalfDevicesPerSecondBoundByAttachPolicy() {
        assertEquals(0, new BigDecimal("7.5").compareTo(defaults.onboardingRate()), defaults.onboardingRate().toString());
        assertEquals(1, ConcurrencySizing.callsPerDevice().get("DescribeCertificate"), "activation only");
        assertEquals(2, ConcurrencySizing.callsPerDevice().get("AttachPolicy"));
        assertEquals(10, ConcurrencySizing.callsPerDevice().values().stream().mapToInt(Integer::intValue).sum());
    }

    @Test
    void defaults_giveTheHandComputedConcurrency() {
        // activation: 7.5/s x 3 calls x 0.05 s = 1.125 -> 2; provisioning: 7.5/s x 7 calls x 0.05 s = 2.625 -> 3
        assertEquals(2, defaults.activationConcurrency());
        assertEquals(3, defaults.provisioningConcurrency());
    }

    @Test
    void doubledQuotas_raiseTheConcurrency() {
        ConcurrencySizing doubled = new ConcurrencySizing(IotQuotas.defaults().scaledBy(BigDecimal.valueOf(2)), 50);

        assertEquals(0, BigDecimal.valueOf(15).compareTo(doubled.onboardingRate()));
        assertEquals(3, doubled.activationConcurrency()); // 15 x 3 x 0.05 = 2.25
        assertEquals(6, doubled.provisioningConcurrency()); // 15 x 7 x 0.05 = 5.25
        assertTrue(doubled.activationConcurrency() > defaults.activationConcurrency());
        assertTrue(doubled.provisioningConcurrency() > defaults.provisioningConcurrency());
    }

    @Test
    void slowerCalls_needMoreExecutions() {
        ConcurrencySizing slow = new ConcurrencySizing(IotQuotas.defaults(), 200);
        assertEquals(5, slow.activationConcurrency()); // 7.5 x 3 x 0.2 = 4.5
        assertEquals(11, slow.provisioningConcurrency()); // 7.5 x 7 x 0.2 = 10.5
    }

    @Test
    void tinyQuotas_stillReserveOneExecution() {
        Map<String, BigDecimal> tiny = new HashMap<>(IotQuotas.DEFAULTS);
        tiny.put("DescribeCertificate", new BigDecimal("0.1"));
        ConcurrencySizing sizing = new ConcurrencySizing(new IotQuotas(tiny), 1);

        assertEquals(0, new BigDecimal("0.1").compareTo(sizing.onboardingRate()));
        assertEquals(1, sizing.activationConcurrency());
        assertEquals(1, sizing.provisioningConcurrency());
    }

    @Test
    void anotherBindingQuota_takesOver() {
        Map<String, BigDecimal> quotas = new HashMap<>(IotQuotas.DEFAULTS);
        quotas.put("AttachPolicy", BigDecimal.valueOf(1000));
        ConcurrencySizing sizing = new ConcurrencySizing(new IotQuotas(quotas), 50);

        // now the 10/s quotas of the operations called once per device bind: 10 devices/s
        assertEquals(0, BigDecimal.TEN.compareTo(sizing.onboardingRate()));
        assertEquals(4, sizing.provisioningConcurrency()); // 10 x 7 x 0.05 = 3.5
    }

    @Test
    void latency_mustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new ConcurrencySizing(IotQuotas.defaults(), 0));
    }

    @Test
    void thingGroups_addTheirCallsToEachProvisioningInvocation() {
        ConcurrencySizing sizing = new ConcurrencySizing(IotQuotas.defaults(), 50);

        assertEquals(3, sizing.provisioningConcurrency(0), "7.5/s x 7 calls x 0.05 s = 2.625");
        assertEquals(sizing.provisioningConcurrency(), sizing.provisioningConcurrency(0));
        assertEquals(4, sizing.provisioningConcurrency(2), "7.5/s x 9 calls x 0.05 s = 3.375");
    }
}
