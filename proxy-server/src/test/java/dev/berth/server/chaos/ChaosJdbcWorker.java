package dev.berth.server.chaos;

import com.zaxxer.hikari.HikariDataSource;
import dev.berth.server.chaos.ChaosLedger.Outcome;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One chaos client on pgjdbc through HikariCP (server-side prepared statements from the first use): random
 * work whose every result carries this client's name and a fresh nonce. Only workers that cancel may see
 * {@code 57014}; one that never cancels and sees it got someone else's cancel.
 */
final class ChaosJdbcWorker implements Runnable {
    private final String name;
    private final HikariDataSource pool;
    private final ChaosLedger ledger;
    private final Random random;
    private final long deadlineNanos;
    private final ScheduledExecutorService canceller;
    private final boolean cancels;
    private int seq;

    ChaosJdbcWorker(String name, HikariDataSource pool, ChaosLedger ledger, long seed, long deadlineNanos,
                    ScheduledExecutorService canceller, boolean cancels) {
        this.name = name;
        this.pool = pool;
        this.ledger = ledger;
        this.random = new Random(seed);
        this.deadlineNanos = deadlineNanos;
        this.canceller = canceller;
        this.cancels = cancels;
    }

    @Override
    public void run() {
        while (System.nanoTime() < deadlineNanos) {
            int op = random.nextInt(cancels ? 9 : 8);
            int rowSeq = -1;
            boolean commitSent = false;
            try (Connection c = pool.getConnection()) {
                switch (op) {
                    case 0, 1 -> prepared(c);
                    case 2 -> literal(c);
                    case 3 -> {
                        rowSeq = ++seq;
                        ledger.row(name, rowSeq, Outcome.ABORTED);
                        c.setAutoCommit(false);
                        insert(c, rowSeq);
                        prepared(c);
                        commitSent = true;
                        c.commit();
                        ledger.row(name, rowSeq, Outcome.ACKNOWLEDGED);
                    }
                    case 4 -> errorInTransaction(c);
                    case 5 -> largeRow(c);
                    case 6 -> {
                        rowSeq = ++seq;
                        ledger.row(name, rowSeq, Outcome.UNKNOWN); // the CopyDone may be sent, its answer lost
                        commitSent = true;
                        copyIn(c, rowSeq);
                        ledger.row(name, rowSeq, Outcome.ACKNOWLEDGED);
                    }
                    case 7 -> copyOut(c);
                    default -> cancelled(c);
                }
            } catch (SQLException e) {
                if (rowSeq > 0 && commitSent) {
                    ledger.row(name, rowSeq, Outcome.UNKNOWN);
                }
                classify(e, op);
            } catch (RuntimeException e) {
                ledger.unexpected(name, "op " + op + ": " + e);
            }
        }
    }

    private String nonce() {
        return name + ":" + Long.toHexString(random.nextLong());
    }

