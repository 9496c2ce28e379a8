package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BackendUrl;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PostgreSQL restarts under a running load: once as Berth sees it through a {@link FaultyLink} (every backend
 * link reset while the port refuses connections, then it accepts again), once for real (an embedded
 * PostgreSQL of the test's own stopped and started on its data directory). Transactions that fail do so
 * with a connection-class error, never a wrong result; every acknowledged commit is there; a new
 * transaction succeeds within 3 s of the port accepting again; clients that were idle keep their
 * connections to Berth.
 */
class BackendRestartTest {
    private static final int LOAD_THREADS = 4;

    /** Stops PostgreSQL (or what Berth sees of it) and brings it back; returns when it accepts connections again. */
    private interface Restart {
        void run(BooleanSupplier loadFailing) throws Exception;
    }

    @Test
    void aRestartSeenThroughTheLinkFailsOnlyWithConnectionErrorsAndIsForgottenSoonAfter() throws Exception {
        TestPostgres.execute("drop table if exists restart_work");
        TestPostgres.execute("create table restart_work (worker int, seq int)");
        try (FaultyLink link = new FaultyLink(TestPostgres.port());
             RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMax(4)
                     .backend(BackendUrl.parse("postgresql://127.0.0.1:" + link.port())))) {
            restartUnderLoad("link", berth, () -> TestPostgres.superuser("postgres"), loadFailing -> {
                link.down(); // refused, and every backend connection reset, as when PostgreSQL's processes die
                RunningBerth.waitFor(loadFailing, "the load fails while PostgreSQL is away");
                link.up();
            });
        }
    }

    @Test
    void aRealRestartOfPostgresFailsOnlyWithConnectionErrorsAndIsForgottenSoonAfter() throws Exception {
        Path data = Files.createTempDirectory("berth-restart-pg");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        EmbeddedPostgres[] pg = {ownPostgres(data, port)};
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMax(4)
                .backend(BackendUrl.parse("postgresql://127.0.0.1:" + port)))) {
            try (Connection c = pg[0].getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("create table restart_work (worker int, seq int)");
            }
            restartUnderLoad("real", berth, () -> pg[0].getPostgresDatabase().getConnection(),
                    loadFailing -> pg[0] = restart(pg[0], data, port));
        } finally {
            pg[0].close();
            deleteTree(data);
        }
    }

    /**
     * Stops {@code pg} (pg_ctl stop -m fast: every backend gets 57P01) and starts it again on the same data
     * directory; returns the new one once it answers.
     */
    static EmbeddedPostgres restart(EmbeddedPostgres pg, Path data, int port) throws IOException {
        String started = startTime(pg);
        pg.close();
        EmbeddedPostgres again = ownPostgres(data, port);
        // start() can return while the old postmaster still answers: the new one is the one started later
        RunningBerth.waitFor(() -> {
            String now = startTime(again);
            return !now.isEmpty() && !now.equals(started);
        }, "the restarted PostgreSQL answers");
        return again;
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    /**
     * An embedded PostgreSQL of this test's own, on {@code port}, keeping its data in {@code data} (initdb only
     * when it is empty; zonky's "clean" would run initdb every time and delete it on close).
     */
    static EmbeddedPostgres ownPostgres(Path data, int port) throws IOException {
        return EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port)
                .setServerConfig("listen_addresses", "127.0.0.1").start();
    }

    private interface DirectConnection {
        Connection open() throws SQLException;
    }

    private static void restartUnderLoad(String what, RunningBerth berth, DirectConnection direct, Restart restart) throws Exception {
        ExecutorService load = Executors.newFixedThreadPool(LOAD_THREADS);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger committed = new AtomicInteger();
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        List<String> wrong = new CopyOnWriteArrayList<>();
        List<String> failures = new CopyOnWriteArrayList<>();
        try {
            List<Connection> idle = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Connection c = berth.connect("postgres", "", "postgres");
                assertEquals("idle " + i, one(c, "select 'idle " + i + "'"));
                idle.add(c);
            }
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < LOAD_THREADS; w++) {
                int worker = w;
                workers.add(load.submit(() -> work(berth, worker, stop, committed, acknowledged, wrong, failures)));
            }
            RunningBerth.waitFor(() -> committed.get() >= 20, "the load runs");

            restart.run(() -> !failures.isEmpty());
            RunningBerth.waitFor(() -> answers(direct), "PostgreSQL answers a direct connection again");
            long acceptingAgain = System.nanoTime();
            int committedAtRestart = committed.get();
            long firstSuccessMs = firstSuccessMs(berth, acceptingAgain);
            RunningBerth.waitFor(() -> committed.get() >= committedAtRestart + 40, "the load runs on after the restart");
            stop.set(true);
            for (Future<?> f : workers) {
                f.get(60, TimeUnit.SECONDS);
            }

            System.out.printf("restart (%s): %d transactions committed, %d failed, first success %d ms after PostgreSQL"
                    + " accepted again%n", what, committed.get(), failures.size(), firstSuccessMs);
            assertEquals(List.of(), wrong, "wrong results");
            assertEquals(List.of(), failures.stream().filter(f -> !connectionClass(f)).toList(),
                    "failures other than connection-class errors");
            assertTrue(firstSuccessMs <= 3_000, "a new transaction succeeded " + firstSuccessMs + " ms after PostgreSQL"
                    + " accepted again (at most 3 s)");
            for (int i = 0; i < idle.size(); i++) {
                assertEquals("still " + i, one(idle.get(i), "select 'still " + i + "'"), "the idle client kept its connection");
                idle.get(i).close();
            }
            try (Connection c = direct.open(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select worker || ':' || seq from restart_work")) {
                List<String> present = new ArrayList<>();
                while (rs.next()) {
                    present.add(rs.getString(1));
                }
                assertTrue(present.containsAll(acknowledged), "every acknowledged commit is there");
                assertEquals(present.size(), Set.copyOf(present).size(), "none twice");
            }
        } finally {
            stop.set(true);
            load.shutdownNow();
        }
    }

    /** pg_postmaster_start_time(), or "" while it does not answer. */
    private static String startTime(EmbeddedPostgres pg) {
        try (Connection c = pg.getPostgresDatabase().getConnection()) {
            return one(c, "select pg_postmaster_start_time()::text");
        } catch (SQLException e) {
            return "";
        }
    }

    private static boolean answers(DirectConnection direct) {
        try (Connection c = direct.open()) {
            one(c, "select 1");
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    /** 08xxx, or 57P01 (terminated) / 57P03 (PostgreSQL starting up or shutting down). */
    private static boolean connectionClass(String failure) {
        return failure.startsWith("08") || failure.startsWith("57P01") || failure.startsWith("57P03");
    }

    /** Transactions in a loop, on a connection made again whenever one fails; failures are recorded by SQLSTATE. */
    private static void work(RunningBerth berth, int worker, AtomicBoolean stop, AtomicInteger committed,
                             Set<String> acknowledged, List<String> wrong, List<String> failures) {
        Connection c = null;
        for (int seq = 0; !stop.get(); seq++) {
            try {
                if (c == null) {
                    c = berth.connect("postgres", "", "postgres");
                    c.setAutoCommit(false);
                }
                String nonce = worker + ":" + UUID.randomUUID();
                try (PreparedStatement insert = c.prepareStatement("insert into restart_work values (?, ?)");
                     PreparedStatement select = c.prepareStatement("select ?::text")) {
                    insert.setInt(1, worker);
                    insert.setInt(2, seq);
                    insert.executeUpdate();
                    select.setString(1, nonce);
                    try (ResultSet rs = select.executeQuery()) {
                        rs.next();
                        if (!nonce.equals(rs.getString(1))) {
                            wrong.add(nonce + " got " + rs.getString(1));
                        }
                    }
                }
                c.commit();
                acknowledged.add(worker + ":" + seq);
                committed.incrementAndGet();
            } catch (SQLException e) {
                failures.add(e.getSQLState() + " " + e.getMessage());
                closeQuietly(c);
                c = null;
            }
        }
        closeQuietly(c);
    }

    /** Connects and runs one query until it succeeds; how long after {@code sinceNanos} it did. */
    private static long firstSuccessMs(RunningBerth berth, long sinceNanos) {
        long deadline = sinceNanos + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (Connection c = berth.connect("postgres", "", "postgres")) {
                one(c, "select 1");
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNanos);
            } catch (SQLException e) {
                assertTrue(connectionClass(e.getSQLState() + " "), e.getSQLState() + " " + e.getMessage());
            }
        }
        throw new AssertionError("no transaction succeeded within 30 s of PostgreSQL accepting again");
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // broken already
            }
        }
    }
}
