package dev.berth.core.pool;

import dev.berth.core.protocol.ErrorResponse;

/**
 * A pool's record of failed attempts to open a server: the last error (what waiting clients are told)
 * and a backoff before housekeeping tries again, doubling up to a cap. Not thread-safe: the pool
 * calls it under its lock.
 */
final class OpenFailures {
    /** How long to wait before retrying after the backend refused or failed a login: doubles up to the cap. */
    static final long RETRY_BASE_NANOS = 250_000_000L;
    static final long RETRY_CAP_NANOS = 5_000_000_000L;

    private int consecutive;
    private long lastNanos;
    private ErrorResponse lastError;

    void failed(ErrorResponse error, long nowNanos) {
        consecutive++;
        lastNanos = nowNanos;
        lastError = error;
    }

    void succeeded() {
        consecutive = 0;
        lastError = null;
    }

    /** The last error, while no open has succeeded since; null otherwise. */
    ErrorResponse lastError() {
        return lastError;
    }

    boolean inBackoff(long nowNanos) {
        if (consecutive == 0) {
            return false;
        }
        long delay = Math.min(RETRY_CAP_NANOS, RETRY_BASE_NANOS << Math.min(consecutive - 1, 10));
        return nowNanos - lastNanos < delay;
    }
}
