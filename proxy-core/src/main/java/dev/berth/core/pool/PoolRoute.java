package dev.berth.core.pool;

import dev.berth.core.config.PoolMode;

/**
 * Where a pool's backend connections go and how the pool behaves: the backend's host and port, the
 * database and user Berth logs in as (the pool's key), the pooling mode and the limits. A pool's route
 * can be replaced while it runs (new limits apply at its next decision); a client keeps the mode it
 * got at login.
 */
public record PoolRoute(PoolKey key, String host, int port, PoolMode mode, PoolLimits limits) {
    public PoolRoute withLimits(PoolLimits newLimits) {
        return new PoolRoute(key, host, port, mode, newLimits);
    }

    /** host:port, for messages. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
