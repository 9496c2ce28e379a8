package dev.berth.core.pool;

import dev.berth.core.config.BackendUrl;
import dev.berth.core.protocol.ErrorResponse;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The backend connections of one (database, user), as lists: idle (reused LIFO, so the oldest age out),
 * active (held by a client), tested (being cleaned up after a client, before reuse), opening (being
 * connected and logged in), and the queue of waiting clients. Counts are the sizes of these lists, so
 * reports can never drift from reality. The pool's {@link PoolRoute} (and so its limits) can be
 * replaced while it runs.
 *
 * <p>All state changes happen under the pool's lock; callbacks to waiters, opening and closing
 * connections happen after it is released.
 *
 * <p>Affinity: a client and a server on the same event loop talk without handing work between threads,
 * so an acquire takes an idle server of the client's loop when there is one, a server is opened on the
 * loop of the client it is opened for, and a released server goes to a waiter of its own loop if one is
 * among the first few in the queue ({@link WaitQueue}).
 */
public final class Pool<S extends PooledServer> {
    /** How often a waiter may be passed over for one further back on the released server's loop. */
    static final int MAX_PASSES = WaitQueue.MAX_PASSES;
    private static final long NOW = Long.MIN_VALUE;

    private final PoolKey key;
    private volatile PoolRoute route;
    private final ConnectionCaps budget;
    private final ServerOpener<S> opener;
    private final LongSupplier clock;

    private final IdleServers<S> idle = new IdleServers<>();
    /** Identity sets: an acquire and a release then allocate no map node (a HashSet makes one per add). */
    private final Set<S> active = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<S> tested = Collections.newSetFromMap(new IdentityHashMap<>());
    /** The tested servers that are being checked after an idle spell: each will serve a waiter if it answers. */
    private final Set<S> checking = Collections.newSetFromMap(new IdentityHashMap<>());
    private final WaitQueue<S> waiters = new WaitQueue<>();
    private int opening;
    private boolean keepMinimum;
    /** A server of this pool has logged in: the backend knows its database and user. */
    private boolean confirmed;
    /** The server this pool opened last, null before the first and after a reroute: how its servers start now. */
    private volatile S newest;
    private final OpenFailures failures;
    /** The budget was spent when this pool needed a server: ask another pool to give up an idle one. */
    private boolean reclaimPending;

    public Pool(PoolRoute route, ConnectionCaps budget, ServerOpener<S> opener, LongSupplier clock) {
        this(route, budget, opener, clock, () -> ThreadLocalRandom.current().nextDouble());
    }

    /** @param jitter uniform in [0, 1): spreads the retries after failed opens */
    public Pool(PoolRoute route, ConnectionCaps budget, ServerOpener<S> opener, LongSupplier clock, DoubleSupplier jitter) {
        this.failures = new OpenFailures(jitter);
        this.key = route.key();
        this.route = route;
        this.budget = budget;
        this.opener = opener;
        this.clock = clock;
        budget.register(this);
    }

    public PoolKey key() {
        return key;
    }

    public PoolLimits limits() {
        return route.limits();
    }

    public PoolRoute route() {
        return route;
    }

    /**
     * Replaces the route (a reload): the new limits apply from the pool's next decision; a raised maximum
     * opens for the clients already waiting, a lowered one lets servers go as they come back idle.
     */
    public void reroute(PoolRoute newRoute) {
        if (!newRoute.key().equals(key)) {
            throw new IllegalArgumentException("route for " + newRoute.key() + " given to pool " + key);
        }
        List<S> stale = null;
        synchronized (this) {
            if (newRoute.server().equals(route.server())) {
                newRoute = newRoute.withServer(route.server()); // the identity servedElsewhere() compares
            } else {
                newest = null; // servers may start otherwise there
                if (!idle.isEmpty()) {
                    stale = new ArrayList<>(idle); // busy ones are replaced as they come back
                    active.addAll(idle); // counted until removed() runs after the close
                    idle.clear();
                }
            }
            route = newRoute;
        }
        closeAll(stale, CloseReason.SERVER_CHANGED);
        capacityAvailable();
    }

    /** Opened to a server the pool no longer points to (a reload changed it): reference compare, as it is per release. */
    private boolean servedElsewhere(S server) {
        BackendUrl at = server.server();
        return at != null && at != route.server();
    }

    /** The server this pool opened last (null before the first, and after a reload pointed the pool elsewhere). */
    public S newest() {
        return newest;
    }

