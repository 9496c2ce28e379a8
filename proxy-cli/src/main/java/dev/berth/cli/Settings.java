package dev.berth.cli;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BackendUrl;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.ConfigException;
import dev.berth.core.config.HostPort;
import dev.berth.core.config.PoolMode;
import dev.berth.core.config.SessionStatePolicy;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Every setting of {@code berth run}, each settable by flag or environment variable: flags win over the
 * environment, the environment over defaults. Resolving records where each value came from, and reports
 * every bad value at once, one line each.
 */
public final class Settings {

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Address for clients. Env BERTH_LISTEN, default 0.0.0.0:6432.")
    String listen;
    @Option(names = "--backend", paramLabel = "URL", description = "postgresql://[user[:password]@]host[:port][/database]; no database = the client's, no user = the client's. Env DATABASE_URL, default postgresql://127.0.0.1:5432.")
    String backend;
    @Option(names = "--auth-file", paramLabel = "FILE", description = "Users and secrets, pgbouncer userlist.txt format. Env BERTH_AUTH_FILE, default none.")
    String authFile;
    @Option(names = "--auth-type", paramLabel = "TYPE", description = "scram-sha-256, md5, plain or trust. Env BERTH_AUTH_TYPE, default scram-sha-256.")
    String authType;
    @Option(names = "--pool-mode", paramLabel = "MODE", description = "transaction, session or statement. Env BERTH_POOL_MODE, default transaction.")
    String poolMode;
    @Option(names = "--pool-max", paramLabel = "N", description = "Most backend connections per (database, user) pool. Env DB_POOL_MAX, default 200.")
    String poolMax;
    @Option(names = "--pool-min", paramLabel = "N", description = "Backend connections kept open per pool once it exists. Env DB_POOL_MIN, default 20.")
    String poolMin;
    @Option(names = "--idle-timeout", paramLabel = "MS", description = "Close backend connections idle this long above the minimum. Env DB_POOL_IDLE_TIMEOUT, default 30000.")
    String idleTimeout;
    @Option(names = "--connection-timeout", paramLabel = "MS", description = "Longest a client waits for a backend connection (then 53300). Env DB_POOL_CONNECTION_TIMEOUT, default 2000.")
    String connectionTimeout;
    @Option(names = "--max-backend-connections", paramLabel = "N", description = "Cap on backend connections across all pools. Env BERTH_MAX_BACKEND_CONNECTIONS, default the pool max.")
    String maxBackendConnections;
    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", description = "Prometheus and health endpoint (not served yet). Env BERTH_METRICS_LISTEN, default 0.0.0.0:9930.")
    String metricsListen;
    @Option(names = "--server-reset-query", paramLabel = "SQL", description = "Run on a backend connection before another client gets it; empty for none. Env BERTH_SERVER_RESET_QUERY, default DISCARD ALL.")
    String serverResetQuery;
    @Option(names = "--server-connect-timeout", paramLabel = "MS", description = "Longest a backend connect and login may take. Env BERTH_SERVER_CONNECT_TIMEOUT, default 5000.")
    String serverConnectTimeout;
    @Option(names = "--client-login-timeout", paramLabel = "MS", description = "Longest a client may take to log in. Env BERTH_CLIENT_LOGIN_TIMEOUT, default 60000.")
    String clientLoginTimeout;
    @Option(names = "--max-message-size", paramLabel = "BYTES", description = "Largest message a client may send. Env BERTH_MAX_MESSAGE_SIZE, default 268435456 (256 MiB).")
    String maxMessageSize;

    @Option(names = "--session-state", paramLabel = "POLICY", description = "Transaction pooling, a client leaving session state (SET, LISTEN, temp tables...): pin, reject or allow. Env BERTH_SESSION_STATE, default pin.")
    String sessionState;
    @Option(names = "--max-prepared-statements", paramLabel = "N", description = "Prepared statements kept per backend connection (LRU). Env BERTH_MAX_PREPARED_STATEMENTS, default 200.")
    String maxPreparedStatements;
    @Option(names = "--prepared-statement-registry-bytes", paramLabel = "BYTES", description = "Memory for sharing statement names per pool. Env BERTH_PREPARED_STATEMENT_REGISTRY_BYTES, default 16777216.")
    String preparedStatementRegistryBytes;

