package dev.berth.server;

import dev.berth.core.pool.BackendBudget;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolLimits;
import dev.berth.core.pool.ServerOpener;
import dev.berth.core.protocol.ErrorResponse;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/** All pools, created on first use, sharing one budget of backend connections. */
final class PoolRegistry {
    private final ConcurrentHashMap<PoolKey, Pool<ServerConnection>> pools = new ConcurrentHashMap<>();
    private final PoolLimits limits;
    private final BackendBudget budget;
    private final ServerOpener<ServerConnection> opener;

    PoolRegistry(PoolLimits limits, BackendBudget budget, ServerOpener<ServerConnection> opener) {
        this.limits = limits;
        this.budget = budget;
        this.opener = opener;
    }

    Pool<ServerConnection> poolFor(PoolKey key) {
        return pools.computeIfAbsent(key, k -> new Pool<>(k, limits, budget, opener, System::nanoTime));
    }

    Collection<Pool<ServerConnection>> all() {
        return pools.values();
    }

    BackendBudget budget() {
        return budget;
    }

    void maintainAll() {
        pools.values().forEach(Pool::maintain);
    }

    void closeAll(String reason, ErrorResponse toWaiters) {
        pools.values().forEach(p -> p.closeAll(reason, toWaiters));
    }
}