    /** Hands an idle server to {@code waiter} at once, or queues it and opens a server if the limits allow. */
    public void acquire(Waiter<S> waiter) {
        acquire(waiter, NOW); // the clock is read only if the waiter has to queue
    }

    /** As {@link #acquire(Waiter)}, for a waiter that began waiting earlier (held while Berth was paused). */
    public void acquire(Waiter<S> waiter, long sinceNanos) {
        S granted = null;
        S toCheck = null;
        List<S> dead = null;
        int toOpen;
        PoolLimits limits = route.limits();
        long checkDelay = limits.checkDelayNanos();
        long now = NOW;
        synchronized (this) {
            S candidate;
            while ((candidate = idle.take(waiter.affinity())) != null) {
                if (!candidate.isUsable()) {
                    active.add(candidate); // counted until removed() runs after the close, which frees its budget slot
                    dead = add(dead, candidate);
                    continue;
                }
                if (checkDelay >= 0) {
                    now = clock.getAsLong(); // one timestamp compared: a recently used server is not checked
                    if (now - candidate.idleSinceNanos() >= checkDelay) {
                        tested.add(candidate); // checked first; its release then serves the queue, this waiter in it
                        checking.add(candidate);
                        toCheck = candidate;
                        break;
                    }
                }
                active.add(candidate);
                granted = candidate;
                break;
            }
            if (granted == null) {
                waiters.add(waiter, sinceNanos != NOW ? sinceNanos : now != NOW ? now : clock.getAsLong());
            }
            toOpen = reserveOpenings();
        }
        closeAll(dead, CloseReason.DEAD);
        if (toCheck != null) {
            toCheck.check(limits.serverCheckQuery());
        }
        if (granted != null) {
            waiter.granted(granted);
        }
        openAll(toOpen, waiter.affinity());
    }

    /**
     * Withdraws and returns the waiters that have waited {@code maxWaitNanos} or longer. The queue is in
     * order of arrival, so this looks at its head only: one periodic sweep replaces a timer per wait.
     */
    public List<Waiter<S>> expireWaiters(long maxWaitNanos) {
        long cutoff = clock.getAsLong() - maxWaitNanos;
        List<Waiter<S>> expired;
        synchronized (this) {
            expired = waiters.takeArrivedBefore(cutoff, null);
        }
        return expired == null ? List.of() : expired;
    }

    /** When the longest-waiting client started waiting ({@link System#nanoTime()} units), or -1 when none waits. */
    public synchronized long oldestWaitSinceNanos() {
        return waiters.oldestSinceNanos();
    }

    /** Withdraws a waiter (its client left). False if it was already granted or failed. */
    public synchronized boolean cancelWait(Waiter<S> waiter) {
        return waiters.remove(waiter);
    }

    /**
     * A client left its server needing cleanup (a rollback, the reset query): it is counted as tested,
     * not active, until {@link #release} gives it back.
     */
    public synchronized void testing(S server) {
        if (active.remove(server)) {
            tested.add(server);
        }
    }

    /** A client (or the cleanup after one) gives its server back; it goes to the first waiter or to the idle list. */
    public void release(S server) {
        Waiter<S> next = null;
        boolean usable = server.isUsable();
        long now = clock.getAsLong();
        PoolLimits limits = route.limits();
        ServerAge age = server.age();
        boolean outlived = usable && age != null && age.outlived(now, limits.serverLifetimeNanos());
        boolean surplus;
        boolean stale;
        synchronized (this) {
            checking.remove(server);
            if (tested.remove(server)) {
                active.add(server);
            } else if (!active.contains(server)) {
                return;
            }
            // an unusable, outlived, stale or surplus one stays counted as active until removed() runs after the close;
            // a reserve server is kept while clients wait
            stale = usable && !outlived && servedElsewhere(server);
            surplus = usable && !outlived && !stale && (budget.overCap()
                    || total() > limits.max() + (waiters.size() > 0 ? limits.reserveSize() : 0));
            if (usable && !outlived && !surplus && !stale) {
                next = waiters.next(server.affinity());
                if (next == null) {
                    active.remove(server);
                    server.idleSinceNanos(now);
                    idle.addFirst(server);
                }
            }
        }
        if (!usable) {
            server.close(CloseReason.DEAD, "released in an unusable state");
        } else if (outlived) {
            server.close(CloseReason.LIFETIME, null); // removed() then opens a replacement for any waiter
        } else if (stale) {
            server.close(CloseReason.SERVER_CHANGED, null);
        } else if (surplus) {
            server.close(CloseReason.POOL_SHRUNK, null);
        } else if (next != null) {
            next.granted(server);
        } else if (budget.hasStarvingOtherThan(this)) {
            closeOldestIdle(CloseReason.RECLAIMED, "by a pool waiting under the cap");
        }
    }

