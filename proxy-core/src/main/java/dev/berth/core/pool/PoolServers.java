package dev.berth.core.pool;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where each server of one pool is: idle, active (held by a client, or closing), tested (being cleaned
 * up after a client, or checked after an idle spell, before reuse), or still being opened. A server is in
 * one list at a time, and the pool's counts are the sizes of these lists, so reports can never drift from
 * reality. A server taken out to be closed stays counted as active until the pool's {@code removed()}
 * runs after the close, which frees its budget slot. Not thread-safe: the pool calls it under its lock.
 */
final class PoolServers<S extends PooledServer> {
    private final IdleServers<S> idle = new IdleServers<>();
    /** Identity sets: an acquire and a release then allocate no map node (a HashSet makes one per add). */
    private final Set<S> active = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<S> tested = Collections.newSetFromMap(new IdentityHashMap<>());
    /** The tested servers that are being checked after an idle spell: each will serve a waiter if it answers. */
    private final Set<S> checking = Collections.newSetFromMap(new IdentityHashMap<>());
    private int opening;

    /** The most recently idle server with this affinity (the client's event loop), else the most recently idle one. */
    S takeIdle(Object affinity) {
        return idle.take(affinity);
    }

    /** The server is held by a client (or, for a new one, given to a waiter). */
    void lend(S server) {
        active.add(server);
    }

    /** The server is to be closed: counted as active until the pool's {@code removed()}. */
    void closing(S server) {
        active.add(server);
    }

    /** An idle server is checked before use: counted as tested, and as on its way to a waiter. */
    void check(S server) {
        tested.add(server);
        checking.add(server);
    }

    /** A client left its server needing cleanup: tested, not active, until it is given back. */
    void testing(S server) {
        if (active.remove(server)) {
            tested.add(server);
        }
    }

    /** A server given back, counted as active again; false if it is not the pool's (given back twice, or removed). */
    boolean returned(S server) {
        checking.remove(server);
        if (tested.remove(server)) {
            active.add(server);
            return true;
        }
        return active.contains(server);
    }

    /** A returned server goes back to the idle list, first (reused LIFO). */
    void rest(S server, long nowNanos) {
        active.remove(server);
        idle(server, nowNanos);
    }

    /** A server goes to the idle list, first (reused LIFO). */
    void idle(S server, long nowNanos) {
        server.idleSinceNanos(nowNanos);
        idle.addFirst(server);
    }

    /** A server closed: taken out of whichever list it was in; false if it was in none. */
    boolean remove(S server) {
        checking.remove(server);
        return idle.remove(server) | active.remove(server) | tested.remove(server);
    }

    void opening() {
        opening++;
    }

    /** An open ended, with a server or a failure. */
    void openEnded() {
        opening--;
    }

    int openingCount() {
        return opening;
    }

    /** Servers on their way to the waiting clients: being opened, or checked after an idle spell. */
    int incoming() {
        return opening + checking.size();
    }

    int total() {
        return active.size() + idle.size() + tested.size() + opening;
    }

    /** No live server (none being opened counts as none). */
    boolean noneLive() {
        return active.isEmpty() && idle.isEmpty() && tested.isEmpty();
    }

    // ---- taking servers out to close them: each stays counted as active until removed() ----

    /** The least recently idle server, or null when none is idle. */
    S oldestIdleToClose() {
        S oldest = idle.pollLast();
        if (oldest != null) {
            active.add(oldest);
        }
        return oldest;
    }

    /** Every idle server, or null when none is idle. */
    List<S> idleToClose() {
        if (idle.isEmpty()) {
            return null;
        }
        List<S> all = new ArrayList<>(idle);
        active.addAll(idle);
        idle.clear();
        return all;
    }

    /** Every server: the idle ones, then those active, then those tested. */
    List<S> allToClose() {
        List<S> all = new ArrayList<>(idle);
        all.addAll(active);
        all.addAll(tested);
        active.addAll(idle);
        idle.clear();
        return all;
    }

    /** The idle servers past their lifetime (each its own share of it, see {@link ServerAge}). */
    List<S> outlivedToClose(long nowNanos, long lifetimeNanos) {
        List<S> outlived = idle.takeOutlived(nowNanos, lifetimeNanos);
        active.addAll(outlived);
        return outlived;
    }

    /**
     * The idle servers to close, oldest first: those idle {@code timeoutNanos} or longer while the pool keeps
     * more than its minimum, and any while more than its maximum; null when none. {@code leaving} servers are
     * on their way out already (taken out to close, still counted until removed), and each one taken here
     * leaves too: counted down, so that several expiring together close down to the minimum, not all of them.
     */
    List<S> expiredToClose(long nowNanos, long timeoutNanos, int min, int max, int leaving) {
        List<S> expired = null;
        int staying = total() - leaving;
        while (staying > min || staying > max) {
            S oldest = idle.peekLast();
            if (oldest == null || (nowNanos - oldest.idleSinceNanos() < timeoutNanos && staying <= max)) {
                break;
            }
            idle.pollLast();
            active.add(oldest);
            if (expired == null) {
                expired = new ArrayList<>();
            }
            expired.add(oldest);
            staying--;
        }
        return expired;
    }

    // ---- read-outs ----

    /** The servers with their list ("active", "tested" or "idle"), for SHOW SERVERS. */
    List<Map.Entry<S, String>> entries() {
        List<Map.Entry<S, String>> result = new ArrayList<>();
        active.forEach(s -> result.add(Map.entry(s, "active")));
        tested.forEach(s -> result.add(Map.entry(s, "tested")));
        idle.forEach(s -> result.add(Map.entry(s, "idle")));
        return result;
    }

    PoolStats stats(PoolKey key, int waiting, PoolLimits limits) {
        return new PoolStats(key, active.size(), idle.size(), tested.size(), opening, waiting, limits.max(), limits.min());
    }
}
