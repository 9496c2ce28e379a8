package dev.berth.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.berth.server.PgbouncerIniTest.admin;
import static dev.berth.server.RunningBerth.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * pgbouncer's limits from a real pgbouncer.ini: max_db_connections, max_user_connections, the client limits
 * per database and per user, the reserve pool, connect_query and application_name, against a database of
 * their own so that PostgreSQL's own count of backends can be read.
 */
class PgbouncerLimitsTest {
    static final String DB = "berth_limits";
    private static final ExecutorService CLIENTS = Executors.newCachedThreadPool();

    @TempDir
    Path dir;

    @BeforeAll
    static void database() throws SQLException {
        try (Connection c = TestPostgres.superuser("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select 1 from pg_database where datname = '" + DB + "'")) {
            if (!rs.next()) {
                s.execute("create database " + DB + " owner " + TestPostgres.APP_USER);
            }
            s.execute("grant all on database " + DB + " to " + TestPostgres.MD5_USER + ", " + TestPostgres.PLAIN_USER);
        }
        try (Connection c = TestPostgres.superuser(DB); Statement s = c.createStatement()) {
            s.execute("create table if not exists connect_log (at timestamptz default now())");
            s.execute("grant select, insert on connect_log to public");
        }
    }

    @AfterAll
    static void stopClients() {
        CLIENTS.shutdownNow();
    }

    /** A pgbouncer.ini with these [databases] lines (each: name = options, host and port added) and further lines. */
    private Path ini(String authType, List<String> databases, String... more) throws IOException {
        Files.writeString(dir.resolve("userlist.txt"), RunningBerth.AUTH_FILE);
        List<String> lines = new ArrayList<>(List.of("[databases]"));
        for (String entry : databases) {
            int eq = entry.indexOf('=');
            lines.add(entry.substring(0, eq + 1) + " host=127.0.0.1 port=" + TestPostgres.port() + " " + entry.substring(eq + 1));
        }
        lines.addAll(List.of("[pgbouncer]", "listen_addr = 127.0.0.1", "listen_port = 0", "auth_type = " + authType,
                "auth_file = userlist.txt", "admin_users = app", "pool_mode = transaction", "default_pool_size = 5",
                "query_wait_timeout = 60", "server_connect_timeout = 30"));
        lines.addAll(List.of(more));
        return Files.writeString(dir.resolve("pgbouncer.ini"), String.join("\n", lines) + "\n");
    }

    private static String password(String user) {
        return Map.of(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, TestPostgres.MD5_USER, TestPostgres.MD5_PASSWORD,
                TestPostgres.PLAIN_USER, TestPostgres.PLAIN_PASSWORD).get(user);
    }

    private static Connection connect(RunningBerth berth, String user, String database) throws SQLException {
        return berth.connect(user, password(user), database);
    }