    /** A server finished its login. */
    public void opened(S server) {
        Waiter<S> next;
        boolean stale;
        synchronized (this) {
            opening--;
            failures.succeeded();
            keepMinimum = true;
            confirmed = true;
            stale = servedElsewhere(server);
            if (!stale) {
                newest = server;
            }
            next = stale ? null : waiters.next(server.affinity());
            if (next != null || stale) {
                active.add(server);
            } else {
                server.idleSinceNanos(clock.getAsLong());
                idle.addFirst(server);
            }
        }
        if (stale) {
            server.close(CloseReason.SERVER_CHANGED, "opened just before the change"); // removed() opens a replacement
        } else if (next != null) {
            next.granted(server);
        }
    }

    /**
     * Opening a server failed. When the pool has no server that could come free, the waiting clients get
     * the error now rather than a timeout later, unless the pool has worked before and the failure is one
     * that retrying may cure (the backend restarting): then they keep waiting, the opens are retried with
     * backoff ({@link #retryOpenings}), and a client still waiting at the connection timeout gets that.
     */
    public void openFailed(ErrorResponse error) {
        List<Waiter<S>> failed = null;
        synchronized (this) {
            opening--;
            failures.failed(error, clock.getAsLong());
            if (active.isEmpty() && idle.isEmpty() && tested.isEmpty() && opening == 0
                    && !(confirmed && OpenFailures.isTransient(error))) {
                failed = waiters.drain();
            }
        }
        budget.release();
        if (failed != null) {
            failed.forEach(waiter -> waiter.failed(error));
        }
    }

    /** A server connection closed, for whatever reason; idempotent. */
    public void removed(S server) {
        boolean was;
        int toOpen;
        synchronized (this) {
            checking.remove(server);
            was = idle.remove(server) | active.remove(server) | tested.remove(server);
            toOpen = was ? reserveOpenings() : 0;
        }
        if (was) {
            budget.release();
        }
        openAll(toOpen, null);
    }

    /**
     * Run periodically: opens for clients that wait with no server being opened for them (the opens failed
     * and are retried), once the backoff after the last failure has passed.
     */
    public void retryOpenings() {
        int toOpen;
        synchronized (this) {
            if (waiters.size() <= opening + checking.size() || failures.inBackoff(clock.getAsLong())) {
                return;
            }
            toOpen = reserveOpenings();
        }
        openAll(toOpen, null);
    }

    /** The budget has room again: open for the waiters, if any still wait. */
    void capacityAvailable() {
        int toOpen;
        synchronized (this) {
            toOpen = reserveOpenings();
        }
        openAll(toOpen, null);
    }

    boolean closeOldestIdle(CloseReason reason, String detail) {
        S oldest;
        synchronized (this) {
            oldest = idle.pollLast();
            if (oldest != null) {
                active.add(oldest); // counted until removed() runs after the close
            }
        }
        if (oldest == null) {
            return false;
        }
        oldest.close(reason, detail);
        return true;
    }

    /**
     * Housekeeping, run periodically: closes idle servers past their lifetime, and those idle beyond the idle
     * timeout while above the minimum, and opens servers up to the minimum (with backoff after failures).
     */
    public void maintain() {
        List<S> expired = null;
        List<S> outlived = null;
        int toOpen = 0;
        long now = clock.getAsLong();
        synchronized (this) {
            PoolLimits limits = route.limits();
            outlived = idle.takeOutlived(now, limits.serverLifetimeNanos());
            active.addAll(outlived); // counted until removed() runs after the close
            long timeout = limits.idleTimeoutNanos();
            while (total() > limits.min() || total() > limits.max()) {
                S oldest = idle.peekLast();
                if (oldest == null || (now - oldest.idleSinceNanos() < timeout && total() <= limits.max())) {
                    break;
                }
                idle.pollLast();
                active.add(oldest); // counted until removed() runs after the close
                expired = add(expired, oldest);
            }
            if (keepMinimum && !failures.inBackoff(now)) {
                while (total() < limits.min() && budget.tryAcquire(this)) {
                    opening++;
                    toOpen++;
                }
            }
        }
        closeAll(expired, CloseReason.IDLE_TIMEOUT);
        closeAll(outlived, CloseReason.LIFETIME);
        openAll(toOpen, null);
    }

    /** Asks the pool to keep its minimum open from now on, even before a client used it (start-up warm-up). */
    public void warmUp() {
        synchronized (this) {
            keepMinimum = true;
        }
        maintain();
    }