    private void prepared(Connection c) throws SQLException {
        String nonce = nonce();
        try (PreparedStatement ps = c.prepareStatement("select ?::text, 1")) {
            ps.setString(1, nonce);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                ledger.check(name, nonce, rs.getString(1));
            }
        }
    }

    private void literal(Connection c) throws SQLException {
        String nonce = nonce();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select '" + nonce + "'::text")) {
            rs.next();
            ledger.check(name, nonce, rs.getString(1));
        }
    }

    private void insert(Connection c, int rowSeq) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into chaos_commits (client, seq) values (?, ?)")) {
            ps.setString(1, name);
            ps.setInt(2, rowSeq);
            ps.executeUpdate();
        }
    }

    private void errorInTransaction(Connection c) throws SQLException {
        int rowSeq = ++seq;
        ledger.row(name, rowSeq, Outcome.ABORTED);
        c.setAutoCommit(false);
        insert(c, rowSeq);
        try (Statement s = c.createStatement()) {
            expectState(() -> s.execute("select 1/0"), "22012");
            expectState(() -> s.execute("select 1"), "25P02");
        }
        c.rollback();
        ledger.expectedErrors.addAndGet(2);
    }

    private void largeRow(Connection c) throws SQLException {
        String nonce = nonce();
        int length = 50_000 + random.nextInt(300_000);
        try (PreparedStatement ps = c.prepareStatement("select ?::text || repeat('x', ?)")) {
            ps.setString(1, nonce);
            ps.setInt(2, length);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String v = rs.getString(1);
                boolean whole = v.length() == nonce.length() + length && v.startsWith(nonce) && v.charAt(v.length() - 1) == 'x';
                ledger.check(name, nonce + "+" + length, whole ? nonce + "+" + length : v);
            }
        }
    }

    private void copyIn(Connection c, int rowSeq) throws SQLException {
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        try {
            long n = copy.copyIn("copy chaos_commits (client, seq) from stdin", new StringReader(name + "\t" + rowSeq + "\n"));
            ledger.check(name, "copied 1", "copied " + n);
        } catch (IOException | SQLException e) {
            throw copyFailed(c, "copy in", e);
        }
    }

    /**
     * A COPY that failed leaves the connection unusable: pgjdbc may keep its COPY lock, so the next statement
     * on it waits forever in {@code QueryExecutorImpl.waitOnLock} (pgjdbc#3957, #362) without sending a byte.
     * HikariCP never sees this failure (the CopyManager is reached through unwrap), so the connection is
     * evicted here, as an application using CopyManager through a pool has to.
     */
    private SQLException copyFailed(Connection c, String what, Exception e) {
        pool.evictConnection(c);
        return e instanceof SQLException sql && sql.getSQLState() != null && !sql.getSQLState().startsWith("08")
                ? sql : new SQLException(what + ": " + e, "08006", e);
    }

    private void copyOut(Connection c) throws SQLException {
        String nonce = nonce();
        int rows = 1 + random.nextInt(200);
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            copy.copyOut("copy (select '" + nonce + "' from generate_series(1, " + rows + ")) to stdout", out);
        } catch (IOException | SQLException e) {
            throw copyFailed(c, "copy out", e);
        }
        String expected = (nonce + "\n").repeat(rows);
        ledger.check(name, expected, out.toString(StandardCharsets.UTF_8));
    }

    /** A slow query cancelled at a random moment: the answer is the query's own row or 57014, nothing else. */
    private void cancelled(Connection c) throws SQLException {
        String nonce = nonce();
        try (PreparedStatement ps = c.prepareStatement("select ?::text, pg_sleep(0.2)")) {
            ps.setString(1, nonce);
            ScheduledFuture<?> cancel = canceller.schedule(() -> {
                ps.cancel();
                return null;
            }, random.nextInt(300), TimeUnit.MILLISECONDS);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                ledger.check(name, nonce, rs.getString(1));
            } catch (SQLException e) {
                if (!"57014".equals(e.getSQLState())) {
                    throw e;
                }
                ledger.cancelled.incrementAndGet();
            } finally {
                awaitQuietly(cancel);
            }
        }
    }

    private static void awaitQuietly(ScheduledFuture<?> f) {
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // a cancel that failed to send changes nothing to check
        }
    }

    private interface SqlAction {
        void run() throws SQLException;
    }

    private void expectState(SqlAction action, String state) throws SQLException {
        try {
            action.run();
            ledger.unexpected(name, "expected " + state + ", the statement succeeded");
        } catch (SQLException e) {
            if (!state.equals(e.getSQLState())) {
                throw e;
            }
        }
    }

    private void classify(SQLException e, int op) {
        String state = e.getSQLState();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                ledger.unexpected(name, "op " + op + ": no answer within the socket timeout");
                return;
            }
        }
        if (e instanceof SQLTransientConnectionException || ChaosLedger.connectionClass(state)) {
            ledger.connectionErrors.incrementAndGet();
        } else if ("57014".equals(state) && cancels) {
            ledger.cancelled.incrementAndGet(); // a late cancel of this client's own may reach its next query, as in PostgreSQL
        } else {
            ledger.unexpected(name, "op " + op + ": " + state + " " + e.getMessage());
        }
    }
}
