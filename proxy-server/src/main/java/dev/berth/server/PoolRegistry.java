package dev.berth.server;

import dev.berth.core.config.BerthConfig;
import dev.berth.core.pool.BackendBudget;
import dev.berth.core.pool.CloseReason;
import dev.berth.core.pool.ConnectionBudgets;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolRoute;
import dev.berth.core.pool.ServerOpener;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.SqlState;
import dev.berth.server.backend.ServerConnection;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * All pools, created on first use with the route a client's login resolved, sharing the budgets of backend
 * connections (global, per database, per user); at most --max-pools of them. A pool counts the clients that joined it, and one that nobody
 * uses any more is removed ({@link #removeUnused}), so logins to databases that do not exist leave nothing
 * behind.
 */
public final class PoolRegistry {
    private final ConcurrentHashMap<PoolKey, Pool<ServerConnection>> pools = new ConcurrentHashMap<>();
    /** Clients that joined each pool and have not left; changed (from 0) and read only within {@code pools.compute} of the key. */
    private final ConcurrentHashMap<PoolKey, AtomicInteger> members = new ConcurrentHashMap<>();
    /** When the housekeeper first saw each pool unused (housekeeper thread only). */
    private final Map<PoolKey, Long> unusedSince = new HashMap<>();
    private final ConnectionBudgets budgets;
    private final ServerOpener<ServerConnection> opener;

    public PoolRegistry(ConnectionBudgets budgets, ServerOpener<ServerConnection> opener) {
        this.budgets = budgets;
        this.opener = opener;
    }

    /**
     * Creates the pool of the route's key if there is none, and has it open and keep its minimum before any
     * client comes ({@link MinimumPools}); an existing pool is left as it is. Not alongside {@link #removeUnused}.
     */
    void warmUp(PoolRoute route) {
        if (pools.containsKey(route.key())) {
            return;
        }
        boolean[] created = {false};
        Pool<ServerConnection> pool = pools.computeIfAbsent(route.key(), k -> {
            created[0] = true;
            return newPool(route);
        });
        if (created[0]) {
            pool.janitor().warmUp(); // outside the map's lock: it may open servers
        }
    }

    /**
     * A client joins the pool of the route's key (created if need be, unless {@code maxPools} exist) until
     * it {@link #leave}s; null when the pool would be one too many.
     */
    public Pool<ServerConnection> join(PoolRoute route, int maxPools) {
        return pools.compute(route.key(), (key, pool) -> {
            if (pool == null && pools.size() >= maxPools) {
                return null;
            }
            members.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            return pool != null ? pool : newPool(route);
        });
    }

    /** A client that joined the pool of {@code key} has gone. */
    public void leave(PoolKey key) {
        members.get(key).decrementAndGet();
    }

    /** What a client gets when its login would need a pool beyond --max-pools. */
    public static ErrorResponse tooManyPools(int maxPools, PoolKey key) {
        return new ErrorResponse("FATAL", SqlState.CONFIGURATION_LIMIT_EXCEEDED, "too many pools (max_pools " + maxPools
                + "): no pool for " + key + " can be created", null,
                "raise --max-pools; pools no client uses are removed, so this clears as clients of other databases and users leave");
    }

    /** What a client gets when the config file's [databases] lists neither its database nor {@code *}. */
    public static ErrorResponse noSuchDatabase(BerthConfig config, String database) {
        String known = String.join(", ", new TreeSet<>(config.databases().databases().keySet()));
        return new ErrorResponse("FATAL", SqlState.INVALID_CATALOG_NAME, "database \"" + database
                + "\" is not in Berth's [databases] (" + config.configFile() + "), which has no \"*\" entry", null,
                "connect to one of: " + known + "; or add it (or \"*\") to the config file and RELOAD");
    }

    private Pool<ServerConnection> newPool(PoolRoute route) {
        return new Pool<>(route, budgets.capsFor(route.key()), opener, System::nanoTime);
    }

    /**
     * Removes the pools that no client has joined, with no server and no minimum to keep: at once if no
     * server of the pool ever logged in (its database or user may not exist), after {@code graceNanos} of
     * being unused otherwise. {@code forget} runs for each removed key while no client can join it, so what
     * else is kept per pool (metrics, statements, client counts) goes with it. Housekeeper thread only.
     */
    public synchronized int removeUnused(long nowNanos, long graceNanos, Consumer<PoolKey> forget) {
        int removed = 0;
        for (PoolKey key : pools.keySet()) {
            boolean[] gone = {false};
            pools.computeIfPresent(key, (k, pool) -> {
                AtomicInteger joined = members.get(k);
                if ((joined != null && joined.get() > 0) || !pool.unused()) {
                    unusedSince.remove(k);
                    return pool;
                }
                long since = unusedSince.computeIfAbsent(k, x -> nowNanos);
                if (pool.confirmed() && nowNanos - since < graceNanos) {
                    return pool;
                }
                unusedSince.remove(k);
                members.remove(k);
                pool.retire();
                budgets.dropped(k);
                forget.accept(k);
                gone[0] = true;
                return null;
            });
            removed += gone[0] ? 1 : 0;
        }
        unusedSince.keySet().retainAll(pools.keySet());
        return removed;
    }

    /** Whether a backend is being rolled back or reset after its client left (the drain waits for it). */
    public boolean cleaningUp() {
        for (Pool<ServerConnection> pool : pools.values()) {
            if (pool.stats().tested() > 0) {
                return true;
            }
        }
        return false;
    }

    public Collection<Pool<ServerConnection>> all() {
        return pools.values();
    }

    public int size() {
        return pools.size();
    }

    /** The global budget (--max-backend-connections). */
    public BackendBudget budget() {
        return budgets.global();
    }

    public ConnectionBudgets budgets() {
        return budgets;
    }

    /** The budgets {@code config} asks for. */
    public static ConnectionBudgets budgets(BerthConfig config) {
        return new ConnectionBudgets(new BackendBudget(config.maxBackendConnections()),
                database -> config.databases().maxDbConnections(config.limits(), database),
                user -> config.databases().maxUserConnections(config.limits(), user));
    }

    /** New caps from {@code config} (a reload): raised ones are used at once, lowered ones reached as connections close. */
    public void recap(BerthConfig config) {
        budgets.recap(config.maxBackendConnections(),
                database -> config.databases().maxDbConnections(config.limits(), database),
                user -> config.databases().maxUserConnections(config.limits(), user));
    }

    /**
     * Gives every pool its new route (a configuration change). A pool whose database is gone from the map,
     * or now maps to another key (a changed forced user), keeps its route for the clients it has; new
     * clients are routed elsewhere or refused.
     */
    public void reroute(Function<PoolKey, PoolRoute> routes) {
        for (Pool<ServerConnection> pool : pools.values()) {
            PoolRoute route = routes.apply(pool.key());
            if (route != null && route.key().equals(pool.key())) {
                pool.reroute(route);
            }
        }
    }

    public void closeAll(CloseReason reason, ErrorResponse toWaiters) {
        pools.values().forEach(p -> p.janitor().closeAll(reason, toWaiters));
    }
}
