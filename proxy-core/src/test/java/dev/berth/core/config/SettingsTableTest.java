package dev.berth.core.config;

import dev.berth.core.auth.AuthType;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingsTableTest {

    @Test
    void namesAreSnakeCaseAndUniqueAndFlagsFollowThem() {
        Set<String> names = new HashSet<>();
        Set<String> vars = new HashSet<>();
        for (Setting<?> s : SettingsTable.ALL) {
            assertTrue(s.name().matches("[a-z]+(_[a-z]+)*"), s.name());
            assertTrue(names.add(s.name()), "duplicate " + s.name());
            assertTrue(vars.add(s.envVar()), "duplicate " + s.envVar());
            assertEquals("--" + s.name().replace('_', '-'), s.flag());
            assertSame(s, SettingsTable.byName(s.name()));
            assertFalse(s.description().isBlank(), s.name());
        }
        assertNull(SettingsTable.byName("nope"));
    }

    /** Deployments set these; renaming one would silently drop a setting. */
    @Test
    void environmentVariablesKeepTheirNames() {
        assertEquals(List.of("BERTH_CONFIG", "BERTH_LISTEN", "DATABASE_URL", "BERTH_AUTH_FILE", "BERTH_AUTH_TYPE",
                        "BERTH_AUTH_USER", "BERTH_AUTH_QUERY", "BERTH_AUTH_DBNAME", "BERTH_AUTH_QUERY_CACHE_TTL", "BERTH_AUTH_HBA_FILE",
                        "BERTH_POOL_MODE",
                        "BERTH_SESSION_STATE", "BERTH_DO_BLOCKS", "BERTH_MAX_PREPARED_STATEMENTS", "BERTH_PREPARED_STATEMENT_REGISTRY_BYTES",
                        "DB_POOL_MAX", "DB_POOL_MIN", "DB_POOL_IDLE_TIMEOUT", "DB_POOL_CONNECTION_TIMEOUT",
                        "BERTH_MAX_BACKEND_CONNECTIONS", "BERTH_MAX_DB_CONNECTIONS", "BERTH_MAX_USER_CONNECTIONS",
                        "BERTH_RESERVE_POOL_SIZE", "BERTH_RESERVE_POOL_TIMEOUT", "BERTH_WORKERS", "BERTH_TRANSPORT", "BERTH_METRICS_LISTEN", "BERTH_METRICS_COMPAT",
                        "BERTH_ADMIN_USERS", "BERTH_LOG_FORMAT", "BERTH_SERVER_RESET_QUERY",
                        "BERTH_SERVER_CONNECT_TIMEOUT", "BERTH_CLIENT_LOGIN_TIMEOUT", "BERTH_MAX_CLIENT_CONNECTIONS",
                        "BERTH_MAX_DB_CLIENT_CONNECTIONS", "BERTH_MAX_USER_CLIENT_CONNECTIONS", "BERTH_MAX_POOLS", "BERTH_MAX_MESSAGE_SIZE", "BERTH_SERVER_LIFETIME", "BERTH_SERVER_CHECK_DELAY",
                        "BERTH_SERVER_CHECK_QUERY", "BERTH_QUERY_TIMEOUT", "BERTH_IDLE_TRANSACTION_TIMEOUT",
                        "BERTH_CLIENT_IDLE_TIMEOUT", "BERTH_TRANSACTION_TIMEOUT", "BERTH_TCP_KEEPALIVE", "BERTH_TCP_KEEPIDLE",
                        "BERTH_TCP_KEEPINTVL", "BERTH_TCP_KEEPCNT", "BERTH_SHUTDOWN_TIMEOUT", "BERTH_SO_REUSEPORT", "BERTH_TLS_CERT", "BERTH_TLS_KEY",
                        "BERTH_CLIENT_TLS_MODE", "BERTH_TLS_CA", "BERTH_TLS_PROTOCOLS"),
                SettingsTable.ALL.stream().map(Setting::envVar).toList());
    }

    @Test
    void reloadableSettings() {
        assertEquals(Set.of("pool_max", "pool_min", "idle_timeout", "connection_timeout", "max_backend_connections",
                        "max_db_connections", "max_user_connections", "max_db_client_connections",
                        "max_user_client_connections", "reserve_pool_size", "reserve_pool_timeout",
                        "server_reset_query", "server_connect_timeout", "client_login_timeout", "session_state", "do_blocks",
                        "admin_users", "auth_file", "pool_mode", "max_client_connections", "max_pools", "server_lifetime",
                        "server_check_delay", "server_check_query", "query_timeout", "idle_transaction_timeout",
                        "client_idle_timeout", "transaction_timeout", "tcp_keepalive", "tcp_keepidle", "tcp_keepintvl",
                        "tcp_keepcnt", "shutdown_timeout", "tls_cert", "tls_key",
                        "client_tls_mode", "tls_ca", "tls_protocols", "auth_user", "auth_query", "auth_dbname",
                        "auth_query_cache_ttl", "auth_hba_file"),
                SettingsTable.ALL.stream().filter(Setting::reloadable).map(Setting::name).collect(Collectors.toSet()));
    }

    @Test
    void everyDefaultPassesItsOwnCheck() {
        for (Setting<?> s : SettingsTable.ALL) {
            assertNull(problemWithDefault(s), s.name());
        }
    }

    private static <T> ConfigException problemWithDefault(Setting<T> s) {
        return s.problem(s.defaultValue());
    }

    @Test
    void parseErrorsNameTheSettingNotAFlag() {
        for (Setting<?> s : List.of(SettingsTable.POOL_MAX, SettingsTable.IDLE_TIMEOUT, SettingsTable.LISTEN,
                AccessSettings.AUTH_TYPE, SettingsTable.SESSION_STATE, SettingsTable.PREPARED_STATEMENT_REGISTRY_BYTES)) {
            ConfigException e = assertThrows(ConfigException.class, () -> s.parse("bogus"));
            assertEquals(s.name(), e.setting());
            assertTrue(e.getMessage().startsWith(s.name() + ": "), e.getMessage());
            assertFalse(e.problem().contains("--"), e.getMessage());
        }
        assertEquals("'x' is not a whole number", assertThrows(ConfigException.class,
                () -> SettingsTable.POOL_MAX.parse("x")).problem());
        assertEquals("'x' is not a number of milliseconds", assertThrows(ConfigException.class,
                () -> SettingsTable.IDLE_TIMEOUT.parse("x")).problem());
    }

    @Test
    void parsesValues() {
        assertEquals(AuthType.MD5, AccessSettings.AUTH_TYPE.parse(" MD5 "));
        assertEquals(Set.of("ops", "dba"), SettingsTable.ADMIN_USERS.parse("ops, dba,,"));
        assertEquals("pgbouncer", SettingsTable.METRICS_COMPAT.parse(" PgBouncer "));
        assertEquals(42L, SettingsTable.CONNECTION_TIMEOUT.parse(" 42 "));
        assertEquals("must be a positive number of milliseconds, got -5",
                SettingsTable.CONNECTION_TIMEOUT.problem(-5L).problem());
        assertEquals(false, SettingsTable.TCP_KEEPALIVE.parse(" Off "));
        assertEquals(true, SettingsTable.TCP_KEEPALIVE.parse("1"));
        assertEquals("'maybe' is not true or false (on/off, yes/no, 1/0)",
                assertThrows(ConfigException.class, () -> SettingsTable.TCP_KEEPALIVE.parse("maybe")).problem());
        assertEquals("must not be negative, got -1", SettingsTable.QUERY_TIMEOUT.problem(-1L).problem());
    }

    @Test
    void displayMasksTheBackendPasswordAndKeepsNumbers() {
        BerthConfig c = BerthConfig.builder().authType(AuthType.TRUST).poolMax(50).poolMin(5)
                .backend(BackendUrl.parse("postgresql://app:s3cret@db:5433/shop")).adminUsers(Set.of("b", "a")).build();
        assertEquals("postgresql://app:****@db:5433/shop", SettingsTable.BACKEND.display(c));
        assertEquals(50, SettingsTable.POOL_MAX.display(c));
        assertEquals(50, SettingsTable.MAX_BACKEND_CONNECTIONS.display(c));
        assertEquals("a,b", SettingsTable.ADMIN_USERS.display(c));
        assertNull(AccessSettings.AUTH_FILE.display(c));
        assertEquals("trust", AccessSettings.AUTH_TYPE.display(c));
        assertEquals("0.0.0.0:6432", SettingsTable.LISTEN.display(c));
    }
}
