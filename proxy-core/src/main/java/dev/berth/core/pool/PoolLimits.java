package dev.berth.core.pool;

import java.util.concurrent.TimeUnit;

/** Per-pool sizing: at most {@code max} servers, at least {@code min} kept open, idle ones above min closed after the timeout. */
public record PoolLimits(int max, int min, long idleTimeoutMs) {
    public long idleTimeoutNanos() {
        return TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs);
    }
}
