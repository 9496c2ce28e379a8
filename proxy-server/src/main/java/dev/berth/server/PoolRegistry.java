package dev.berth.server;

import dev.berth.core.pool.BackendBudget;
import dev.berth.core.pool.CloseReason;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolRoute;
import dev.berth.core.pool.ServerOpener;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.server.backend.ServerConnection;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/** All pools, created on first use with the route a client's login resolved, sharing one budget of backend connections. */
public final class PoolRegistry {
    private final ConcurrentHashMap<PoolKey, Pool<ServerConnection>> pools = new ConcurrentHashMap<>();
    private final BackendBudget budget;
    private final ServerOpener<ServerConnection> opener;

    public PoolRegistry(BackendBudget budget, ServerOpener<ServerConnection> opener) {
        this.budget = budget;
        this.opener = opener;
    }

    /** The pool of the route's key, created with that route if it does not exist yet. */
    public Pool<ServerConnection> poolFor(PoolRoute route) {
        return pools.computeIfAbsent(route.key(), k -> new Pool<>(route, budget, opener, System::nanoTime));
    }

    public Collection<Pool<ServerConnection>> all() {
        return pools.values();
    }

    public BackendBudget budget() {
        return budget;
    }

    /** Gives every pool its new route (a configuration change). */
    public void reroute(Function<PoolKey, PoolRoute> routes) {
        pools.values().forEach(p -> p.reroute(routes.apply(p.key())));
    }

    public void closeAll(CloseReason reason, ErrorResponse toWaiters) {
        pools.values().forEach(p -> p.closeAll(reason, toWaiters));
    }
}