    @Option(names = "--workers", paramLabel = "N", description = "Event-loop threads serving clients and backends; 0 = one per processor. Env BERTH_WORKERS, default 0.")
    String workers;

    @Option(names = "--metrics-compat", paramLabel = "NAME", description = "Also export pool metrics under other names: none or pgbouncer (pgbouncer_exporter's). Env BERTH_METRICS_COMPAT, default none.")
    String metricsCompat;

    @Option(names = "--log-format", paramLabel = "FORMAT", description = "text (one line per event) or json (one object per line). Env BERTH_LOG_FORMAT, default text.")
    String logFormat;

    @Option(names = "--admin-users", paramLabel = "USER,...", description = "Users allowed on the admin console (database berth or pgbouncer). Env BERTH_ADMIN_USERS, default none.")
    String adminUsers;

    /** Where each setting's value came from: default, environment or flag. */
    private final Map<String, String> sources = new LinkedHashMap<>();
    private final List<String> errors = new ArrayList<>();
    /** Settings whose value could not be parsed (their default stands in while the rest is validated). */
    private final java.util.Set<String> unparsable = new java.util.HashSet<>();
    /** The environment variable each setting taken from the environment came from. */
    private final Map<String, String> envVars = new LinkedHashMap<>();
    private Map<String, String> env = System.getenv();

    Settings withEnvironment(Map<String, String> environment) {
        this.env = environment;
        return this;
    }

    /** Builds the validated configuration; throws {@link InvalidSettings} listing every problem. */
    BerthConfig resolve() {
        BerthConfig.Builder b = BerthConfig.builder();
        set("--listen", "BERTH_LISTEN", listen, v -> HostPort.parse(v, "--listen"), b::listen);
        set("--backend", "DATABASE_URL", backend, BackendUrl::parse, b::backend);
        set("--auth-file", "BERTH_AUTH_FILE", authFile, Path::of, b::authFile);
        set("--auth-type", "BERTH_AUTH_TYPE", authType, AuthType::parse, b::authType);
        set("--pool-mode", "BERTH_POOL_MODE", poolMode, PoolMode::parse, b::poolMode);
        set("--pool-max", "DB_POOL_MAX", poolMax, Settings::integer, b::poolMax);
        set("--pool-min", "DB_POOL_MIN", poolMin, Settings::integer, b::poolMin);
        set("--idle-timeout", "DB_POOL_IDLE_TIMEOUT", idleTimeout, Settings::millis, b::idleTimeoutMs);
        set("--connection-timeout", "DB_POOL_CONNECTION_TIMEOUT", connectionTimeout, Settings::millis, b::connectionTimeoutMs);
        set("--max-backend-connections", "BERTH_MAX_BACKEND_CONNECTIONS", maxBackendConnections, Settings::integer, b::maxBackendConnections);
        set("--metrics-listen", "BERTH_METRICS_LISTEN", metricsListen, v -> HostPort.parse(v, "--metrics-listen"), b::metricsListen);
        set("--server-reset-query", "BERTH_SERVER_RESET_QUERY", serverResetQuery, v -> v, b::serverResetQuery);
        set("--server-connect-timeout", "BERTH_SERVER_CONNECT_TIMEOUT", serverConnectTimeout, Settings::millis, b::serverConnectTimeoutMs);
        set("--client-login-timeout", "BERTH_CLIENT_LOGIN_TIMEOUT", clientLoginTimeout, Settings::millis, b::clientLoginTimeoutMs);
        set("--max-message-size", "BERTH_MAX_MESSAGE_SIZE", maxMessageSize, Settings::integer, b::maxMessageSize);
        set("--admin-users", "BERTH_ADMIN_USERS", adminUsers, v -> java.util.Arrays.stream(v.split(","))
                .map(String::trim).filter(u -> !u.isEmpty()).collect(java.util.stream.Collectors.toSet()), b::adminUsers);
        set("--workers", "BERTH_WORKERS", workers, Settings::integer, b::workers);
        set("--metrics-compat", "BERTH_METRICS_COMPAT", metricsCompat, v -> v, b::metricsCompat);
        set("--session-state", "BERTH_SESSION_STATE", sessionState, SessionStatePolicy::parse, b::sessionState);
        set("--max-prepared-statements", "BERTH_MAX_PREPARED_STATEMENTS", maxPreparedStatements, Settings::integer, b::maxPreparedStatements);
        set("--prepared-statement-registry-bytes", "BERTH_PREPARED_STATEMENT_REGISTRY_BYTES", preparedStatementRegistryBytes,
                Settings::bytes, b::preparedStatementRegistryBytes);
        if (!logFormat().equals("text") && !logFormat().equals("json")) {
            errors.add("--log-format: '" + logFormat() + "' is not text or json"
                    + (logFormat == null ? " (from BERTH_LOG_FORMAT)" : ""));
        }
        for (ConfigException problem : b.problems()) {
            String flag = problem.getMessage().substring(0, problem.getMessage().indexOf(':'));
            // a problem that involves a setting which did not parse would only repeat that error
            if (unparsable.stream().noneMatch(problem.getMessage()::contains)) {
                String envVar = envVars.get(flag);
                errors.add(problem.getMessage() + (envVar != null ? " (from " + envVar + ")" : ""));
            }
        }
        if (errors.isEmpty()) {
            return b.build();
        }
        throw new InvalidSettings(errors);
    }

