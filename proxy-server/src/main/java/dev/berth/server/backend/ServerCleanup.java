package dev.berth.server.backend;

import dev.berth.core.pool.CloseReason;
import dev.berth.core.pool.Pool;

import java.util.Map;

/**
 * What happens to a server connection whose client disconnected while linked. A server at rest goes
 * back to the pool, after the reset query when the client may have left session state; one left inside
 * a transaction block is rolled back first; one with work in flight is closed, so that no client ever
 * gets another's half-done state. While it is cleaned up the pool counts it as tested.
 */
final class ServerCleanup {
    private ServerCleanup() {
    }

    /** On the server's event loop. */
    static void afterClient(ServerConnection server, String resetQuery, boolean reset) {
        Pool<ServerConnection> pool = server.pool();
        server.unlink();
        server.relay().discardToClient(); // what the client left unread
        if (!server.isUsable()) {
            pool.release(server);
            return;
        }
        if (!server.relay().quiet()) {
            server.close(CloseReason.CLIENT_LEFT_BUSY, server.tracker().outstanding() + " outstanding");
            pool.release(server);
            return;
        }
        String sql = (server.tracker().transactionStatus() != 'I' ? "ROLLBACK;" : "") + (reset ? resetQuery : "");
        if (sql.isEmpty()) {
            pool.release(server);
            return;
        }
        pool.testing(server);
        server.runInternalQuery(sql, error -> {
            if (error != null) {
                server.close(CloseReason.RESET_FAILED, error.toString());
            } else if (reset && !resetQuery.isEmpty()) {
                server.applied(Map.of());
                server.relay().serverStatementsLost();
            }
            pool.release(server);
        });
    }
}
