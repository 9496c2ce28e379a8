package dev.berth.core.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

import static java.util.Map.entry;

/**
 * The keys of pgbouncer's {@code [pgbouncer]} section that Berth acts on, each with the Berth setting it
 * sets and how its value is converted: pgbouncer's timeouts are seconds (fractions allowed), Berth's are
 * milliseconds. {@code listen_addr} and {@code listen_port} together make {@code listen}; see
 * {@link ConfigFile}. Every other key is reported as not supported, never silently ignored.
 */
public final class PgbouncerKeys {
    private PgbouncerKeys() {
    }

    /** A pgbouncer key: the setting it sets and how its text becomes that setting's text. */
    public record Mapping(Setting<?> setting, UnaryOperator<String> convert, String note) {
    }

    private static final UnaryOperator<String> SAME = UnaryOperator.identity();

    static final Map<String, Mapping> KEYS = Map.ofEntries(
            entry("auth_type", new Mapping(AccessSettings.AUTH_TYPE, SAME, "md5, scram-sha-256, plain, trust, hba")),
            entry("auth_user", new Mapping(AccessSettings.AUTH_USER, SAME, "")),
            entry("auth_query", new Mapping(AccessSettings.AUTH_QUERY, SAME, "")),
            entry("auth_dbname", new Mapping(AccessSettings.AUTH_DBNAME, SAME, "")),
            entry("auth_hba_file", new Mapping(AccessSettings.AUTH_HBA_FILE, SAME, "relative to the config file's directory")),
            entry("auth_file", new Mapping(AccessSettings.AUTH_FILE, SAME, "relative to the config file's directory")),
            entry("pool_mode", new Mapping(SettingsTable.POOL_MODE, SAME, "")),
            entry("default_pool_size", new Mapping(SettingsTable.POOL_MAX, SAME, "")),
            entry("min_pool_size", new Mapping(SettingsTable.POOL_MIN, SAME, "pgbouncer's default 0 applies when unset")),
            entry("max_client_conn", new Mapping(SettingsTable.MAX_CLIENT_CONNECTIONS, SAME, "")),
            entry("max_db_connections", new Mapping(SettingsTable.MAX_DB_CONNECTIONS, SAME, "")),
            entry("max_user_connections", new Mapping(SettingsTable.MAX_USER_CONNECTIONS, SAME, "")),
            entry("max_db_client_connections", new Mapping(SettingsTable.MAX_DB_CLIENT_CONNECTIONS, SAME, "")),
            entry("max_user_client_connections", new Mapping(SettingsTable.MAX_USER_CLIENT_CONNECTIONS, SAME, "")),
            entry("reserve_pool_size", new Mapping(SettingsTable.RESERVE_POOL_SIZE, SAME, "")),
            entry("reserve_pool_timeout", new Mapping(SettingsTable.RESERVE_POOL_TIMEOUT, PgbouncerKeys::secondsToMillis,
                    "seconds")),
            entry("server_idle_timeout", new Mapping(SettingsTable.IDLE_TIMEOUT, PgbouncerKeys::secondsToMillis, "seconds")),
            entry("query_wait_timeout", new Mapping(SettingsTable.CONNECTION_TIMEOUT, PgbouncerKeys::secondsToMillis, "seconds")),
            entry("server_connect_timeout", new Mapping(SettingsTable.SERVER_CONNECT_TIMEOUT, PgbouncerKeys::secondsToMillis,
                    "seconds")),
            entry("client_login_timeout", new Mapping(SettingsTable.CLIENT_LOGIN_TIMEOUT, PgbouncerKeys::secondsToMillis,
                    "seconds")),
            entry("server_reset_query", new Mapping(SettingsTable.SERVER_RESET_QUERY, SAME, "")),
            entry("admin_users", new Mapping(SettingsTable.ADMIN_USERS, SAME, "")),
            entry("max_prepared_statements", new Mapping(SettingsTable.MAX_PREPARED_STATEMENTS, SAME, "")),
            entry("server_lifetime", new Mapping(SettingsTable.SERVER_LIFETIME, PgbouncerKeys::secondsToMillis, "seconds")),
            entry("server_check_delay", new Mapping(SettingsTable.SERVER_CHECK_DELAY, PgbouncerKeys::secondsToMillis,
                    "seconds")),
            entry("server_check_query", new Mapping(SettingsTable.SERVER_CHECK_QUERY, SAME, "")),
            entry("query_timeout", new Mapping(SettingsTable.QUERY_TIMEOUT, PgbouncerKeys::secondsToMillis,
                    "seconds; Berth cancels the query and keeps the client, pgbouncer closes the client")),
            entry("idle_transaction_timeout", new Mapping(SettingsTable.IDLE_TRANSACTION_TIMEOUT,
                    PgbouncerKeys::secondsToMillis, "seconds")),
            entry("client_idle_timeout", new Mapping(SettingsTable.CLIENT_IDLE_TIMEOUT, PgbouncerKeys::secondsToMillis,
                    "seconds")),
            entry("transaction_timeout", new Mapping(SettingsTable.TRANSACTION_TIMEOUT, PgbouncerKeys::secondsToMillis,
                    "seconds")),
            entry("tcp_keepalive", new Mapping(SettingsTable.TCP_KEEPALIVE, SAME, "")),
            entry("tcp_keepidle", new Mapping(SettingsTable.TCP_KEEPIDLE, SAME, "seconds, as Berth's")),
            entry("tcp_keepintvl", new Mapping(SettingsTable.TCP_KEEPINTVL, SAME, "seconds, as Berth's")),
            entry("tcp_keepcnt", new Mapping(SettingsTable.TCP_KEEPCNT, SAME, "")),
            entry("so_reuseport", new Mapping(SettingsTable.SO_REUSEPORT, SAME, "")),
            entry("client_tls_sslmode", new Mapping(AccessSettings.CLIENT_TLS_MODE, SAME, "")),
            entry("client_tls_cert_file", new Mapping(AccessSettings.TLS_CERT, SAME, "")),
            entry("client_tls_key_file", new Mapping(AccessSettings.TLS_KEY, SAME, "")),
            entry("client_tls_ca_file", new Mapping(AccessSettings.TLS_CA, SAME, "")));

    /** Keys that need nothing from Berth: it already does what they ask. */
    static final Set<String> NOTHING_TO_DO = Set.of("ignore_startup_parameters");

    /** Combined into {@code listen} by {@link ConfigFile}. */
    static final Set<String> LISTEN_KEYS = Set.of("listen_addr", "listen_port");

    /** pgbouncer's {@code 0.5} seconds as Berth's {@code 500} milliseconds (rounded to the nearest). */
    static String secondsToMillis(String seconds) {
        try {
            return new BigDecimal(seconds.strip()).movePointRight(3).setScale(0, RoundingMode.HALF_UP).toPlainString();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + seconds + "' is not a number of seconds");
        }
    }

    /** listen_addr and listen_port as Berth's HOST:PORT; {@code *} is every address, as in pgbouncer. */
    static String listen(String addr, String port) {
        String host = addr == null ? "0.0.0.0" : addr.strip();
        if (host.equals("*") || host.isEmpty()) {
            host = "0.0.0.0";
        }
        if (host.contains(",")) {
            throw new IllegalArgumentException("listen_addr '" + addr + "' lists several addresses; Berth listens on one");
        }
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + (port == null ? "6432" : port.strip());
    }
}
