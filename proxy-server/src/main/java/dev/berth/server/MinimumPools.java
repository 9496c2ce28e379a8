package dev.berth.server;

import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.DatabaseEntry;
import dev.berth.core.config.RuntimeConfig;
import dev.berth.core.pool.PoolRoute;
import dev.berth.server.lifecycle.PauseGate;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Creates the pools whose user is known before any client comes (the backend URL's when it names a user,
 * each {@code [databases]} entry with a forced {@code user}) and have a minimum to keep, and lets them open
 * it. Run at start-up and in every housekeeping round, as pgbouncer's janitor does, so an entry that a RELOAD
 * added (or that RESUME released, or whose pool KILL removed) gets its minimum without waiting for a client.
 * Housekeeper thread (or start-up, before it runs): never alongside the removal of unused pools.
 */
final class MinimumPools implements Runnable {
    private final Supplier<BerthConfig> config;
    private final PoolRegistry pools;
    private final PauseGate pauseGate;
    private final BooleanSupplier stopping;

    /** @param stopping true once Berth drains or closes: then no pool is created */
    MinimumPools(Supplier<BerthConfig> config, PoolRegistry pools, PauseGate pauseGate, BooleanSupplier stopping) {
        this.config = config;
        this.pools = pools;
        this.pauseGate = pauseGate;
        this.stopping = stopping;
    }

    @Override
    public void run() {
        BerthConfig c = config.get();
        if (c.databases().isEmpty()) {
            if (c.backend().user() != null) {
                String database = c.backend().database() != null ? c.backend().database() : c.backend().user();
                warm(RuntimeConfig.routeFor(c, database, c.backend().user()));
            }
            return;
        }
        for (DatabaseEntry entry : c.databases().entries()) {
            if (entry.user() != null && !entry.name().equals(DatabaseEntry.FALLBACK)) {
                warm(RuntimeConfig.routeFor(c, entry.name(), entry.user()));
            }
        }
    }

    private void warm(PoolRoute route) {
        // a paused database opens nothing (PAUSE closed its servers); the next round after RESUME does
        if (route.limits().min() > 0 && !stopping.getAsBoolean() && !pauseGate.paused(route.key().database())) {
            pools.warmUp(route);
        }
    }
}
