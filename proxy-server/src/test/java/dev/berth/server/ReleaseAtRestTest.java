package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.PoolMode;
import dev.berth.server.RawClient.Message;
import dev.berth.server.backend.ServerConnection;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;

/**
 * Transaction pooling gives the server back at the end of every transaction, also when the server runs on
 * another event loop than its client. The release must be decided before the client can see the
 * ReadyForQuery that ends its transaction: when it ran as a task on the client's loop behind the flush that
 * carried the ReadyForQuery, a client whose next query was read first kept the server for that query too
 * (passing clients that waited, and keeping a server a reload had replaced).
 */
class ReleaseAtRestTest {
    private static final int TRANSACTIONS = 3000;
    private static final Pattern ACQUIRED = Pattern.compile(
            "(?m)^berth_pool_acquire_wait_seconds_count\\{[^}]*database=\"postgres\"[^}]*} (\\S+)$");

    @Test
    void aServerOnAnotherLoopGoesBackAfterEveryTransaction() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null)
                .poolMode(PoolMode.TRANSACTION).poolMax(1).workers(2))) {
            RawLogin opener = RawLogin.of(berth);
            List<RawLogin> candidates = List.of(RawLogin.of(berth), RawLogin.of(berth)); // a login needs the server too
            opener.client().query("begin");
            opener.client().readUntil('Z');
            ServerConnection server = opener.session(berth).linkedServer();
            assertNotNull(server, "the opener holds the pool's one server");
            RawLogin other = candidates.stream().filter(c -> c.session(berth).executor() != server.eventLoop()).findFirst()
                    .orElseThrow(() -> new AssertionError("no client on another loop than the server"));
            opener.client().query("commit");
            opener.client().readUntil('Z');
            berth.awaitPool("postgres", "postgres", p -> p.active() == 0 && p.idle() == 1, "the server back in the pool");

            double before = acquired(berth);
            for (int i = 0; i < TRANSACTIONS; i++) {
                List<Message> answer = other.client().query("select " + i).readUntil('Z');
                assertEquals(List.of(String.valueOf(i)), RawClient.firstColumns(answer));
            }
            berth.awaitPool("postgres", "postgres", p -> p.active() == 0 && p.idle() == 1, "the server back in the pool");
            assertNotSame(server.eventLoop(), other.session(berth).executor(), "the client and its server on different loops");
            assertEquals(TRANSACTIONS, acquired(berth) - before, 0.0,
                    "one acquisition per transaction: the server went back to the pool after each");
            for (RawLogin c : candidates) {
                c.client().close();
            }
            opener.client().close();
        }
    }

    /** Acquisitions of a server by the pool's clients so far (the acquire-wait histogram's count). */
    private static double acquired(RunningBerth berth) throws Exception {
        String metrics = ObservabilityTest.get(berth.server(), "/metrics").body();
        Matcher m = ACQUIRED.matcher(metrics);
        if (!m.find()) {
            throw new AssertionError("no acquire-wait count in /metrics:\n" + metrics);
        }
        return Double.parseDouble(m.group(1));
    }
}
