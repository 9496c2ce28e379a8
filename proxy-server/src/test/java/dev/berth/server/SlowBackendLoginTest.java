package dev.berth.server;

import dev.berth.core.config.BackendUrl;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backend whose login takes seconds (a suspended managed compute waking up) serves the clients that
 * queued for it meanwhile, as long as it answers within --server-connect-timeout.
 */
class SlowBackendLoginTest {
    private static final long DELAY_MS = 3_000;

    @Test
    void clientsQueuedDuringASlowLoginAreServed() throws Exception {
        try (FaultyLink relay = FaultyLink.delayingFirstBytes(TestPostgres.port(), DELAY_MS);
             RunningBerth berth = RunningBerth.start(b -> b
                     .backend(BackendUrl.parse("postgresql://" + TestPostgres.APP_USER + ":" + TestPostgres.APP_PASSWORD
                             + "@127.0.0.1:" + relay.port() + "/" + TestPostgres.APP_DB))
                     .poolMax(2).serverConnectTimeoutMs(15_000).connectionTimeoutMs(25_000))) {
            ExecutorService clients = Executors.newFixedThreadPool(5);
            try {
                long started = System.nanoTime();
                List<Future<Integer>> results = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    results.add(clients.submit(() -> {
                        try (Connection c = berth.connectApp(); Statement s = c.createStatement();
                             ResultSet rs = s.executeQuery("select 42")) {
                            rs.next();
                            return rs.getInt(1);
                        }
                    }));
                }
                for (Future<Integer> r : results) {
                    assertEquals(42, r.get(60, TimeUnit.SECONDS));
                }
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertTrue(tookMs >= DELAY_MS, "the relay held the login back (took " + tookMs + " ms)");
                assertTrue(relay.accepted() >= 1 && relay.accepted() <= 2, "one to pool-max logins: " + relay.accepted());
            } finally {
                clients.shutdownNow();
            }
        }
    }
}
