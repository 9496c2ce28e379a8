package dev.berth.core.session;

import dev.berth.core.protocol.ProtocolException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The run-time parameters a client asked for in its startup packet (pgjdbc's extra_float_digits,
 * DateStyle, TimeZone, application_name; search_path; {@code options=-c name=value}...). Berth accepts
 * any of them; {@link ParameterSync} applies them with {@code set_config} to each server the client
 * uses, so nothing is rejected and nothing is silently lost.
 */
public final class StartupParameters {
    /** Startup keys that are not run-time parameters. */
    private static final Set<String> NOT_SETTINGS = Set.of("user", "database", "options", "replication");

    private final Map<String, String> settings;

    private StartupParameters(Map<String, String> settings) {
        this.settings = settings;
    }

    public static StartupParameters from(Map<String, String> startup) {
        if (startup.containsKey("replication") && !"false".equalsIgnoreCase(startup.get("replication"))
                && !"off".equalsIgnoreCase(startup.get("replication")) && !"0".equals(startup.get("replication"))) {
            throw new UnsupportedStartupException("replication connections are not supported through Berth; connect to PostgreSQL directly");
        }
        Map<String, String> settings = new LinkedHashMap<>();
        if (startup.containsKey("options")) {
            parseOptions(startup.get("options"), settings);
        }
        startup.forEach((name, value) -> {
            if (!NOT_SETTINGS.contains(name)) {
                settings.put(checkName(name), value);
            }
        });
        return settings.isEmpty() ? NONE : new StartupParameters(settings);
    }

    /** Shared by every client that set nothing at startup. */
    private static final StartupParameters NONE = new StartupParameters(Map.of());

    public Map<String, String> settings() {
        return settings;
    }

    /** Parses {@code -c name=value} and {@code --name=value} switches; a backslash escapes the next character. */
    static void parseOptions(String options, Map<String, String> into) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < options.length(); i++) {
            char c = options.charAt(i);
            if (c == '\\' && i + 1 < options.length()) {
                word.append(options.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            String assignment;
            if (w.equals("-c") && i + 1 < words.size()) {
                assignment = words.get(++i);
            } else if (w.startsWith("-c") && w.length() > 2) {
                assignment = w.substring(2);
            } else if (w.startsWith("--") && w.contains("=")) {
                assignment = w.substring(2);
            } else {
                throw new UnsupportedStartupException("unsupported startup option \"" + w
                        + "\" in options; Berth accepts only -c name=value and --name=value");
            }
            int eq = assignment.indexOf('=');
            if (eq <= 0) {
                throw new UnsupportedStartupException("invalid startup option \"" + assignment + "\": expected name=value");
            }
            into.put(checkName(assignment.substring(0, eq).replace('-', '_')), assignment.substring(eq + 1));
        }
    }

    private static String checkName(String name) {
        if (name.isEmpty() || !name.matches("[A-Za-z_][A-Za-z0-9_.$]*")) {
            throw new UnsupportedStartupException("invalid startup parameter name \"" + name + "\"");
        }
        return name;
    }

    /** A startup packet Berth will not serve; the client gets the message with SQLSTATE 08P01. */
    public static final class UnsupportedStartupException extends ProtocolException {
        public UnsupportedStartupException(String message) {
            super(message);
        }
    }
}
