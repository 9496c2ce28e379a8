package dev.berth.core.pool;

import dev.berth.core.protocol.ErrorResponse;

import java.util.function.DoubleSupplier;

/**
 * A pool's record of failed attempts to open a server: the last error (what waiting clients are told)
 * and a backoff before the next attempt, doubling up to a cap, each delay drawn from 50-100 % of that
 * ("equal jitter"), so that pools, and Berths, that lost the same backend do not retry in step. Not
 * thread-safe: the pool calls it under its lock.
 */
final class OpenFailures {
    /** How long to wait before retrying after the backend refused or failed a login: doubles up to the cap. */
    static final long RETRY_BASE_NANOS = 250_000_000L;
    /** Short, so that a restarted backend is in use again within a couple of seconds. */
    static final long RETRY_CAP_NANOS = 2_000_000_000L;

    private final DoubleSupplier random;
    private int consecutive;
    private long lastNanos;
    private long delayNanos;
    private ErrorResponse lastError;

    /** @param random uniform in [0, 1): the jitter */
    OpenFailures(DoubleSupplier random) {
        this.random = random;
    }

    void failed(ErrorResponse error, long nowNanos) {
        consecutive++;
        lastNanos = nowNanos;
        lastError = error;
        long full = Math.min(RETRY_CAP_NANOS, RETRY_BASE_NANOS << Math.min(consecutive - 1, 10));
        delayNanos = full / 2 + (long) (full / 2 * random.getAsDouble());
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
        return consecutive != 0 && nowNanos - lastNanos < delayNanos;
    }

    /**
     * A failure that retrying may cure: the backend could not be reached or closed the connection (class
     * 08), or is starting up or shutting down (57P03). A refused login or a missing database is not.
     */
    static boolean isTransient(ErrorResponse error) {
        String state = error.sqlState();
        return state != null && (state.startsWith("08") || state.equals("57P03"));
    }
}
