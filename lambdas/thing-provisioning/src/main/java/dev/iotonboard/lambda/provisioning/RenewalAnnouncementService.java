package dev.iotonboard.lambda.provisioning;

import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.IotLookups;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.ThingNameRule;
import dev.iotonboard.lambda.provisioning.model.AnnouncementResult;
import dev.iotonboard.lambda.provisioning.model.AnnouncementResult.Reason;
import dev.iotonboard.lambda.provisioning.model.RenewalAnnouncement;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateDescription;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.InvalidRequestException;
import software.amazon.awssdk.services.iot.model.ResourceNotFoundException;

/**
 * Records a device's announcement of its next certificate on its thing, so that certificate may take the thing
 * over when it onboards through JITR ({@link ProvisioningService}). The identity is the announcing certificate
 * ({@code principal()}) alone, never the payload:
 *
 * <ol>
 *   <li>Event checks, no IoT call: the announcer is a certificate id; the thing of the topic is a valid thing name;
 *       the announced id is a certificate id other than the announcer's.</li>
 *   <li>DescribeCertificate (the announcer): ACTIVE, issued by the configured CA, its subject CN is the thing of
 *       the topic.</li>
 *   <li>ListPrincipalThings (the announcer): attached to that thing and to no other.</li>
 *   <li>UpdateThing with merge: the attribute of {@link RenewalAttributes} (announced certificate, announcer, now).
 *       A replay writes the same announcement again; a later announcement replaces an earlier one. A thing whose
 *       attributes are full (three, without a thing type) refuses it: THING_REFUSED_THE_ANNOUNCEMENT.</li>
 * </ol>
 * Anything else is refused and logged, at WARN with {@code security: true} where the identity rule is at stake.
 */
public final class RenewalAnnouncementService {

    private static final JsonLogger LOG = JsonLogger.get(RenewalAnnouncementService.class);

    private final IotClient iot;
    private final List<String> caCertificateIds;
    private final ThingNameRule thingNames;
    private final Clock clock;

    public RenewalAnnouncementService(IotClient iot, List<String> caCertificateIds, ThingNameRule thingNames,
            Clock clock) {
        this.iot = iot;
        this.caCertificateIds = List.copyOf(caCertificateIds);
        this.thingNames = thingNames;
        this.clock = clock;
    }

    public AnnouncementResult record(RenewalAnnouncement announcement) {
        String announcerId = announcement.announcerId();
        String thingName = announcement.thingName();
        String certificateId = announcement.certificateId();
        if (!CertificateIds.isCertificateId(announcerId)) {
            return refuse(announcement, Reason.MALFORMED_EVENT,
                    "announcerId (from the rule's principal()) is missing or not a certificate id");
        }
        Optional<String> nameProblem = thingNames.problem(thingName);
        if (nameProblem.isPresent()) {
            return refuse(announcement, Reason.INVALID_THING_NAME, "the topic's thing name " + nameProblem.get());
        }
        if (!CertificateIds.isCertificateId(certificateId)) {
            return refuse(announcement, Reason.INVALID_CERTIFICATE_ID,
                    "certificateId is not a certificate id (64 lowercase hex digits, the SHA-256 of the DER)");
        }
        if (certificateId.equals(announcerId)) {
            return refuse(announcement, Reason.INVALID_CERTIFICATE_ID,
                    "the announced certificate is the announcer itself");
        }

        CertificateDescription announcer;
        try {
            announcer = iot.describeCertificate(r -> r.certificateId(announcerId)).certificateDescription();
        } catch (ResourceNotFoundException e) {
            return refuse(announcement, Reason.ANNOUNCER_NOT_FOUND, "IoT has no such certificate");
        }
        if (announcer.status() != CertificateStatus.ACTIVE) {
            return refuse(announcement, Reason.ANNOUNCER_NOT_ACTIVE,
                    "the announcer's status is " + announcer.statusAsString() + ", not ACTIVE");
        }
        if (!caCertificateIds.isEmpty() && !caCertificateIds.contains(announcer.caCertificateId())) {
            return refuse(announcement, Reason.UNKNOWN_CA,
                    "the announcer was issued by CA " + announcer.caCertificateId() + ", not one of the configured CAs");
        }
        String attested;
        try {
            attested = thingNames.thingOf(CertificateIds.parsePem(announcer.certificatePem()));
        } catch (IllegalArgumentException e) {
            return securityRefuse(announcement, Reason.ANNOUNCER_NOT_THING_CN, e.getMessage());
        }
        if (!attested.equals(thingName)) {
            return securityRefuse(announcement, Reason.ANNOUNCER_NOT_THING_CN,
                    "the announcer's subject CN is " + attested + ", not the thing of the topic");
        }
        List<String> things = IotLookups.thingsOf(iot, announcer.certificateArn());
        if (!things.equals(List.of(thingName))) {
            return securityRefuse(announcement, Reason.ANNOUNCER_NOT_ON_THING,
                    "the announcer is attached to " + things + ", not to exactly the thing of the topic");
        }

        RenewalAttributes renewal = new RenewalAttributes(certificateId, announcerId, clock.instant());
        try {
            iot.updateThing(r -> r.thingName(thingName)
                    .attributePayload(p -> p.attributes(renewal.toAttributes()).merge(true)));
        } catch (InvalidRequestException e) {
            return refuse(announcement, Reason.THING_REFUSED_THE_ANNOUNCEMENT, "IoT refused the attribute "
                    + RenewalAttributes.ATTRIBUTE + " (a thing without a thing type has at most 3 attributes): "
                    + e.awsErrorDetails().errorMessage());
        }
        LOG.info("renewal announced: recorded on the thing", "thingName", thingName, "announcerId", announcerId,
                "certificateId", certificateId, "announcedAt", renewal.announcedAt().toString());
        return AnnouncementResult.recorded(thingName, announcerId, certificateId);
    }

    private static AnnouncementResult refuse(RenewalAnnouncement a, Reason reason, String detail) {
        LOG.warn("renewal announcement refused", "thingName", ThingNameRule.forLog(a.thingName()),
                "announcerId", ThingNameRule.forLog(a.announcerId()),
                "certificateId", ThingNameRule.forLog(a.certificateId()), "reason", reason.name(), "detail", detail);
        return AnnouncementResult.refused(ThingNameRule.forLog(a.thingName()), ThingNameRule.forLog(a.announcerId()),
                ThingNameRule.forLog(a.certificateId()), reason, detail);
    }

    private static AnnouncementResult securityRefuse(RenewalAnnouncement a, Reason reason, String detail) {
        LOG.warn("SECURITY: renewal announcement refused: the announcer may not speak for this thing",
                "security", true, "thingName", a.thingName(), "announcerId", a.announcerId(),
                "certificateId", ThingNameRule.forLog(a.certificateId()), "reason", reason.name(), "detail", detail);
        return AnnouncementResult.refused(a.thingName(), a.announcerId(), ThingNameRule.forLog(a.certificateId()),
                reason, detail);
    }
}
