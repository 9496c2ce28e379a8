package dev.berth.core.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Precedence: flag > environment > config file > default, each source named, the file's by file:LINE. */
class SettingsResolverTest {
    @TempDir
    Path dir;

    private Path ini;

    private SettingsResolver.Resolved resolve(Map<Setting<?>, String> flags, Map<String, String> env) {
        return new SettingsResolver(flags, env).resolve();
    }

    private Path write(String... lines) throws IOException {
        ini = Files.writeString(dir.resolve("pgbouncer.ini"), String.join("\n", lines) + "\n");
        return ini;
    }

    @Test
    void eachLevelWinsWhereItShould() throws IOException {
        write("[pgbouncer]", "auth_type = trust", "default_pool_size = 11", "min_pool_size = 1",
                "server_idle_timeout = 9", "query_wait_timeout = 7");
        SettingsResolver.Resolved r = resolve(Map.of(SettingsTable.CONFIG, ini.toString(), SettingsTable.POOL_MAX, "33"),
                Map.of("DB_POOL_MAX", "22", "DB_POOL_IDLE_TIMEOUT", "4444"));
        assertEquals(33, r.config().poolMax(), "flag over environment and file");
        assertEquals(4444, r.config().idleTimeoutMs(), "environment over file");
        assertEquals(7000, r.config().connectionTimeoutMs(), "file over default");
        assertEquals(5000, r.config().serverConnectTimeoutMs(), "default when nothing sets it");
        assertEquals("flag", r.sources().get("--pool-max"));
        assertEquals("environment (DB_POOL_IDLE_TIMEOUT)", r.sources().get("--idle-timeout"));
        assertEquals("file " + ini + ":6 (query_wait_timeout)", r.sources().get("--connection-timeout"));
        assertEquals("default", r.sources().get("--server-connect-timeout"));
        assertEquals("flag", r.sources().get("--config"));
        assertEquals(ini, r.config().configFile());
    }

    @Test
    void theConfigFileCanBeNamedByTheEnvironment() throws IOException {
        write("[pgbouncer]", "auth_type = trust", "pool_mode = session");
        SettingsResolver.Resolved r = resolve(Map.of(), Map.of("BERTH_CONFIG", ini.toString()));
        assertEquals(PoolMode.SESSION, r.config().poolMode());
        assertEquals("environment (BERTH_CONFIG)", r.sources().get("--config"));
    }

    @Test
    void aBadFileValueNamesTheFlagTheLineAndTheKey() throws IOException {
        write("[pgbouncer]", "auth_type = trust", "default_pool_size = lots");
        InvalidSettings e = assertThrows(InvalidSettings.class,
                () -> resolve(Map.of(SettingsTable.CONFIG, ini.toString()), Map.of()));
        assertEquals(List.of("--pool-max: 'lots' is not a whole number (from " + ini + ":3 (default_pool_size))"), e.problems());
    }

    @Test
    void aMissingFileIsOneProblem() {
        InvalidSettings e = assertThrows(InvalidSettings.class,
                () -> resolve(Map.of(SettingsTable.CONFIG, dir.resolve("nope.ini").toString()), Map.of()));
        assertEquals(1, e.problems().size());
        assertTrue(e.problems().get(0).startsWith("--config: cannot read " + dir.resolve("nope.ini")), e.problems().toString());
    }

    @Test
    void badDatabaseLinesAreReportedWithTheOthers() throws IOException {
        write("[pgbouncer]", "auth_type = trust", "pool_mode = often", "[databases]", "db = port=x");
        InvalidSettings e = assertThrows(InvalidSettings.class,
                () -> resolve(Map.of(SettingsTable.CONFIG, ini.toString()), Map.of()));
        assertEquals(2, e.problems().size(), e.problems().toString());
        assertTrue(e.problems().get(0).startsWith("--pool-mode: "), e.problems().get(0));
        assertTrue(e.problems().get(1).startsWith("[databases] " + ini + ":5: database db, port: "), e.problems().get(1));
    }

    @Test
    void warningsCarryOverAndAnUnusedBackendFlagIsNamed() throws IOException {
        write("[pgbouncer]", "auth_type = trust", "stats_users = ops", "[databases]", "db = host=h");
        SettingsResolver.Resolved r = resolve(Map.of(SettingsTable.CONFIG, ini.toString(),
                SettingsTable.BACKEND, "postgresql://x:1"), Map.of());
        assertEquals(2, r.warnings().size(), r.warnings().toString());
        assertTrue(r.warnings().get(0).endsWith(":3: [pgbouncer] stats_users is not supported by Berth; ignored"));
        assertTrue(r.warnings().get(1).startsWith("--backend (flag) is not used"), r.warnings().get(1));
    }

    @Test
    void keepingStartupSettingsKeepsEveryNonReloadableValue() throws IOException {
        write("[pgbouncer]", "auth_type = trust");
        BerthConfig running = resolve(Map.of(SettingsTable.CONFIG, ini.toString()), Map.of()).config();
        write("[pgbouncer]", "auth_type = md5", "auth_file = u.txt", "listen_port = 7777", "default_pool_size = 3",
                "max_prepared_statements = 9", "[berth]", "workers = 3", "log_format = json", "metrics_compat = pgbouncer",
                "max_message_size = 2048", "prepared_statement_registry_bytes = 10", "metrics_listen = 1.2.3.4:1",
                "backend = postgresql://elsewhere:1");
        Files.writeString(dir.resolve("u.txt"), "\"a\" \"b\"\n");
        BerthConfig next = resolve(Map.of(SettingsTable.CONFIG, ini.toString()), Map.of()).config();
        BerthConfig merged = next.keepingStartupSettingsOf(running);
        for (Setting<?> s : SettingsTable.ALL) {
            Object expected = (s.reloadable() ? next : running);
            assertEquals(s.display((BerthConfig) expected), s.display(merged), s.name());
        }
        assertEquals(3, merged.poolMax());
    }
}
