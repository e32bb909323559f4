package dev.iotonboard.lambda.provisioning;

import dev.iotonboard.lambda.core.CertificateIds;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A renewal announcement as it is kept on the thing: ONE thing attribute, {@value #ATTRIBUTE}, whose value is
 * {@code <certificateId>:<announcedBy>:<announcedAt>}: the certificate that may take the thing over, who announced
 * it (the certificate id of the thing's current certificate, or {@value #OPERATOR} for an operator's override,
 * scripts/ops/rebind.sh) and when (epoch seconds). One attribute, because a thing without a thing type has at most
 * three; the value (at most 141 characters) fits IoT's attribute value pattern {@code [a-zA-Z0-9_.,@/:#-]*}.
 *
 * @param certificateId the announced certificate (B)
 * @param announcedBy   the announcing certificate (A), or {@value #OPERATOR}
 * @param announcedAt   when the announcement was recorded
 */
public record RenewalAttributes(String certificateId, String announcedBy, Instant announcedAt) {

    public static final String ATTRIBUTE = "renewalAnnouncement";
    /** {@link #announcedBy} of an operator's override: no certificate proved anything. */
    public static final String OPERATOR = "operator";

    /** The announcement on a thing, when its attributes hold a well-formed one. */
    public static Optional<RenewalAttributes> of(Map<String, String> attributes) {
        String value = attributes.get(ATTRIBUTE);
        if (value == null) {
            return Optional.empty();
        }
        String[] parts = value.split(":", -1);
        if (parts.length != 3 || !CertificateIds.isCertificateId(parts[0]) || !parts[2].matches("[0-9]{1,12}")
                || !(OPERATOR.equals(parts[1]) || CertificateIds.isCertificateId(parts[1]))) {
            return Optional.empty();
        }
        return Optional.of(new RenewalAttributes(parts[0], parts[1], Instant.ofEpochSecond(Long.parseLong(parts[2]))));
    }

    public boolean byOperator() {
        return OPERATOR.equals(announcedBy);
    }

    /** The attribute's value. */
    public String value() {
        return certificateId + ":" + announcedBy + ":" + announcedAt.getEpochSecond();
    }

    /** The attributes to write with UpdateThing (merge). */
    public Map<String, String> toAttributes() {
        return Map.of(ATTRIBUTE, value());
    }

    /** UpdateThing (merge) attributes that remove the announcement: an empty value removes its attribute. */
    public static Map<String, String> cleared() {
        return Map.of(ATTRIBUTE, "");
    }
}
