package dev.berth.server.chaos;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BackendUrl;
import dev.berth.server.FaultyLink;
import dev.berth.server.RawClient;
import dev.berth.server.RunningBerth;
import dev.berth.server.TestPostgres;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The proof: clients on pgjdbc through HikariCP and on the raw protocol run random work through Berth while
 * backends are terminated, links cut, stalled and slowed and PostgreSQL "restarts" (see {@link ChaosFaults}).
 * Every result carries the asking client's name and a nonce, so a byte delivered to the wrong client shows;
 * every acknowledged COMMIT must have left its row exactly once, every transaction never committed none.
 * {@code -Dchaos.minutes=N} soaks longer (default 1); {@code -Dchaos.seed=S} picks another random plan
 * (thread timing still varies from run to run).
 */
class ChaosTest {
    private static final int JDBC_WORKERS = 5;
    private static final int RAW_WORKERS = 5;

    @Test
    void noResultReachesTheWrongClientAndNoAcknowledgedCommitIsLost() throws Exception {
        long seed = Long.getLong("chaos.seed", 14L);
        double minutes = Double.parseDouble(System.getProperty("chaos.minutes", "1"));
        System.out.println("chaos: seed " + seed + " (-Dchaos.seed to replay), " + minutes + " min");
        TestPostgres.execute("select 1");
        try (Connection owner = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + TestPostgres.port() + "/"
                + TestPostgres.APP_DB, TestPostgres.APP_USER, TestPostgres.APP_PASSWORD);
             Statement s = owner.createStatement()) {
            s.execute("drop table if exists chaos_commits");
            s.execute("create table chaos_commits (client text not null, seq int not null)");
        }
        ChaosLedger ledger = new ChaosLedger();
        long deadline = System.nanoTime() + (long) (minutes * 60e9);
        ExecutorService workers = Executors.newFixedThreadPool(JDBC_WORKERS + RAW_WORKERS + 1);
        ScheduledExecutorService canceller = Executors.newScheduledThreadPool(2);
        try (FaultyLink link = new FaultyLink(TestPostgres.port());
             RunningBerth berth = RunningBerth.start(b -> b
                     .backend(BackendUrl.parse("postgresql://" + TestPostgres.APP_USER + ":" + TestPostgres.APP_PASSWORD
                             + "@127.0.0.1:" + link.port() + "/" + TestPostgres.APP_DB))
                     .authType(AuthType.TRUST).poolMax(6).serverConnectTimeoutMs(10_000));
             HikariDataSource hikari = hikari(berth)) {
            ChaosFaults faults = new ChaosFaults(link, seed, deadline);
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < JDBC_WORKERS; i++) {
                running.add(workers.submit(new ChaosJdbcWorker("j" + i, hikari, ledger, seed + i, deadline, canceller, i % 2 == 0)));
            }
            for (int i = 0; i < RAW_WORKERS; i++) {
                running.add(workers.submit(new ChaosRawWorker("r" + i, berth.port(), ledger, seed + 100 + i, deadline, canceller)));
            }
            running.add(workers.submit(faults));
            long end = deadline + TimeUnit.MINUTES.toNanos(5);
            for (Future<?> f : running) {
                try {
                    f.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    ledger.unexpected("test", "a client still busy 5 minutes after the end");
                    printStacks(); // where it waits: in the driver before sending (its own lock) or for Berth
                }
            }
            assertNull(faults.failure(), "the fault injector failed");

            // after the storm Berth serves as before, and gives back every backend
            try (RawClient c = new RawClient(berth.port())) {
                c.startup(Map.of("user", TestPostgres.APP_USER, "database", TestPostgres.APP_DB));
                c.readUntil('Z');
                c.query("select 'after'");
                assertEquals(List.of("after"), RawClient.firstColumns(c.readUntil('Z')));
            }
            hikari.close();
            berth.awaitPool(p -> p.active() == 0 && p.waiting() == 0 && p.tested() == 0, "every backend back in the pool");

            ChaosLedger.Verdict v;
            try (Connection direct = TestPostgres.superuser(TestPostgres.APP_DB)) {
                v = ledger.verify(direct);
            }
            System.out.printf("chaos: seed %d, %.1f min: %d queries checked, %d faults injected (%d backends terminated,"
                            + " %d links cut, %d restarts, %d stalls, %d slowdowns), %d misdeliveries, %d acknowledged"
                            + " commits (%d lost), %d never committed, %d unacknowledged outcomes (%d of them committed),"
                            + " %d connection errors, %d cancels, %d planned errors, %d disconnects mid-work,"
                            + " %d unexpected%n",
                    seed, minutes, ledger.queries.get(), faults.total(), faults.terminated.get(), faults.cut.get(),
                    faults.restarts.get(), faults.stalls.get(), faults.slowdowns.get(), ledger.misdeliveries().size(),
                    v.acknowledged, v.lost, v.aborted, v.unknown, v.unknownCommitted, ledger.connectionErrors.get(),
                    ledger.cancelled.get(), ledger.expectedErrors.get(), ledger.disconnects.get(), ledger.unexpected().size());
            assertEquals(List.of(), ledger.misdeliveries(), "results delivered to the wrong client");
            assertEquals(List.of(), v.problems, "commits lost or rows that should not exist");
            assertEquals(List.of(), ledger.unexpected(), "errors other than connection-class ones where none was planned");
            assertTrue(ledger.queries.get() > 100 && v.acknowledged > 10, "the clients got work done");
            assertTrue(faults.total() > 10 && ledger.connectionErrors.get() > 0, "the faults hit the clients");
        } finally {
            workers.shutdownNow();
            canceller.shutdownNow();
        }
    }

    private static void printStacks() {
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            System.out.println("chaos: thread " + thread.getName() + " " + thread.getState());
            for (StackTraceElement frame : stack) {
                System.out.println("chaos:     at " + frame);
            }
        });
    }

    private static HikariDataSource hikari(RunningBerth berth) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(berth.jdbcUrl(TestPostgres.APP_DB));
        hc.setUsername(TestPostgres.APP_USER);
        hc.setPassword(TestPostgres.APP_PASSWORD);
        hc.setMaximumPoolSize(JDBC_WORKERS);
        hc.setConnectionTimeout(30_000);
        hc.addDataSourceProperty("prepareThreshold", "1"); // server-side prepared statements from the first use
        hc.addDataSourceProperty("socketTimeout", "90"); // longer than any fault: a client left without an answer shows
        return new HikariDataSource(hc);
    }
}
