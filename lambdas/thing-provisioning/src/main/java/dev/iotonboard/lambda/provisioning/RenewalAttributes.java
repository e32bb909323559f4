package dev.iotonboard.lambda.provisioning;

import dev.iotonboard.lambda.core.CertificateIds;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A renewal announcement as it is kept on the thing, in three thing attributes: the certificate that may take the
 * thing over ({@value #CERTIFICATE_ID}), who announced it ({@value #ANNOUNCED_BY}: the certificate id of the thing's
 * current certificate, or {@value #OPERATOR} for an operator's override, scripts/ops/rebind.sh) and when
 * ({@value #ANNOUNCED_AT}, epoch seconds). Every value fits IoT's attribute value pattern
 * {@code [a-zA-Z0-9_.,@/:#-]*}.
 *
 * @param certificateId the announced certificate (B)
 * @param announcedBy   the announcing certificate (A), or {@value #OPERATOR}
 * @param announcedAt   when the announcement was recorded
 */
public record RenewalAttributes(String certificateId, String announcedBy, Instant announcedAt) {

    public static final String CERTIFICATE_ID = "renewalCertificateId";
    public static final String ANNOUNCED_BY = "renewalAnnouncedBy";
    public static final String ANNOUNCED_AT = "renewalAnnouncedAt";
    /** {@link #announcedBy} of an operator's override: no certificate proved anything. */
    public static final String OPERATOR = "operator";

    /** The announcement on a thing, when its attributes hold a complete and well-formed one. */
    public static Optional<RenewalAttributes> of(Map<String, String> attributes) {
        String certificateId = attributes.get(CERTIFICATE_ID);
        String announcedBy = attributes.get(ANNOUNCED_BY);
        String announcedAt = attributes.get(ANNOUNCED_AT);
        if (!CertificateIds.isCertificateId(certificateId) || announcedAt == null
                || !announcedAt.matches("[0-9]{1,12}")
                || !(OPERATOR.equals(announcedBy) || CertificateIds.isCertificateId(announcedBy))) {
            return Optional.empty();
        }
        return Optional.of(new RenewalAttributes(certificateId, announcedBy,
                Instant.ofEpochSecond(Long.parseLong(announcedAt))));
    }

    /** True when one of the three attributes is on the thing at all (complete or not). */
    public static boolean present(Map<String, String> attributes) {
        return attributes.containsKey(CERTIFICATE_ID) || attributes.containsKey(ANNOUNCED_BY)
                || attributes.containsKey(ANNOUNCED_AT);
    }

    public boolean byOperator() {
        return OPERATOR.equals(announcedBy);
    }

    /** The attributes to write with UpdateThing (merge). */
    public Map<String, String> toAttributes() {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put(CERTIFICATE_ID, certificateId);
        attributes.put(ANNOUNCED_BY, announcedBy);
        attributes.put(ANNOUNCED_AT, Long.toString(announcedAt.getEpochSecond()));
        return attributes;
    }

    /** UpdateThing (merge) attributes that remove the announcement: an empty value removes its attribute. */
    public static Map<String, String> cleared() {
        return Map.of(CERTIFICATE_ID, "", ANNOUNCED_BY, "", ANNOUNCED_AT, "");
    }
}
