package dev.berth.server;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Threads running short transactions (two inserts and a commit) through Berth, each outcome counted:
 * a commit acknowledged (two rows), a transaction that was never started (its connection was closed between
 * transactions, or none could be had), a transaction that failed once started (what a drain must never cause),
 * a connection attempt refused. A thread keeps its connection until it is closed under it, then connects again.
 */
public final class TransactionLoad implements AutoCloseable {
    public interface ConnectionSource {
        Connection get() throws SQLException;
    }

    public final AtomicLong committed = new AtomicLong();
    public final AtomicLong notStarted = new AtomicLong();
    public final AtomicLong failedInFlight = new AtomicLong();
    public final AtomicLong refused = new AtomicLong();
    /** Every failure of a started transaction and every refused connection, for the assertion message. */
    public final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final String table;
    private final ConnectionSource source;
    /** A superuser connection straight to the database that holds the table (not through Berth). */
    private final ConnectionSource owner;
    /** Hand the connection back after each transaction (a pool's getConnection/close), or keep it. */
    private final boolean closeAfterEach;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    private TransactionLoad(String table, ConnectionSource source, ConnectionSource owner, boolean closeAfterEach) {
        this.table = table;
        this.source = source;
        this.owner = owner;
        this.closeAfterEach = closeAfterEach;
    }

    /** Creates {@code table} in appdb (as the superuser, for the app user) and starts {@code threads} workers. */
    public static TransactionLoad start(String table, int threads, ConnectionSource source, boolean closeAfterEach) throws SQLException {
        return start(table, threads, source, closeAfterEach, () -> TestPostgres.superuser(TestPostgres.APP_DB));
    }

    /**
     * As {@link #start(String, int, ConnectionSource, boolean)}, with the table in the database {@code owner}
     * connects to as a superuser (another PostgreSQL than {@link TestPostgres}; it must know the app user).
     */
    public static TransactionLoad start(String table, int threads, ConnectionSource source, boolean closeAfterEach,
                                        ConnectionSource owner) throws SQLException {
        try (Connection c = owner.get(); Statement s = c.createStatement()) {
            s.execute("drop table if exists " + table);
            s.execute("create table " + table + " (id bigserial primary key, worker int not null, step int not null)");
            s.execute("grant all on " + table + " to " + TestPostgres.APP_USER);
            s.execute("grant all on sequence " + table + "_id_seq to " + TestPostgres.APP_USER);
        }
        TransactionLoad load = new TransactionLoad(table, source, owner, closeAfterEach);
        for (int i = 0; i < threads; i++) {
            int worker = i;
            Thread t = new Thread(() -> load.work(worker), "load-" + table + "-" + i);
            t.setDaemon(true);
            load.threads.add(t);
            t.start();
        }
        return load;
    }

    private void work(int worker) {
        Connection c = null;
        while (running) {
            if (c == null) {
                try {
                    c = source.get();
                    c.setAutoCommit(false);
                } catch (SQLException e) {
                    refused.incrementAndGet();
                    failures.add("connect: " + e.getSQLState() + " " + e.getMessage());
                    c = null;
                    pause();
                    continue;
                }
            }
            boolean started = false;
            try (PreparedStatement insert = c.prepareStatement("insert into " + table + " (worker, step) values (?, ?)")) {
                insert.setInt(1, worker);
                insert.setInt(2, 1);
                insert.executeUpdate();
                started = true;
                insert.setInt(2, 2);
                insert.executeUpdate();
                c.commit();
                committed.incrementAndGet();
            } catch (SQLException e) {
                if (!started && closedBetweenTransactions(e)) {
                    notStarted.incrementAndGet();
                } else {
                    failedInFlight.incrementAndGet();
                    failures.add((started ? "in a transaction: " : "first statement: ") + e.getSQLState() + " " + e.getMessage());
                }
                quietlyClose(c);
                c = null;
                continue;
            }
            if (closeAfterEach) {
                quietlyClose(c);
                c = null;
            }
        }
        quietlyClose(c);
    }

    /** The connection was ended by Berth (57P01) or found closed: nothing of the transaction ran. */
    private static boolean closedBetweenTransactions(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.equals("57P01") || state.startsWith("08"));
    }

    private static void pause() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void quietlyClose(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the connection is gone either way
            }
        }
    }

    /** Waits (up to 30 s) until at least {@code n} commits were acknowledged. */
    public void awaitCommits(long n) {
        RunningBerth.waitFor(() -> committed.get() >= n, n + " commits (" + this + ")");
    }

    /** The rows in the table: two per acknowledged commit, if nothing was lost or half-done. */
    public long rows() throws SQLException {
        try (Connection c = owner.get(); Statement s = c.createStatement();
             var rs = s.executeQuery("select count(*) from " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
    }

    @Override
    public String toString() {
        return committed + " committed, " + notStarted + " not started (closed between transactions), " + failedInFlight
                + " failed once started, " + refused + " connections refused; failures: " + failures.stream().limit(5).toList();
    }
}
