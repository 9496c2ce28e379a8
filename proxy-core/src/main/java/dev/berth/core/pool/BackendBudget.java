package dev.berth.core.pool;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The cap on backend connections across all pools (--max-backend-connections), which protects
 * PostgreSQL whatever the mix of users and databases. A pool that finds the budget spent queues here and
 * is called back when a connection anywhere closes; meanwhile an idle connection of another pool is
 * closed to make room, as pgbouncer does. The cap can be changed while Berth runs: a raised cap wakes
 * the starving pools, a lowered one is reached as connections close.
 */
public final class BackendBudget {
    private int cap;
    private int used;
    private final LinkedHashSet<Pool<?>> starving = new LinkedHashSet<>();
    private final List<Pool<?>> pools = new CopyOnWriteArrayList<>();

    public BackendBudget(int cap) {
        this.cap = cap;
    }

    void register(Pool<?> pool) {
        pools.add(pool);
    }

    void unregister(Pool<?> pool) {
        pools.remove(pool);
        synchronized (this) {
            starving.remove(pool);
        }
    }

    /** Replaces the cap (a reload). */
    public void cap(int newCap) {
        List<Pool<?>> toWake;
        synchronized (this) {
            cap = newCap;
            toWake = new ArrayList<>(starving);
            starving.clear();
        }
        toWake.forEach(Pool::capacityAvailable);
    }

    /** Takes one slot, or records the pool as starving. Called under the pool's lock. */
    synchronized boolean tryAcquire(Pool<?> pool) {
        if (used < cap) {
            used++;
            return true;
        }
        starving.add(pool);
        return false;
    }

    /** Gives a slot back and lets a starving pool use it. Never called under a pool's lock. */
    void release() {
        List<Pool<?>> toWake;
        synchronized (this) {
            used--;
            toWake = new ArrayList<>(starving);
            starving.clear();
        }
        for (Pool<?> pool : toWake) {
            pool.capacityAvailable();
        }
    }

    /** Closes the oldest idle connection of some other pool so that {@code requester} can open one. */
    void reclaimIdleFor(Pool<?> requester) {
        for (Pool<?> pool : pools) {
            if (pool != requester && pool.closeOldestIdle(CloseReason.RECLAIMED, "for pool " + requester.key())) {
                return;
            }
        }
    }

    /** Whether some pool other than {@code pool} waits for a slot (so an idle server should give up its own). */
    boolean hasStarvingOtherThan(Pool<?> pool) {
        List<Pool<?>> others;
        synchronized (this) {
            if (used < cap || starving.isEmpty()) {
                return false;
            }
            others = new ArrayList<>(starving);
        }
        // outside the budget's lock (pools take it under theirs): only a pool that still has clients to serve counts
        for (Pool<?> other : others) {
            if (other != pool && other.needsServer()) {
                return true;
            }
        }
        return false;
    }

    public synchronized int used() {
        return used;
    }

    public synchronized int cap() {
        return cap;
    }
}
