package dev.berth.core.pool;

import dev.berth.core.config.BackendTls;
import dev.berth.core.config.PoolMode;

/**
 * Where a pool's backend connections go and how the pool behaves: the backend's host and port and how
 * to use TLS there, the database and user Berth logs in as (the pool's key), the pooling mode and the
 * limits. A pool's route can be replaced while it runs (new limits apply at its next decision); a client
 * keeps the mode it got at login.
 */
public record PoolRoute(PoolKey key, String host, int port, PoolMode mode, PoolLimits limits, BackendTls tls) {
    /** A route to a backend without TLS. */
    public PoolRoute(PoolKey key, String host, int port, PoolMode mode, PoolLimits limits) {
        this(key, host, port, mode, limits, BackendTls.DISABLED);
    }

    public PoolRoute withLimits(PoolLimits newLimits) {
        return new PoolRoute(key, host, port, mode, newLimits, tls);
    }

    /** host:port, for messages. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
