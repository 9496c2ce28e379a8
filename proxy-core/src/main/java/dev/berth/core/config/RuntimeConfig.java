package dev.berth.core.config;

import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolLimits;
import dev.berth.core.pool.PoolRoute;

/**
 * The configuration Berth runs with, as one immutable {@link BerthConfig} swapped whole: a change
 * builds and validates a new one, then {@link #replace}s the reference. Whoever needs a consistent
 * view (a client at login, a pool deciding) reads {@link #current()} once and keeps that snapshot.
 */
public final class RuntimeConfig {
    private volatile BerthConfig current;

    public RuntimeConfig(BerthConfig initial) {
        current = initial;
    }

    public BerthConfig current() {
        return current;
    }

    /** Swaps in a new configuration; returns the one it replaces. */
    public synchronized BerthConfig replace(BerthConfig next) {
        BerthConfig previous = current;
        current = next;
        return previous;
    }

    /**
     * The pool a client's (database, user) goes to under {@code config}: the backend URL's database and
     * user win when it names them, otherwise the client's own.
     */
    public static PoolRoute routeFor(BerthConfig config, String database, String user) {
        BackendUrl backend = config.backend();
        PoolKey key = new PoolKey(backend.database() != null ? backend.database() : database,
                backend.user() != null ? backend.user() : user);
        return new PoolRoute(key, backend.host(), backend.port(), config.poolMode(), limits(config));
    }

    /** The per-pool limits of {@code config}. */
    public static PoolLimits limits(BerthConfig config) {
        return new PoolLimits(config.poolMax(), config.poolMin(), config.idleTimeoutMs(), config.serverLifetimeMs(),
                config.serverCheckDelayMs(), config.serverCheckQuery());
    }
}
