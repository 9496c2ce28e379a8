package dev.berth.core.pool;

import java.util.concurrent.TimeUnit;

/**
 * Per-pool sizing and server care: at most {@code max} servers, at least {@code min} kept open, idle ones
 * above min closed after the idle timeout; a server is closed when released after its lifetime (each its own
 * share of it, see {@link ServerAge}); one idle longer than the check delay is checked with the check query
 * before a client gets it (a negative delay or an empty query: no checks).
 */
public record PoolLimits(int max, int min, long idleTimeoutMs, long serverLifetimeMs, long serverCheckDelayMs,
                         String serverCheckQuery) {
    /** No lifetime, no checks. */
    public PoolLimits(int max, int min, long idleTimeoutMs) {
        this(max, min, idleTimeoutMs, Long.MAX_VALUE, -1, "");
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
