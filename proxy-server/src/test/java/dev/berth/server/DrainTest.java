package dev.berth.server;

import com.zaxxer.hikari.HikariDataSource;
import dev.berth.core.auth.AuthType;
import dev.berth.core.config.PoolMode;
import dev.berth.server.client.ClientSession;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The graceful shutdown ({@link BerthServer#drain}, what SIGTERM, SIGINT and SHUTDOWN call): transactions in
 * flight finish, each client is ended with 57P01 once between transactions, /readyz says so at once, and
 * Berth stops within --shutdown-timeout.
 */
class DrainTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void underHikariLoadEveryAcknowledgedCommitIsKeptAndNoStartedTransactionFails() throws Exception {
        RunningBerth berth = RunningBerth.start(b -> b.poolMax(4).shutdownTimeoutMs(20_000));
        try (HikariDataSource ds = berth.hikari(8);
             TransactionLoad load = TransactionLoad.start("drain_load", 8, ds::getConnection, true);
             Connection open = berth.connectApp()) {
            load.awaitCommits(200);
            open.setAutoCommit(false);
            try (Statement s = open.createStatement()) {
                s.executeUpdate("insert into drain_load (worker, step) values (-1, 1)"); // in flight when the drain starts
            }

            berth.server().drain();
            assertEquals(503, get(berth, "/readyz").statusCode(), "not ready from the first moment");
            assertEquals("shutting down", get(berth, "/readyz").body().trim());
            assertEquals(200, get(berth, "/livez").statusCode(), "alive while draining");

            try (Statement s = open.createStatement()) {
                s.executeUpdate("insert into drain_load (worker, step) values (-1, 2)");
            }
            open.commit(); // the transaction in flight finishes
            assertTrue(berth.server().awaitTermination(30, TimeUnit.SECONDS), "Berth stopped after its clients left");
            ds.close();
            load.close();
            assertEquals(0, load.failedInFlight.get(), load::toString);
            assertTrue(load.committed.get() >= 200, load::toString);
            assertEquals(2 * load.committed.get() + 2, load.rows(), "two rows per acknowledged commit, and the open one's: " + load);
        } finally {
            berth.close();
        }
    }

    @Test
    void idleClientsAreEndedAtOnceWith57P01WhileATransactionFinishes() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).shutdownTimeoutMs(60_000));
             RawClient idle = RawClient.login(berth.port(), "postgres", TestPostgres.APP_DB);
             RawClient pinned = RawClient.login(berth.port(), "postgres", TestPostgres.APP_DB);
             RawClient busy = RawClient.login(berth.port(), "postgres", TestPostgres.APP_DB)) {
            pinned.query("listen drain_channel").readUntil('Z'); // pinned to its backend, at rest
            busy.query("begin").readUntil('Z');
            busy.query("select 1").readUntil('Z');

            berth.server().drain();
            for (RawClient c : List.of(idle, pinned)) {
                RawClient.Message fatal = c.read();
                assertEquals('E', fatal.type());
                assertEquals("FATAL", fatal.field('S'));
                assertEquals("57P01", fatal.field('C'));
                assertEquals("terminating connection due to administrator command", fatal.field('M'));
                assertTrue(fatal.field('D').contains("Berth is shutting down") && fatal.field('D').contains("between transactions"),
                        fatal.field('D'));
                c.setTimeout(30_000);
                assertTrue(c.closedByServer());
            }
            assertFalse(berth.server().awaitTermination(0, TimeUnit.MILLISECONDS), "still serving the transaction in flight");
            List<RawClient.Message> commit = busy.query("commit").readUntil('Z');
            assertEquals(List.of(), RawClient.errorCodes(commit), "the transaction in flight commits");
            RawClient.Message fatal = busy.read(); // at rest now: ended
            assertEquals("57P01", fatal.field('C'));
            assertTrue(berth.server().awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void sessionModeClientsFinishTheirTransactionThenEnd() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).poolMode(PoolMode.SESSION).shutdownTimeoutMs(60_000));
             RawClient idle = RawClient.login(berth.port(), "postgres", TestPostgres.APP_DB);
             RawClient busy = RawClient.login(berth.port(), "postgres", TestPostgres.APP_DB)) {
            idle.query("select 1").readUntil('Z');
            busy.query("begin").readUntil('Z');

            berth.server().drain();
            assertEquals("57P01", idle.read().field('C'), "a session-mode client at rest is ended at once");
            List<RawClient.Message> commit = busy.query("select 2").query("commit").readUntil('Z');
            assertEquals(List.of(), RawClient.errorCodes(commit));
            assertEquals(List.of(), RawClient.errorCodes(busy.readUntil('Z')), "the commit's answer");
            assertEquals("57P01", busy.read().field('C'));
            assertTrue(berth.server().awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    /**
     * The drain waits for the resets of the backends whose session-mode clients it ended before it closes the
     * pools: a normal shutdown logs no WARNING. The reset query is slowed down, so that it is sure to be
     * running when the clients have gone.
     */
    @Test
    void aSessionModeDrainWaitsForTheResetsAndLogsNoWarning() throws Exception {
        LogCapture log = LogCapture.of(Level.WARNING, "dev.berth");
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).poolMode(PoolMode.SESSION)
                .serverResetQuery("select pg_sleep(1)").shutdownTimeoutMs(60_000))) {
            List<RawClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    clients.add(RawClient.login(berth.port(), "postgres", TestPostgres.APP_DB));
                }
                berth.server().drain();
                for (RawClient c : clients) {
                    assertEquals("57P01", c.read().field('C'));
                }
                assertTrue(berth.server().awaitTermination(30, TimeUnit.SECONDS));
            } finally {
                for (RawClient c : clients) {
                    c.close();
                }
            }
        } finally {
            log.close();
        }
        assertEquals(List.of(), log.records().stream().map(r -> r.getLoggerName() + ": " + r.getMessage()).toList());
    }

    @Test
    void aTransactionOutlivingTheShutdownTimeoutIsEndedAndBerthStops() throws Exception {
        TestPostgres.execute("drop table if exists drain_stuck");
        TestPostgres.execute("create table drain_stuck (n int)");
        RunningBerth berth = RunningBerth.start(b -> b.shutdownTimeoutMs(300));
        try (Connection stuck = berth.connect("postgres", "postgres-pw", "postgres")) {
            stuck.setAutoCommit(false);
            try (Statement s = stuck.createStatement()) {
                s.executeUpdate("insert into drain_stuck values (1)");
            }
            berth.server().drain();
            assertTrue(berth.server().awaitTermination(30, TimeUnit.SECONDS), "stopped after --shutdown-timeout");
            SQLException ended = assertThrows(SQLException.class, stuck::commit);
            assertTrue("57P01".equals(ended.getSQLState()) || String.valueOf(ended.getSQLState()).startsWith("08"),
                    ended.getSQLState() + " " + ended);
        } finally {
            berth.close();
        }
        assertEquals(0, TestPostgres.rowCount("drain_stuck"), "the unfinished transaction was rolled back");
    }

    /**
     * An event loop that does not stop (one was seen stuck in io_uring's teardown) must not hold the shutdown
     * forever: close() gives up on it after a bounded wait, logs it once, and returns, so the process can exit.
     */
    @Test
    void aStuckEventLoopDoesNotHoldTheShutdown() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        LogCapture log = LogCapture.of(Level.WARNING, BerthServer.class.getName());
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST));
             RawClient client = RawClient.login(berth.port(), "postgres", TestPostgres.APP_DB)) {
            ClientSession session = berth.server().clients().iterator().next();
            session.executor().execute(() -> { // holds that loop
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long start = System.nanoTime();
            berth.server().close();
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMs >= BerthServer.LOOPS_STOP_WAIT_MS && tookMs < BerthServer.LOOPS_STOP_WAIT_MS + 30_000,
                    "close() returned after " + tookMs + " ms");
            assertEquals(1, log.records().stream().filter(r -> r.getMessage().contains("did not stop within")).count(),
                    log.records()::toString);
        } finally {
            release.countDown();
            log.close();
        }
    }

    private static HttpResponse<String> get(RunningBerth berth, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + berth.server().metricsPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
