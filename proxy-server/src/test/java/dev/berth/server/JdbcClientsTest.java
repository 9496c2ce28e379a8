package dev.berth.server;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import dev.berth.core.config.PoolMode;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.copy.CopyManager;
import org.postgresql.util.PSQLException;

import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * pgjdbc (directly and through HikariCP) against the embedded PostgreSQL, through Berth; run once per
 * pool mode by the subclasses, since everything here must work the same in each.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcClientsTest {
    RunningBerth berth;

    abstract PoolMode mode();

    /** Event-loop threads for the shared Berth (0: one per processor). */
    int workers() {
        return 0;
    }

    @BeforeAll
    void start() {
        berth = RunningBerth.start(b -> b.poolMax(8).poolMode(mode()).workers(workers()));
    }

    @AfterAll
    void stop() {
        berth.close();
    }

    @Test
    void manyThreadsThroughHikariRunPreparedStatementsWithCorrectResults() throws Exception {
        try (HikariDataSource ds = berth.hikari(8)) {
            ExecutorService threads = Executors.newFixedThreadPool(16);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int thread = t;
                results.add(threads.submit(() -> {
                    int checked = 0;
                    for (int i = 0; i < 40; i++) {
                        try (Connection c = ds.getConnection();
                             PreparedStatement ps = c.prepareStatement("select ?::int * 2, current_user")) {
                            // the same statement 10 times: pgjdbc switches to a named server-side statement at the 5th
                            for (int n = 0; n < 10; n++) {
                                int value = thread * 100_000 + i * 100 + n;
                                ps.setInt(1, value);
                                try (ResultSet rs = ps.executeQuery()) {
                                    rs.next();
                                    assertEquals(value * 2, rs.getInt(1));
                                    assertEquals(TestPostgres.APP_USER, rs.getString(2));
                                    checked++;
                                }
                            }
                        }
                    }
                    return checked;
                }));
            }
            int total = 0;
            for (Future<Integer> f : results) {
                total += f.get(120, TimeUnit.SECONDS);
            }
            threads.shutdown();
            assertEquals(16 * 40 * 10, total);
        }
        assertTrue(berth.server().backendConnectionsInUse() <= 8, "pool max holds");
    }

    @Test
    void batchesInsertEveryRow() throws SQLException {
        try (Connection c = berth.connectApp(); Statement s = c.createStatement()) {
            s.execute("create temp table batch_t(id int primary key, v text)");
            try (PreparedStatement ps = c.prepareStatement("insert into batch_t values (?, ?)")) {
                for (int i = 0; i < 2000; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "row " + i);
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                assertEquals(2000, counts.length);
            }
            try (ResultSet rs = s.executeQuery("select count(*), sum(id) from batch_t")) {
                rs.next();
                assertEquals(2000, rs.getInt(1));
                assertEquals(1999L * 2000 / 2, rs.getLong(2));
            }
        }
    }

    @Test
    void largeResultSetsAndLargeRowsPassThrough() throws SQLException {
        try (Connection c = berth.connectApp(); Statement s = c.createStatement()) {
            long sum = 0;
            int rows = 0;
            try (ResultSet rs = s.executeQuery("select g, md5(g::text) from generate_series(1, 300000) g")) {
                while (rs.next()) {
                    sum += rs.getInt(1);
                    rows++;
                }
            }
            assertEquals(300_000, rows);
            assertEquals(300_000L * 300_001 / 2, sum);
            try (ResultSet rs = s.executeQuery("select repeat('x', 20 * 1024 * 1024)")) {
                rs.next();
                assertEquals(20 * 1024 * 1024, rs.getString(1).length());
            }
            byte[] blob = new byte[8 * 1024 * 1024];
            for (int i = 0; i < blob.length; i++) {
                blob[i] = (byte) (i * 31);
            }
            try (PreparedStatement ps = c.prepareStatement("select ?::bytea")) {
                ps.setBytes(1, blob);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertArrayEquals(blob, rs.getBytes(1));
                }
            }
        }
    }

    @Test
    void copyInAndOutWithCopyManager() throws Exception {
        try (Connection c = berth.connectApp(); Statement s = c.createStatement()) {
            s.execute("create temp table copy_t(id int, name text)");
            StringBuilder data = new StringBuilder();
            for (int i = 0; i < 50_000; i++) {
                data.append(i).append('\t').append("name-").append(i).append('\n');
            }
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            long in = copy.copyIn("copy copy_t from stdin", new StringReader(data.toString()));
            assertEquals(50_000, in);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long outRows = copy.copyOut("copy (select * from copy_t order by id) to stdout", out);
            assertEquals(50_000, outRows);
            assertEquals(data.toString(), out.toString(StandardCharsets.UTF_8));
            // a COPY that fails midway leaves the connection usable
            assertThrows(SQLException.class, () -> copy.copyIn("copy copy_t from stdin", new StringReader("x\ty\n")));
            try (ResultSet rs = s.executeQuery("select count(*) from copy_t")) {
                rs.next();
                assertEquals(50_000, rs.getInt(1));
            }
        }
    }

    @Test
    void statementCancelReachesTheServerOfThisClient() throws Exception {
        try (Connection c = berth.connectApp(); Statement s = c.createStatement()) {
            String sql = "select pg_sleep(30) -- cancel me " + mode();
            ExecutorService canceller = Executors.newSingleThreadExecutor();
            Future<?> cancel = canceller.submit(() -> {
                // cancel once PostgreSQL runs the query: a cancel that arrives before it is lost, as in PostgreSQL
                RunningBerth.waitFor(() -> running(sql), "the query running on a backend");
                s.cancel();
                return null;
            });
            long start = System.nanoTime();
            PSQLException e = assertThrows(PSQLException.class, () -> s.execute(sql));
            assertEquals("57014", e.getSQLState(), e.getMessage());
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertTrue(seconds < 25, "cancelled, not run to its end: " + seconds + " s");
            cancel.get(30, TimeUnit.SECONDS);
            canceller.shutdown();
            try (ResultSet rs = s.executeQuery("select 42")) {
                rs.next();
                assertEquals(42, rs.getInt(1));
            }
        }
    }

    /** Whether PostgreSQL is running {@code sql} for the app user now (pg_stat_activity). */
    static boolean running(String sql) {
        try (Connection su = TestPostgres.superuser("postgres");
             PreparedStatement ps = su.prepareStatement("select count(*) from pg_stat_activity"
                     + " where usename = ? and state = 'active' and query = ?")) {
            ps.setString(1, TestPostgres.APP_USER);
            ps.setString(2, sql);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void listenNotifyAndNoticesPassThrough() throws Exception {
        try (Connection listener = berth.connectApp(); Connection notifier = berth.connectApp()) {
            try (Statement s = listener.createStatement()) {
                s.execute("listen berth_channel");
            }
            try (Statement s = notifier.createStatement()) {
                s.execute("notify berth_channel, 'hello'");
            }
            PGNotification[] notes = listener.unwrap(PGConnection.class).getNotifications(30_000);
            assertNotNull(notes);
            assertEquals("hello", notes[0].getParameter());
            try (Statement s = notifier.createStatement()) {
                s.execute("do $$ begin raise notice 'careful: %', 7; end $$");
                SQLWarning warning = s.getWarnings();
                assertNotNull(warning);
                assertTrue(warning.getMessage().contains("careful: 7"), warning.getMessage());
            }
        }
    }

    @Test
    void startupParametersReachTheServer() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", TestPostgres.APP_USER);
        props.setProperty("password", TestPostgres.APP_PASSWORD);
        props.setProperty("ApplicationName", "ledger-service");
        props.setProperty("options", "-c search_path=pg_catalog,public -c statement_timeout=12345");
        try (Connection c = java.sql.DriverManager.getConnection(berth.jdbcUrl(TestPostgres.APP_DB), props);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select current_setting('application_name'), current_setting('search_path'),"
                     + " current_setting('statement_timeout')")) {
            rs.next();
            assertEquals("ledger-service", rs.getString(1));
            assertEquals("pg_catalog,public", rs.getString(2));
            assertEquals("12345ms", rs.getString(3));
            assertTrue(c.getMetaData().getDatabaseProductVersion().startsWith("17"), "server_version forwarded");
        }
    }

    @Test
    void sessionStateDoesNotLeakToTheNextClientOfTheSameServer() throws SQLException {
        RunningBerth single = RunningBerth.start(b -> b.poolMax(1).poolMode(mode()));
        try {
            int firstPid;
            try (Connection c = single.connectApp(); Statement s = c.createStatement()) {
                s.execute("set search_path = leaked_schema");
                s.execute("prepare leaked as select 1");
                s.execute("create temp table leaked_t(x int)");
                try (ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
                    rs.next();
                    firstPid = rs.getInt(1);
                }
            }
            try (Connection c = single.connectApp(); Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("select pg_backend_pid(), current_setting('search_path'),"
                        + " (select count(*) from pg_prepared_statements), (select count(*) from pg_class where relname = 'leaked_t')")) {
                    rs.next();
                    assertEquals(firstPid, rs.getInt(1), "the one server is reused");
                    assertEquals("\"$user\", public", rs.getString(2));
                    assertEquals(0, rs.getInt(3));
                    assertEquals(0, rs.getInt(4));
                }
            }
        } finally {
            single.close();
        }
    }

    @Test
    void clientLeavingMidTransactionDoesNotHandItsTransactionOn() throws Exception {
        RunningBerth single = RunningBerth.start(b -> b.poolMax(1).poolMode(mode()));
        try {
            try (Connection c = single.connectApp(); Statement s = c.createStatement()) {
                s.execute("create table if not exists mid_tx(x int)");
                s.execute("truncate mid_tx");
            }
            Connection c = single.connectApp();
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("insert into mid_tx values (1)");
            }
            c.unwrap(org.postgresql.core.BaseConnection.class).getQueryExecutor().close(); // drop the socket mid-transaction
            try (Connection next = single.connectApp(); Statement s = next.createStatement();
                 ResultSet rs = s.executeQuery("select count(*), current_setting('transaction_isolation') from mid_tx")) {
                rs.next();
                assertEquals(0, rs.getInt(1), "the abandoned insert was rolled back");
            }
        } finally {
            single.close();
        }
    }
}
