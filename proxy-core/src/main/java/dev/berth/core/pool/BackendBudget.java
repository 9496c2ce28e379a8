package dev.berth.core.pool;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A cap on backend connections shared by pools: across all pools (--max-backend-connections), which
 * protects PostgreSQL whatever the mix of users and databases, or across the pools of one database
 * (max_db_connections) or of one user (max_user_connections); a pool counts against several at once
 * through its {@link ConnectionCaps}. A pool that finds the budget spent queues here and
 * is called back when a connection anywhere closes; meanwhile an idle connection of another pool is
 * closed to make room, as pgbouncer does. The cap can be changed while Berth runs: a raised cap wakes
 * the starving pools, a lowered one is reached as connections are released (one released above the cap
 * closes).
 */
public final class BackendBudget {
    // written under the lock; volatile so that the checks on every release read them without it
    private volatile int cap;
    private volatile int used;
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

    /** Whether a slot is free; if not, records the pool as starving. Under this budget's lock. */
    boolean roomFor(Pool<?> pool) {
        if (used < cap) {
            return true;
        }
        starving.add(pool);
        return false;
    }

    /** Takes the slot {@link #roomFor} found free, under this budget's lock held since. */
    void take() {
        used++;
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

    /** Closes the oldest idle connection of some other pool so that {@code requester} can open one; false if none is idle. */
    boolean reclaimIdleFor(Pool<?> requester) {
        for (Pool<?> pool : pools) {
            if (pool != requester && pool.closeOldestIdle(CloseReason.RECLAIMED, "for pool " + requester.key())) {
                return true;
            }
        }
        return false;
    }

    /** Whether all slots are taken. */
    boolean spent() {
        return used >= cap;
    }

    /** More slots are taken than the cap allows (it was lowered): a released connection should close. */
    boolean overCap() {
        return used > cap;
    }

    /** Whether some pool other than {@code pool} waits for a slot (so an idle server should give up its own). */
    boolean hasStarvingOtherThan(Pool<?> pool) {
        if (used < cap) {
            return false; // the common case, decided without the lock
        }
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

    public int used() {
        return used;
    }

    public int cap() {
        return cap;
    }
}
