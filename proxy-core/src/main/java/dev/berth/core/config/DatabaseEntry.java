package dev.berth.core.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One line of a pgbouncer {@code [databases]} section: the name clients ask for, and the libpq-style
 * connection string ({@code host=... port=... dbname=... user=... password=... pool_size=...}) saying where
 * its pool's connections go and how big it is. Unset fields fall back to the client's own database and user
 * and to the global settings. {@code *} is the fallback for names not listed.
 *
 * @param reservePoolSize null: the global reserve_pool_size
 * @param maxDbConnections null: the global max_db_connections (0: no cap)
 * @param maxDbClientConnections null: the global max_db_client_connections (0: no cap)
 * @param connectQuery run on each new backend connection before a client gets it; null: none
 * @param applicationName for clients that send none; null: none
 * @param auth its own auth_user, auth_query, auth_dbname ({@link AuthQueryTarget}); null: the global ones
 * @param unsupported keys pgbouncer knows that Berth does not act on (each is warned about once per load)
 */
public record DatabaseEntry(String name, String host, int port, String dbname, String user, String password,
                            Integer poolSize, Integer minPoolSize, PoolMode poolMode, BackendTls tls,
                            Integer reservePoolSize, Integer maxDbConnections, Integer maxDbClientConnections,
                            String connectQuery, String applicationName, AuthSources.PerDatabase auth, String source,
                            List<String> unsupported) {
    public static final String FALLBACK = "*";
    static final String DEFAULT_HOST = "127.0.0.1";
    static final int DEFAULT_PORT = 5432;

    /** pgbouncer keys Berth accepts but does not act on yet. */
    private static final Set<String> UNSUPPORTED = Set.of("client_encoding",
            "datestyle", "timezone", "server_lifetime", "load_balance_hosts");

    /** Parses {@code name = connection string}; a bad value throws naming the key and {@code source}. */
    public static DatabaseEntry parse(String name, String connectionString, String source) {
        Map<String, String> params = keywords(connectionString, source);
        String host = DEFAULT_HOST;
        int port = DEFAULT_PORT;
        String dbname = null;
        String user = null;
        String password = null;
        Integer poolSize = null;
        Integer minPoolSize = null;
        PoolMode mode = null;
        Integer reserve = null;
        Integer maxDb = null;
        Integer maxDbClients = null;
        String connectQuery = null;
        String applicationName = null;
        Map<String, String> tlsParams = new LinkedHashMap<>();
        Map<String, String> authParams = new LinkedHashMap<>();
        List<String> unsupported = new ArrayList<>();
        for (Map.Entry<String, String> p : params.entrySet()) {
            String value = p.getValue();
            try {
                switch (p.getKey()) {
                    case "host" -> host = value.isEmpty() ? DEFAULT_HOST : value;
                    case "port" -> port = port(value);
                    case "dbname" -> dbname = value;
                    case "user" -> user = value;
                    case "password" -> password = value;
                    case "pool_size" -> poolSize = count(value, 1);
                    case "min_pool_size" -> minPoolSize = count(value, 0);
                    case "pool_mode" -> mode = PoolMode.parse(value);
                    case "reserve_pool", "reserve_pool_size" -> reserve = count(value, 0);
                    case "max_db_connections" -> maxDb = count(value, 0);
                    case "max_db_client_connections" -> maxDbClients = count(value, 0);
                    case "connect_query" -> connectQuery = value.isBlank() ? null : value.strip();
                    case "application_name" -> applicationName = value.isEmpty() ? null : value;
                    case "auth_user", "auth_query", "auth_dbname" -> {
                        if (!value.isBlank()) {
                            authParams.put(p.getKey(), value.strip());
                        }
                    }
                    case "sslmode", "sslrootcert", "sslcert", "sslkey", "sslnegotiation", "channel_binding" -> tlsParams.put(p.getKey(), value);
                    default -> {
                        if (!UNSUPPORTED.contains(p.getKey())) {
                            throw new IllegalArgumentException("unknown key (supported: host, port, dbname, user, password,"
                                    + " pool_size, min_pool_size, reserve_pool_size, pool_mode, max_db_connections,"
                                    + " max_db_client_connections, connect_query, application_name, sslmode, sslrootcert,"
                                    + " sslcert, sslkey, sslnegotiation, channel_binding, auth_user, auth_query, auth_dbname)");
                        }
                        unsupported.add(p.getKey());
                    }
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException("databases", source + ": database " + name + ", " + p.getKey() + ": " + e.getMessage());
            }
        }
        BackendTls tls;
        try {
            tls = BackendTls.of(tlsParams.get("sslmode"), tlsParams.get("sslrootcert"), tlsParams.get("sslcert"),
                    tlsParams.get("sslkey"), tlsParams.get("sslnegotiation"), tlsParams.get("channel_binding"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("databases", source + ": database " + name + ": " + e.getMessage());
        }
        return new DatabaseEntry(name, host, port, dbname, user, password, poolSize, minPoolSize, mode, tls, reserve, maxDb,
                maxDbClients, connectQuery, applicationName, authParams.isEmpty() ? null : new AuthSources.PerDatabase(
                        authParams.get("auth_user"), authParams.get("auth_query"), authParams.get("auth_dbname")),
                source, List.copyOf(unsupported));
    }

    /** Where the pool of a client asking for {@code clientDatabase} as {@code clientUser} logs in. */
    BackendUrl server(String clientDatabase, String clientUser) {
        return new BackendUrl(host, port, user != null ? user : clientUser, password,
                dbname != null ? dbname : clientDatabase, tls);
    }

    /** libpq's {@code key=value} list: values may be single-quoted, with {@code \'} and {@code \\} escapes. */
    static Map<String, String> keywords(String text, String source) {
        Map<String, String> params = new LinkedHashMap<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i == n) {
                break;
            }
            int eq = text.indexOf('=', i);
            if (eq < 0) {
                throw new ConfigException("databases", source + ": '" + text.substring(i) + "' is not key=value");
            }
            String key = text.substring(i, eq).strip();
            i = eq + 1;
            while (i < n && text.charAt(i) == ' ') {
                i++;
            }
            StringBuilder value = new StringBuilder();
            if (i < n && text.charAt(i) == '\'') {
                i++;
                while (i < n && text.charAt(i) != '\'') {
                    char c = text.charAt(i++);
                    if (c == '\\' && i < n) {
                        c = text.charAt(i++);
                    }
                    value.append(c);
                }
                if (i == n) {
                    throw new ConfigException("databases", source + ": unterminated quote in the value of " + key);
                }
                i++;
            } else {
                while (i < n && !Character.isWhitespace(text.charAt(i))) {
                    value.append(text.charAt(i++));
                }
            }
            params.put(key, value.toString());
        }
        return params;
    }

    private static int port(String value) {
        int port = SettingValues.wholeNumber(value);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(port + " is outside 1-65535");
        }
        return port;
    }

    private static int count(String value, int min) {
        int n = SettingValues.wholeNumber(value);
        if (n < min) {
            throw new IllegalArgumentException("must be at least " + min + ", got " + n);
        }
        return n;
    }

    @Override
    public String toString() {
        return name + " = " + server(name, "(client)").masked();
    }
}
