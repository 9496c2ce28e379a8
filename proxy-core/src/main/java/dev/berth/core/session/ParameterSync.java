package dev.berth.core.session;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Brings a server's run-time parameters in line with a client's before the client uses it: the
 * parameters the server reports (client_encoding, DateStyle, TimeZone, application_name...) to the
 * values this client last saw, and the client's startup settings the server does not report
 * (extra_float_digits, search_path, options -c ...) to the client's values. Parameter names compare
 * without regard to case, as PostgreSQL's do ({@code timezone} from libpq's PGTZ is {@code TimeZone}).
 * The changes go to the server as values of {@link SetConfigRequest}, never as SQL text.
 */
public final class ParameterSync {
    /**
     * Reported parameters that describe the server or who the session runs as, in lower case: never
     * set, never carried from one server to another (a change of session_authorization pins instead).
     */
    private static final Set<String> NOT_CARRIED = Set.of("server_version", "server_encoding", "integer_datetimes",
            "is_superuser", "session_authorization", "in_hot_standby");

    /** One parameter to set; a null value resets it to the server's default. */
    public record Change(String name, String value) {
    }

    private ParameterSync() {
    }

    /** The key a parameter name compares by. */
    public static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    /** Whether a reported parameter is never set on a server nor carried in a client's view. */
    public static boolean notCarried(String name) {
        return NOT_CARRIED.contains(key(name));
    }

    /**
     * What makes the server match; empty when it already does.
     *
     * @param clientReported  what the client last saw of the reported parameters
     * @param clientSettings  the client's startup settings
     * @param serverReported  what the server last reported
     * @param serverApplied   the unreported settings Berth applied to the server for its previous client, by {@link #key}
     */
    public static List<Change> changes(Map<String, String> clientReported, Map<String, String> clientSettings,
                                       Map<String, String> serverReported, Map<String, String> serverApplied) {
        Map<String, String> server = byKey(serverReported);
        List<Change> changes = new ArrayList<>();
        clientReported.forEach((name, value) -> {
            String current = server.get(key(name));
            if (current != null && !current.equals(value) && !notCarried(name)) {
                changes.add(new Change(name, value));
            }
        });
        Map<String, String> settings = byKey(clientSettings);
        settings.forEach((key, value) -> {
            if (!server.containsKey(key) && !value.equals(serverApplied.get(key))) {
                changes.add(new Change(key, value));
            }
        });
        serverApplied.forEach((key, value) -> {
            if (!settings.containsKey(key)) {
                changes.add(new Change(key, null));
            }
        });
        return changes;
    }

    /** The startup settings a server does not report, by {@link #key}: what Berth must remember it applied. */
    public static Map<String, String> unreported(Map<String, String> clientSettings, Map<String, String> serverReported) {
        Map<String, String> server = byKey(serverReported);
        Map<String, String> result = new HashMap<>();
        clientSettings.forEach((name, value) -> {
            if (!server.containsKey(key(name))) {
                result.put(key(name), value);
            }
        });
        return result;
    }

    /**
     * A client's reported parameters at login: the server's initial values (what PostgreSQL gives a
     * fresh connection), with the client's startup settings for the parameters the server reports.
     */
    public static Map<String, String> loginView(Map<String, String> initial, Map<String, String> settings) {
        Map<String, String> view = new HashMap<>(initial);
        Map<String, String> names = new HashMap<>();
        initial.keySet().forEach(name -> names.put(key(name), name));
        settings.forEach((name, value) -> {
            String reported = names.get(key(name));
            if (reported != null) {
                view.put(reported, value);
            }
        });
        return view;
    }

    /**
     * The startup settings that undo a RESET of {@code names} (lower case; "all" for RESET ALL): PostgreSQL
     * restores the value the connection started with, which for a client of Berth is its startup setting.
     */
    public static List<Change> restore(Set<String> names, Map<String, String> settings) {
        List<Change> changes = new ArrayList<>();
        boolean all = names.contains("all");
        settings.forEach((name, value) -> {
            if (all || names.contains(key(name))) {
                changes.add(new Change(name, value));
            }
        });
        return changes;
    }

    /**
     * A client's settings after parameters it set took effect, in order: a value replaces the setting, a null
     * value gives back the startup setting (or none), the name "all" with null gives back every startup
     * setting. Parameters the server reports are left out: their values come with ParameterStatus.
     */
    public static Map<String, String> carried(Map<String, String> settings, List<Change> sets, Map<String, String> startup,
                                              Set<String> reportedLower) {
        Map<String, String> result = byKey(settings);
        Map<String, String> initial = byKey(startup);
        for (Change change : sets) {
            String key = key(change.name());
            if (key.equals("all") && change.value() == null) {
                result = new HashMap<>(initial);
            } else if (reportedLower.contains(key) || notCarried(key)) {
                continue;
            } else if (change.value() != null) {
                result.put(key, change.value());
            } else if (initial.containsKey(key)) {
                result.put(key, initial.get(key));
            } else {
                result.remove(key);
            }
        }
        return result;
    }

    private static Map<String, String> byKey(Map<String, String> parameters) {
        Map<String, String> result = new HashMap<>(parameters.size() * 2);
        parameters.forEach((name, value) -> result.put(key(name), value));
        return result;
    }
}
