package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BackendUrl;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The link to PostgreSQL stalls (bytes stop, nothing closes). What Berth does without a query timeout or
 * keepalive (issue 14 adds those; then it should also notice a stall nobody leaves): a client that leaves
 * a stalled backend has it closed rather than handed on, one that stays gets its own answer when the link
 * moves again, and the pool serves the next client.
 */
class LinkStallTest {

    @Test
    void aStalledBackendIsClosedWhenItsClientLeavesAndAnsweredWhenTheLinkMoves() throws Exception {
        try (FaultyLink link = new FaultyLink(TestPostgres.port());
             RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMax(2)
                     .backend(BackendUrl.parse("postgresql://127.0.0.1:" + link.port())));
             RawClient stays = RawClient.login(berth.port(), "postgres", "postgres")) {
            RawClient leaves = RawClient.login(berth.port(), "postgres", "postgres");
            stays.setTimeout(120_000);
            // two backends open before the stall, so that neither query waits on a login
            stays.query("begin");
            stays.readUntil('Z');
            leaves.query("begin");
            leaves.readUntil('Z');
            stays.query("commit");
            stays.readUntil('Z');
            leaves.query("commit");
            leaves.readUntil('Z');
            berth.awaitPool("postgres", "postgres", p -> p.idle() == 2, "two backends open");

            link.stall(true);
            stays.query("select 'stays'");
            leaves.query("select 'leaves'");
            berth.awaitPool("postgres", "postgres", p -> p.active() == 2, "both queries wait on the stalled link");
            leaves.reset();
            berth.awaitPool("postgres", "postgres", p -> p.active() == 1 && p.idle() == 0 && p.tested() == 0,
                    "the backend left with its query in flight is closed, not handed on");

            link.stall(false);
            assertEquals(List.of("stays"), RawClient.firstColumns(stays.readUntil('Z')), "its own answer, once the link moves");
            try (RawClient next = RawClient.login(berth.port(), "postgres", "postgres")) {
                next.query("select 'next'");
                assertEquals(List.of("next"), RawClient.firstColumns(next.readUntil('Z')));
            }
        }
    }
}
