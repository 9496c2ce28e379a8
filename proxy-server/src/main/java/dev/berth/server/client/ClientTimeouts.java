package dev.berth.server.client;

import dev.berth.core.config.BerthConfig;
import dev.berth.core.pool.CloseReason;
import dev.berth.core.protocol.SqlState;
import dev.berth.server.backend.ServerActivity;
import dev.berth.server.backend.ServerConnection;

import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import java.util.logging.Level;

/**
 * The timeouts of logged-in clients, checked by one periodic sweep ({@code TimeoutSweeper}) rather than a
 * timer per client: {@code --query-timeout} (the request is cancelled, the client kept), {@code
 * --transaction-timeout}, {@code --idle-transaction-timeout} and {@code --client-idle-timeout} (the client is
 * disconnected with PostgreSQL's SQLSTATE for each, and its server rolled back and reused, or closed if busy).
 * The sweep reads the times the clients and their servers store as they go; what it finds expired is checked
 * again on the client's loop before anything is done. A timeout fires at most one sweep period late.
 */
public final class ClientTimeouts {
    private final long queryMs;
    private final long transactionMs;
    private final long idleTransactionMs;
    private final long clientIdleMs;

    private ClientTimeouts(BerthConfig config) {
        queryMs = config.queryTimeoutMs();
        transactionMs = config.transactionTimeoutMs();
        idleTransactionMs = config.idleTransactionTimeoutMs();
        clientIdleMs = config.clientIdleTimeoutMs();
    }

    public static ClientTimeouts of(BerthConfig config) {
        return new ClientTimeouts(config);
    }

    /** Whether any of them is on. */
    public boolean any() {
        return queryMs > 0 || transactionMs > 0 || idleTransactionMs > 0 || clientIdleMs > 0;
    }

    /** On the sweep's thread. */
    public void check(ClientSession client, long now) {
        switch (client.state()) {
            case IDLE -> {
                if (clientIdleMs > 0 && past(client.idleSinceNanos(), clientIdleMs, now)) {
                    disconnectIf(client, null, t -> client.state() == ClientState.IDLE && past(client.idleSinceNanos(), clientIdleMs, t),
                            SqlState.IDLE_SESSION_TIMEOUT, "idle-session timeout (client_idle_timeout=" + clientIdleMs + " ms)");
                }
            }
            case LINKED -> linked(client, now);
            default -> { }
        }
    }

    private void linked(ClientSession client, long now) {
        ServerConnection server = client.server();
        if (server == null) {
            return;
        }
        ServerActivity a = server.activity();
        long busy = a.busySinceNanos();
        if (queryMs > 0 && busy != 0) {
            long cancelled = a.timeoutCancelNanos();
            if (cancelled == 0 && past(busy, queryMs, now)) {
                a.timeoutCancelClaimed(now); // once per request: this sweep is the only one that claims
                client.proxy().cancels().cancelForTimeout(client, server, busy, queryMs);
            } else if (cancelled != 0 && past(cancelled, queryMs, now)) {
                server.eventLoop().execute(() -> {
                    if (a.timeoutCancelNanos() == cancelled) {
                        server.close(CloseReason.QUERY_TIMEOUT, "still running " + queryMs + " ms after its cancel");
                    }
                });
            }
        }
        if (transactionMs > 0 && past(a.transactionSinceNanos(), transactionMs, now)) {
            disconnectIf(client, server, t -> past(a.transactionSinceNanos(), transactionMs, t),
                    SqlState.TRANSACTION_TIMEOUT, "transaction timeout (transaction_timeout=" + transactionMs + " ms)");
        }
        if (idleTransactionMs > 0 && past(a.idleInTransactionSinceNanos(), idleTransactionMs, now)) {
            disconnectIf(client, server, t -> past(a.idleInTransactionSinceNanos(), idleTransactionMs, t),
                    SqlState.IDLE_IN_TRANSACTION_TIMEOUT, "idle-in-transaction timeout (idle_transaction_timeout="
                            + idleTransactionMs + " ms)");
        }
        if (clientIdleMs > 0 && busy == 0 && a.transactionSinceNanos() == 0 && a.idleInTransactionSinceNanos() == 0) {
            if (a.restSinceNanos() == 0) {
                a.restSeen(now);
            } else if (past(a.restSinceNanos(), clientIdleMs, now)) {
                disconnectIf(client, server, t -> a.busySinceNanos() == 0 && a.transactionSinceNanos() == 0
                                && past(a.restSinceNanos(), clientIdleMs, t),
                        SqlState.IDLE_SESSION_TIMEOUT, "idle-session timeout (client_idle_timeout=" + clientIdleMs + " ms)");
            }
        }
    }

    /**
     * On the client's loop: if the client still has {@code server} (null: none) and {@code stillExpired} holds
     * now, the client is disconnected with FATAL {@code sqlState}; its server is cleaned up as after any client.
     */
    private static void disconnectIf(ClientSession client, ServerConnection server, LongPredicate stillExpired,
                                     String sqlState, String what) {
        client.executor().execute(() -> {
            if (client.server() == server && client.state() != ClientState.CLOSED && stillExpired.test(System.nanoTime())) {
                client.disconnect(sqlState, "terminating connection due to " + what, Level.INFO);
            }
        });
    }

    private static boolean past(long sinceNanos, long timeoutMs, long now) {
        return sinceNanos != 0 && now - sinceNanos > TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    }
}
