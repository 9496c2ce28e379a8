package dev.berth.server.backend;

import dev.berth.core.pool.CloseReason;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * The check of a server connection that was idle longer than {@code --server-check-delay}, before a client
 * gets it: the check query must be answered within the timeout, then the server goes back to the pool (to
 * the client waiting for it); otherwise it is closed ({@code check_failed}), and the pool opens another for
 * the client, which never sees the dead one.
 */
final class ServerCheck {
    private ServerCheck() {
    }

    /** On the server's event loop. */
    static void run(ServerConnection server, String query, long timeoutMs) {
        ScheduledFuture<?> deadline = server.eventLoop().schedule(() -> server.close(CloseReason.CHECK_FAILED,
                "no answer within " + timeoutMs + " ms"), timeoutMs, TimeUnit.MILLISECONDS);
        server.lifecycle().lostReason(CloseReason.CHECK_FAILED);
        server.internalQuery().run(query, error -> {
            deadline.cancel(false);
            if (error == null) {
                server.lifecycle().lostReason(CloseReason.SERVER_CLOSED);
                server.pool().release(server);
            } else {
                server.close(CloseReason.CHECK_FAILED, error.toString()); // its channelInactive takes it out of the pool
            }
        });
    }
}
