package dev.berth.server.backend;

import dev.berth.core.pool.CloseReason;
import dev.berth.core.pool.Pool;
import dev.berth.core.protocol.ErrorResponse;

import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What happens to a server connection whose client disconnected while linked. A server at rest goes
 * back to the pool, after the reset query when the client may have left session state; one left inside
 * a transaction block is rolled back first; one with work in flight is closed, so that no client ever
 * gets another's half-done state. While it is cleaned up the pool counts it as tested.
 */
final class ServerCleanup {
    private static final Logger LOG = Logger.getLogger(ServerCleanup.class.getName());

    private ServerCleanup() {
    }

    /** On the server's event loop. */
    static void afterClient(ServerConnection server, String resetQuery, boolean reset) {
        Pool<ServerConnection> pool = server.pool();
        server.unlink();
        server.relay().discardToClient(); // what the client left unread
        if (server.cancels().defer(() -> afterClient(server, resetQuery, reset))) {
            return; // a late cancel must not hit the rollback or the reset
        }
        if (server.state() == ServerConnection.State.INTERNAL_QUERY) {
            // the client left while Berth brought the server in line with it: clean up once that is answered
            server.internalQuery().whenDone(() -> afterClient(server, resetQuery, reset));
            return;
        }
        if (!server.isUsable()) {
            pool.release(server);
            return;
        }
        if (!server.relay().quiet()) {
            server.close(CloseReason.CLIENT_LEFT_BUSY, server.tracker().outstanding() + " outstanding");
            pool.release(server);
            return;
        }
        boolean rollback = server.tracker().transactionStatus() != 'I';
        boolean runReset = reset && !resetQuery.isEmpty();
        if (!rollback && !runReset) {
            pool.release(server);
            return;
        }
        pool.testing(server);
        // two statements: PostgreSQL runs a multi-statement Query as one transaction block, in which
        // DISCARD ALL (and other reset queries) cannot run
        if (rollback) {
            server.runInternalQuery("ROLLBACK", error -> {
                if (error != null) {
                    failed(server, "ROLLBACK", error);
                } else if (runReset) {
                    reset(server, resetQuery);
                    return;
                }
                pool.release(server);
            });
        } else {
            reset(server, resetQuery);
        }
    }

    private static void reset(ServerConnection server, String resetQuery) {
        server.runInternalQuery(resetQuery, error -> {
            if (error != null) {
                failed(server, resetQuery, error);
            } else {
                server.parameters().applied(Map.of());
                server.relay().serverStatementsLost();
            }
            server.pool().release(server);
        });
    }

    private static void failed(ServerConnection server, String sql, ErrorResponse error) {
        // cut short by the shutdown past --shutdown-timeout, which Drain reports once: not a fault of this server
        Level level = server.lifecycle().closedFor(CloseReason.SHUTDOWN) ? Level.FINE : Level.WARNING;
        LOG.log(level, () -> "server connection " + server + ": cleanup after its client failed (" + sql + ": " + error
                + "); closing it");
        server.close(CloseReason.RESET_FAILED, sql + ": " + error);
    }
}