    /** Connects as {@code user} and holds a server: a transaction that has run a query. */
    private static Connection inTransaction(RunningBerth berth, String user, String database) throws SQLException {
        Connection c = connect(berth, user, database);
        c.setAutoCommit(false);
        query(c, "select 1");
        return c;
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Connects and runs {@code sql} on another thread (the connect may have to wait for a server). */
    private static CompletableFuture<String> later(RunningBerth berth, String user, String database, String sql) {
        return CompletableFuture.supplyAsync(() -> {
            try (Connection c = connect(berth, user, database)) {
                return query(c, sql);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }, CLIENTS);
    }

    /** PostgreSQL's own count of the client backends of {@link #DB}, optionally of one user. */
    private static int backends(String user) throws SQLException {
        try (Connection c = TestPostgres.superuser("postgres")) {
            return Integer.parseInt(query(c, "select count(*) from pg_stat_activity where datname = '" + DB
                    + "' and backend_type = 'client backend'" + (user == null ? "" : " and usename = '" + user + "'")));
        }
    }

    private static long loggedConnects() throws SQLException {
        try (Connection c = TestPostgres.superuser(DB)) {
            return Long.parseLong(query(c, "select count(*) from connect_log"));
        }
    }

    private static Map<String, String> showDatabasesRow(RunningBerth berth, String name) throws SQLException {
        return showRow(berth, "DATABASES", name);
    }

    /** The row of SHOW {@code what} (DATABASES, USERS) whose name is {@code name}. */
    private static Map<String, String> showRow(RunningBerth berth, String what, String name) throws SQLException {
        try (Connection admin = admin(berth); Statement s = admin.createStatement(); ResultSet rs = s.executeQuery("SHOW " + what)) {
            while (rs.next()) {
                if (rs.getString("name").equals(name)) {
                    Map<String, String> row = new HashMap<>();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        row.put(rs.getMetaData().getColumnName(i), rs.getString(i));
                    }
                    return row;
                }
            }
        }
        throw new AssertionError("no SHOW " + what + " row for " + name);
    }

    @Test
    void maxDbConnectionsHoldsTwoUsersOfOneDatabaseToItsBackends() throws Exception {
        Path ini = ini("scram-sha-256", List.of("limited = dbname=" + DB + " max_db_connections=2"));
        try (RunningBerth berth = RunningBerth.startWithConfig(ini);
             Connection app = inTransaction(berth, TestPostgres.APP_USER, "limited");
             Connection md5 = inTransaction(berth, TestPostgres.MD5_USER, "limited")) {
            CompletableFuture<String> plain = later(berth, TestPostgres.PLAIN_USER, "limited", "select current_user");
            berth.awaitPool(TestPostgres.PLAIN_USER, "limited", p -> p.waiting() == 1, "the third user waits at the cap");
            assertEquals(2, backends(null), "max_db_connections 2: two backends for three users");
            assertFalse(plain.isDone());

            app.commit(); // its server goes idle: closed to make room for the waiting pool of the same database
            assertEquals(TestPostgres.PLAIN_USER, plain.get(60, TimeUnit.SECONDS));
            assertEquals("1", query(md5, "select 1"), "the other user is served all along");
            assertTrue(backends(null) <= 2, "never more than the cap");
            assertEquals("2", showDatabasesRow(berth, "limited").get("max_connections"));
        }
    }

    @Test
    void aClientWaitingPastTheTimeoutAtTheDatabaseCapIsToldWhichCap() throws Exception {
        Path ini = ini("scram-sha-256", List.of("limited = dbname=" + DB + " max_db_connections=1"));
        try (RunningBerth berth = RunningBerth.startWithConfig(ini);
             Connection holder = inTransaction(berth, TestPostgres.APP_USER, "limited")) {
            // the 1 s under test only once the holder has its server: opened on demand, that can take longer under load
            ini("scram-sha-256", List.of("limited = dbname=" + DB + " max_db_connections=1"), "query_wait_timeout = 1");
            try (Connection admin = admin(berth); Statement s = admin.createStatement()) {
                s.execute("RELOAD");
            }
            assertEquals(1_000, berth.server().config().connectionTimeoutMs());
            SQLException timedOut = assertThrows(SQLException.class, () -> connect(berth, TestPostgres.MD5_USER, "limited"));
            assertEquals("53300", timedOut.getSQLState());
            assertTrue(timedOut.getMessage().contains("all 1 connections of max_db_connections for database limited in use"),
                    timedOut.getMessage());
            assertEquals("1", query(holder, "select 1"));
        }
    }

    @Test
    void aReloadThatRaisesTheDatabaseCapServesTheWaitingClientAtOnce() throws Exception {
        Path ini = ini("scram-sha-256", List.of("limited = dbname=" + DB + " max_db_connections=1"));
        try (RunningBerth berth = RunningBerth.startWithConfig(ini);
             Connection holder = inTransaction(berth, TestPostgres.APP_USER, "limited")) {
            CompletableFuture<String> waiting = later(berth, TestPostgres.MD5_USER, "limited", "select 'after reload'");
            berth.awaitPool(TestPostgres.MD5_USER, "limited", p -> p.waiting() == 1, "the second user waits at the cap");
            ini("scram-sha-256", List.of("limited = dbname=" + DB + " max_db_connections=2"));
            try (Connection admin = admin(berth); Statement s = admin.createStatement()) {
                s.execute("RELOAD");
            }
            assertEquals("after reload", waiting.get(60, TimeUnit.SECONDS), "the raised cap is used at once");
            assertEquals("1", query(holder, "select 1"), "nobody's connection was closed");
            assertEquals(2, backends(null));
        }
    }

    @Test
    void maxUserConnectionsHoldsOneUserAcrossDatabases() throws Exception {
        Path ini = ini("scram-sha-256", List.of("one = dbname=" + DB, "two = dbname=" + DB),
                "[users]", TestPostgres.APP_USER + " = max_user_connections=1");
        try (RunningBerth berth = RunningBerth.startWithConfig(ini);
             Connection first = inTransaction(berth, TestPostgres.APP_USER, "one")) {
            CompletableFuture<String> second = later(berth, TestPostgres.APP_USER, "two", "select 'served'");
            berth.awaitPool(TestPostgres.APP_USER, "two", p -> p.waiting() == 1, "app's second database waits for its one slot");
            try (Connection other = connect(berth, TestPostgres.MD5_USER, "two")) {
                assertEquals("1", query(other, "select 1"), "another user is not capped");
            }
            assertEquals(1, backends(TestPostgres.APP_USER));
            first.commit();
            assertEquals("served", second.get(60, TimeUnit.SECONDS));
            assertTrue(backends(TestPostgres.APP_USER) <= 1);
        }
    }

    @Test
    void aUsersPoolSizeSizesItsPoolsOverTheDatabasesAndReloadChangesIt() throws Exception {
        List<String> databases = List.of("sized = dbname=" + DB + " pool_size=4");
        Path ini = ini("scram-sha-256", databases, "[users]", TestPostgres.APP_USER + " = pool_size=1", "[berth]",
                "metrics_listen = 127.0.0.1:0");
        try (RunningBerth berth = RunningBerth.startWithConfig(ini);
             Connection holder = inTransaction(berth, TestPostgres.APP_USER, "sized")) {
            CompletableFuture<String> waiting = later(berth, TestPostgres.APP_USER, "sized", "select 'after reload'");
            berth.awaitPool(TestPostgres.APP_USER, "sized", p -> p.waiting() == 1 && p.max() == 1,
                    "app's pool has the size of app's [users] line, not the database's 4: its second client waits");
            assertEquals(1, backends(TestPostgres.APP_USER));
            try (Connection m1 = inTransaction(berth, TestPostgres.MD5_USER, "sized");
                 Connection m2 = inTransaction(berth, TestPostgres.MD5_USER, "sized")) {
                assertEquals("1", query(m2, "select 1"), "another user's pool of the same database has the database's size");
                berth.awaitPool(TestPostgres.MD5_USER, "sized", p -> p.max() == 4, "the database's pool_size");
            }
            Map<String, String> app = showRow(berth, "USERS", TestPostgres.APP_USER);
            assertEquals(List.of("1", "", "1"), List.of(app.get("pool_size"), app.get("reserve_pool_size"),
                    app.get("current_connections")), app::toString);
            assertEquals("", showRow(berth, "USERS", TestPostgres.MD5_USER).get("pool_size"), "no [users] line: not set");
            assertEquals(1.0, ObservabilityTest.value(ObservabilityTest.scrape(berth), "berth_pool_max_server_connections",
                    "user", TestPostgres.APP_USER));

            ini("scram-sha-256", databases, "[users]", TestPostgres.APP_USER + " = pool_size=3 reserve_pool_size=2", "[berth]",
                    "metrics_listen = 127.0.0.1:0");
            try (Connection admin = admin(berth); Statement s = admin.createStatement()) {
                s.execute("RELOAD");
            }
            assertEquals("after reload", waiting.get(60, TimeUnit.SECONDS), "the raised size serves the waiting client at once");
            assertEquals("1", query(holder, "select 1"), "nobody's connection was closed");
            berth.awaitPool(TestPostgres.APP_USER, "sized", p -> p.max() == 3, "the reloaded [users] size");
            app = showRow(berth, "USERS", TestPostgres.APP_USER);
            assertEquals(List.of("3", "2"), List.of(app.get("pool_size"), app.get("reserve_pool_size")), app::toString);

            ini("scram-sha-256", databases, "[berth]", "metrics_listen = 127.0.0.1:0");
            try (Connection admin = admin(berth); Statement s = admin.createStatement()) {
                s.execute("RELOAD");
            }
            berth.awaitPool(TestPostgres.APP_USER, "sized", p -> p.max() == 4, "without its [users] line: the database's size");
        }
    }

    @Test
    void clientLimitsRefuseTheClientBeyondThemWith53300AndNobodyElse() throws Exception {
        Path ini = ini("scram-sha-256", List.of("limited = dbname=" + DB + " max_db_client_connections=2", "open = dbname=" + DB),
                "[users]", TestPostgres.MD5_USER + " = max_user_client_connections=1");
        try (RunningBerth berth = RunningBerth.startWithConfig(ini)) {
            Connection c1 = connect(berth, TestPostgres.APP_USER, "limited");
            try (Connection c2 = connect(berth, TestPostgres.PLAIN_USER, "limited")) {
                SQLException refused = assertThrows(SQLException.class, () -> connect(berth, TestPostgres.APP_USER, "limited"));
                assertEquals("53300", refused.getSQLState());
                assertTrue(refused.getMessage().contains("too many client connections for database \"limited\""
                        + " (max_db_client_connections 2)"), refused.getMessage());
                assertEquals("1", query(c1, "select 1"), "the clients already in go on");
                assertEquals("1", query(c2, "select 1"));
                assertEquals("2", showDatabasesRow(berth, "limited").get("current_client_connections"));
                assertEquals("2", showDatabasesRow(berth, "limited").get("max_client_connections"));

                try (Connection m1 = connect(berth, TestPostgres.MD5_USER, "open")) {
                    SQLException user = assertThrows(SQLException.class, () -> connect(berth, TestPostgres.MD5_USER, "open"));
                    assertEquals("53300", user.getSQLState());
                    assertTrue(user.getMessage().contains("max_user_client_connections 1"), user.getMessage());
                    assertEquals("1", query(m1, "select 1"));
                }
            }
            c1.close();
            waitFor(() -> {
                try (Connection again = connect(berth, TestPostgres.APP_USER, "limited")) {
                    return query(again, "select 1").equals("1");
                } catch (SQLException e) {
                    return false;
                }
            }, "a place comes free when a client leaves");
        }
    }

    @Test
    void theReservePoolServesAClientThatWaitedItsTimeout() throws Exception {
        Path ini = ini("scram-sha-256", List.of("reserved = dbname=" + DB + " pool_size=1 reserve_pool=1"),
                "reserve_pool_timeout = 0.2");
        try (RunningBerth berth = RunningBerth.startWithConfig(ini);
             Connection holder = inTransaction(berth, TestPostgres.APP_USER, "reserved")) {
            CompletableFuture<String> waiter = later(berth, TestPostgres.APP_USER, "reserved", "select 'from the reserve'");
            assertEquals("from the reserve", waiter.get(60, TimeUnit.SECONDS), "served while the pool's one server is held");
            assertTrue(holder.isValid(5));
            assertEquals("1", showDatabasesRow(berth, "reserved").get("reserve_pool"));
            berth.awaitPool(TestPostgres.APP_USER, "reserved", p -> p.total() == 1,
                    "the reserve server is closed once released with nobody waiting");
        }
    }

    @Test
    void connectQueryRunsOnEachNewBackendAndAFailingOneIsNamed() throws Exception {
        Path ini = ini("scram-sha-256", List.of("logged = dbname=" + DB + " connect_query='insert into connect_log default values'",
                "broken = dbname=" + DB + " connect_query='select * from no_such_table'"));
        long before = loggedConnects();
        try (PgbouncerIniTest.Warnings warnings = new PgbouncerIniTest.Warnings();
             RunningBerth berth = RunningBerth.startWithConfig(ini)) {
            try (Connection c = connect(berth, TestPostgres.APP_USER, "logged")) {
                assertEquals("1", query(c, "select 1"));
            }
            assertEquals(before + 1, loggedConnects(), "one backend, one connect_query");

            SQLException failed = assertThrows(SQLException.class, () -> connect(berth, TestPostgres.APP_USER, "broken"));
            assertTrue(failed.getMessage().contains("connect_query of database \"broken\" failed"), failed.getMessage());
            assertTrue(failed.getMessage().contains("no_such_table"), failed.getMessage());
            assertTrue(warnings.count("connect_query of database \"broken\" failed") >= 1, warnings.lines::toString);
            try (Connection c = connect(berth, TestPostgres.APP_USER, "logged")) {
                assertEquals("1", query(c, "select 1"), "other databases are unaffected");
            }
        }
    }

    @Test
    void applicationNameIsTheDefaultForClientsThatSendNone() throws Exception {
        Path ini = ini("trust", List.of("named = dbname=" + DB + " application_name=from_ini"));
        try (RunningBerth berth = RunningBerth.startWithConfig(ini)) {
            assertEquals("from_ini", showApplicationName(berth, Map.of("user", TestPostgres.APP_USER, "database", "named")));
            assertEquals("mine", showApplicationName(berth, Map.of("user", TestPostgres.APP_USER, "database", "named",
                    "application_name", "mine")), "a client's own name wins");
        }
    }

    private static String showApplicationName(RunningBerth berth, Map<String, String> startup) throws IOException {
        try (RawClient raw = new RawClient(berth.port())) {
            raw.startup(startup).readUntilReady(1);
            List<RawClient.Message> answer = raw.query("show application_name").readUntilReady(1);
            for (RawClient.Message m : answer) {
                if (m.type() == 'D') {
                    return new String(m.payload(), 6, m.int32(2), StandardCharsets.UTF_8); // one column: its length, its text
                }
            }
            throw new AssertionError("no row in " + answer);
        }
    }
}
