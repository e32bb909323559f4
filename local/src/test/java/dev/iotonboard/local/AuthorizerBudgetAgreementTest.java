package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.infra.constructs.DeviceApi;
import dev.iotonboard.infra.constructs.RetryBudget;
import dev.iotonboard.lambda.core.IotClients;
import org.junit.jupiter.api.Test;

/**
 * The authorizer's IoT budget is set in lambda-core (IotClients: the SDK's per-call timeout, the calls per
 * authorization) and mirrored by the CDK app (RetryBudget), which cannot depend on lambda-core at synthesis and holds
 * the function's timeout above it. This module has both on its test classpath.
 */
class AuthorizerBudgetAgreementTest {

    @Test
    void theStackHoldsTheBudgetTheAuthorizerHas_belowItsTimeout() {
        assertEquals(IotClients.API_CALL_TIMEOUT.toSeconds(), RetryBudget.AUTHORIZER_CALL_TIMEOUT_SECONDS);
        assertEquals(IotClients.API_CALLS_PER_AUTHORIZATION, RetryBudget.AUTHORIZER_IOT_CALLS);
        assertEquals(IotClients.apiAuthorizationBudget().toSeconds(),
                RetryBudget.AUTHORIZER_BUDGET.toSeconds().longValue());
        assertTrue(RetryBudget.AUTHORIZER_BUDGET.toSeconds().intValue()
                < DeviceApi.AUTHORIZER_TIMEOUT.toSeconds().intValue());
    }
}
