package dev.iotonboard.lambda.reconciler;

import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.JsonLogger;
import dev.iotonboard.lambda.core.MalformedEventException;
import dev.iotonboard.lambda.core.registry.CaItem;
import dev.iotonboard.lambda.core.registry.CertificateUpdate;
import dev.iotonboard.lambda.core.registry.DeviceRegistry;
import dev.iotonboard.lambda.core.registry.Step;
import dev.iotonboard.lambda.reconciler.model.CloudTrailEvent;
import dev.iotonboard.lambda.reconciler.model.SyncResult;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CACertificateDescription;
import software.amazon.awssdk.services.iot.model.CertificateDescription;
import software.amazon.awssdk.services.iot.model.ResourceNotFoundException;

/**
 * Keeps the device registry table true to changes made outside the project (console, CLI, another tool): for each
 * CloudTrail record of a call that changes a certificate's status or binding, or a CA's status, it re-reads IoT and
 * rewrites the item (step SYNCED). It never trusts the record's parameters for the state, only for which certificate
 * or CA to read: a replayed or reordered event converges on IoT's current state, and the write's condition on
 * {@code updatedAt} (the time before the first read) keeps newer state written meanwhile.
 *
 * <p>Calls made by the stack's own functions that write the item themselves after each IoT write (activation and
 * provisioning: {@code writerRoleArns}) are skipped: re-reading IoT for them would spend the DescribeCertificate and
 * ListPrincipalThings quota that onboarding is bound by, to rewrite what the function has just written. A function
 * that fails between its IoT write and its item write fails its invocation, and Lambda's retry writes the item; the
 * reconciler compares the table with IoT as the backstop. Only the role a session was issued by is trusted for this,
 * and only CloudTrail can put an {@code aws.iot} event on the bus.
 */
public final class RegistrySyncService {
    /** The CloudTrail event names the sync handles (the EventBridge rule's pattern). */
    public static final List<String> EVENT_NAMES = List.of("UpdateCertificate", "DeleteCertificate",
            "DetachThingPrincipal", "UpdateCACertificate");
    static final String SOURCE = "aws.iot";
    private static final Set<String> CERTIFICATE_EVENTS = Set.of("UpdateCertificate", "DeleteCertificate");
    private static final Pattern CERTIFICATE_ARN = Pattern.compile("^arn:aws[a-z-]*:iot:[^:]*:\\d*:cert/([0-9a-f]{64})$");
    private static final JsonLogger LOG = JsonLogger.get(RegistrySyncService.class);

    private final IotClient iot;
    private final DeviceRegistry registry;
    private final Clock clock;
    private final List<String> caCertificateIds;
    private final Set<String> writerRoleArns;

    /**
     * @param caCertificateIds the stack's CAs (CA_CERTIFICATE_IDS): a change to another CA is ignored (the function
     *                         may not describe it); empty: every CA (allowAnyCa)
     * @param writerRoleArns   the roles of the stack's functions that write the item after each of their IoT writes
     *                         (REGISTRY_WRITER_ROLE_ARNS): their calls are ignored
     */
    public RegistrySyncService(IotClient iot, DeviceRegistry registry, Clock clock, List<String> caCertificateIds,
            Set<String> writerRoleArns) {
        this.iot = iot;
        this.registry = registry;
        this.clock = clock;
        this.caCertificateIds = List.copyOf(caCertificateIds);
        this.writerRoleArns = Set.copyOf(writerRoleArns);
    }

    /**
     * Checks what the sync needs of an event before it is handled: a CloudTrail record of AWS IoT whose handled,
     * successful call names a valid certificate or CA id.
     *
     * @throws MalformedEventException naming what is wrong
     */
    public static void validate(CloudTrailEvent event) {
        target(event);
    }

    public SyncResult sync(CloudTrailEvent event) {
        Target target = target(event);
        String name = event.detail().eventName();
        if (target.ignored() != null) {
            return SyncResult.ignored(name, target.ignored());
        }
        Optional<String> writer = event.detail().callerRoleArn().filter(writerRoleArns::contains);
        if (writer.isPresent()) {
            LOG.info("skipped: the call was made by a function that writes the item itself", "eventName", name,
                    "id", target.id(), "role", writer.get());
            return SyncResult.ignored(name, "made by the stack's function role " + writer.get()
                    + ", which writes the item itself");
        }
        if (target.ca() && !caCertificateIds.isEmpty() && !caCertificateIds.contains(target.id())) {
            return SyncResult.ignored(name, "not a CA of the stack");
        }
        return target.ca() ? syncCa(name, target.id()) : syncCertificate(name, target.id());
    }

