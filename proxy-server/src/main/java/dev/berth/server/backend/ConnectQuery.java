package dev.berth.server.backend;

import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.SqlState;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * A [databases] entry's connect_query, run once on each new server right after its login and before the
 * pool (and so any client) gets it. If it fails, does not answer within the connect timeout, or the
 * connection breaks meanwhile, the server is closed and the pool learns it as a failed open, with an error
 * naming the entry (pgbouncer only logs such errors; Berth does not hand out a server left half set up).
 */
final class ConnectQuery {
    private ConnectQuery() {
    }

    /** On the server's event loop, after the login's ReadyForQuery. */
    static void run(ServerConnection server, String query, long timeoutMs) {
        ScheduledFuture<?> deadline = server.eventLoop().schedule(() -> server.channel().close(), timeoutMs,
                TimeUnit.MILLISECONDS); // the close fails the query below
        server.internalQuery().run(query, error -> {
            deadline.cancel(false);
            if (error == null && server.channel().isActive()) {
                server.lifecycle().ready();
                return;
            }
            String why = error != null ? error.message() : "the connection closed";
            String entry = server.route().key().database();
            server.lifecycle().connectFailed(ErrorResponse.fatal(error != null ? error.sqlState() : SqlState.CONNECTION_FAILURE, "connect_query of database \""
                    + entry + "\" failed on backend " + server.route().address() + ": " + why)
                    .withHint("fix connect_query in the [databases] entry " + entry + " and RELOAD"));
        });
    }
}
