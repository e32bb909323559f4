package dev.iotonboard.lambda.core;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import javax.naming.InvalidNameException;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * The identity rule: a device is its certificate, and the thing a certificate may hold is the subject CN its CA
 * attested. A thing name is valid when it matches the configured pattern ({@code THING_NAME_PATTERN}, by default a
 * canonical lowercase UUID) and IoT's own thing-name rule ({@code [a-zA-Z0-9:_-]{1,128}}), which keeps out every
 * character that means something in MQTT topics or IoT policy resources ({@code / # + $}).
 *
 * <p>Depends on the JDK only: the CDK app validates the pattern at synthesis with {@link #patternProblem}.
 */
public final class ThingNameRule {

    /** The environment variable that holds the pattern. */
    public static final String ENV = "THING_NAME_PATTERN";
    /** A canonical lowercase UUID: 8-4-4-4-12 lowercase hex digits. */
    public static final String DEFAULT_PATTERN =
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    /** IoT's thing name rule (service model, ThingName). */
    public static final Pattern IOT_THING_NAME = Pattern.compile("[a-zA-Z0-9:_-]{1,128}");
    /** Longest pattern accepted: a pattern is configuration, not a program. */
    public static final int MAX_PATTERN_LENGTH = 512;

    private static final ThingNameRule DEFAULT = new ThingNameRule(Pattern.compile(DEFAULT_PATTERN));

    private final Pattern pattern;

    private ThingNameRule(Pattern pattern) {
        this.pattern = pattern;
    }

    /** The default rule: a canonical lowercase UUID. */
    public static ThingNameRule defaultRule() {
        return DEFAULT;
    }

    /**
     * The rule of {@code THING_NAME_PATTERN}, or the default when unset.
     *
     * @throws IllegalStateException when the pattern is not acceptable ({@link #patternProblem})
     */
    public static ThingNameRule from(Env env) {
        Optional<String> regex = env.optional(ENV);
        if (regex.isEmpty() || regex.get().equals(DEFAULT_PATTERN)) {
            return DEFAULT;
        }
        patternProblem(regex.get()).ifPresent(problem -> {
            throw new IllegalStateException("environment variable " + ENV + " " + problem);
        });
        return new ThingNameRule(Pattern.compile(regex.get()));
    }

    /**
     * Empty when {@code regex} can serve as a thing-name pattern, else why not: it must be a Java regular expression
     * of at most {@value #MAX_PATTERN_LENGTH} characters that does not match the empty string. It always applies to
     * the whole name, so anchors are not needed.
     */
    public static Optional<String> patternProblem(String regex) {
        if (regex == null || regex.isBlank()) {
            return Optional.of("is empty");
        }
        if (regex.length() > MAX_PATTERN_LENGTH) {
            return Optional.of("is " + regex.length() + " characters long; at most " + MAX_PATTERN_LENGTH);
        }
        Pattern compiled;
        try {
            compiled = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            return Optional.of("is not a regular expression: " + e.getDescription() + " near index " + e.getIndex());
        }
        if (compiled.matcher("").matches()) {
            return Optional.of("matches the empty name");
        }
        return Optional.empty();
    }

    /** The pattern as configured. */
    public String pattern() {
        return pattern.pattern();
    }

    /**
     * Empty when {@code name} is a valid thing name under this rule, else why not, as a phrase about the name
     * ("is missing", "is upper case ..."): callers say what the name is ("thingName ", "the CN ").
     */
    public Optional<String> problem(String name) {
        if (name == null || name.isEmpty()) {
            return Optional.of("is missing");
        }
        if (name.length() > 128) {
            return Optional.of("is " + name.length() + " characters long; IoT allows 128");
        }
        if (name.chars().anyMatch(c -> c == '/' || c == '#' || c == '+' || c == '$')) {
            return Optional.of("contains an MQTT topic or policy character (/ # + $)");
        }
        if (!IOT_THING_NAME.matcher(name).matches()) {
            return Optional.of("has characters IoT does not allow in a thing name (only a-z A-Z 0-9 : _ -)");
        }
        if (pattern.matcher(name).matches()) {
            return Optional.empty();
        }
        if (pattern.matcher(name.toLowerCase(Locale.ROOT)).matches()) {
            return Optional.of("is upper case where the pattern wants lower case");
        }
        return Optional.of(this == DEFAULT ? "is not a canonical UUID (8-4-4-4-12 lowercase hex digits)"
                : "does not match the pattern " + pattern.pattern());
    }

    /**
     * The thing a certificate may hold: its subject CN, when it has exactly one and that CN is a valid thing name
     * under this rule.
     *
     * @throws IllegalArgumentException why the certificate names no valid thing
     */
    public String thingOf(X509Certificate certificate) {
        List<String> names = commonNames(certificate.getSubjectX500Principal());
        if (names.size() != 1) {
            throw new IllegalArgumentException(names.isEmpty() ? "the certificate's subject has no CN"
                    : "the certificate's subject has " + names.size() + " CNs; one is required");
        }
        String name = names.get(0);
        problem(name).ifPresent(problem -> {
            throw new IllegalArgumentException("the certificate's subject CN '" + forLog(name) + "' " + problem);
        });
        return name;
    }

    /** Every CN attribute of a subject (also those of multi-valued RDNs). */
    public static List<String> commonNames(X500Principal subject) {
        List<String> names = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(subject.getName(X500Principal.RFC2253)).getRdns()) {
                Attribute cn = rdn.toAttributes().get("CN");
                if (cn != null) {
                    for (int i = 0; i < cn.size(); i++) {
                        names.add(String.valueOf(cn.get(i)));
                    }
                }
            }
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException("the certificate's subject cannot be read: " + e.getMessage(), e);
        } catch (NamingException e) {
            throw new IllegalStateException(e);
        }
        return names;
    }

    /** A value safe to log: at most 80 characters, control characters replaced. */
    public static String forLog(String value) {
        if (value == null) {
            return null;
        }
        String cut = value.length() > 80 ? value.substring(0, 80) + "...(" + value.length() + " chars)" : value;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