    /** What an event asks to re-read: a certificate or CA id, or why nothing (ignored). */
    private record Target(boolean ca, String id, String ignored) {
        static Target ignore(String why) {
            return new Target(false, null, why);
        }
    }

    private static Target target(CloudTrailEvent event) {
        if (event == null || event.detail() == null || !SOURCE.equals(event.source())) {
            throw new MalformedEventException("not an AWS API Call via CloudTrail event of aws.iot");
        }
        CloudTrailEvent.Detail detail = event.detail();
        String name = detail.eventName();
        if (name == null || !EVENT_NAMES.contains(name)) {
            return Target.ignore("not a call the sync handles");
        }
        if (detail.errorCode() != null) {
            return Target.ignore("the call failed (" + detail.errorCode() + "): it changed nothing");
        }
        Map<String, Object> parameters = detail.requestParameters() == null ? Map.of() : detail.requestParameters();
        if (CERTIFICATE_EVENTS.contains(name)) {
            return new Target(false, check(parameters.get("certificateId"), "certificateId"), null);
        }
        if (name.equals("DetachThingPrincipal")) {
            Object principal = parameters.get("principal");
            Matcher m = principal instanceof String s ? CERTIFICATE_ARN.matcher(s) : null;
            return m != null && m.matches() ? new Target(false, m.group(1), null)
                    : Target.ignore("the principal is not a certificate");
        }
        Object ca = parameters.containsKey("caCertificateId") ? parameters.get("caCertificateId")
                : parameters.get("certificateId");
        return new Target(true, check(ca, "caCertificateId"), null);
    }

    private SyncResult syncCertificate(String eventName, String id) {
        Instant observed = clock.instant();
        CertificateUpdate.Builder update = CertificateUpdate.of(id, Step.SYNCED, observed);
        String status;
        String bound = null;
        CertificateDescription description;
        try {
            description = iot.describeCertificate(r -> r.certificateId(id)).certificateDescription();
        } catch (ResourceNotFoundException gone) {
            description = null;
        }
        if (description == null) {
            status = DeviceRegistry.DELETED;
            update.status(status).unbound();
        } else {
            status = description.statusAsString();
            update.status(status);
            if (description.caCertificateId() != null) {
                update.caCertificateId(description.caCertificateId());
            }
            if (description.validity() != null && description.validity().notBefore() != null
                    && description.validity().notAfter() != null) {
                update.validity(description.validity().notBefore(), description.validity().notAfter());
            }
            String arn = description.certificateArn();
            List<String> things = iot.listPrincipalThings(r -> r.principal(arn)).things();
            if (things.isEmpty()) {
                update.unbound();
            } else {
                bound = things.get(0);
                update.boundThing(bound);
            }
        }
        boolean written = registry.write(update.build());
        SyncResult result = new SyncResult(eventName, written ? "SYNCED" : "NEWER_STATE_KEPT", "CERTIFICATE", id,
                status, bound, null);
        LOG.info("certificate synced", "eventName", eventName, "certificateId", id, "status", status,
                "boundThing", bound, "outcome", result.outcome());
        return result;
    }

    private SyncResult syncCa(String eventName, String id) {
        Instant observed = clock.instant();
        String status;
        Instant notAfter = null;
        try {
            CACertificateDescription description = iot.describeCACertificate(r -> r.certificateId(id))
                    .certificateDescription();
            status = description.statusAsString();
            if (description.validity() != null) {
                notAfter = description.validity().notAfter();
            }
        } catch (ResourceNotFoundException gone) {
            status = DeviceRegistry.DELETED;
        }
        boolean written = registry.write(new CaItem(id, status, notAfter, observed, Step.SYNCED));
        SyncResult result = new SyncResult(eventName, written ? "SYNCED" : "NEWER_STATE_KEPT", "CA", id, status,
                null, null);
        LOG.info("CA synced", "eventName", eventName, "caCertificateId", id, "status", status,
                "outcome", result.outcome());
        return result;
    }

    private static String check(Object value, String name) {
        if (!(value instanceof String s) || !CertificateIds.isCertificateId(s)) {
            throw new MalformedEventException("requestParameters." + name + " is not a certificate id: " + value);
        }
        return s;
    }
}
