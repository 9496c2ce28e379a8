package dev.berth.server;

import dev.berth.core.config.RuntimeConfig;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.prepared.PreparedStatementRegistry;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The prepared statements known in each pool (transaction pooling), created with the pool's first use;
 * server-side names are unique across all pools.
 */
final class StatementRegistries implements Function<PoolKey, PreparedStatementRegistry> {
    private final RuntimeConfig config;
    private final ConcurrentHashMap<PoolKey, PreparedStatementRegistry> registries = new ConcurrentHashMap<>();
    private final AtomicLong names = new AtomicLong();

    StatementRegistries(RuntimeConfig config) {
        this.config = config;
    }

    void remove(PoolKey key) {
        registries.remove(key);
    }

    @Override
    public PreparedStatementRegistry apply(PoolKey key) {
        return registries.computeIfAbsent(key, k -> new PreparedStatementRegistry(
                config.current().preparedStatementRegistryBytes(), names));
    }
}
