package dev.iotonboard.lambda.core;

import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.Policy;
import software.amazon.awssdk.services.iot.model.ResourceNotFoundException;

/** Paginated IoT reads shared by the handlers. Errors other than the ones named propagate (retryable). */
public final class IotLookups {

    private IotLookups() {
    }

    /** The things {@code principalArn} is attached to (ListPrincipalThings, every page). */
    public static List<String> thingsOf(IotClient iot, String principalArn) {
        List<String> things = new ArrayList<>();
        iot.listPrincipalThingsPaginator(r -> r.principal(principalArn)).things().forEach(things::add);
        return things;
    }

    /** The names of the policies attached to {@code target} (ListAttachedPolicies, every page). */
    public static List<String> policiesOf(IotClient iot, String target) {
        return iot.listAttachedPoliciesPaginator(r -> r.target(target)).policies().stream()
                .map(Policy::policyName).toList();
    }

    /**
     * The principals attached to {@code thingName} (ListThingPrincipals, every page); empty when the thing does not
     * exist (ResourceNotFoundException).
     */
    public static List<String> principalsOf(IotClient iot, String thingName) {
        List<String> principals = new ArrayList<>();
        try {
            iot.listThingPrincipalsPaginator(r -> r.thingName(thingName)).principals().forEach(principals::add);
        } catch (ResourceNotFoundException e) {
            return List.of();
        }
        return principals;
    }
}