    /** Closes every connection (shutdown) and fails the waiters. */
    public void closeAll(CloseReason reason, ErrorResponse toWaiters) {
        List<S> all;
        List<Waiter<S>> failed;
        synchronized (this) {
            keepMinimum = false;
            all = new ArrayList<>(idle);
            all.addAll(active);
            all.addAll(tested);
            active.addAll(idle);
            idle.clear();
            failed = waiters.drain();
        }
        closeAll(all, reason);
        failed.forEach(w -> w.failed(toWaiters));
    }

    /** Closes the idle servers (PAUSE, so that PostgreSQL can restart); those in use are left alone. */
    public void closeIdle(CloseReason reason) {
        List<S> closing;
        synchronized (this) {
            if (idle.isEmpty()) {
                return;
            }
            closing = new ArrayList<>(idle);
            active.addAll(idle); // counted until removed() runs after the close
            idle.clear();
        }
        closeAll(closing, reason);
    }

    /**
     * No server, none being opened, nobody waiting, and no minimum to keep open: whoever tracks the pool's
     * clients may drop it (then {@link #retire()} it).
     */
    public synchronized boolean unused() {
        return total() == 0 && waiters.size() == 0 && !(keepMinimum && route.limits().min() > 0);
    }

    /** Whether a server of this pool has ever logged in (a pool for a database that does not exist never has). */
    public synchronized boolean confirmed() {
        return confirmed;
    }

    /** The pool was dropped: the budget forgets it. */
    public void retire() {
        budget.unregister(this);
    }

    /** The servers of this pool with their list ("active", "tested" or "idle"), read under the lock (SHOW SERVERS). */
    public synchronized List<Map.Entry<S, String>> servers() {
        List<Map.Entry<S, String>> result = new ArrayList<>();
        active.forEach(s -> result.add(Map.entry(s, "active")));
        tested.forEach(s -> result.add(Map.entry(s, "tested")));
        idle.forEach(s -> result.add(Map.entry(s, "idle")));
        return result;
    }

    public synchronized PoolStats stats() {
        PoolLimits limits = route.limits();
        return new PoolStats(key, active.size(), idle.size(), tested.size(), opening, waiters.size(), limits.max(), limits.min());
    }

    /** The last error from opening a server, while no open has succeeded since; null otherwise. */
    public synchronized ErrorResponse lastOpenError() {
        return failures.lastError();
    }

    /** More clients wait than servers are being opened for them. */
    synchronized boolean needsServer() {
        return waiters.size() > opening + checking.size();
    }

    /** True while the pool has no live server (it is connecting, or failing to). */
    public synchronized boolean hasNoServer() {
        return active.isEmpty() && idle.isEmpty() && tested.isEmpty();
    }

    private int total() {
        return active.size() + idle.size() + tested.size() + opening;
    }

    /**
     * Reserves openings for waiters not yet covered by a connection being opened or checked, up to the max
     * (and the reserve pool once the longest waiter has waited its timeout). Under the lock.
     */
    private int reserveOpenings() {
        int n = 0;
        PoolLimits limits = route.limits();
        int ceiling = limits.reserveSize() == 0 || waiters.size() <= opening + checking.size() ? limits.max()
                : limits.ceiling(waiters.oldestSinceNanos(), clock.getAsLong());
        while (waiters.size() > opening + checking.size() && total() < ceiling) {
            if (!budget.tryAcquire(this)) {
                reclaimPending = true; // acted on by openAll, outside this lock
                break;
            }
            opening++;
            n++;
        }
        return n;
    }

    private void openAll(int n, Object affinity) {
        boolean reclaim;
        synchronized (this) {
            reclaim = reclaimPending;
            reclaimPending = false;
        }
        if (reclaim) {
            budget.reclaimIdleFor(this);
        }
        for (int i = 0; i < n; i++) {
            opener.open(this, affinity);
        }
    }

    private void closeAll(List<S> servers, CloseReason reason) {
        if (servers != null) {
            servers.forEach(server -> server.close(reason, null));
        }
    }

    private static <T> List<T> add(List<T> list, T item) {
        List<T> result = list == null ? new ArrayList<>() : list;
        result.add(item);
        return result;
    }

    @Override
    public String toString() {
        PoolStats s = stats();
        return "pool " + key + ": " + s.active() + "/" + s.max() + " in use, " + s.idle() + " idle, " + s.tested() + " tested, "
                + s.opening() + " connecting, " + s.waiting() + " waiting";
    }
}
