package dev.berth.core.pool;

import dev.berth.core.config.BackendUrl;
import dev.berth.core.protocol.ErrorResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The backend connections of one (database, user), lent to its clients: its servers by where they are
 * ({@link PoolServers}), the queue of waiting clients ({@link WaitQueue}), the servers it opens for them
 * ({@link ServerOpenings}), and its upkeep ({@link PoolJanitor}). The pool's {@link PoolRoute} (and so its
 * limits) can be replaced while it runs.
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
    private final LongSupplier clock;

    private final PoolServers<S> servers = new PoolServers<>();
    private final WaitQueue<S> waiters = new WaitQueue<>();
    private final ServerOpenings<S> openings;
    private final PoolJanitor<S> janitor;
    /** The server this pool opened last, null before the first and after a reroute: how its servers start now. */
    private volatile S newest;

    public Pool(PoolRoute route, ConnectionCaps budget, ServerOpener<S> opener, LongSupplier clock) {
        this(route, budget, opener, clock, () -> ThreadLocalRandom.current().nextDouble());
    }

    /** @param jitter uniform in [0, 1): spreads the retries after failed opens */
    public Pool(PoolRoute route, ConnectionCaps budget, ServerOpener<S> opener, LongSupplier clock, DoubleSupplier jitter) {
        this.key = route.key();
        this.route = route;
        this.budget = budget;
        this.clock = clock;
        this.openings = new ServerOpenings<>(this, servers, waiters, budget, opener, clock, jitter);
        this.janitor = new PoolJanitor<>(this, servers, waiters, openings, clock);
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

    /** The pool's upkeep: idle expiry and the minimum, retries, wait expiry, PAUSE, KILL and shutdown. */
    public PoolJanitor<S> janitor() {
        return janitor;
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
                stale = servers.idleToClose(); // busy ones are replaced as they come back
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
            while ((candidate = servers.takeIdle(waiter.affinity())) != null) {
                if (!candidate.isUsable()) {
                    servers.closing(candidate);
                    dead = add(dead, candidate);
                    continue;
                }
                if (checkDelay >= 0) {
                    now = clock.getAsLong(); // one timestamp compared: a recently used server is not checked
                    if (now - candidate.idleSinceNanos() >= checkDelay) {
                        servers.check(candidate); // checked first; its release then serves the queue, this waiter in it
                        toCheck = candidate;
                        break;
                    }
                }
                servers.lend(candidate);
                granted = candidate;
                break;
            }
            if (granted == null) {
                waiters.add(waiter, sinceNanos != NOW ? sinceNanos : now != NOW ? now : clock.getAsLong());
            }
            toOpen = openings.reserve();
        }
        closeAll(dead, CloseReason.DEAD);
        if (toCheck != null) {
            toCheck.check(limits.serverCheckQuery());
        }
        if (granted != null) {
            waiter.granted(granted);
        }
        openings.open(toOpen, waiter.affinity());
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
        servers.testing(server);
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
            if (!servers.returned(server)) {
                return;
            }
            // an unusable, outlived, stale or surplus one stays counted as active until removed() runs after the close;
            // a reserve server is kept while clients wait
            stale = usable && !outlived && servedElsewhere(server);
            surplus = usable && !outlived && !stale && (budget.overCap()
                    || servers.total() > limits.max() + (waiters.size() > 0 ? limits.reserveSize() : 0));
            if (usable && !outlived && !surplus && !stale) {
                next = waiters.next(server.affinity());
                if (next == null) {
                    servers.rest(server, now);
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
            openings.succeeded();
            janitor.keepMinimum();
            stale = servedElsewhere(server);
            if (!stale) {
                newest = server;
            }
            next = stale ? null : waiters.next(server.affinity());
            if (next != null || stale) {
                servers.lend(server);
            } else {
                servers.idle(server, clock.getAsLong());
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
     * backoff ({@link PoolJanitor#retryOpenings}), and a client still waiting at the connection timeout gets that.
     */
    public void openFailed(ErrorResponse error) {
        List<Waiter<S>> failed = null;
        synchronized (this) {
            if (openings.failed(error)) {
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
            was = servers.remove(server);
            toOpen = was ? openings.reserve() : 0;
        }
        if (was) {
            budget.release();
        }
        openings.open(toOpen, null);
    }

    /** The budget has room again: open for the waiters, if any still wait. */
    void capacityAvailable() {
        int toOpen;
        synchronized (this) {
            toOpen = openings.reserve();
        }
        openings.open(toOpen, null);
    }

    boolean closeOldestIdle(CloseReason reason, String detail) {
        S oldest;
        synchronized (this) {
            oldest = servers.oldestIdleToClose();
        }
        if (oldest == null) {
            return false;
        }
        oldest.close(reason, detail);
        return true;
    }

    /**
     * No server, none being opened, nobody waiting, and no minimum to keep open: whoever tracks the pool's
     * clients may drop it (then {@link #retire()} it).
     */
    public synchronized boolean unused() {
        return servers.total() == 0 && waiters.size() == 0 && !(janitor.keepsMinimum() && route.limits().min() > 0);
    }

    /** Whether a server of this pool has ever logged in (a pool for a database that does not exist never has). */
    public synchronized boolean confirmed() {
        return openings.confirmed();
    }

    /** The pool was dropped: the budget forgets it. */
    public void retire() {
        budget.unregister(this);
    }

    /** The servers of this pool with their list ("active", "tested" or "idle"), read under the lock (SHOW SERVERS). */
    public synchronized List<Map.Entry<S, String>> servers() {
        return servers.entries();
    }

    public synchronized PoolStats stats() {
        return servers.stats(key, waiters.size(), route.limits());
    }

    /** The last error from opening a server, while no open has succeeded since; null otherwise. */
    public synchronized ErrorResponse lastOpenError() {
        return openings.lastError();
    }

    /** More clients wait than servers are being opened for them. */
    synchronized boolean needsServer() {
        return waiters.size() > servers.incoming();
    }

    /** True while the pool has no live server (it is connecting, or failing to). */
    public synchronized boolean hasNoServer() {
        return servers.noneLive();
    }

    static <S extends PooledServer> void closeAll(List<S> servers, CloseReason reason) {
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
