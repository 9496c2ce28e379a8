package dev.berth.server;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RELOAD (what SIGHUP runs) rereads the config file and applies it without closing a client connection:
 * pool sizes under load, an invalid file changing nothing, an added database opening its minimum, a removed
 * database, an entry pointed elsewhere, and a setting that needs a restart.
 */
class ConfigReloadTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void tables() throws Exception {
        PgbouncerIniTest.otherDatabase();
        try (Connection c = TestPostgres.superuser(TestPostgres.APP_DB); Statement s = c.createStatement()) {
            s.execute("create table if not exists reload_load (id bigserial primary key, at timestamptz default now())");
            s.execute("grant all on reload_load, reload_load_id_seq to " + TestPostgres.APP_USER);
        }
    }

    private Path ini;

    /** The test's pgbouncer.ini with appdb's pool_size, the reports line (null: removed) and extra [pgbouncer] lines. */
    private Path write(int appdbPoolSize, String reports, String... pgbouncer) throws IOException {
        int port = TestPostgres.port();
        Files.writeString(dir.resolve("userlist.txt"), RunningBerth.AUTH_FILE);
        List<String> lines = new ArrayList<>(List.of("[databases]",
                "appdb = host=127.0.0.1 port=" + port + " dbname=appdb pool_size=" + appdbPoolSize));
        if (reports != null) {
            lines.add("reports = host=127.0.0.1 port=" + port + " " + reports);
        }
        lines.addAll(List.of("[pgbouncer]", "listen_addr = 127.0.0.1", "listen_port = 0", "auth_file = userlist.txt",
                "admin_users = app", "query_wait_timeout = 60", "server_connect_timeout = 30"));
        lines.addAll(List.of(pgbouncer));
        lines.addAll(List.of("[berth]", "metrics_listen = 127.0.0.1:0", ""));
        ini = Files.writeString(dir.resolve("pgbouncer.ini"), String.join("\n", lines));
        return ini;
    }

    /** RELOAD on the admin console; returns its notice. */
    private static String reload(RunningBerth berth) throws SQLException {
        try (Connection admin = PgbouncerIniTest.admin(berth); Statement s = admin.createStatement()) {
            s.execute("RELOAD");
            SQLWarning w = s.getWarnings();
            return w == null ? "" : w.getMessage();
        }
    }

    /** Backend connections of appdb's pool as SHOW POOLS counts them. */
    private static int serversOf(RunningBerth berth, String database) throws SQLException {
        try (Connection admin = PgbouncerIniTest.admin(berth); Statement s = admin.createStatement();
             ResultSet rs = s.executeQuery("SHOW POOLS")) {
            int total = 0;
            while (rs.next()) {
                if (rs.getString("database").equals(database)) {
                    total += rs.getInt("sv_active") + rs.getInt("sv_idle") + rs.getInt("sv_tested") + rs.getInt("sv_login");
                }
            }
            return total;
        }
    }

    private static boolean servers(RunningBerth berth, java.util.function.IntPredicate test) {
        try {
            return test.test(serversOf(berth, "appdb"));
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Backend connections as /metrics counts them: the sum of {@code berth_pool_server_connections} over its
     * states for appdb's pool, and {@code berth_backend_connections} across all pools (only appdb's here).
     */
    private static int[] metricServers(RunningBerth berth) {
        try {
            Map<String, Double> m = ObservabilityTest.scrape(berth);
            double pool = 0;
            for (Map.Entry<String, Double> e : m.entrySet()) {
                if (e.getKey().startsWith("berth_pool_server_connections{") && e.getKey().contains("database=\"appdb\"")) {
                    pool += e.getValue();
                }
            }
            return new int[] {(int) pool, (int) ObservabilityTest.value(m, "berth_backend_connections", null, null)};
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static boolean metricServers(RunningBerth berth, java.util.function.IntPredicate test) {
        int[] n = metricServers(berth);
        return test.test(n[0]) && test.test(n[1]);
    }

    @Test
    void poolSizeFollowsReloadsUnderLoadWithoutAClientError() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(8);
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        AtomicLong commits = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        try (RunningBerth berth = RunningBerth.startWithConfig(write(2, null));
             HikariDataSource hikari = berth.hikari(8)) {
            for (int t = 0; t < 8; t++) {
                threads.submit(() -> {
                    while (!stop.get()) {
                        try (Connection c = hikari.getConnection()) {
                            c.setAutoCommit(false);
                            try (PreparedStatement insert = c.prepareStatement("insert into reload_load default values");
                                 Statement sleep = c.createStatement()) {
                                insert.executeUpdate();
                                sleep.execute("select pg_sleep(0.005)");
                            }
                            c.commit();
                            commits.incrementAndGet();
                        } catch (Throwable e) {
                            errors.add(e);
                        }
                    }
                });
            }
            RunningBerth.waitFor(() -> commits.get() > 50, "the load runs");
            assertTrue(servers(berth, n -> n <= 2));
            assertTrue(metricServers(berth, n -> n >= 1 && n <= 2), () -> Arrays.toString(metricServers(berth)));
            assertTrue(reload(berth).startsWith("configuration reloaded from " + ini + ": 1 databases"));
            write(6, null);
            reload(berth);
            RunningBerth.waitFor(() -> servers(berth, n -> n > 2), "the raised maximum is used at once");
            RunningBerth.waitFor(() -> metricServers(berth, n -> n > 2 && n <= 6), "/metrics counts the raised maximum's servers");
            write(1, null);
            reload(berth);
            RunningBerth.waitFor(() -> servers(berth, n -> n <= 1), "the lowered maximum is reached as servers come back");
            RunningBerth.waitFor(() -> metricServers(berth, n -> n == 1), "/metrics follows it down");
            assertEquals(1.0, ObservabilityTest.value(ObservabilityTest.scrape(berth), "berth_pool_max_server_connections",
                    "database", "appdb"), "and shows the new maximum");
            long before = commits.get();
            RunningBerth.waitFor(() -> commits.get() > before + 20, "the load goes on");
            write(1, null, "pool_mode = sometimes");
            SQLException invalid = assertThrows(SQLException.class, () -> reload(berth));
            assertEquals("F0000", invalid.getSQLState(), invalid.getMessage());
            assertTrue(invalid.getMessage().contains("configuration unchanged: --pool-mode: 'sometimes'"), invalid.getMessage());
            assertTrue(invalid.getMessage().contains(ini + ":10"), "names the line: " + invalid.getMessage());
            berth.awaitPool(p -> p.max() == 1, "the running configuration is kept");
            stop.set(true);
            threads.shutdown();
            assertTrue(threads.awaitTermination(60, TimeUnit.SECONDS));
            assertEquals(List.of(), errors, "no client saw an error");
        } finally {
            stop.set(true);
            threads.shutdownNow();
        }
    }

    @Test
    void aRemovedDatabaseKeepsItsClientsAndRefusesNewOnes() throws Exception {
        try (RunningBerth berth = RunningBerth.startWithConfig(write(3, "dbname=" + PgbouncerIniTest.OTHER_DB));
             Connection kept = berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "reports")) {
            assertEquals(PgbouncerIniTest.OTHER_DB, PgbouncerIniTest.currentDatabase(kept));
            write(3, null);
            reload(berth);
            SQLException e = assertThrows(SQLException.class,
                    () -> berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "reports"));
            assertEquals("3D000", e.getSQLState(), e.getMessage());
            assertEquals(PgbouncerIniTest.OTHER_DB, PgbouncerIniTest.currentDatabase(kept), "its client is served on");
        }
    }

    @Test
    void anAddedDatabaseWithAForcedUserOpensItsMinimumBeforeAnyClientComes() throws Exception {
        try (RunningBerth berth = RunningBerth.startWithConfig(write(3, null))) {
            write(3, "dbname=" + PgbouncerIniTest.OTHER_DB + " user=" + TestPostgres.APP_USER + " min_pool_size=2");
            reload(berth);
            berth.awaitPool(TestPostgres.APP_USER, "reports", p -> p.idle() == 2 && p.min() == 2,
                    "the added entry's minimum is opened without a client, as at start-up");
            assertEquals(2, serversOf(berth, "reports"), "SHOW POOLS counts them");
        }
    }

    @Test
    void anEntryPointedElsewhereReplacesItsServersAsTheyComeBack() throws Exception {
        try (RunningBerth berth = RunningBerth.startWithConfig(write(3, "dbname=" + PgbouncerIniTest.OTHER_DB + " pool_size=2"));
             Connection busy = berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "reports")) {
            busy.setAutoCommit(false);
            assertEquals(PgbouncerIniTest.OTHER_DB, PgbouncerIniTest.currentDatabase(busy), "holds its server in a transaction");
            try (Connection idle = berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "reports")) {
                PgbouncerIniTest.currentDatabase(idle); // leaves an idle server behind
            }
            berth.awaitPool(TestPostgres.APP_USER, "reports", p -> p.idle() == 1 && p.active() == 1, "one busy, one idle");
            write(3, "dbname=appdb pool_size=2");
            reload(berth);
            berth.awaitPool(TestPostgres.APP_USER, "reports", p -> p.idle() == 0, "the idle server is closed at once");
            try (Connection fresh = berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "reports")) {
                assertEquals("appdb", PgbouncerIniTest.currentDatabase(fresh), "new work goes where the entry points now");
            }
            assertEquals(PgbouncerIniTest.OTHER_DB, PgbouncerIniTest.currentDatabase(busy), "the busy one finishes where it began");
            busy.commit();
            assertEquals("appdb", PgbouncerIniTest.currentDatabase(busy), "and is replaced once it came back");
            busy.commit();
        }
    }

    @Test
    void aSettingThatNeedsARestartIsKeptWithAWarning() throws Exception {
        try (PgbouncerIniTest.Warnings warnings = new PgbouncerIniTest.Warnings();
             RunningBerth berth = RunningBerth.startWithConfig(write(3, null, "logfile = /tmp/x.log"))) {
            int port = berth.port();
            write(5, null, "logfile = /tmp/x.log", "max_prepared_statements = 7");
            reload(berth);
            assertEquals(port, berth.port());
            assertEquals(200, berth.server().config().maxPreparedStatements(), "kept until a restart");
            assertEquals(1, warnings.count("--max-prepared-statements changed (file " + ini + ":11 (max_prepared_statements))"
                    + " needs a restart; keeping 200"), warnings.lines::toString);
            assertEquals(2, warnings.count("logfile is not supported"), "once at start-up, once on the reload");
            try (Connection c = berth.connectApp()) {
                assertEquals("appdb", PgbouncerIniTest.currentDatabase(c));
            }
            berth.awaitPool(TestPostgres.APP_USER, "appdb", p -> p.max() == 5, "the reloadable change is applied");
        }
    }
}
