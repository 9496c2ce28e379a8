package dev.berth.server;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BackendUrl;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PAUSE and RESUME on the admin console, as pgbouncer's: PAUSE holds new work, answers once the transactions
 * in flight have ended and every server connection is closed (so PostgreSQL can restart unseen); RESUME lets
 * the held work go on, on new server connections; a real PostgreSQL restart in between is unseen.
 */
class PauseTest {

    @Test
    void pauseUnderLoadWaitsForTransactionsInFlightAndResumeLosesNothing() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(4).adminUsers(Set.of(TestPostgres.APP_USER)));
             HikariDataSource ds = berth.hikari(6);
             TransactionLoad load = TransactionLoad.start("pause_load", 6, ds::getConnection, true);
             Connection open = berth.connectApp();
             Connection admin = admin(berth)) {
            load.awaitCommits(100);
            open.setAutoCommit(false);
            try (Statement s = open.createStatement()) {
                s.executeUpdate("insert into pause_load (worker, step) values (-1, 1)");
            }

            CompletableFuture<Long> pause = CompletableFuture.supplyAsync(() -> {
                try (Statement s = admin.createStatement()) {
                    s.execute("PAUSE");
                    return System.nanoTime();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            // the other servers are released and closed; the open transaction's stays in use
            berth.awaitPool(p -> p.total() == 1 && p.active() == 1, "only the open transaction's server left");
            assertFalse(pause.isDone(), "PAUSE waits for the transaction in flight");
            long committedWhilePaused = load.committed.get();

            try (Statement s = open.createStatement()) {
                s.executeUpdate("insert into pause_load (worker, step) values (-1, 2)");
            }
            open.commit();
            long committedAt = System.nanoTime();
            long pausedAt = pause.get(30, TimeUnit.SECONDS);
            assertTrue(pausedAt > committedAt, "PAUSE answered after the transaction in flight ended");
            berth.awaitPool(p -> p.total() == 0, "no server connection while paused");
            // a backend process exits a moment after Berth closes its connection (longer under load): wait for that
            RunningBerth.waitFor(() -> appBackends() == 0, "PostgreSQL sees no Berth backend while paused");
            assertEquals(0, berth.server().poolStats().stream().mapToInt(p -> p.total()).sum(), "and Berth opened none meanwhile");
            // what a PostgreSQL restart does to sessions, to any Berth left behind: there is none
            TestPostgres.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = '" + TestPostgres.APP_USER + "'");
            assertTrue(load.committed.get() <= committedWhilePaused + 6, "new transactions are held: " + load);

            try (Statement s = admin.createStatement()) {
                s.execute("RESUME");
            }
            load.awaitCommits(load.committed.get() + 100);
            load.close();
            assertEquals(0, load.failedInFlight.get(), load::toString);
            assertEquals(0, load.notStarted.get(), "no client saw its connection closed: " + load);
            assertEquals(0, load.refused.get(), load::toString);
            assertEquals(2 * load.committed.get() + 2, load.rows(), load::toString);
        }
    }

    /**
     * The operator's PostgreSQL restart: PAUSE under a HikariCP load, a real stop and start of PostgreSQL (an
     * embedded one of this test's own, on its data directory), RESUME: the held transactions run on the new
     * PostgreSQL and no client sees an error.
     */
    @Test
    void postgresRestartedWhilePausedIsUnseenByClients() throws Exception {
        Path data = Files.createTempDirectory("berth-pause-pg");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        EmbeddedPostgres[] pg = {BackendRestartTest.ownPostgres(data, port)};
        try {
            try (Connection c = pg[0].getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("create role " + TestPostgres.APP_USER); // TransactionLoad grants its table to it
            }
            TransactionLoad.ConnectionSource owner = () -> pg[0].getPostgresDatabase().getConnection();
            // held work waits up to --connection-timeout: longer than any restart on a loaded machine
            try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMax(4)
                    .connectionTimeoutMs(120_000).adminUsers(Set.of("postgres"))
                    .backend(BackendUrl.parse("postgresql://127.0.0.1:" + port)));
                 HikariDataSource ds = hikari(berth);
                 TransactionLoad load = TransactionLoad.start("pause_restart", 6, ds::getConnection, true, owner);
                 Connection admin = adminAs(berth, "postgres", "");
                 Statement console = admin.createStatement()) {
                load.awaitCommits(100);
                console.execute("PAUSE");
                RunningBerth.waitFor(() -> berth.server().poolStats().stream().allMatch(p -> p.total() == 0),
                        "no server connection once PAUSE answered");
                long committedAtPause = load.committed.get();

                pg[0] = BackendRestartTest.restart(pg[0], data, port);
                assertTrue(load.committed.get() <= committedAtPause + 6, "new transactions are held: " + load);

                console.execute("RESUME");
                load.awaitCommits(load.committed.get() + 100);
                load.close();
                assertEquals(0, load.failedInFlight.get(), load::toString);
                assertEquals(0, load.notStarted.get(), "no client saw its connection closed: " + load);
                assertEquals(0, load.refused.get(), load::toString);
                assertEquals(2 * load.committed.get(), load.rows(), "every acknowledged commit is in the table: " + load);
            }
        } finally {
            pg[0].close();
            BackendRestartTest.deleteTree(data);
        }
    }

    private static HikariDataSource hikari(RunningBerth berth) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(berth.jdbcUrl("postgres"));
        hc.setUsername("postgres");
        hc.setMaximumPoolSize(6);
        hc.setConnectionTimeout(60_000);
        return new HikariDataSource(hc);
    }

    @Test
    void pauseOfOneDatabaseHoldsOnlyItsClients() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.adminUsers(Set.of(TestPostgres.APP_USER)));
             Connection app = berth.connectApp();
             Connection other = berth.connect("postgres", "postgres-pw", "postgres");
             Connection admin = admin(berth);
             Statement console = admin.createStatement()) {
            query(app, "select 1");
            console.execute("PAUSE " + TestPostgres.APP_DB);
            assertEquals(200, ObservabilityTest.get(berth.server(), "/readyz").statusCode(), "ready: only one database is paused");
            assertEquals(1, query(other, "select 1"), "another database is served while appdb is paused");

            CompletableFuture<Integer> held = CompletableFuture.supplyAsync(() -> {
                try {
                    return query(app, "select 2");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            RunningBerth.waitFor(() -> poolRow(console, TestPostgres.APP_DB).get("cl_waiting").equals("1"), "the appdb client held");
            assertFalse(held.isDone());
            SQLException notPaused = assertThrows(SQLException.class, () -> console.execute("RESUME postgres"));
            assertEquals("55000", notPaused.getSQLState());
            assertTrue(notPaused.getMessage().contains("database postgres is not paused"), notPaused.getMessage());
            console.execute("RESUME " + TestPostgres.APP_DB);
            assertEquals(2, held.get(30, TimeUnit.SECONDS));
            SQLException nothing = assertThrows(SQLException.class, () -> console.execute("RESUME"));
            assertEquals("55000", nothing.getSQLState());
        }
    }

    private static int appBackends() {
        try {
            return TestPostgres.backendCount(TestPostgres.APP_USER);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static Map<String, String> poolRow(Statement console, String database) {
        try (ResultSet rs = console.executeQuery("SHOW POOLS")) {
            while (rs.next()) {
                if (rs.getString("database").equals(database)) {
                    Map<String, String> row = new HashMap<>();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        row.put(rs.getMetaData().getColumnName(i), rs.getString(i));
                    }
                    return row;
                }
            }
            return Map.of("cl_waiting", "none");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Connection admin(RunningBerth berth) throws SQLException {
        return adminAs(berth, TestPostgres.APP_USER, TestPostgres.APP_PASSWORD);
    }

    private static Connection adminAs(RunningBerth berth, String user, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("preferQueryMode", "simple");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + berth.port() + "/berth", p);
    }
}
