package dev.berth.core.pool;

import dev.berth.core.config.BackendTls;
import dev.berth.core.config.BackendUrl;
import dev.berth.core.config.PoolMode;

/**
 * Where a pool's backend connections go and how the pool behaves: the server to log in to (host, port,
 * database, user, password, TLS), the pool's key, the pooling mode and the limits. A pool's route can
 * be replaced while it runs (new limits apply at its next decision; a new server replaces the
 * connections to the old one); a client keeps the mode it got at login.
 *
 * @param connectQuery run on each new server after login, before any client gets it; null: none
 */
public record PoolRoute(PoolKey key, BackendUrl server, PoolMode mode, PoolLimits limits, String connectQuery) {
    public PoolRoute(PoolKey key, BackendUrl server, PoolMode mode, PoolLimits limits) {
        this(key, server, mode, limits, null);
    }

    /** A route to {@code host:port} logging in with the key's database and user. */
    public PoolRoute(PoolKey key, String host, int port, PoolMode mode, PoolLimits limits) {
        this(key, new BackendUrl(host, port, key.user(), null, key.database(), BackendTls.DISABLED), mode, limits);
    }

    public PoolRoute withLimits(PoolLimits newLimits) {
        return new PoolRoute(key, server, mode, newLimits, connectQuery);
    }

    public PoolRoute withServer(BackendUrl newServer) {
        return new PoolRoute(key, newServer, mode, limits, connectQuery);
    }

    public String host() {
        return server.host();
    }

    public int port() {
        return server.port();
    }

    /** How to use TLS towards the server. */
    public BackendTls tls() {
        return server.tls();
    }

    /** host:port, for messages. */
    public String address() {
        return server.address();
    }
}
