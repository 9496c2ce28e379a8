package dev.berth.server;

import com.zaxxer.hikari.HikariDataSource;
import dev.berth.core.config.SessionStatePolicy;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transaction pooling with far more clients than backends: pgjdbc through HikariCP with default
 * settings (server-side prepared statements from the 5th execution, batches, metadata), and isolation of
 * each client's session state.
 */
class TransactionPoolingTest {

    @Test
    void fiftyHikariConnectionsShareFiveBackendsWithPreparedStatementsBatchesAndMetadata() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(5));
             HikariDataSource ds = berth.hikari(50)) {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("create table if not exists tx_items(id int primary key, owner int, v text)");
                s.execute("truncate tx_items");
            }
            ExecutorService threads = Executors.newFixedThreadPool(50);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 50; t++) {
                int owner = t;
                results.add(threads.submit(() -> clientWork(ds, owner)));
            }
            int total = 0;
            for (Future<Integer> f : results) {
                total += f.get(180, TimeUnit.SECONDS);
            }
            threads.shutdown();
            assertEquals(50 * (10 * 8 + 1), total);
            try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select count(*), count(distinct owner) from tx_items")) {
                rs.next();
                assertEquals(50 * 20, rs.getInt(1));
                assertEquals(50, rs.getInt(2));
            }
            assertTrue(berth.server().backendConnectionsInUse() <= 5, "pool max holds");
        }
    }

    /** One client's share: each statement executed 8 times (named from the 5th), a batch, metadata. */
    private static int clientWork(HikariDataSource ds, int owner) throws SQLException {
        int checked = 0;
        for (int i = 0; i < 10; i++) {
            try (Connection c = ds.getConnection();
                 PreparedStatement ps = c.prepareStatement("select ?::int * 3 + ?::int, current_user")) {
                for (int n = 0; n < 8; n++) {
                    ps.setInt(1, owner);
                    ps.setInt(2, i * 10 + n);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        assertEquals(owner * 3 + i * 10 + n, rs.getInt(1), "result belongs to the client that asked");
                        assertEquals(TestPostgres.APP_USER, rs.getString(2));
                        assertEquals(2, rs.getMetaData().getColumnCount());
                        checked++;
                    }
                }
            }
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("insert into tx_items values (?, ?, ?)")) {
                for (int k = 0; k < 20; k++) {
                    ps.setInt(1, owner * 1000 + k);
                    ps.setInt(2, owner);
                    ps.setString(3, "item " + k);
                    ps.addBatch();
                }
                assertEquals(20, ps.executeBatch().length);
            }
            c.commit();
            c.setAutoCommit(true);
            DatabaseMetaData meta = c.getMetaData();
            try (ResultSet rs = meta.getColumns(null, "public", "tx_items", null)) {
                Set<String> columns = new HashSet<>();
                while (rs.next()) {
                    columns.add(rs.getString("COLUMN_NAME"));
                }
                assertEquals(Set.of("id", "owner", "v"), columns);
            }
            checked++;
        }
        return checked;
    }

    @Test
    void reportedParametersFollowEachClientAcrossSharedBackends() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(3))) {
            int clients = 12;
            List<Connection> connections = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                Connection c = berth.connectApp();
                try (Statement s = c.createStatement()) {
                    s.execute("set application_name = 'client-" + i + "'");
                    s.execute("set TimeZone = '" + (i % 2 == 0 ? "Europe/Paris" : "America/New_York") + "'");
                }
                connections.add(c);
            }
            ExecutorService threads = Executors.newFixedThreadPool(clients);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                int id = i;
                Connection c = connections.get(i);
                done.add(threads.submit(() -> {
                    for (int n = 0; n < 30; n++) {
                        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                                "select current_setting('application_name'), current_setting('TimeZone')")) {
                            rs.next();
                            assertEquals("client-" + id, rs.getString(1));
                            assertEquals(id % 2 == 0 ? "Europe/Paris" : "America/New_York", rs.getString(2));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            threads.shutdown();
            Set<Integer> pids = new HashSet<>();
            for (Connection c : connections) {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
                    rs.next();
                    pids.add(rs.getInt(1));
                }
                c.close();
            }
            assertTrue(pids.size() <= 3, "12 clients shared at most 3 backends: " + pids);
        }
    }

    @Test
    void sessionStateNeverLeaksToAnotherClient() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(2))) {
            // SET LOCAL ends with the transaction: no pin needed, nothing left behind
            try (Connection c = berth.connectApp(); Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                s.execute("set local search_path = pg_catalog");
                try (ResultSet rs = s.executeQuery("select current_setting('search_path')")) {
                    rs.next();
                    assertEquals("pg_catalog", rs.getString(1));
                }
                c.commit();
            }
            // a session-level SET, a temp table and a prepared statement pin their client...
            Connection pinned = berth.connectApp();
            try (Statement s = pinned.createStatement()) {
                s.execute("set search_path = leaked, public");
                s.execute("create temp table leaked_temp(x int)");
                s.execute("prepare leaked_stmt as select 1");
            }
            int pinnedPid = pid(pinned);
            // ...so no other client, whichever backend it gets, sees any of it
            for (int i = 0; i < 20; i++) {
                try (Connection other = berth.connectApp(); Statement s = other.createStatement();
                     ResultSet rs = s.executeQuery("select pg_backend_pid(), current_setting('search_path'),"
                             + " to_regclass('leaked_temp'), (select count(*) from pg_prepared_statements where name = 'leaked_stmt')")) {
                    rs.next();
                    assertTrue(rs.getInt(1) != pinnedPid, "the pinned backend is not lent out");
                    assertEquals("\"$user\", public", rs.getString(2));
                    assertNull(rs.getString(3));
                    assertEquals(0, rs.getInt(4));
                }
            }
            try (Statement s = pinned.createStatement(); ResultSet rs = s.executeQuery(
                    "select pg_backend_pid(), current_setting('search_path'), to_regclass('leaked_temp') is not null")) {
                rs.next();
                assertEquals(pinnedPid, rs.getInt(1), "the pinned client kept its backend");
                assertEquals("leaked, public", rs.getString(2));
                assertTrue(rs.getBoolean(3));
            }
            pinned.close();
            // after the pinned client leaves, its backend is reset before anyone else gets it
            for (int i = 0; i < 5; i++) {
                try (Connection next = berth.connectApp(); Statement s = next.createStatement();
                     ResultSet rs = s.executeQuery("select current_setting('search_path'), to_regclass('leaked_temp')")) {
                    rs.next();
                    assertEquals("\"$user\", public", rs.getString(1));
                    assertNull(rs.getString(2));
                }
            }
        }
    }

    @Test
    void rejectPolicyAnswersSessionStateWithAClearErrorAndKeepsTheConnection() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(2).sessionState(SessionStatePolicy.REJECT));
             Connection c = berth.connectApp(); Statement s = c.createStatement()) {
            SQLException e = assertThrows(SQLException.class, () -> s.execute("listen elsewhere"));
            assertEquals("0A000", e.getSQLState());
            assertTrue(e.getMessage().contains("LISTEN is not allowed in transaction pooling"), e.getMessage());
            SQLException temp = assertThrows(SQLException.class, () -> s.execute("create temp table t(x int)"));
            assertEquals("0A000", temp.getSQLState());
            try (ResultSet rs = s.executeQuery("select count(*) from pg_listening_channels()")) {
                rs.next();
                assertEquals(0, rs.getInt(1), "the rejected LISTEN never ran");
            }
            s.execute("set application_name = 'reported-parameters-are-fine'");
            s.execute("set search_path = carried_not_rejected");
            try (ResultSet rs = s.executeQuery("select current_setting('search_path')")) {
                rs.next();
                assertEquals("carried_not_rejected", rs.getString(1), "Berth carries a SET: nothing to reject");
            }
        }
    }

    @Test
    void statementModeRefusesTransactionBlocks() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(2).poolMode(dev.berth.core.config.PoolMode.STATEMENT))) {
            try (Connection c = berth.connectApp(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 5")) {
                rs.next();
                assertEquals(5, rs.getInt(1));
            }
            Connection c = berth.connectApp();
            c.setAutoCommit(false);
            SQLException e = assertThrows(SQLException.class, () -> {
                try (Statement s = c.createStatement()) {
                    s.executeQuery("select 1");
                    s.executeQuery("select 2");
                }
            });
            assertTrue(e.getMessage().contains("transaction blocks are not allowed in statement pooling mode")
                    || e.getMessage().contains("connection"), e.getMessage());
            c.close();
            try (Connection again = berth.connectApp(); Statement s = again.createStatement(); ResultSet rs = s.executeQuery("select 6")) {
                rs.next();
                assertEquals(6, rs.getInt(1), "the backend was rolled back and reused");
            }
        }
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
