package dev.iotonboard.lambda.provisioning;

import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.ThingNameRule;
import java.time.format.DateTimeFormatter;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * Where a new thing lands: its thing type, its static thing groups, and its attributes, each taken from a field of
 * the certificate the CA attested (never from the request's payload).
 *
 * @param thingTypeName {@code THING_TYPE_NAME}: the type a thing is created with, or reconciled to (empty: the
 *                      thing's type is left as it is)
 * @param groupNames    {@code THING_GROUP_NAMES} (comma-separated): the groups a thing is added to
 * @param attributes    {@code THING_ATTRIBUTES} ({@code name=field,...}, fields {@link Field}): attribute name to the
 *                      certificate field that gives its value, in the configured order
 */
public record Placement(Optional<String> thingTypeName, List<String> groupNames, Map<String, Field> attributes) {

    /** IoT's AttributeName and AttributeValue (service model): the pattern and the longest length. */
    public static final Pattern ATTRIBUTE_NAME = Pattern.compile("[a-zA-Z0-9_.,@/:#-]+");
    public static final int MAX_ATTRIBUTE_NAME_LENGTH = 128;
    public static final Pattern ATTRIBUTE_VALUE = Pattern.compile("[a-zA-Z0-9_.,@/:#=\\[\\]-]*");
    public static final int MAX_ATTRIBUTE_VALUE_LENGTH = 800;
    /** IoT's ThingTypeName and ThingGroupName: {@code [a-zA-Z0-9:_-]+}, 1 to 128 characters. */
    public static final Pattern TYPE_OR_GROUP_NAME = Pattern.compile("[a-zA-Z0-9:_-]{1,128}");

    public static final Placement NONE = new Placement(Optional.empty(), List.of(), Map.of());

    /** The certificate fields an attribute may take its value from, as JITP's AWS::IoT::Certificate::* parameters. */
    public enum Field {
        /** Subject organization. */
        O("O"),
        /** Subject organizational unit. */
        OU("OU"),
        /** Subject serialNumber (OID 2.5.4.5). */
        SERIAL_NUMBER("serialNumber"),
        /** Subject country. */
        C("C"),
        /** The certificate's serial number, lowercase hex. */
        SERIAL("serial"),
        /** The certificate's notAfter, ISO-8601 UTC to the second, e.g. 2027-11-30T12:00:00Z. */
        NOT_AFTER("notAfter");

        private final String key;

        Field(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        public static Optional<Field> of(String key) {
            return Arrays.stream(values()).filter(field -> field.key.equals(key)).findFirst();
        }

        /** True for the fields a renewal changes: they follow the thing's new certificate. */
        public boolean perCertificate() {
            return this == SERIAL || this == NOT_AFTER;
        }
    }

    public Placement {
        groupNames = List.copyOf(groupNames);
        attributes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }

    /** @throws IllegalStateException naming the variable that is malformed */
    public static Placement from(Env env) {
        Optional<String> type = env.optional("THING_TYPE_NAME");
        type.filter(name -> !TYPE_OR_GROUP_NAME.matcher(name).matches()).ifPresent(name -> {
            throw new IllegalStateException("environment variable THING_TYPE_NAME is not a thing type name");
        });
        List<String> groups = new ArrayList<>();
        for (String group : env.optional("THING_GROUP_NAMES").map(v -> v.split(",", -1)).orElse(new String[0])) {
            String name = group.trim();
            if (!TYPE_OR_GROUP_NAME.matcher(name).matches() || groups.contains(name)) {
                throw new IllegalStateException("environment variable THING_GROUP_NAMES holds '"
                        + ThingNameRule.forLog(name) + "', not a thing group name or listed twice");
            }
            groups.add(name);
        }
        Map<String, Field> attributes = new LinkedHashMap<>();
        for (String entry : env.optional("THING_ATTRIBUTES").map(v -> v.split(",", -1)).orElse(new String[0])) {
            String[] parts = entry.trim().split("=", -1);
            Optional<Field> field = parts.length == 2 ? Field.of(parts[1].trim()) : Optional.empty();
            String name = parts[0].trim();
            if (field.isEmpty() || !ATTRIBUTE_NAME.matcher(name).matches() || name.length() > MAX_ATTRIBUTE_NAME_LENGTH
                    || name.equals(RenewalAttributes.ATTRIBUTE) || attributes.containsKey(name)) {
                throw new IllegalStateException("environment variable THING_ATTRIBUTES holds '"
                        + ThingNameRule.forLog(entry) + "', not name=field with a field of "
                        + Arrays.stream(Field.values()).map(Field::key).toList());
            }
            attributes.put(name, field.get());
        }
        return new Placement(type, groups, attributes);
    }

    /**
     * The attributes a thing of this certificate holds, in the configured order.
     *
     * @throws IllegalArgumentException why a field is missing, ambiguous, or not a valid attribute value
     */
    public Map<String, String> attributesOf(X509Certificate certificate) {
        Map<String, String> values = new LinkedHashMap<>();
        attributes.forEach((name, field) -> {
            String value = valueOf(certificate, field);
            if (value.isEmpty() || value.length() > MAX_ATTRIBUTE_VALUE_LENGTH
                    || !ATTRIBUTE_VALUE.matcher(value).matches()) {
                throw new IllegalArgumentException("the certificate's " + field.key() + " '"
                        + ThingNameRule.forLog(value) + "' is not a valid value of thing attribute " + name
                        + " (1 to " + MAX_ATTRIBUTE_VALUE_LENGTH + " characters of " + ATTRIBUTE_VALUE.pattern() + ")");
            }
            values.put(name, value);
        });
        return values;
    }

    /** The attributes that follow the thing's certificate (a renewal changes them). */
    public List<String> perCertificateAttributes() {
        return attributes.entrySet().stream().filter(e -> e.getValue().perCertificate()).map(Map.Entry::getKey)
                .toList();
    }

    private static String valueOf(X509Certificate certificate, Field field) {
        return switch (field) {
            case SERIAL -> certificate.getSerialNumber().toString(16);
            case NOT_AFTER -> DateTimeFormatter.ISO_INSTANT.format(certificate.getNotAfter().toInstant());
            case O, OU, C, SERIAL_NUMBER -> subjectValue(certificate.getSubjectX500Principal(),
                    field == Field.SERIAL_NUMBER ? "SERIALNUMBER" : field.key());
        };
    }

    /** The one value of a subject attribute; none or several is an error. */
    private static String subjectValue(X500Principal subject, String type) {
        List<String> found = new ArrayList<>();
        try {
            String name = subject.getName(X500Principal.RFC2253, Map.of("2.5.4.5", "SERIALNUMBER"));
            for (Rdn rdn : new LdapName(name).getRdns()) {
                Attribute attribute = rdn.toAttributes().get(type);
                if (attribute != null) {
                    for (int i = 0; i < attribute.size(); i++) {
                        found.add(String.valueOf(attribute.get(i)));
                    }
                }
            }
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException("the certificate's subject cannot be read: " + e.getMessage(), e);
        } catch (NamingException e) {
            throw new IllegalStateException(e);
        }
        String key = type.equals("SERIALNUMBER") ? "serialNumber" : type;
        if (found.size() != 1) {
            throw new IllegalArgumentException("the certificate's subject has " + (found.isEmpty() ? "no"
                    : found.size()) + " " + key + (found.isEmpty() ? "" : " values; one is required"));
        }
        return found.get(0);
    }
}
