package dev.berth.core.pool;

import java.util.HashMap;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * The budgets of backend connections: the global one, and one per database (max_db_connections) and per
 * user (max_user_connections) made when a pool of that name is made and dropped with its last pool, so
 * names clients merely tried leave nothing behind. Caps of 0 mean no cap. A reload recaps them all: a
 * raised cap is used at once, a lowered one is reached as connections close.
 */
public final class ConnectionBudgets {
    private final BackendBudget global;
    private final Map<String, Shared> databases = new HashMap<>();
    private final Map<String, Shared> users = new HashMap<>();
    private ToIntFunction<String> databaseCap;
    private ToIntFunction<String> userCap;

    /** A per-name budget and how many pools use it. */
    private static final class Shared {
        final BackendBudget budget;
        int pools;

        Shared(int cap) {
            budget = new BackendBudget(cap);
        }
    }

    /** @param databaseCap the configured cap of a database by name (0: none); {@code userCap} likewise */
    public ConnectionBudgets(BackendBudget global, ToIntFunction<String> databaseCap, ToIntFunction<String> userCap) {
        this.global = global;
        this.databaseCap = databaseCap;
        this.userCap = userCap;
    }

    /** Only the global cap. */
    public ConnectionBudgets(BackendBudget global) {
        this(global, name -> 0, name -> 0);
    }

    public BackendBudget global() {
        return global;
    }

    /** The caps a new pool of {@code key} counts against; {@link #dropped} must follow when the pool is retired. */
    public synchronized ConnectionCaps capsFor(PoolKey key) {
        return new ConnectionCaps(global, join(databases, key.database(), databaseCap),
                join(users, key.user(), userCap));
    }

    /** A pool of {@code key} was retired: a per-name budget no pool uses any more is forgotten. */
    public synchronized void dropped(PoolKey key) {
        leave(databases, key.database());
        leave(users, key.user());
    }

    /** The budget of the database's pools, or null when it has no pool. */
    public synchronized BackendBudget database(String name) {
        Shared shared = databases.get(name);
        return shared == null ? null : shared.budget;
    }

    /** The budget of the user's pools, or null when it has no pool. */
    public synchronized BackendBudget user(String name) {
        Shared shared = users.get(name);
        return shared == null ? null : shared.budget;
    }

    /** New caps (a reload). */
    public void recap(int globalCap, ToIntFunction<String> newDatabaseCap, ToIntFunction<String> newUserCap) {
        Map<BackendBudget, Integer> caps = new HashMap<>();
        synchronized (this) {
            databaseCap = newDatabaseCap;
            userCap = newUserCap;
            databases.forEach((name, shared) -> caps.put(shared.budget, capOf(newDatabaseCap, name)));
            users.forEach((name, shared) -> caps.put(shared.budget, capOf(newUserCap, name)));
        }
        global.cap(globalCap);
        caps.forEach(BackendBudget::cap); // wakes the pools starving there, outside this lock
    }

    private static BackendBudget join(Map<String, Shared> map, String name, ToIntFunction<String> cap) {
        Shared shared = map.computeIfAbsent(name, n -> new Shared(capOf(cap, n)));
        shared.pools++;
        return shared.budget;
    }

    private static void leave(Map<String, Shared> map, String name) {
        Shared shared = map.get(name);
        if (shared != null && --shared.pools == 0) {
            map.remove(name);
        }
    }

    private static int capOf(ToIntFunction<String> cap, String name) {
        int configured = cap.applyAsInt(name);
        return configured <= 0 ? Integer.MAX_VALUE : configured;
    }
}
