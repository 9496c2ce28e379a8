package dev.berth.server.backend;

import dev.berth.server.metrics.PoolMetrics;

/**
 * When a server connection's current request, transaction and rest began, for the timing metrics and for the
 * timeouts ({@code --query-timeout}, {@code --transaction-timeout}, {@code --idle-transaction-timeout},
 * {@code --client-idle-timeout}). Written on the server's event loop at the first client message of a request
 * and at each ReadyForQuery (a timestamp store, never per forwarded message); read by the timeout sweep from
 * another thread, which is why the times it reads are volatile. 0 means "not now".
 */
public final class ServerActivity {
    private final PoolMetrics metrics;
    /** When the current request/response cycle began (server loop only). */
    private long cycleStartNanos;
    private volatile long busySinceNanos;
    private volatile long transactionSinceNanos;
    private volatile long idleInTransactionSinceNanos;
    private volatile long restSinceNanos;
    /** When Berth cancelled the running request for the query timeout; 0: it did not. */
    private volatile long timeoutCancelNanos;
    /** The query timeout that cancel was for, to name in the error the client gets (server loop only). */
    private long cancelledForMs;

    ServerActivity(PoolMetrics metrics) {
        this.metrics = metrics;
    }

    /** A client message goes to the server: the first one after an answer starts a request (and maybe a transaction). */
    void clientMessage() {
        if (cycleStartNanos == 0) {
            long now = System.nanoTime();
            cycleStartNanos = now;
            busySinceNanos = now;
            idleInTransactionSinceNanos = 0;
            if (transactionSinceNanos == 0) {
                transactionSinceNanos = now;
            }
        }
    }

    /** A ReadyForQuery with {@code status}, with {@code outstanding} requests still unanswered: times what ended. */
    void readyForQuery(byte status, int outstanding) {
        long now = System.nanoTime();
        metrics.query(cycleStartNanos == 0 ? 0 : now - cycleStartNanos);
        cycleStartNanos = 0;
        timeoutCancelNanos = 0;
        cancelledForMs = 0;
        if (status == 'I' && transactionSinceNanos != 0) {
            metrics.transaction(now - transactionSinceNanos);
            transactionSinceNanos = 0;
        }
        if (outstanding > 0) {
            busySinceNanos = now; // the next pipelined request runs from now
            return;
        }
        busySinceNanos = 0;
        restSinceNanos = now;
        idleInTransactionSinceNanos = status == 'I' ? 0 : now;
    }

    /** A client was linked: its rest begins now (as the sweep first sees it, to keep the link free of a clock read). */
    void linked() {
        restSinceNanos = 0;
        idleInTransactionSinceNanos = 0;
        timeoutCancelNanos = 0;
    }

    /** The sweep saw the linked client at rest with no time recorded: its rest counts from {@code now}. */
    public void restSeen(long now) {
        if (restSinceNanos == 0) {
            restSinceNanos = now;
        }
    }

    /** The sweep is cancelling the running request for the query timeout: it does so once per request. */
    public void timeoutCancelClaimed(long now) {
        timeoutCancelNanos = now;
    }

    /** The cancel for the query timeout is being forwarded (server loop): its 57014 will name the timeout. */
    void cancelledForTimeout(long timeoutMs, long now) {
        timeoutCancelNanos = now;
        cancelledForMs = timeoutMs;
    }

    /** The query timeout of a cancel Berth sent for the request now answered, or 0 (server loop). */
    long cancelledForMs() {
        return cancelledForMs;
    }

    /** When the request in flight was sent, or 0 when none is. */
    public long busySinceNanos() {
        return busySinceNanos;
    }

    /** When the transaction (or single statement) in progress began, or 0. */
    public long transactionSinceNanos() {
        return transactionSinceNanos;
    }

    /** When the client went idle inside a transaction block, or 0. */
    public long idleInTransactionSinceNanos() {
        return idleInTransactionSinceNanos;
    }

    /** When the server last answered everything outside a transaction, or 0 when unknown. */
    public long restSinceNanos() {
        return restSinceNanos;
    }

    /** When Berth cancelled the request in flight for the query timeout, or 0. */
    public long timeoutCancelNanos() {
        return timeoutCancelNanos;
    }
}
