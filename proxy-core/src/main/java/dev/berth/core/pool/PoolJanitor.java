package dev.berth.core.pool;

import dev.berth.core.protocol.ErrorResponse;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * What a pool does on a timer or on command rather than for a client, as pgbouncer's janitor: closes idle
 * servers past the idle timeout or their lifetime, keeps the minimum open, retries failed opens once their
 * backoff has passed, withdraws waiters past the connection timeout, and closes servers for PAUSE, KILL
 * and shutdown. It takes the pool's lock (the pool object's monitor) for every state change, as the pool
 * does, and calls servers and waiters back after releasing it; {@link #keepMinimum} and
 * {@link #keepsMinimum} are called under that lock.
 */
public final class PoolJanitor<S extends PooledServer> {
    private final Pool<S> pool;
    private final PoolServers<S> servers;
    private final WaitQueue<S> waiters;
    private final ServerOpenings<S> openings;
    private final LongSupplier clock;
    /** Open the minimum: a server of the pool logged in, or the pool was warmed up; until closeAll(). */
    private boolean keepMinimum;

    PoolJanitor(Pool<S> pool, PoolServers<S> servers, WaitQueue<S> waiters, ServerOpenings<S> openings, LongSupplier clock) {
        this.pool = pool;
        this.servers = servers;
        this.waiters = waiters;
        this.openings = openings;
        this.clock = clock;
    }

    /**
     * Housekeeping, run periodically: closes idle servers past their lifetime, and those idle beyond the idle
     * timeout while above the minimum, and opens servers up to the minimum (with backoff after failures).
     */
    public void maintain() {
        List<S> expired;
        List<S> outlived;
        int toOpen = 0;
        long now = clock.getAsLong();
        synchronized (pool) {
            PoolLimits limits = pool.limits();
            outlived = servers.outlivedToClose(now, limits.serverLifetimeNanos());
            expired = servers.expiredToClose(now, limits.idleTimeoutNanos(), limits.min(), limits.max(),
                    outlived == null ? 0 : outlived.size());
            if (keepMinimum && !openings.inBackoff(now)) {
                toOpen = openings.reserveMinimum(limits.min());
            }
        }
        Pool.closeAll(expired, CloseReason.IDLE_TIMEOUT);
        Pool.closeAll(outlived, CloseReason.LIFETIME);
        openings.open(toOpen, null);
    }

    /** Asks the pool to keep its minimum open from now on, even before a client used it (start-up warm-up). */
    public void warmUp() {
        synchronized (pool) {
            keepMinimum = true;
        }
        maintain();
    }

    /**
     * Run periodically: opens for clients that wait with no server being opened for them (the opens failed
     * and are retried), once the backoff after the last failure has passed.
     */
    public void retryOpenings() {
        int toOpen;
        synchronized (pool) {
            if (waiters.size() <= servers.incoming() || openings.inBackoff(clock.getAsLong())) {
                return;
            }
            toOpen = openings.reserve();
        }
        openings.open(toOpen, null);
    }

    /**
     * Withdraws and returns the waiters that have waited {@code maxWaitNanos} or longer. The queue is in
     * order of arrival, so this looks at its head only: one periodic sweep replaces a timer per wait.
     */
    public List<Waiter<S>> expireWaiters(long maxWaitNanos) {
        long cutoff = clock.getAsLong() - maxWaitNanos;
        List<Waiter<S>> expired;
        synchronized (pool) {
            expired = waiters.takeArrivedBefore(cutoff, null);
        }
        return expired == null ? List.of() : expired;
    }

    /** Closes the idle servers (PAUSE, so that PostgreSQL can restart); those in use are left alone. */
    public void closeIdle(CloseReason reason) {
        List<S> closing;
        synchronized (pool) {
            closing = servers.idleToClose();
        }
        Pool.closeAll(closing, reason);
    }

    /** Closes every connection (KILL, shutdown) and fails the waiters. */
    public void closeAll(CloseReason reason, ErrorResponse toWaiters) {
        List<S> all;
        List<Waiter<S>> failed;
        synchronized (pool) {
            keepMinimum = false;
            all = servers.allToClose();
            failed = waiters.drain();
        }
        Pool.closeAll(all, reason);
        failed.forEach(w -> w.failed(toWaiters));
    }

    /** A server of the pool logged in: keep its minimum open from now on. Under the pool's lock. */
    void keepMinimum() {
        keepMinimum = true;
    }

    /** Under the pool's lock. */
    boolean keepsMinimum() {
        return keepMinimum;
    }
}
