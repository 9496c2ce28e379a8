package dev.berth.server;

import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolStats;
import dev.berth.server.backend.ServerConnection;
import dev.berth.server.client.PoolClients;
import dev.berth.server.metrics.BerthMetrics;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the gauges and SHOW POOLS read at scrape time: each pool's server lists, its client counts, and
 * how long its longest waiter has waited (in the pool's queue or at the pause gate).
 */
public final class PoolsLiveState implements BerthMetrics.LiveState {
    private static final BerthMetrics.ClientCounts NONE = new BerthMetrics.ClientCounts(0, 0, 0, 0, 0);

    private final ProxyContext proxy;

    PoolsLiveState(ProxyContext proxy) {
        this.proxy = proxy;
    }

    @Override
    public Collection<PoolStats> pools() {
        return proxy.pools().all().stream().map(Pool::stats).toList();
    }

    @Override
    public Map<PoolKey, BerthMetrics.ClientCounts> clients() {
        Map<PoolKey, BerthMetrics.ClientCounts> result = new HashMap<>();
        long now = System.nanoTime();
        for (Pool<ServerConnection> pool : proxy.pools().all()) {
            result.put(pool.key(), clientsOf(pool, now));
        }
        return result;
    }

    /** The client counts of one pool, with the age of its longest wait. */
    public BerthMetrics.ClientCounts clientsOf(Pool<ServerConnection> pool, long nowNanos) {
        PoolClients c = proxy.clients().counts().get(pool.key());
        if (c == null) {
            return NONE;
        }
        long since = oldest(pool.oldestWaitSinceNanos(), proxy.pauseGate().oldestSinceNanos(pool.key()));
        return new BerthMetrics.ClientCounts(c.active(), c.waiting(), c.idle(), c.pinnedCount(),
                since < 0 ? 0 : Math.max(0, nowNanos - since));
    }

    private static long oldest(long a, long b) {
        return a < 0 ? b : b < 0 ? a : Math.min(a, b);
    }

    @Override
    public int backendConnectionsInUse() {
        return proxy.pools().budget().used();
    }

    @Override
    public int backendConnectionsCap() {
        return proxy.pools().budget().cap();
    }

    /** Every pool's stats, for tests and the admin console. */
    public List<PoolStats> poolStats() {
        return proxy.pools().all().stream().map(Pool::stats).toList();
    }
}
