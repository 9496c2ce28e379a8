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
     * The pool a client's (database, user) goes to under {@code config}, or null when the config file's
     * [databases] lists neither that database nor {@code *}. Without a [databases] section the backend URL
     * routes everyone: its database and user win when it names them, otherwise the client's own ([users]
     * entries still size the pools of their user).
     */
    public static PoolRoute routeFor(BerthConfig config, String database, String user) {
        if (!config.databases().isEmpty()) {
            return config.databases().route(config, database, user);
        }
        BackendUrl backend = config.backend();
        PoolKey key = new PoolKey(backend.database() != null ? backend.database() : database,
                backend.user() != null ? backend.user() : user);
        BackendUrl server = new BackendUrl(backend.host(), backend.port(), key.user(), backend.password(), key.database(),
                backend.tls());
        return new PoolRoute(key, server, config.poolMode(), config.databases().limits(config, null, key.database(), key.user()));
    }

    /** The per-pool limits of {@code config}. */
    public static PoolLimits limits(BerthConfig config) {
        ConnectionLimits caps = config.limits();
        return new PoolLimits(config.poolMax(), config.poolMin(), config.idleTimeoutMs(), config.serverLifetimeMs(),
                config.serverCheckDelayMs(), config.serverCheckQuery(), caps.reservePoolSize(), caps.reservePoolTimeoutMs());
    }
}
