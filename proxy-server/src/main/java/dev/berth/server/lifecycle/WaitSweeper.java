package dev.berth.server.lifecycle;

import dev.berth.core.config.RuntimeConfig;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.Waiter;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Ends the waits longer than the connection timeout, in every pool's queue and at the pause gate:
 * one periodic sweep instead of a timer per wait (queues are in order of arrival, so only their heads
 * are looked at). A wait ends at most one period late. Opens that failed while clients wait are retried here,
 * after the pool's backoff.
 */
public final class WaitSweeper implements Runnable {
    /** How often waits are checked against the connection timeout. */
    public static final long PERIOD_MS = 25;

    private final RuntimeConfig config;
    private final Supplier<? extends Collection<? extends Pool<?>>> pools;
    private final PauseGate pauseGate;

    public WaitSweeper(RuntimeConfig config, Supplier<? extends Collection<? extends Pool<?>>> pools, PauseGate pauseGate) {
        this.config = config;
        this.pools = pools;
        this.pauseGate = pauseGate;
    }

    @Override
    public void run() {
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.current().connectionTimeoutMs());
        for (Pool<?> pool : pools.get()) {
            pool.janitor().retryOpenings(); // after failed opens (the backend restarting), with backoff
            for (Waiter<?> waiter : pool.janitor().expireWaiters(timeoutNanos)) {
                waiter.waitExpired();
            }
        }
        pauseGate.expire(System.nanoTime() - timeoutNanos);
    }
}
