package dev.berth.core.config;

import dev.berth.core.auth.AuthType;
import dev.berth.core.pool.PoolRoute;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ini parser, the pgbouncer key mapping with its units, and the database map, without sockets. */
class ConfigFileTest {
    @TempDir
    Path dir;

    private Path write(String name, String... lines) throws IOException {
        return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
    }

    private ConfigFile load(String... lines) throws IOException {
        return ConfigFile.load(write("pgbouncer.ini", lines));
    }

    private static String text(ConfigFile f, Setting<?> s) {
        return f.values().get(s).text();
    }

    @Test
    void iniKeepsEachLinesSourceAndSkipsComments() throws IOException {
        Path file = write("a.ini", "; comment", "# comment", "", "[PgBouncer]", "Pool_Mode = session ", "[databases]",
                "AppDb = host=h");
        List<IniFile.Line> lines = IniFile.read(file).lines();
        assertEquals(List.of(new IniFile.Line("pgbouncer", "pool_mode", "session", file + ":5"),
                new IniFile.Line("databases", "AppDb", "host=h", file + ":7")), lines, "database names keep their case");
    }

    @Test
    void includeReadsInPlaceRelativeToTheIncludingFile() throws IOException {
        Files.createDirectories(dir.resolve("conf.d"));
        Path inner = write("conf.d/pools.ini", "default_pool_size = 7", "[databases]", "db2 = port=6000");
        Path outer = write("main.ini", "[pgbouncer]", "%include conf.d/pools.ini", "db3 = port=7000");
        ConfigFile f = ConfigFile.load(outer);
        assertEquals("7", text(f, SettingsTable.POOL_MAX));
        assertEquals(inner + ":1 (default_pool_size)", f.values().get(SettingsTable.POOL_MAX).source());
        assertEquals(Map.of("db2", 6000, "db3", 7000), Map.of("db2", f.databases().lookup("db2").port(),
                "db3", f.databases().lookup("db3").port()), "the include ends in its last section, as in pgbouncer");
    }

