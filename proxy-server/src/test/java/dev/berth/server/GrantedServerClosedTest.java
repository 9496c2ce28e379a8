package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.server.RawClient.Message;
import dev.berth.server.backend.ServerConnection;
import io.netty.channel.EventLoop;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A server the pool grants to a client of another event loop can close before that loop links it (found by
 * the chaos test: a backend terminated just as it was handed on). The client must then wait for another
 * server, not be linked to the dead one and wait for an answer forever. The client's loop is held while the
 * server is terminated, so that the close comes between the grant and the link every time.
 */
class GrantedServerClosedTest {

    @Test
    void aServerThatClosesBetweenTheGrantAndTheLinkIsReplaced() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMax(1).workers(2))) {
            List<RawLogin> candidates = List.of(RawLogin.of(berth), RawLogin.of(berth), RawLogin.of(berth), RawLogin.of(berth)); // two per loop
            RawLogin holder = candidates.get(0);
            holder.client().query("begin");
            holder.client().readUntil('Z');
            ServerConnection server = holder.session(berth).linkedServer();
            assertNotNull(server, "the holder is linked");
            EventLoop serverLoop = server.eventLoop();
            if (holder.session(berth).executor() != serverLoop) {
                // the holder must run on the server's loop, the one loop not held below: one there takes the server
                holder.client().query("commit");
                holder.client().readUntil('Z');
                holder = candidates.stream().filter(c -> c.session(berth).executor() == serverLoop).findFirst()
                        .orElseThrow(() -> new AssertionError("no client on the server's loop"));
                holder.client().query("begin");
                holder.client().readUntil('Z');
                assertEquals(server, holder.session(berth).linkedServer(), "the pool's one server");
            }
            RawLogin waiter = candidates.stream().filter(c -> c.session(berth).executor() != serverLoop).findFirst()
                    .orElseThrow(() -> new AssertionError("no client on another loop"));

            waiter.client().query("select 'waiter'");
            berth.awaitPool("postgres", "postgres", p -> p.waiting() == 1, "the waiter queues");
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch holding = new CountDownLatch(1);
            waiter.session(berth).executor().execute(() -> {
                holding.countDown();
                try {
                    held.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            holding.await(30, TimeUnit.SECONDS);
            try {
                holder.client().query("commit");
                holder.client().readUntil('Z');
                berth.awaitPool("postgres", "postgres", p -> p.waiting() == 0 && p.active() == 1,
                        "the server is granted to the waiter, whose loop is held");
                TestPostgres.execute("select pg_terminate_backend(" + server.processId() + ")");
                berth.awaitPool("postgres", "postgres", p -> p.active() == 0 && p.idle() == 0,
                        "the granted server closed and is out of the pool");
            } finally {
                held.countDown();
            }
            waiter.client().setTimeout(30_000);
            List<Message> answer = waiter.client().readUntil('Z');
            assertEquals(List.of(), RawClient.errorCodes(answer));
            assertEquals(List.of("waiter"), RawClient.firstColumns(answer), "served by a new server");
            for (RawLogin c : candidates) {
                c.client().close();
            }
        }
    }
}
