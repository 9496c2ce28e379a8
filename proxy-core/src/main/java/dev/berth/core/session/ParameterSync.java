package dev.berth.core.session;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Brings a server's run-time parameters in line with a client's before the client uses it: the
 * parameters the server reports (client_encoding, DateStyle, TimeZone, application_name...) to the
 * values this client last saw, and the client's startup settings the server does not report
 * (extra_float_digits, search_path, options -c ...) to the client's values.
 */
public final class ParameterSync {
    /** Reported parameters that describe the server rather than the session: never set. */
    private static final Set<String> READ_ONLY = Set.of("server_version", "server_encoding", "integer_datetimes",
            "is_superuser", "session_authorization", "in_hot_standby");

    private ParameterSync() {
    }

    /**
     * The query that makes the server match, or null when it already does.
     *
     * @param clientReported  what the client last saw of the reported parameters
     * @param clientSettings  the client's startup settings
     * @param serverReported  what the server last reported
     * @param serverApplied   the unreported settings Berth applied to the server for its previous client
     */
    public static String query(Map<String, String> clientReported, Map<String, String> clientSettings,
                               Map<String, String> serverReported, Map<String, String> serverApplied) {
        StringBuilder set = new StringBuilder();
        StringBuilder reset = new StringBuilder();
        clientReported.forEach((name, value) -> {
            String current = serverReported.get(name);
            if (current != null && !current.equals(value) && !READ_ONLY.contains(name)) {
                setConfig(set, name, value);
            }
        });
        clientSettings.forEach((name, value) -> {
            if (!serverReported.containsKey(name) && !value.equals(serverApplied.get(name))) {
                setConfig(set, name, value);
            }
        });
        serverApplied.forEach((name, value) -> {
            if (!clientSettings.containsKey(name)) {
                reset.append("RESET \"").append(name.replace("\"", "\"\"")).append("\";");
            }
        });
        if (set.length() == 0 && reset.length() == 0) {
            return null;
        }
        return (set.length() > 0 ? "SELECT " + set + ";" : "") + reset;
    }

    /** The startup settings a server does not report: what Berth must remember it applied. */
    public static Map<String, String> unreported(Map<String, String> clientSettings, Map<String, String> serverReported) {
        Map<String, String> result = new HashMap<>();
        clientSettings.forEach((name, value) -> {
            if (!serverReported.containsKey(name)) {
                result.put(name, value);
            }
        });
        return result;
    }

    private static void setConfig(StringBuilder sql, String name, String value) {
        if (sql.length() > 0) {
            sql.append(", ");
        }
        sql.append("pg_catalog.set_config(").append(StartupParameters.literal(name)).append(", ")
                .append(StartupParameters.literal(value)).append(", false)");
    }
}
