package dev.berth.core.pool;

/** Opens a backend connection for a pool, asynchronously: it ends in {@link Pool#opened} or {@link Pool#openFailed}. */
public interface ServerOpener<S extends PooledServer> {
    /** @param affinity where the client the server is opened for runs, or null for anywhere */
    void open(Pool<S> pool, Object affinity);
}
