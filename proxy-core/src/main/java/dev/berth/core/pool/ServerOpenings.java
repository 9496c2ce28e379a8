package dev.berth.core.pool;

import dev.berth.core.protocol.ErrorResponse;

import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * How many servers a pool opens, and how its opens went: openings are reserved for the waiters no server
 * is on its way to yet, up to the pool's ceiling and as the budget allows (when it is spent, another pool
 * is asked to give up an idle server), or up to the minimum; the failed opens set the backoff before the
 * next retry ({@link OpenFailures}). Everything but {@link #open} is called under the pool's lock;
 * {@link #open} runs after it is released.
 */
final class ServerOpenings<S extends PooledServer> {
    private final Pool<S> pool;
    private final PoolServers<S> servers;
    private final WaitQueue<S> waiters;
    private final ConnectionCaps budget;
    private final ServerOpener<S> opener;
    private final LongSupplier clock;
    private final OpenFailures failures;
    /** A server of this pool has logged in: the backend knows its database and user. */
    private boolean confirmed;
    /** The budget was spent when this pool needed a server: ask another pool to give up an idle one. */
    private boolean reclaimPending;

    ServerOpenings(Pool<S> pool, PoolServers<S> servers, WaitQueue<S> waiters, ConnectionCaps budget, ServerOpener<S> opener,
                   LongSupplier clock, DoubleSupplier jitter) {
        this.pool = pool;
        this.servers = servers;
        this.waiters = waiters;
        this.budget = budget;
        this.opener = opener;
        this.clock = clock;
        this.failures = new OpenFailures(jitter);
    }

    /**
     * Reserves openings for waiters not yet covered by a connection being opened or checked, up to the max
     * (and the reserve pool once the longest waiter has waited its timeout).
     */
    int reserve() {
        int n = 0;
        PoolLimits limits = pool.limits();
        int ceiling = limits.reserveSize() == 0 || waiters.size() <= servers.incoming() ? limits.max()
                : limits.ceiling(waiters.oldestSinceNanos(), clock.getAsLong());
        while (waiters.size() > servers.incoming() && servers.total() < ceiling) {
            if (!budget.tryAcquire(pool)) {
                reclaimPending = true; // acted on by open(), outside the pool's lock
                break;
            }
            servers.opening();
            n++;
        }
        return n;
    }

    /** Reserves openings up to the pool's minimum, as far as the budget allows. */
    int reserveMinimum(int min) {
        int n = 0;
        while (servers.total() < min && budget.tryAcquire(pool)) {
            servers.opening();
            n++;
        }
        return n;
    }

    /** Opens {@code n} reserved servers, after asking another pool for room if a reservation found the budget spent. */
    void open(int n, Object affinity) {
        boolean reclaim;
        synchronized (pool) {
            reclaim = reclaimPending;
            reclaimPending = false;
        }
        if (reclaim) {
            budget.reclaimIdleFor(pool);
        }
        for (int i = 0; i < n; i++) {
            opener.open(pool, affinity);
        }
    }

    /** An open ended with a server logged in. */
    void succeeded() {
        servers.openEnded();
        failures.succeeded();
        confirmed = true;
    }

    /**
     * An open failed. True when the waiting clients should get the error now: the pool has no server that
     * could come free, and it has not worked before or the failure is not one that retrying may cure.
     */
    boolean failed(ErrorResponse error) {
        servers.openEnded();
        failures.failed(error, clock.getAsLong());
        return servers.noneLive() && servers.openingCount() == 0 && !(confirmed && OpenFailures.isTransient(error));
    }

    /** Whether the backoff after the last failed open has not passed yet. */
    boolean inBackoff(long nowNanos) {
        return failures.inBackoff(nowNanos);
    }

    /** The last error from opening a server, while no open has succeeded since; null otherwise. */
    ErrorResponse lastError() {
        return failures.lastError();
    }

    boolean confirmed() {
        return confirmed;
    }
}
