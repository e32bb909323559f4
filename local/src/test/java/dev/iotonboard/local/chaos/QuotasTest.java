package dev.iotonboard.local.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Token buckets on a hand-driven clock. */
class QuotasTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private Quotas quotas(boolean enabled, Map<String, Double> rates) {
        return new Quotas(enabled, rates, now::get);
    }

    private int allowed(Quotas quotas, String operation, int calls) {
        int allowed = 0;
        for (int i = 0; i < calls; i++) {
            if (quotas.tryAcquire(operation)) {
                allowed++;
            }
        }
        return allowed;
    }

    private void advanceMillis(long millis) {
        now.addAndGet(millis * 1_000_000L);
    }

    @Test
    void defaults_areTheContractTable() {
        assertEquals(Map.ofEntries(Map.entry("UpdateCertificate", 10.0), Map.entry("DescribeCertificate", 10.0),
                Map.entry("RegisterCertificate", 10.0), Map.entry("ListPrincipalThings", 10.0),
                Map.entry("ListThingPrincipals", 10.0), Map.entry("AttachPolicy", 15.0),
                Map.entry("DetachPolicy", 15.0), Map.entry("CreateThing", 100.0),
                Map.entry("AttachThingPrincipal", 100.0), Map.entry("DescribeThing", 350.0),
                Map.entry("connect", 500.0)), Quotas.DEFAULTS);
        assertEquals(Quotas.DEFAULTS, quotas(true, Map.of()).rates());
    }

    @Test
    void defaults_areTheRatesTheStackSizesItsFunctionsFor() {
        Map<String, Double> stack = new java.util.TreeMap<>();
        dev.iotonboard.infra.IotQuotas.DEFAULTS.forEach((operation, rate) -> stack.put(operation, rate.doubleValue()));
        assertEquals(stack, new java.util.TreeMap<>(Quotas.DEFAULTS),
                "the tool's default quotas and infra's IotQuotas.DEFAULTS (ConcurrencySizing) must be the same table");
    }

    @Test
    void bucket_holdsOneSecondOfTheRate_andRefillsContinuously() {
        Quotas quotas = quotas(true, Map.of());
        assertEquals(10, allowed(quotas, "DescribeCertificate", 25), "a full bucket: one second of 10/s");
        assertEquals(15, quotas.throttled("DescribeCertificate"));
        advanceMillis(100);
        assertEquals(1, allowed(quotas, "DescribeCertificate", 5), "100 ms of 10/s refills one token");
        advanceMillis(60_000);
        assertEquals(10, allowed(quotas, "DescribeCertificate", 25), "never more than one second of tokens");
        assertEquals(15, allowed(quotas, "AttachPolicy", 20), "each operation has its own bucket");
    }

    @Test
    void slowRate_stillAllowsOneCall() {
        Quotas quotas = quotas(true, Map.of("GetPolicy", 0.5));
        assertEquals(1, allowed(quotas, "GetPolicy", 3));
        advanceMillis(1000);
        assertEquals(0, allowed(quotas, "GetPolicy", 1));
        advanceMillis(1000);
        assertEquals(1, allowed(quotas, "GetPolicy", 1));
    }

    @Test
    void unlistedOperations_andTheOffSwitch_areNotLimited() {
        Quotas on = quotas(true, Map.of());
        assertEquals(1000, allowed(on, "GetPolicy", 1000));
        Quotas off = quotas(false, Map.of());
        assertEquals(1000, allowed(off, "DescribeCertificate", 1000));
        on.setEnabled(false);
        assertEquals(100, allowed(on, "UpdateCertificate", 100));
        on.setEnabled(true);
        assertEquals(10, allowed(on, "UpdateCertificate", 100));
    }

    @Test
    void configuredRates_replaceTheDefaults() {
        Quotas quotas = quotas(true, Map.of("DescribeCertificate", 2.0, "connect", 3.0));
        assertEquals(2, allowed(quotas, "DescribeCertificate", 10));
        assertEquals(3, allowed(quotas, Quotas.CONNECT, 10));
        quotas.setRate("DescribeCertificate", 5);
        assertEquals(5.0, quotas.rates().get("DescribeCertificate"));
        assertEquals(5, allowed(quotas, "DescribeCertificate", 10));
    }

    @Test
    void badRates_areRefusedWithTheReason() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Quotas.validate("DescribeCertificates", 1));
        assertTrue(unknown.getMessage().contains("unknown operation DescribeCertificates"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("DescribeCertificate,"), unknown.getMessage());
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Quotas.validate("CreateThing", bad));
            assertTrue(e.getMessage().contains("positive number"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> quotas(true, Map.of("Nope", 1.0)));
        assertFalse(Quotas.KNOWN.contains("Nope"));
    }
}
