package dev.berth.server;

import dev.berth.core.config.BackendUrl;
import dev.berth.core.pool.PoolStats;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bounded pool: max, total cap, wait timeout with 53300, warm-up to min, idle timeout, dead servers,
 * unreachable backend. Clients hold servers by keeping a transaction open, which holds one in every pool mode.
 */
class PoolLimitsTest {

    /** Opens a connection and starts a transaction on it, so it holds a server until closed. */
    static Connection hold(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
            rs.next();
        }
        return c;
    }

    /**
     * The expected timeout is short (500 ms) to keep the test fast, so nothing else may wait for a server: the
     * pool is warmed to its 3 servers first, and the last client connects only once the released server is idle.
     */
    @Test
    void clientBeyondThePoolMaxGets53300NamingThePoolThenTheProxyRecovers() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend())
                .poolMin(3).poolMax(3).connectionTimeoutMs(500))) {
            berth.awaitPool(p -> p.idle() == 3, "warm-up to 3 idle servers");
            List<Connection> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                held.add(hold(berth.connectApp()));
            }
            long start = System.nanoTime();
            SQLException e = assertThrows(SQLException.class, berth::connectApp);
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals("53300", e.getSQLState(), e.getMessage());
            assertTrue(e.getMessage().contains("no backend connection available within 500 ms (pool app@appdb: 3/3 in use, "),
                    e.getMessage());
            assertTrue(waitedMs >= 450 && waitedMs < 10_000, "waited " + waitedMs + " ms");

            held.remove(0).close();
            berth.awaitPool(p -> p.idle() == 1 && p.waiting() == 0, "the released server back in the idle list");
            try (Connection c = berth.connectApp(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
                rs.next();
                assertEquals(1, rs.getInt(1));
            }
            for (Connection c : held) {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 2")) {
                    rs.next();
                    assertEquals(2, rs.getInt(1), "held connections are undisturbed");
                }
                c.close();
            }
            assertTrue(TestPostgres.backendCount(TestPostgres.APP_USER) <= 3);
        }
    }

    @Test
    void waitingClientGetsTheFirstReleasedServer() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(1).connectionTimeoutMs(30_000))) {
            Connection holder = hold(berth.connectApp());
            ExecutorService client = Executors.newSingleThreadExecutor();
            try {
                Future<Integer> waiter = client.submit(() -> {
                    try (Connection c = berth.connectApp(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 7")) {
                        rs.next();
                        return rs.getInt(1);
                    }
                });
                berth.awaitPool(p -> p.waiting() == 1, "the second client waiting for the one server");
                assertFalse(waiter.isDone(), "no answer while the only server is held");
                holder.close();
                assertEquals(7, waiter.get(30, TimeUnit.SECONDS));
            } finally {
                client.shutdownNow();
            }
        }
    }

    @Test
    void totalCapHoldsAcrossPoolsAndAnIdleServerIsReclaimedForAnotherPool() throws Exception {
        // the client of the other pool must wait for an idle app server to be closed and its own opened: 3 s is
        // ample for that on a loaded machine, and the one expected timeout costs the test no more than that
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(5).maxBackendConnections(2).connectionTimeoutMs(3000))) {
            Connection a1 = hold(berth.connectApp());
            Connection a2 = hold(berth.connectApp());
            SQLException e = assertThrows(SQLException.class,
                    () -> berth.connect("postgres", "postgres-pw", "postgres"));
            assertEquals("53300", e.getSQLState(), e.getMessage());
            assertEquals(2, berth.server().backendConnectionsInUse());
            a1.close(); // its server goes idle in the app pool; the cap still counts it
            // rolled back and released: idle, or closed at once for the other pool, which is short of a server
            berth.awaitPool(p -> p.active() == 1, "a1's server released");
            try (Connection p = berth.connect("postgres", "postgres-pw", "postgres");
                 Statement s = p.createStatement(); ResultSet rs = s.executeQuery("select current_user")) {
                rs.next();
                assertEquals("postgres", rs.getString(1));
            }
            assertTrue(berth.server().backendConnectionsInUse() <= 2);
            a2.close();
        }
    }

    @Test
    void defaultPoolIsWarmedToTheMinimumAndIdleServersAboveItClose() throws Exception {
        String db = "warm_db";
        try (Connection c = TestPostgres.superuser("postgres"); Statement s = c.createStatement()) {
            s.execute("drop database if exists " + db);
            s.execute("create database " + db);
        }
        try (RunningBerth berth = RunningBerth.start(b -> b
                .backend(BackendUrl.parse("postgresql://postgres@127.0.0.1:" + TestPostgres.port() + "/" + db))
                .poolMin(3).poolMax(10).idleTimeoutMs(1000).connectionTimeoutMs(30_000))) {
            waitFor(() -> stats(berth).idle() == 3, "warm-up to 3 idle servers");
            assertEquals(3, backendsOn(db));

            List<Connection> clients = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                clients.add(hold(berth.connect("postgres", "postgres-pw", db)));
            }
            assertEquals(6, stats(berth).active());
            for (Connection c : clients) {
                c.close();
            }
            waitFor(() -> stats(berth).idle() == 6, "all six back in the idle list");
            waitFor(() -> stats(berth).total() == 3, "idle servers above the minimum closed after the idle timeout");
            waitFor(() -> backendsOn(db) == 3, "PostgreSQL sees 3 backends");
        }
    }

    @Test
    void deadIdleServerIsReplacedBeforeAClientSeesIt() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(2).connectionTimeoutMs(30_000))) {
            int pid;
            try (Connection c = berth.connectApp(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
                rs.next();
                pid = rs.getInt(1);
            }
            try (Connection su = TestPostgres.superuser("postgres"); Statement s = su.createStatement()) {
                s.execute("select pg_terminate_backend(" + pid + ")");
            }
            waitFor(() -> stats(berth).total() == 0, "the terminated server leaves the pool");
            try (Connection c = berth.connectApp(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
                rs.next();
                assertNotEquals(pid, rs.getInt(1));
            }
        }
    }

    @Test
    void unreachableBackendGivesAClass08ErrorNamingHostAndPortQuickly() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (RunningBerth berth = RunningBerth.start(b -> b
                .backend(BackendUrl.parse("postgresql://127.0.0.1:" + closedPort)).connectionTimeoutMs(20_000))) {
            long start = System.nanoTime();
            SQLException e = assertThrows(SQLException.class, berth::connectApp);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(e.getSQLState().startsWith("08"), e.getSQLState() + " " + e.getMessage());
            assertTrue(e.getMessage().contains("127.0.0.1:" + closedPort), e.getMessage());
            assertTrue(ms < 10_000, "answered in " + ms + " ms, not after the 20 s connection timeout");
        }
    }

    @Test
    void backendLoginErrorsReachTheClient() throws Exception {
        try (RunningBerth berth = RunningBerth.start()) {
            SQLException e = assertThrows(SQLException.class,
                    () -> berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "no_such_db"));
            assertEquals("3D000", e.getSQLState(), e.getMessage());
            try (Connection c = berth.connectApp(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
                assertTrue(rs.next(), "other pools are unaffected");
            }
        }
    }

    static PoolStats stats(RunningBerth berth) {
        return berth.server().poolStats().get(0);
    }

    static int backendsOn(String db) {
        try (Connection c = TestPostgres.superuser("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) from pg_stat_activity where datname = '" + db + "'")) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static void waitFor(BooleanSupplier condition, String what) {
        RunningBerth.waitFor(condition, what);
    }
}
