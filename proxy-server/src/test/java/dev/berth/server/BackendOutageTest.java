package dev.berth.server;

import dev.berth.core.auth.AuthType;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PostgreSQL stopped and started again (a relay that cuts every link and refuses connections while "down", on
 * the same port when back): clients get a clear 08006 naming the backend after the connection timeout, never a
 * hang; idle clients keep their connections to Berth; the pool refills to its minimum by itself.
 */
class BackendOutageTest {

    @Test
    void whileTheBackendIsDownClientsGet08006AndKeepTheirConnectionsAndThePoolRefillsWhenItIsBack() throws Exception {
        try (FaultyLink relay = new FaultyLink(TestPostgres.port());
             RunningBerth berth = RunningBerth.start(b -> b.backend(ServerHealthTest.appBackendVia(relay))
                     .authType(AuthType.TRUST).poolMin(2).poolMax(4).connectionTimeoutMs(3_000))) {
            berth.awaitPool(p -> p.idle() == 2, "warm-up to the minimum");
            try (RawClient idle = RawClient.login(berth.port(), TestPostgres.APP_USER, TestPostgres.APP_DB)) {
                idle.setTimeout(60_000); // the answer comes after the 3 s connection timeout; allow as long as the bound below
                assertEquals(List.of("1"), RawClient.firstColumns(idle.query("select 1").readUntil('Z')));

                relay.down();
                berth.awaitPool(p -> p.active() + p.idle() + p.tested() == 0, "Berth notices its servers are gone");
                long start = System.nanoTime();
                List<RawClient.Message> answer = idle.query("select 2").readUntil('Z');
                long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                RawClient.Message error = answer.get(0);
                assertEquals('E', error.type(), RawClient.types(answer));
                assertEquals("ERROR", error.field('S'), "an ERROR: the client keeps its connection");
                assertEquals("08006", error.field('C'), error.field('M'));
                assertTrue(error.field('M').contains("backend 127.0.0.1:" + relay.port() + " unavailable: no connection within 3000 ms"),
                        error.field('M'));
                assertTrue(waitedMs >= 2_900 && waitedMs < 30_000, "answered after the connection timeout, waited " + waitedMs + " ms");

                SQLException login = assertThrows(SQLException.class, berth::connectApp);
                assertEquals("08006", login.getSQLState(), "a login waiting for a server: " + login.getMessage());

                relay.up();
                berth.awaitPool(p -> p.idle() >= 2, "the pool refills to its minimum by itself");
                assertEquals(List.of("3"), RawClient.firstColumns(idle.query("select 3").readUntil('Z')),
                        "the idle client kept its connection through the restart");
            }
        }
    }

    @Test
    void aBackendThatComesBackWithinTheConnectionTimeoutServesTheClientsWaitingForIt() throws Exception {
        try (FaultyLink relay = new FaultyLink(TestPostgres.port());
             RunningBerth berth = RunningBerth.start(b -> b.backend(ServerHealthTest.appBackendVia(relay))
                     .authType(AuthType.TRUST).poolMin(1).poolMax(4).connectionTimeoutMs(60_000))) {
            berth.awaitPool(p -> p.idle() == 1, "warm-up");
            try (RawClient client = RawClient.login(berth.port(), TestPostgres.APP_USER, TestPostgres.APP_DB)) {
                client.setTimeout(60_000); // served after the next connection attempt, whose backoff grows while down
                relay.down();
                berth.awaitPool(p -> p.active() + p.idle() + p.tested() == 0, "Berth notices its servers are gone");
                client.query("select 4");
                berth.awaitPool(p -> p.waiting() == 1, "the client waits through refused connection attempts");
                relay.up();
                assertEquals(List.of("4"), RawClient.firstColumns(client.readUntil('Z')), "served once the backend is back");
            }
        }
    }
}
