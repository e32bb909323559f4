package dev.iotonboard.lambda.provisioning;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Thing names are canonical lowercase UUIDs (8-4-4-4-12 hex digits, lower case, 36 characters). That excludes
 * every character that means something in MQTT topics or IoT policy resources ({@code / # + $}), upper case
 * duplicates of one identity, and names over IoT's 128-character limit.
 */
public final class ThingNames {

    private static final Pattern CANONICAL_UUID =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private ThingNames() {
    }

    /** Empty when {@code thingName} is a canonical lowercase UUID, else why not. */
    public static Optional<String> problem(String thingName) {
        if (thingName == null || thingName.isEmpty()) {
            return Optional.of("thingName is missing");
        }
        if (thingName.length() > 128) {
            return Optional.of("thingName is " + thingName.length() + " characters long; a UUID has 36");
        }
        if (CANONICAL_UUID.matcher(thingName).matches()) {
            return Optional.empty();
        }
        if (thingName.chars().anyMatch(c -> c == '/' || c == '#' || c == '+' || c == '$')) {
            return Optional.of("thingName contains an MQTT topic or policy character (/ # + $)");
        }
        if (CANONICAL_UUID.matcher(thingName.toLowerCase(java.util.Locale.ROOT)).matches()) {
            return Optional.of("thingName is an upper-case UUID; the canonical form is lower case");
        }
        return Optional.of("thingName is not a canonical UUID (8-4-4-4-12 lowercase hex digits)");
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
