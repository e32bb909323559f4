package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.infra.constructs.DeviceApi;
import dev.iotonboard.infra.constructs.RetryBudget;
import dev.iotonboard.lambda.core.registry.DynamoDbClients;
import org.junit.jupiter.api.Test;

/**
 * The authorizer's device registry budget is set in lambda-core (DynamoDbClients: the SDK's per-call timeout, the
 * reads per authorization) and mirrored by the CDK app (RetryBudget), which cannot depend on lambda-core at synthesis and holds
 * the function's timeout above it. This module has both on its test classpath.
 */
class AuthorizerBudgetAgreementTest {

    @Test
    void theStackHoldsTheBudgetTheAuthorizerHas_belowItsTimeout() {
        assertEquals(DynamoDbClients.API_CALL_TIMEOUT.toSeconds(), RetryBudget.AUTHORIZER_READ_TIMEOUT_SECONDS);
        assertEquals(DynamoDbClients.API_CALLS_PER_AUTHORIZATION, RetryBudget.AUTHORIZER_REGISTRY_READS);
        assertEquals(DynamoDbClients.apiAuthorizationBudget().toSeconds(),
                RetryBudget.AUTHORIZER_BUDGET.toSeconds().longValue());
        assertTrue(RetryBudget.AUTHORIZER_BUDGET.toSeconds().intValue()
                < DeviceApi.AUTHORIZER_TIMEOUT.toSeconds().intValue());
    }
}
