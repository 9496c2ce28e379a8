package dev.berth.core.pool;

/**
 * The budgets one pool's servers count against, in a fixed order (the global cap, then its database's,
 * then its user's): a server may be opened only while each has a slot, and its close gives a slot back to
 * each. Checking and taking happen under all the budgets' locks at once, always taken in that order, so
 * two pools can neither both take the last slot nor deadlock; budgets never call into a pool while
 * holding their lock.
 */
public final class ConnectionCaps {
    private final BackendBudget[] budgets;

    /** @param budgets in lock order: the global one first, then database, then user */
    public ConnectionCaps(BackendBudget... budgets) {
        this.budgets = budgets.clone();
    }

    void register(Pool<?> pool) {
        for (BackendBudget budget : budgets) {
            budget.register(pool);
        }
    }

    void unregister(Pool<?> pool) {
        for (BackendBudget budget : budgets) {
            budget.unregister(pool);
        }
    }

    /** Takes a slot of every budget, or none and records the pool as starving where one is spent. Under the pool's lock. */
    boolean tryAcquire(Pool<?> pool) {
        return tryAcquire(pool, 0);
    }

    private boolean tryAcquire(Pool<?> pool, int i) {
        if (i == budgets.length) {
            return true;
        }
        BackendBudget budget = budgets[i];
        synchronized (budget) {
            if (!budget.roomFor(pool) || !tryAcquire(pool, i + 1)) {
                return false;
            }
            budget.take();
            return true;
        }
    }

    /** Gives back the slot of each budget, waking the pools starving there. Never under a pool's lock. */
    void release() {
        for (BackendBudget budget : budgets) {
            budget.release();
        }
    }

    /** Closes an idle server of another pool sharing a spent budget, so that {@code requester} can open one. */
    void reclaimIdleFor(Pool<?> requester) {
        for (BackendBudget budget : budgets) {
            if (budget.spent() && budget.reclaimIdleFor(requester)) {
                return;
            }
        }
    }

    /** A cap was lowered below what is in use: a released server should close rather than stay. */
    boolean overCap() {
        for (BackendBudget budget : budgets) {
            if (budget.overCap()) {
                return true;
            }
        }
        return false;
    }

    /** Whether another pool waits for a slot of a budget this pool shares (so its idle server should make room). */
    boolean hasStarvingOtherThan(Pool<?> pool) {
        for (BackendBudget budget : budgets) {
            if (budget.hasStarvingOtherThan(pool)) {
                return true;
            }
        }
        return false;
    }
}
