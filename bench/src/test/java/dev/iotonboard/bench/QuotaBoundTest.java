package dev.iotonboard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuotaBoundTest {
    private static final Map<String, Double> CONTRACT_QUOTAS = Map.ofEntries(Map.entry("UpdateCertificate", 10.0),
            Map.entry("DescribeCertificate", 10.0), Map.entry("RegisterCertificate", 10.0),
            Map.entry("ListPrincipalThings", 10.0), Map.entry("ListThingPrincipals", 10.0),
            Map.entry("AttachPolicy", 15.0), Map.entry("DetachPolicy", 15.0), Map.entry("CreateThing", 100.0),
            Map.entry("AttachThingPrincipal", 100.0), Map.entry("DescribeThing", 350.0), Map.entry("connect", 500.0));

    @Test
    void compute_contractQuotasWithDefaultTable_isFivePerSecondBoundByDescribeCertificate() {
        QuotaBound.Limit limit = QuotaBound.compute(CONTRACT_QUOTAS, QuotaBound.DEFAULT_CALLS);

        assertEquals(5.0, limit.devicesPerSecond(), 1e-9);
        assertEquals("DescribeCertificate", limit.bottleneck());
        assertEquals(7.5, limit.perOperation().get("AttachPolicy"), 1e-9);
        assertEquals(350.0, limit.perOperation().get("DescribeThing"), 1e-9);
    }

    @Test
    void compute_ignoresOperationsWithoutQuota() {
        QuotaBound.Limit limit = QuotaBound.compute(Map.of("CreateThing", 100.0),
                Map.of("CreateThing", 1, "ListAttachedPolicies", 3));

        assertEquals(100.0, limit.devicesPerSecond(), 1e-9);
        assertEquals(Map.of("CreateThing", 100.0), limit.perOperation());
    }

    @Test
    void compute_raisedQuotaMovesTheBottleneck() {
        Map<String, Double> quotas = new java.util.HashMap<>(CONTRACT_QUOTAS);
        quotas.put("DescribeCertificate", 40.0);

        QuotaBound.Limit limit = QuotaBound.compute(quotas, QuotaBound.DEFAULT_CALLS);

        assertEquals(7.5, limit.devicesPerSecond(), 1e-9);
        assertEquals("AttachPolicy", limit.bottleneck());
    }

    @Test
    void compute_failsWhenNoOperationIsLimited() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QuotaBound.compute(Map.of("connect", 500.0), Map.of("CreateThing", 1)));
        assertTrue(e.getMessage().contains("not quota-bound"), e.getMessage());
    }

    @Test
    void fromReadme_sumsTheNormalPathColumnOverFunctions() {
        String readme = """
                # Lambda functions
                ## IoT calls per onboarded device

                | function | operation | calls (normal path) | duplicate delivery |
                |---|---|---|---|
                | activation | `DescribeCertificate` | 1 | 0 |
                | activation | `AttachPolicy` | 1 | 0 |
                | provisioning | `DescribeCertificate` | 1 | 0 |
                | provisioning | `AttachPolicy` | 1 | 0 |
                | provisioning | `DetachPolicy` | 1 | 0 |
                | **total** | | | |

                ## next
                | operation | calls |
                |---|---|
                | `CreateThing` | 9 |
                """;

        assertEquals(Map.of("DescribeCertificate", 2, "AttachPolicy", 2, "DetachPolicy", 1),
                QuotaBound.fromReadme(readme).orElseThrow());
    }

    @Test
    void fromReadme_emptyWithoutTheHeading() {
        assertTrue(QuotaBound.fromReadme("# Lambda functions\n| operation | calls |\n|---|---|\n| `X` | 1 |\n")
                .isEmpty());
    }

    @Test
    void fromReadme_readsTheLambdasReadmeTable() throws Exception {
        java.nio.file.Path readme = java.nio.file.Path.of("../lambdas/README.md");
        Map<String, Integer> calls = QuotaBound.fromReadme(java.nio.file.Files.readString(readme)).orElseThrow(
                () -> new AssertionError("lambdas/README.md has no readable \"IoT calls per onboarded device\" table"));

        assertEquals(1, calls.get("DescribeCertificate"), "once, in activation: provisioning reads the registry");
        assertEquals(2, calls.get("AttachPolicy"));
        assertTrue(calls.keySet().containsAll(List.of("CreateThing", "AttachThingPrincipal")), "" + calls);
    }
}
