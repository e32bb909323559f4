package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iotonboard.infra.constructs.ExpiryWatch;
import dev.iotonboard.lambda.core.EmbeddedMetrics;
import org.junit.jupiter.api.Test;

/**
 * The functions write their metrics to lambda-core's EmbeddedMetrics.NAMESPACE; the CDK app names the same namespace
 * (for alarms and its outputs) with its own copy, as it cannot depend on lambda-core at synthesis. This module has
 * both on its test classpath.
 */
class MetricsNamespaceAgreementTest {

    @Test
    void theStackNamesTheNamespaceTheFunctionsWriteTo() {
        assertEquals(EmbeddedMetrics.NAMESPACE, ExpiryWatch.METRICS_NAMESPACE);
    }
}
