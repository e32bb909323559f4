package dev.iotonboard.local.iot.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/** A certificate name's attributes as IoT's certificate policy variables name them (cert-policy-variables.md). */
final class CertificateNames {
    /** Attribute type (as RFC 2253 writes it, with {@link #KEYWORDS}) to the variable's last part. */
    private static final Map<String, String> VARIABLES = Map.ofEntries(
            Map.entry("C", "Country"), Map.entry("O", "Organization"), Map.entry("OU", "OrganizationalUnit"),
            Map.entry("ST", "State"), Map.entry("CN", "CommonName"), Map.entry("SERIALNUMBER", "SerialNumber"),
            Map.entry("TITLE", "Title"), Map.entry("SURNAME", "Surname"), Map.entry("GIVENNAME", "GivenName"),
            Map.entry("INITIALS", "Initials"), Map.entry("PSEUDONYM", "Pseudonym"),
            Map.entry("GENERATION", "GenerationQualifier"), Map.entry("DNQ", "DistinguishedNameQualifier"));
    /** The attribute types RFC 2253 output knows no keyword for, so that their values come as text, not hex. */
    private static final Map<String, String> KEYWORDS = Map.of("2.5.4.5", "SERIALNUMBER", "2.5.4.12", "TITLE",
            "2.5.4.4", "SURNAME", "2.5.4.42", "GIVENNAME", "2.5.4.43", "INITIALS", "2.5.4.65", "PSEUDONYM",
            "2.5.4.44", "GENERATION", "2.5.4.46", "DNQ");

    private CertificateNames() {
    }

    /** Each attribute IoT names that the name holds exactly once, e.g. {@code CommonName -> <uuid>}. */
    static Map<String, String> attributes(X500Principal name) {
        Map<String, List<String>> values = new HashMap<>();
        try {
            for (Rdn rdn : new LdapName(name.getName(X500Principal.RFC2253, KEYWORDS)).getRdns()) {
                String variable = VARIABLES.get(rdn.getType().toUpperCase(Locale.ROOT));
                if (variable != null && rdn.getValue() instanceof String value) {
                    values.computeIfAbsent(variable, v -> new ArrayList<>()).add(value);
                }
            }
        } catch (InvalidNameException e) {
            return Map.of();
        }
        Map<String, String> single = new LinkedHashMap<>();
        values.forEach((variable, list) -> {
            if (list.size() == 1) {
                single.put(variable, list.get(0));
            }
        });
        return single;
    }
}
