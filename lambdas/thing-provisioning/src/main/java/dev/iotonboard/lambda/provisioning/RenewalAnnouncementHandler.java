package dev.iotonboard.lambda.provisioning;

import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ARN;
import static dev.iotonboard.lambda.core.IotPrimer.CERTIFICATE_ID;

import com.amazonaws.services.lambda.runtime.Context;
import dev.iotonboard.lambda.core.EmbeddedMetrics;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotHandler;
import dev.iotonboard.lambda.core.IotPrimer;
import dev.iotonboard.lambda.core.ThingNameRule;
import dev.iotonboard.lambda.provisioning.model.AnnouncementResult;
import dev.iotonboard.lambda.provisioning.model.AnnouncementResult.Reason;
import dev.iotonboard.lambda.provisioning.model.RenewalAnnouncement;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * Lambda entry point {@code dev.iotonboard.lambda.provisioning.RenewalAnnouncementHandler::handleRequest}.
 * Event: {@code {"certificateId":"<B>","thingName":"<topic(2)>","announcerId":"<principal()>"}} from the
 * {@code things/+/renewal} rule ({@link RenewalAnnouncement}); result: an {@link AnnouncementResult}; service:
 * {@link RenewalAnnouncementService}; IoT operations: {@link #iotRequests}. Configuration: {@code CA_CERTIFICATE_IDS}
 * (empty: any CA), {@code THING_NAME_PATTERN}.
 */
public final class RenewalAnnouncementHandler extends IotHandler<RenewalAnnouncement, AnnouncementResult> {

    private static final String PRIMING_THING = "00000000-0000-0000-0000-000000000000";

    private final RenewalAnnouncementService service = new RenewalAnnouncementService(iot(),
            env().caCertificateIds(), ThingNameRule.from(env()), clock());

    /** Used by Lambda: one IoT client (with an {@link IotPrimer}) per container. */
    public RenewalAnnouncementHandler() {
        super(RenewalAnnouncement.class);
    }

    /** Used by tests: primes only through an {@link IotPrimer} installed on {@code iot}. */
    public RenewalAnnouncementHandler(IotClient iot, Env env, Clock clock) {
        super(RenewalAnnouncement.class, iot, env, clock);
    }

    /** The announcer's certificate and things, then the announcement written on the thing. */
    @Override
    protected List<Consumer<IotClient>> iotRequests() {
        return List.of(
                c -> c.describeCertificate(r -> r.certificateId(CERTIFICATE_ID)),
                c -> c.listPrincipalThings(r -> r.principal(CERTIFICATE_ARN)),
                c -> c.updateThing(r -> r.thingName(PRIMING_THING).attributePayload(p -> p.merge(true)
                        .attributes(Map.of(RenewalAttributes.ATTRIBUTE, "")))));
    }

    @Override
    protected AnnouncementResult handle(RenewalAnnouncement announcement, Context context) {
        return service.record(announcement);
    }

    @Override
    protected AnnouncementResult rejected(String detail) {
        return AnnouncementResult.refused(null, null, null, Reason.MALFORMED_EVENT, detail);
    }

    /** The outcome ({@link ProvisioningMetrics}). */
    @Override
    protected List<EmbeddedMetrics.Record> metrics(AnnouncementResult result) {
        return ProvisioningMetrics.of(result);
    }

    @Override
    protected String primingEvent() {
        return "{\"certificateId\":\"" + "1".repeat(64) + "\",\"thingName\":\"" + PRIMING_THING
                + "\",\"announcerId\":\"" + CERTIFICATE_ID + "\"}";
    }

    @Override
    protected AnnouncementResult primingAnswer() {
        return AnnouncementResult.recorded(PRIMING_THING, CERTIFICATE_ID, "1".repeat(64));
    }
}