    /** text or json; validated by {@link #resolve()}. */
    String logFormat() {
        String value = logFormat != null ? logFormat : env.get("BERTH_LOG_FORMAT");
        return value == null ? "text" : value.trim().toLowerCase(java.util.Locale.ROOT);
    }

    /** The validated configuration, or null after printing every problem (the caller exits with 2). */
    BerthConfig resolveOrReport() {
        try {
            return resolve();
        } catch (InvalidSettings e) {
            e.problems.forEach(p -> System.err.println("berth: invalid setting " + p));
            return null;
        }
    }

    Map<String, String> sources() {
        return sources;
    }

    private <T> void set(String flag, String envVar, String flagValue, Function<String, T> parse, java.util.function.Consumer<T> into) {
        String value;
        String source;
        if (flagValue != null) {
            value = flagValue;
            source = "flag";
        } else if (env.get(envVar) != null) {
            value = env.get(envVar);
            source = "environment (" + envVar + ")";
            envVars.put(flag, envVar);
        } else {
            sources.put(flag, "default");
            return;
        }
        sources.put(flag, source);
        try {
            into.accept(parse.apply(value));
        } catch (ConfigException e) {
            unparsable.add(flag);
            errors.add(e.getMessage() + (source.equals("flag") ? "" : " (from " + envVar + ")"));
        } catch (IllegalArgumentException e) {
            unparsable.add(flag);
            errors.add(flag + ": " + e.getMessage() + (source.equals("flag") ? "" : " (from " + envVar + ")"));
        }
    }

    private static int integer(String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a whole number");
        }
    }

    private static long bytes(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a whole number of bytes");
        }
    }

    private static long millis(String value) {
        try {
            long v = Long.parseLong(value.trim());
            if (v <= 0) {
                throw new IllegalArgumentException("must be a positive number of milliseconds, got " + value.trim());
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a number of milliseconds");
        }
    }

    /** One or more settings are invalid; each message names its setting. */
    static final class InvalidSettings extends RuntimeException {
        final List<String> problems;

        InvalidSettings(List<String> problems) {
            super(String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }
    }
}