    @Test
    void includeCycleAndMissingFileAreClearErrors() throws IOException {
        Path self = write("self.ini", "[pgbouncer]", "%include self.ini");
        ConfigException cycle = assertThrows(ConfigException.class, () -> ConfigFile.load(self));
        assertTrue(cycle.problem().contains("nested more than 10 deep"), cycle.getMessage());
        Path missing = write("m.ini", "[pgbouncer]", "%include nothere.ini");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.load(missing));
        assertTrue(e.problem().contains("cannot read") && e.problem().contains("nothere.ini"), e.getMessage());
        ConfigException bad = assertThrows(ConfigException.class, () -> load("[pgbouncer]", "what is this"));
        assertTrue(bad.problem().endsWith(":2: 'what is this' is not key = value"), bad.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"server_idle_timeout, 600, idle_timeout, 600000",
            "server_idle_timeout, 0.5, idle_timeout, 500",
            "query_wait_timeout, 120, connection_timeout, 120000",
            "query_wait_timeout, 1.25, connection_timeout, 1250",
            "server_connect_timeout, 15, server_connect_timeout, 15000",
            "client_login_timeout, 60, client_login_timeout, 60000",
            "default_pool_size, 25, pool_max, 25",
            "min_pool_size, 3, pool_min, 3",
            "max_client_conn, 500, max_client_connections, 500",
            "pool_mode, statement, pool_mode, statement",
            "auth_type, md5, auth_type, md5",
            "admin_users, 'ops, root', admin_users, 'ops, root'",
            "max_prepared_statements, 50, max_prepared_statements, 50",
            "server_reset_query, DISCARD ALL, server_reset_query, DISCARD ALL",
            "server_lifetime, 1800, server_lifetime, 1800000",
            "server_check_delay, 10, server_check_delay, 10000",
            "server_check_query, select 1, server_check_query, select 1",
            "query_timeout, 30, query_timeout, 30000",
            "idle_transaction_timeout, 60, idle_transaction_timeout, 60000",
            "client_idle_timeout, 0, client_idle_timeout, 0",
            "transaction_timeout, 2.5, transaction_timeout, 2500",
            "tcp_keepalive, 1, tcp_keepalive, 1",
            "tcp_keepidle, 45, tcp_keepidle, 45",
            "tcp_keepintvl, 5, tcp_keepintvl, 5",
            "tcp_keepcnt, 4, tcp_keepcnt, 4",
            "so_reuseport, 1, so_reuseport, 1",
            "client_tls_sslmode, require, client_tls_mode, require",
            "client_tls_cert_file, /etc/berth/server.crt, tls_cert, /etc/berth/server.crt",
            "client_tls_key_file, /etc/berth/server.key, tls_key, /etc/berth/server.key",
            "client_tls_ca_file, /etc/berth/ca.crt, tls_ca, /etc/berth/ca.crt"})
    void pgbouncerKeysMapToBerthSettingsInBerthUnits(String key, String value, String setting, String expected)
            throws IOException {
        ConfigFile f = load("[pgbouncer]", key + " = " + value);
        assertEquals(expected, text(f, SettingsTable.byName(setting)));
        assertTrue(f.values().get(SettingsTable.byName(setting)).source().endsWith(":2 (" + key + ")"));
        assertEquals(List.of(), f.warnings());
    }

    @Test
    void secondsThatAreNotNumbersAreAProblemNamingTheLine() throws IOException {
        ConfigFile f = load("[pgbouncer]", "query_wait_timeout = soon");
        assertEquals(1, f.problems().size());
        assertEquals("connection_timeout", f.problems().get(0).setting());
        assertTrue(f.problems().get(0).problem().contains("'soon' is not a number of seconds (from "), f.problems().toString());
        assertTrue(f.problems().get(0).problem().endsWith(":2, query_wait_timeout)"), f.problems().toString());
    }

    @Test
    void listenAddrAndPortMakeListen() throws IOException {
        assertEquals("0.0.0.0:6543", text(load("[pgbouncer]", "listen_addr = *", "listen_port = 6543"), SettingsTable.LISTEN));
        assertEquals("127.0.0.1:6432", text(load("[pgbouncer]", "listen_addr = 127.0.0.1"), SettingsTable.LISTEN));
        assertEquals("0.0.0.0:7000", text(load("[pgbouncer]", "listen_port = 7000"), SettingsTable.LISTEN));
        assertEquals("listen", load("[pgbouncer]", "listen_addr = a,b").problems().get(0).setting());
    }

    @Test
    void unsupportedKeysAreWarnedOnceEachNeverRefused() throws IOException {
        ConfigFile f = load("[pgbouncer]", "logfile = /var/log/pgbouncer.log", "ignore_startup_parameters = extra_float_digits",
                "[databases]", "db = host=h client_encoding=UTF8", "[users]", "bob = query_timeout=3",
                "[peers]", "1 = host=x", "2 = host=y");
        assertEquals(4, f.warnings().size(), f.warnings().toString());
        assertTrue(f.warnings().get(0).endsWith(":2: [pgbouncer] logfile is not supported by Berth; ignored"), f.warnings().get(0));
        assertTrue(f.warnings().get(1).endsWith(":5: [databases] db: client_encoding is not supported by Berth; ignored"));
        assertTrue(f.warnings().get(2).endsWith(":7: [users] bob: query_timeout is not supported by Berth; ignored"));
        assertTrue(f.warnings().get(3).endsWith(":9: section [peers] is not supported by Berth; ignored"));
        assertEquals(List.of(), f.problems());
    }

    @Test
    void berthSectionUsesBerthNamesAndUnitsAndWinsOverPgbouncer() throws IOException {
        ConfigFile f = load("[berth]", "idle_timeout = 1500", "session_state = reject", "bogus = 1",
                "[pgbouncer]", "server_idle_timeout = 600");
        assertEquals("1500", text(f, SettingsTable.IDLE_TIMEOUT));
        assertTrue(f.values().get(SettingsTable.IDLE_TIMEOUT).source().endsWith(":2 (idle_timeout)"));
        assertEquals("reject", text(f, SettingsTable.SESSION_STATE));
        assertEquals(1, f.warnings().size());
        assertTrue(f.warnings().get(0).endsWith(":4: [berth] bogus is not a Berth setting; ignored"));
    }

    @Test
    void aPgbouncerSectionWithoutMinPoolSizeGetsPgbouncersDefaultOfNone() throws IOException {
        assertEquals("0", text(load("[pgbouncer]", "default_pool_size = 5"), SettingsTable.POOL_MIN));
        assertNull(load("[berth]", "pool_max = 5").values().get(SettingsTable.POOL_MIN));
    }

    @Test
    void relativeAuthFileIsTakenFromTheConfigFilesDirectory() throws IOException {
        assertEquals(dir.resolve("userlist.txt").toString(), text(load("[pgbouncer]", "auth_file = userlist.txt"),
                AccessSettings.AUTH_FILE));
        assertEquals("/etc/x.txt", text(load("[pgbouncer]", "auth_file = /etc/x.txt"), AccessSettings.AUTH_FILE));
    }

    @Test
    void databaseLinesParseLibpqStyle() throws IOException {
        ConfigFile f = load("[databases]", "app = host=db1 port=5433 dbname=real user=u password='p w\\'x' pool_size=5"
                + " min_pool_size=2 pool_mode=session sslmode=prefer channel_binding=require", "* = host=fallback");
        DatabaseEntry app = f.databases().lookup("app");
        assertEquals(List.of("db1", 5433, "real", "u", "p w'x", 5, 2, PoolMode.SESSION, "prefer"), List.of(app.host(),
                app.port(), app.dbname(), app.user(), app.password(), app.poolSize(), app.minPoolSize(), app.poolMode(),
                app.tls().mode().label()));
        assertEquals("fallback", f.databases().lookup("other").host(), "* is the fallback");
        assertEquals(BackendTls.ChannelBinding.REQUIRE, app.tls().channelBinding());
        assertEquals("app = postgresql://u:****@db1:5433/real?sslmode=prefer&channel_binding=require", app.toString(),
                "no password in logs");
    }

    @Test
    void databaseLinesMayNameTheirOwnAuthUser() throws IOException {
        ConfigFile f = load("[pgbouncer]", "auth_user = pgbouncer", "auth_dbname = control",
                "[databases]", "a = host=h auth_user=reader_a auth_query='SELECT * FROM a.get_auth($1)'",
                "b = host=h auth_dbname=b_meta", "c = host=h", "* = host=h auth_user=any_reader");
        assertEquals(List.of(), f.warnings(), "auth_user, auth_query, auth_dbname are acted on, not warned about");
        BerthConfig c = BerthConfig.builder().authType(AuthType.TRUST).authUser("pgbouncer").authDbname("control")
                .databases(f.databases()).build();
        assertEquals(new AuthQueryTarget("reader_a", "SELECT * FROM a.get_auth($1)", "control"),
                AuthQueryTarget.forDatabase(c, "a"), "the global auth_dbname, as in pgbouncer");
        assertEquals(new AuthQueryTarget("pgbouncer", AuthSources.DEFAULT_QUERY, "b_meta"), AuthQueryTarget.forDatabase(c, "b"));
        assertEquals(AuthQueryTarget.global(c), AuthQueryTarget.forDatabase(c, "c"));
        assertEquals(new AuthQueryTarget("any_reader", AuthSources.DEFAULT_QUERY, "control"),
                AuthQueryTarget.forDatabase(c, "unlisted"));
        BerthConfig noGlobalDbname = BerthConfig.builder().authType(AuthType.TRUST).databases(f.databases()).build();
        assertEquals(new AuthQueryTarget("reader_a", "SELECT * FROM a.get_auth($1)", "a"),
                AuthQueryTarget.forDatabase(noGlobalDbname, "a"), "the line's own database");
        assertEquals("postgres", AuthQueryTarget.forDatabase(noGlobalDbname, "unlisted").database(), "* looks up in postgres");
        assertNull(AuthQueryTarget.forDatabase(noGlobalDbname, "b"), "no auth user anywhere for b");
        assertTrue(AuthQueryTarget.any(noGlobalDbname));
        BerthConfig globalUserOnly = BerthConfig.builder().authType(AuthType.TRUST).authUser("pgbouncer").databases(f.databases()).build();
        assertEquals(new AuthQueryTarget("pgbouncer", AuthSources.DEFAULT_QUERY, "c"), AuthQueryTarget.forDatabase(globalUserOnly, "c"),
                "a line without auth keys looks up with the global auth user in its own database, as pgbouncer does");
    }

    @Test
    void limitsAreReadFromEachSectionInPgbouncersUnits() throws IOException {
        ConfigFile f = load("[pgbouncer]", "max_db_connections = 10", "max_user_connections = 7",
                "max_db_client_connections = 50", "max_user_client_connections = 40", "reserve_pool_size = 2",
                "reserve_pool_timeout = 1.5",
                "[databases]", "app = host=h max_db_connections=3 reserve_pool=1 max_db_client_connections=4"
                        + " connect_query='SET search_path = app' application_name=from_ini",
                "other = host=h", "[users]", "bob = max_user_connections=2 max_user_client_connections=5 pool_mode=session");
        assertEquals(List.of(), f.warnings());
        assertEquals(List.of("10", "7", "50", "40", "2", "1500"), List.of(text(f, SettingsTable.MAX_DB_CONNECTIONS),
                text(f, SettingsTable.MAX_USER_CONNECTIONS), text(f, SettingsTable.MAX_DB_CLIENT_CONNECTIONS),
                text(f, SettingsTable.MAX_USER_CLIENT_CONNECTIONS), text(f, SettingsTable.RESERVE_POOL_SIZE),
                text(f, SettingsTable.RESERVE_POOL_TIMEOUT)));
        DatabaseMap map = f.databases();
        ConnectionLimits global = new ConnectionLimits(10, 7, 50, 40, 2, 1500);
        assertEquals(List.of(3, 10, 4, 50, 1, 2), List.of(map.maxDbConnections(global, "app"),
                map.maxDbConnections(global, "other"), map.maxDbClientConnections(global, "app"),
                map.maxDbClientConnections(global, "other"), map.reservePoolSize(global, "app"),
                map.reservePoolSize(global, "other")), "an entry's own value, else the global one");
        assertEquals(List.of(2, 7, 5, 40), List.of(map.maxUserConnections(global, "bob"), map.maxUserConnections(global, "al"),
                map.maxUserClientConnections(global, "bob"), map.maxUserClientConnections(global, "al")));
        assertEquals("SET search_path = app", map.lookup("app").connectQuery());
        assertEquals("from_ini", map.applicationName("app"));
        assertNull(map.applicationName("other"));
        assertEquals(PoolMode.SESSION, map.users().get("bob").poolMode());
    }

    @Test
    void usersPoolSizeAndReserveWinOverTheDatabasesAsInPgbouncer() throws IOException {
        ConfigFile f = load("[databases]", "app = host=h pool_size=3 reserve_pool_size=1 min_pool_size=2",
                "owned = host=h user=owner", "other = host=h",
                "[users]", "bob = pool_size=7 reserve_pool_size=4", "owner = pool_size=1", "al = pool_mode=session");
        assertEquals(List.of(), f.warnings(), "pool_size and reserve_pool_size are [users] keys since pgbouncer 1.25");
        BerthConfig c = BerthConfig.builder().authType(AuthType.TRUST).poolMax(9).poolMin(0).reservePoolSize(2)
                .databases(f.databases()).build();
        PoolRoute bobApp = RuntimeConfig.routeFor(c, "app", "bob");
        assertEquals(List.of(7, 4, 2), List.of(bobApp.limits().max(), bobApp.limits().reserveSize(), bobApp.limits().min()),
                "the user's size and reserve win over the database's (pgbouncer's pool_pool_size); the minimum is the database's");
        PoolRoute alApp = RuntimeConfig.routeFor(c, "app", "al");
        assertEquals(List.of(3, 1), List.of(alApp.limits().max(), alApp.limits().reserveSize()), "no [users] size: the database's");
        PoolRoute bobOther = RuntimeConfig.routeFor(c, "other", "bob");
        assertEquals(List.of(7, 4), List.of(bobOther.limits().max(), bobOther.limits().reserveSize()), "over the globals too");
        PoolRoute forced = RuntimeConfig.routeFor(c, "owned", "bob");
        assertEquals(List.of(1, 2), List.of(forced.limits().max(), forced.limits().reserveSize()),
                "a forced user's pool is sized by the forced user's entry, not the client's");
        BerthConfig noDatabases = BerthConfig.builder().authType(AuthType.TRUST).poolMax(9).poolMin(0)
                .databases(load("[users]", "bob = pool_size=5").databases()).build();
        assertEquals(5, RuntimeConfig.routeFor(noDatabases, "app", "bob").limits().max(), "the backend URL's pools too");
        assertEquals(9, RuntimeConfig.routeFor(noDatabases, "app", "al").limits().max());
    }

    @Test
    void aBadPoolSizeInUsersIsAProblemNamingTheLine() throws IOException {
        ConfigFile f = load("[users]", "bob = pool_size=0", "al = reserve_pool_size=-1");
        assertEquals(2, f.problems().size());
        assertTrue(f.problems().get(0).getMessage().contains(":2: user bob, pool_size: must be at least 1, got 0"),
                f.problems().get(0).getMessage());
        assertTrue(f.problems().get(1).getMessage().contains(":3: user al, reserve_pool_size: must be at least 0, got -1"),
                f.problems().get(1).getMessage());
    }

    @Test
    void aBadLimitInUsersIsAProblemNamingTheLine() throws IOException {
        ConfigFile f = load("[users]", "bob = max_user_connections=-1");
        assertEquals(1, f.problems().size());
        assertTrue(f.problems().get(0).getMessage().contains(":2: user bob, max_user_connections: must be at least 0"),
                f.problems().get(0).getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"port=99999|port: 99999 is outside 1-65535",
            "pool_size=0|pool_size: must be at least 1, got 0",
            "pool_mode=sometimes|pool_mode: 'sometimes' is not one of session, transaction, statement",
            "sslmode=sometimes|sslmode=sometimes is not one of",
            "channel_binding=require|channel_binding=require needs TLS",
            "hots=x|hots: unknown key",
            "password='open|unterminated quote in the value of password"})
    void badDatabaseLinesNameTheLineAndKey(String params, String expected) throws IOException {
        ConfigFile f = load("[databases]", "db = " + params);
        assertEquals(1, f.problems().size());
        assertTrue(f.problems().get(0).problem().contains(expected), f.problems().get(0).problem());
        assertTrue(f.problems().get(0).problem().contains(":2"), f.problems().get(0).problem());
    }

    @Test
    void routesFollowTheMapWithUserModesAndTheFallback() throws IOException {
        ConfigFile f = load("[databases]", "app = host=db1 dbname=real user=owner password=pw pool_size=3",
                "alias = host=db2 port=6000 dbname=app", "* = host=db3", "[users]", "batch = pool_mode=session");
        BerthConfig c = BerthConfig.builder().authType(AuthType.TRUST).poolMode(PoolMode.TRANSACTION).poolMax(9).poolMin(4)
                .serverLifetimeMs(120_000).serverCheckDelayMs(7_000).idleTimeoutMs(11_000).databases(f.databases()).build();
        PoolRoute app = RuntimeConfig.routeFor(c, "app", "alice");
        assertEquals("app", app.key().database());
        assertEquals("owner", app.key().user(), "a forced user keys the pool");
        assertEquals(new BackendUrl("db1", 5432, "owner", "pw", "real", BackendTls.DISABLED), app.server());
        assertEquals(3, app.limits().max());
        assertEquals(3, app.limits().min(), "the global minimum is bounded by the entry's size");
        assertEquals(List.of(11_000L, 120_000L, 7_000L), List.of(app.limits().idleTimeoutMs(),
                app.limits().serverLifetimeMs(), app.limits().serverCheckDelayMs()), "an entry keeps the global timeouts");
        PoolRoute alias = RuntimeConfig.routeFor(c, "alias", "batch");
        assertEquals(new BackendUrl("db2", 6000, "batch", null, "app", BackendTls.DISABLED), alias.server());
        assertEquals(PoolMode.SESSION, alias.mode(), "[users] pool_mode wins");
        assertEquals(9, alias.limits().max());
        PoolRoute other = RuntimeConfig.routeFor(c, "reports", "alice");
        assertEquals(new BackendUrl("db3", 5432, "alice", null, "reports", BackendTls.DISABLED), other.server());
        BerthConfig noFallback = BerthConfig.builder().authType(AuthType.TRUST).databases(
                load("[databases]", "app = host=db1").databases()).build();
        assertNull(RuntimeConfig.routeFor(noFallback, "reports", "alice"), "not listed, no *: no route");
    }

    @Test
    void pgbouncersAuthQueryAndHbaKeysMapToBerthsSettings() throws IOException {
        ConfigFile f = load("[pgbouncer]", "auth_type = hba", "auth_hba_file = pg_hba.conf", "auth_user = pgbouncer",
                "auth_query = SELECT * FROM pgbouncer.get_auth($1)", "auth_dbname = postgres");
        assertEquals("hba", text(f, AccessSettings.AUTH_TYPE));
        assertEquals(dir.resolve("pg_hba.conf").toString(), text(f, AccessSettings.AUTH_HBA_FILE), "relative to the config file");
        assertEquals("pgbouncer", text(f, AccessSettings.AUTH_USER));
        assertEquals("SELECT * FROM pgbouncer.get_auth($1)", text(f, AccessSettings.AUTH_QUERY));
        assertEquals("postgres", text(f, AccessSettings.AUTH_DBNAME));
        assertEquals(List.of(), f.warnings());
    }

    @Test
    void hbaNeedsAnHbaFileAndAnAuthUserStandsInForTheAuthFile() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> BerthConfig.builder().authType(AuthType.HBA).build());
        assertEquals("auth_hba_file", e.setting());
        BerthConfig c = BerthConfig.builder().authUser("pgbouncer").build();
        assertEquals(AuthSources.DEFAULT_QUERY, c.authSources().authQuery());
        assertEquals(AuthSources.DEFAULT_CACHE_TTL_MS, c.authSources().cacheTtlMs());
        assertThrows(ConfigException.class, () -> BerthConfig.builder().build(), "no auth file and no auth user");
    }
}
