package dev.berth.server;

import dev.berth.core.auth.Secret;
import dev.berth.core.auth.SecretSource;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.pool.PoolStats;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What can change while Berth runs: a new configuration (pool limits, the backend cap) reaches the pools
 * at their next decision without disturbing connected clients, and client secrets can come from a source
 * that answers later (as an auth query will) without blocking anyone.
 */
class RuntimeChangesTest {

    private static int selectOne(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    private static PoolStats pool(RunningBerth berth) {
        return berth.server().poolStats().get(0);
    }

    private static BerthConfig.Builder withPool(BerthConfig running, int max) {
        return BerthConfig.builder().listen(running.listen()).metricsListen(running.metricsListen()).backend(running.backend())
                .authFile(running.authFile()).authType(running.authType()).poolMode(running.poolMode())
                .connectionTimeoutMs(running.connectionTimeoutMs()).poolMin(0).poolMax(max).maxBackendConnections(max);
    }

    @Test
    void aRaisedPoolMaximumServesTheClientsAlreadyWaiting() throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(1).connectionTimeoutMs(30_000));
             Connection holder = PoolLimitsTest.hold(berth.connectApp())) {
            Future<Integer> waiter = threads.submit(() -> {
                try (Connection c = berth.connectApp()) {
                    return selectOne(c);
                }
            });
            await(() -> pool(berth).waiting() == 1, "the second client waits for the only server");
            berth.server().reconfigure(withPool(berth.server().config(), 2).build());
            assertEquals(1, waiter.get(20, TimeUnit.SECONDS), "served by a second server opened under the new maximum");
            assertEquals(2, pool(berth).max());
            assertEquals(1, selectOne(holder), "the client holding a server is undisturbed");
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aLoweredPoolMaximumClosesServersAsTheyComeBack() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(3).connectionTimeoutMs(30_000))) {
            List<Connection> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                held.add(PoolLimitsTest.hold(berth.connectApp()));
            }
            assertEquals(3, pool(berth).active());
            berth.server().reconfigure(withPool(berth.server().config(), 1).build());
            for (Connection c : held) {
                assertEquals(1, selectOne(c), "work in flight finishes on the server it started on");
                c.commit();
            }
            // each server that comes back above the new maximum is closed; closes complete asynchronously, so
            // the pool may briefly go below it (down to none) and opens again on demand
            await(() -> pool(berth).total() <= 1, "the pool is down to the new maximum");
            try (Connection c = berth.connectApp()) {
                assertEquals(1, selectOne(c));
            }
            assertTrue(pool(berth).total() <= 1, "never above the new maximum again: " + pool(berth));
            for (Connection c : held) {
                c.close();
            }
            assertEquals(1, pool(berth).max());
        }
    }

    /** Answers on another thread after a delay, as a lookup over the network would. */
    private static final class SlowSource implements SecretSource {
        final AtomicInteger lookups = new AtomicInteger();
        final boolean fail;

        SlowSource(boolean fail) {
            this.fail = fail;
        }

        @Override
        public CompletionStage<Secret> secret(String user) {
            lookups.incrementAndGet();
            return CompletableFuture.supplyAsync(() -> {
                if (fail) {
                    throw new IllegalStateException("auth source unreachable");
                }
                return user.equals(TestPostgres.APP_USER) ? new Secret.Plain(TestPostgres.APP_PASSWORD) : null;
            }, CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
        }
    }

    @Test
    void secretsCanComeFromASourceThatAnswersLater() throws Exception {
        try (RunningBerth berth = RunningBerth.start()) {
            SlowSource source = new SlowSource(false);
            berth.server().secrets(source);
            try (Connection c = berth.connectApp()) {
                assertEquals(1, selectOne(c));
            }
            SQLException unknown = assertThrows(SQLException.class,
                    () -> berth.connect("nobody", "x", TestPostgres.APP_DB));
            assertEquals("28P01", unknown.getSQLState(), unknown.getMessage());
            assertEquals(2, source.lookups.get());
        }
    }

    @Test
    void aSecretSourceThatFailsGivesAClearErrorAndDisturbsNoOne() throws Exception {
        try (RunningBerth berth = RunningBerth.start(); Connection before = berth.connectApp()) {
            berth.server().secrets(new SlowSource(true));
            SQLException e = assertThrows(SQLException.class, berth::connectApp);
            assertEquals("08006", e.getSQLState(), e.getMessage());
            assertTrue(e.getMessage().contains("cannot check the password of user \"app\""), e.getMessage());
            assertTrue(e.getMessage().contains("auth source unreachable"), e.getMessage());
            assertEquals(1, selectOne(before), "a client logged in before is undisturbed");
            assertFalse(before.isClosed());
        }
    }
}
