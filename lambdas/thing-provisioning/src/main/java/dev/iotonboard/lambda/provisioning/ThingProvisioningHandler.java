package dev.iotonboard.lambda.provisioning;

import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ARN;
import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ID;

import com.amazonaws.services.lambda.runtime.Context;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotHandler;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.core.RecentlyDone;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.DynamoDbClients;
import dev.iotonboard.lambda.provisioning.model.ProvisioningRequest;
import dev.iotonboard.lambda.provisioning.model.ProvisioningResult;
import dev.iotonboard.lambda.provisioning.model.ProvisioningResult.Reason;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.ThingPrincipalType;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.provisioning.ThingProvisioningHandler::handleRequest}.
 * Event: {@code {"thingName":"<uuid>","certificateId":"<principal()>"}} from the {@code jitr/request} rule
 * ({@link ProvisioningRequest}); result: a {@link ProvisioningResult}; service: {@link ProvisioningService}; IoT
 * operations: {@link #iotRequests}. Bad requests are answered REJECTED (never retried); an IoT failure that outlasts
 * the SDK retries fails the invocation, so Lambda retries the event ({@link IotHandler}).
 */
public final class ThingProvisioningHandler extends IotHandler<ProvisioningRequest, ProvisioningResult> {

    private static final String PRIMING_THING = "00000000-0000-0000-0000-000000000000";

    private final ProvisioningConfig config = ProvisioningConfig.from(env());
    private final ProvisioningService service;

    /**
     * Used by Lambda: one IoT client (with an {@link IotPrimer}), one DynamoDB client and one configuration per
     * container; the registry table is {@code DEVICE_REGISTRY_TABLE}.
     */
    public ThingProvisioningHandler() {
        super(ProvisioningRequest.class);
        service = service(DeviceRegistry.fromEnvironment(env(), DynamoDbClients.fromEnvironment(env())));
    }

    /**
     * Used by tools that read the declarations (local's FunctionGrantsTest): the registry is
     * {@code DEVICE_REGISTRY_TABLE}, its client built from {@code env} on first use.
     */
    public ThingProvisioningHandler(IotClient iot, Env env) {
        this(iot, DeviceRegistry.fromEnvironment(env), env, Clock.systemUTC());
    }

    /** Used by tests: primes only through an {@link IotPrimer} installed on {@code iot}. */
    public ThingProvisioningHandler(IotClient iot, DeviceRegistry registry, Env env) {
        this(iot, registry, env, Clock.systemUTC());
    }

    /** Used by tests: {@code clock} says how old a renewal announcement is. */
    public ThingProvisioningHandler(IotClient iot, DeviceRegistry registry, Env env, Clock clock) {
        super(ProvisioningRequest.class, iot, env, clock);
        service = service(registry);
    }

    private ProvisioningService service(DeviceRegistry registry) {
        return new ProvisioningService(iot(), Optional.of(registry), config, RecentlyDone.DEFAULT_CAPACITY, clock());
    }

    /**
     * The certificate comes from its registry item (written by activation); DescribeCertificate only when the item
     * is missing or incomplete, or says other than ACTIVE. The anti-hijack reads, the thing and its exclusive attachment, the policy swap; DetachThingPrincipal only to
     * undo a race onto the thing, UpdateCertificate only to set INACTIVE a certificate asking for another thing.
     * A renewal also retires the thing's old certificates (UpdateCertificate INACTIVE, ListAttachedPolicies and
     * DetachPolicy of each, DetachThingPrincipal) and clears the announcement (UpdateThing). Placement: CreateThing
     * and UpdateThing carry the type and attributes; AddThingToThingGroup only when groups are configured.
     */
    @Override
    protected List<Consumer<IotClient>> iotRequests() {
        List<Consumer<IotClient>> requests = new ArrayList<>(List.of(
                c -> c.describeCertificate(r -> r.certificateId(CERTIFICATE_ID)),
                c -> c.listPrincipalThings(r -> r.principal(CERTIFICATE_ARN)),
                c -> c.describeThing(r -> r.thingName(PRIMING_THING)),
                c -> c.listThingPrincipals(r -> r.thingName(PRIMING_THING)),
                c -> c.createThing(r -> r.thingName(PRIMING_THING)),
                c -> c.attachThingPrincipal(r -> r.thingName(PRIMING_THING).principal(CERTIFICATE_ARN)
                        .thingPrincipalType(ThingPrincipalType.EXCLUSIVE_THING)),
                c -> c.detachThingPrincipal(r -> r.thingName(PRIMING_THING).principal(CERTIFICATE_ARN)),
                c -> c.attachPolicy(r -> r.policyName(config.appPolicyName()).target(CERTIFICATE_ARN)),
                c -> c.detachPolicy(r -> r.policyName(config.jitrPolicyName()).target(CERTIFICATE_ARN)),
                c -> c.updateCertificate(r -> r.certificateId(CERTIFICATE_ID).newStatus(CertificateStatus.INACTIVE)),
                c -> c.listAttachedPolicies(r -> r.target(CERTIFICATE_ARN)),
                c -> c.updateThing(r -> r.thingName(PRIMING_THING)
                        .attributePayload(p -> p.attributes(RenewalAttributes.cleared()).merge(true)))));
        config.placement().groupNames().stream().findFirst().ifPresent(group -> requests.add(
                c -> c.addThingToThingGroup(r -> r.thingGroupName(group).thingName(PRIMING_THING))));
        return requests;
    }

    @Override
    protected ProvisioningResult handle(ProvisioningRequest request, Context context) {
        return service.provision(request);
    }

    @Override
    protected ProvisioningResult rejected(String detail) {
        return ProvisioningResult.rejected(null, null, Reason.MALFORMED_EVENT, detail);
    }

    @Override
    protected String primingEvent() {
        return "{\"thingName\":\"" + PRIMING_THING + "\",\"certificateId\":\"" + CERTIFICATE_ID + "\"}";
    }

    @Override
    protected ProvisioningResult primingAnswer() {
        return ProvisioningResult.provisioned(PRIMING_THING, CERTIFICATE_ID);
    }
}
