package dev.berth.server.backend;

import dev.berth.server.metrics.PoolMetrics;

/**
 * Times a server connection's request/response cycles (from the first client message to the ReadyForQuery
 * that answers it) and its transactions (to the ReadyForQuery that says idle) for the pool's metrics.
 */
final class CycleTimer {
    private final PoolMetrics metrics;
    /** When the current cycle and the current transaction began (0: none in progress). */
    private long cycleStartNanos;
    private long transactionStartNanos;

    CycleTimer(PoolMetrics metrics) {
        this.metrics = metrics;
    }

    /** A client message went to the server: starts a cycle (and a transaction) unless one is in progress. */
    void clientMessage() {
        if (cycleStartNanos == 0) {
            cycleStartNanos = System.nanoTime();
            if (transactionStartNanos == 0) {
                transactionStartNanos = cycleStartNanos;
            }
        }
    }

    /** A ReadyForQuery ended a cycle, and with status 'I' a transaction. */
    void readyForQuery(byte status) {
        long now = System.nanoTime();
        metrics.query(cycleStartNanos == 0 ? 0 : now - cycleStartNanos);
        cycleStartNanos = 0;
        if (status == 'I' && transactionStartNanos != 0) {
            metrics.transaction(now - transactionStartNanos);
            transactionStartNanos = 0;
        }
    }
}
