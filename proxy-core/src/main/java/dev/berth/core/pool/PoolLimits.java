package dev.berth.core.pool;

import java.util.concurrent.TimeUnit;

/**
 * Per-pool sizing and server care: at most {@code max} servers, at least {@code min} kept open, idle ones
 * above min closed after the idle timeout; a server is closed when released after its lifetime (each its own
 * share of it, see {@link ServerAge}); one idle longer than the check delay is checked with the check query
 * before a client gets it (a negative delay or an empty query: no checks). Once a client has waited {@code
 * reserveTimeoutMs}, up to {@code reserveSize} servers beyond max may be opened (pgbouncer's reserve pool).
 */
public record PoolLimits(int max, int min, long idleTimeoutMs, long serverLifetimeMs, long serverCheckDelayMs,
                         String serverCheckQuery, int reserveSize, long reserveTimeoutMs) {
    /** No lifetime, no checks. */
    public PoolLimits(int max, int min, long idleTimeoutMs) {
        this(max, min, idleTimeoutMs, Long.MAX_VALUE, -1, "");
    }

    /** No reserve pool. */
    public PoolLimits(int max, int min, long idleTimeoutMs, long serverLifetimeMs, long serverCheckDelayMs,
                      String serverCheckQuery) {
        this(max, min, idleTimeoutMs, serverLifetimeMs, serverCheckDelayMs, serverCheckQuery, 0, 0);
    }

    public PoolLimits withReserve(int size, long timeoutMs) {
        return new PoolLimits(max, min, idleTimeoutMs, serverLifetimeMs, serverCheckDelayMs, serverCheckQuery, size, timeoutMs);
    }

    /**
     * The most servers the pool may have now: max, plus the reserve while the longest waiter has waited the
     * reserve timeout ({@code oldestWaitSince} -1: nobody waits).
     */
    public int ceiling(long oldestWaitSinceNanos, long nowNanos) {
        if (reserveSize == 0 || oldestWaitSinceNanos == -1
                || nowNanos - oldestWaitSinceNanos < TimeUnit.MILLISECONDS.toNanos(reserveTimeoutMs)) {
            return max;
        }
        return max + reserveSize;
    }

    public long idleTimeoutNanos() {
        return TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs);
    }

    /** Saturates at {@link Long#MAX_VALUE} (no lifetime). */
    public long serverLifetimeNanos() {
        return TimeUnit.MILLISECONDS.toNanos(serverLifetimeMs);
    }

    /** How long a server may stay idle before it is checked at its next use; -1 when servers are not checked. */
    public long checkDelayNanos() {
        return serverCheckDelayMs < 0 || serverCheckQuery.isEmpty() ? -1 : TimeUnit.MILLISECONDS.toNanos(serverCheckDelayMs);
    }
}
