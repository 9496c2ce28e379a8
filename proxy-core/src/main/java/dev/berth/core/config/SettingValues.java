package dev.berth.core.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The parsers and checks that rows of {@link SettingsTable} share. Parsers throw IllegalArgumentException
 * saying what is wrong with the text; checks return the problem with a parsed value, or null.
 */
final class SettingValues {
    private SettingValues() {
    }

    static int wholeNumber(String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number");
        }
    }

    static long bytes(String text) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes");
        }
    }

    static long millis(String text) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a number of milliseconds");
        }
    }

    /** A switch as pgbouncer's files and environments write it: true/false, on/off, yes/no, 1/0. */
    static boolean bool(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "on", "yes", "1" -> true;
            case "false", "off", "no", "0" -> false;
            default -> throw new IllegalArgumentException("'" + text + "' is not true or false (on/off, yes/no, 1/0)");
        };
    }

    /** Trimmed and lower case: choices such as {@code none} or {@code json} are matched that way. */
    static String word(String text) {
        return text.trim().toLowerCase(Locale.ROOT);
    }

    /** A comma-separated list; blanks around and between names are dropped. Immutable, as the record holds it. */
    static Set<String> names(String text) {
        return Arrays.stream(text.split(",")).map(String::trim).filter(n -> !n.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    /** TLS protocol names in the JDK's and OpenSSL's spelling ({@code TLSv1.3}), whatever case was given. */
    static List<String> tlsProtocols(String text) {
        List<String> protocols = Arrays.stream(text.split(",")).map(String::trim).filter(n -> !n.isEmpty())
                .map(n -> n.toLowerCase(Locale.ROOT).startsWith("tlsv") ? "TLSv" + n.substring(4) : n).distinct().toList();
        if (protocols.isEmpty()) {
            throw new IllegalArgumentException("names no protocol; use TLSv1.2,TLSv1.3 or TLSv1.3");
        }
        return protocols;
    }

    static Function<List<String>, String> supportedTlsProtocols() {
        return v -> v.stream().filter(p -> !p.equals("TLSv1.2") && !p.equals("TLSv1.3")).findFirst()
                .map(p -> "'" + p + "' is not TLSv1.2 or TLSv1.3 (older protocols are insecure; PostgreSQL's minimum is TLSv1.2)")
                .orElse(null);
    }

    static Function<Long, String> positiveMillis() {
        return v -> v > 0 ? null : "must be a positive number of milliseconds, got " + v;
    }

    /** At least {@code min}; null (not set: derived at build time) is fine. */
    static <N extends Number> Function<N, String> atLeast(long min, String unit) {
        return v -> v == null || v.longValue() >= min ? null : "must be at least " + min + unit + ", got " + v;
    }

    static <N extends Number> Function<N, String> notNegative() {
        return v -> v.longValue() >= 0 ? null : "must not be negative, got " + v;
    }

    /** One of {@code choices}; the message lists them as "a or b". */
    static Function<String, String> oneOf(String... choices) {
        List<String> allowed = List.of(choices);
        return v -> allowed.contains(v) ? null : "'" + v + "' is not " + String.join(" or ", allowed);
    }
}
