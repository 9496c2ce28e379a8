package dev.berth.core.pool;

import dev.berth.core.protocol.ErrorResponse;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The backend connections of one (database, user), as lists: idle (reused LIFO, so the oldest age out),
 * active (held by a client), opening (being connected and logged in), and the FIFO queue of waiting
 * clients. Counts are the sizes of these lists, so reports can never drift from reality.
 *
 * <p>All state changes happen under the pool's lock; callbacks to waiters, opening and closing
 * connections happen after it is released.
 *
 * <p>Affinity: a client and a server on the same event loop talk without handing work between threads,
 * so an acquire takes an idle server of the client's loop when there is one, a server is opened on the
 * loop of the client it is opened for, and a released server goes to a waiter of its own loop if one is
 * among the first few in the queue. To keep that from starving anyone, no waiter is passed over more
 * than {@link #MAX_PASSES} times.
 */
public final class Pool<S extends PooledServer> {
    /** How long to wait before retrying after the backend refused or failed a login: doubles up to the cap. */
    static final long RETRY_BASE_NANOS = 250_000_000L;
    static final long RETRY_CAP_NANOS = 5_000_000_000L;
    /** How far into the queue a released server looks for a waiter of its own loop. */
    static final int LOOKAHEAD = 16;
    /** How often a waiter may be passed over for one further back on the released server's loop. */
    static final int MAX_PASSES = 2;

    private final PoolKey key;
    private final PoolLimits limits;
    private final BackendBudget budget;
    private final ServerOpener<S> opener;
    private final LongSupplier clock;

    private final ArrayDeque<S> idle = new ArrayDeque<>();
    private final Set<S> active = new HashSet<>();
    private final ArrayDeque<Queued<S>> waiters = new ArrayDeque<>();
    private int opening;
    private boolean keepMinimum;
    private int consecutiveFailures;
    private long lastFailureNanos;
    private ErrorResponse lastOpenError;
    /** The budget was spent when this pool needed a server: ask another pool to give up an idle one. */
    private boolean reclaimPending;

    public Pool(PoolKey key, PoolLimits limits, BackendBudget budget, ServerOpener<S> opener, LongSupplier clock) {
        this.key = key;
        this.limits = limits;
        this.budget = budget;
        this.opener = opener;
        this.clock = clock;
        budget.register(this);
    }

    public PoolKey key() {
        return key;
    }

    public PoolLimits limits() {
        return limits;
    }

    /** Hands an idle server to {@code waiter} at once, or queues it and opens a server if the limits allow. */
    public void acquire(Waiter<S> waiter) {
        S granted = null;
        List<S> dead = null;
        int toOpen;
        synchronized (this) {
            S candidate;
            while ((candidate = takeIdle(waiter.affinity())) != null) {
                if (candidate.isUsable()) {
                    active.add(candidate);
                    granted = candidate;
                    break;
                }
                active.add(candidate); // counted until removed() runs after the close, which frees its budget slot
                dead = add(dead, candidate);
            }
            if (granted == null) {
                waiters.addLast(new Queued<>(waiter, clock.getAsLong()));
            }
            toOpen = reserveOpenings();
        }
        closeAll(dead, "found dead in the idle list");
        if (granted != null) {
            waiter.granted(granted);
        }
        openAll(toOpen, waiter.affinity());
    }

    /** The most recently idle server with this affinity, else the most recently idle one. Under the lock. */
    private S takeIdle(Object affinity) {
        if (affinity != null) {
            for (Iterator<S> it = idle.iterator(); it.hasNext(); ) {
                S server = it.next();
                if (affinity.equals(server.affinity())) {
                    it.remove();
                    return server;
                }
            }
        }
        return idle.pollFirst();
    }

    /**
     * The waiter a server with this affinity goes to: the first in the queue, unless one a few places
     * further runs on the server's loop and nobody ahead of it has been passed over too often. Under the lock.
     */
    private Waiter<S> nextWaiter(Object affinity) {
        Queued<S> head = waiters.peekFirst();
        if (head == null || affinity == null || affinity.equals(head.affinity)) {
            return head == null ? null : waiters.pollFirst().waiter;
        }
        int position = 0;
        for (Iterator<Queued<S>> it = waiters.iterator(); it.hasNext() && position < LOOKAHEAD; position++) {
            Queued<S> queued = it.next();
            if (affinity.equals(queued.affinity)) {
                it.remove();
                Iterator<Queued<S>> ahead = waiters.iterator();
                for (int i = 0; i < position; i++) {
                    ahead.next().passes++;
                }
                return queued.waiter;
            }
            if (queued.passes >= MAX_PASSES) {
                break;
            }
        }
        return waiters.pollFirst().waiter;
    }

    /**
     * Withdraws and returns the waiters that have waited {@code maxWaitNanos} or longer. The queue is in
     * order of arrival, so this looks at its head only: one periodic sweep replaces a timer per wait.
     */
    public List<Waiter<S>> expireWaiters(long maxWaitNanos) {
        long now = clock.getAsLong();
        List<Waiter<S>> expired = null;
        synchronized (this) {
            Queued<S> head;
            while ((head = waiters.peekFirst()) != null && now - head.sinceNanos >= maxWaitNanos) {
                waiters.pollFirst();
                expired = add(expired, head.waiter);
            }
        }
        return expired == null ? List.of() : expired;
    }

    /** Withdraws a waiter (its client left). False if it was already granted or failed. */
    public synchronized boolean cancelWait(Waiter<S> waiter) {
        return waiters.removeIf(q -> q.waiter == waiter);
    }

    /** A client gives its server back; it goes to the first waiter or to the idle list. */
    public void release(S server) {
        Waiter<S> next = null;
        boolean usable = server.isUsable();
        synchronized (this) {
            if (!active.contains(server)) {
                return;
            }
            if (usable) { // an unusable one stays counted as active until removed() runs after the close
                next = nextWaiter(server.affinity());
                if (next == null) {
                    active.remove(server);
                    server.idleSinceNanos(clock.getAsLong());
                    idle.addFirst(server);
                }
            }
        }
        if (!usable) {
            server.close("released in an unusable state");
        } else if (next != null) {
            next.granted(server);
        } else if (budget.hasStarvingOtherThan(this)) {
            closeOldestIdle("reclaimed for a pool waiting under --max-backend-connections");
        }
    }

    /** A server finished its login. */
    public void opened(S server) {
        Waiter<S> next;
        synchronized (this) {
            opening--;
            consecutiveFailures = 0;
            lastOpenError = null;
            keepMinimum = true;
            next = nextWaiter(server.affinity());
            if (next != null) {
                active.add(server);
            } else {
                server.idleSinceNanos(clock.getAsLong());
                idle.addFirst(server);
            }
        }
        if (next != null) {
            next.granted(server);
        }
    }

    /**
     * Opening a server failed. When the pool has no server that could come free, the waiting clients get
     * the error now rather than a timeout later.
     */
    public void openFailed(ErrorResponse error) {
        List<Waiter<S>> failed = null;
        synchronized (this) {
            opening--;
            consecutiveFailures++;
            lastFailureNanos = clock.getAsLong();
            lastOpenError = error;
            if (active.isEmpty() && idle.isEmpty() && opening == 0) {
                failed = drainWaiters();
            }
        }
        budget.release();
        if (failed != null) {
            for (Waiter<S> waiter : failed) {
                waiter.failed(error);
            }
        }
    }

    /** A server connection closed, for whatever reason; idempotent. */
    public void removed(S server) {
        boolean was;
        int toOpen;
        synchronized (this) {
            was = idle.remove(server) | active.remove(server);
            toOpen = was ? reserveOpenings() : 0;
        }
        if (was) {
            budget.release();
        }
        openAll(toOpen);
    }

    /** The budget has room again: open for the waiters, if any still wait. */
    void capacityAvailable() {
        int toOpen;
        synchronized (this) {
            toOpen = reserveOpenings();
        }
        openAll(toOpen);
    }

    boolean closeOldestIdle(String reason) {
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
        oldest.close(reason);
        return true;
    }

    /**
     * Housekeeping, run periodically: closes servers idle beyond the idle timeout while above the minimum,
     * and opens servers up to the minimum (with backoff after failures).
     */
    public void maintain() {
        List<S> expired = null;
        int toOpen = 0;
        long now = clock.getAsLong();
        synchronized (this) {
            long timeout = limits.idleTimeoutNanos();
            while (total() > limits.min()) {
                S oldest = idle.peekLast();
                if (oldest == null || now - oldest.idleSinceNanos() < timeout) {
                    break;
                }
                idle.pollLast();
                active.add(oldest); // counted until removed() runs after the close
                expired = add(expired, oldest);
            }
            if (keepMinimum && !inBackoff(now)) {
                while (total() < limits.min() && budget.tryAcquire(this)) {
                    opening++;
                    toOpen++;
                }
            }
        }
        closeAll(expired, "idle for longer than the idle timeout");
        openAll(toOpen);
    }

    /** Asks the pool to keep its minimum open from now on, even before a client used it (start-up warm-up). */
    public void warmUp() {
        synchronized (this) {
            keepMinimum = true;
        }
        maintain();
    }

    /** Closes every connection (shutdown) and fails the waiters. */
    public void closeAll(String reason, ErrorResponse toWaiters) {
        List<S> all;
        List<Waiter<S>> failed;
        synchronized (this) {
            keepMinimum = false;
            all = new ArrayList<>(idle);
            all.addAll(active);
            active.addAll(idle);
            idle.clear();
            failed = drainWaiters();
        }
        closeAll(all, reason);
        failed.forEach(w -> w.failed(toWaiters));
    }

    /** The servers of this pool with their list ("active" or "idle"), read under the lock (SHOW SERVERS). */
    public synchronized List<Map.Entry<S, String>> servers() {
        List<Map.Entry<S, String>> result = new ArrayList<>();
        active.forEach(s -> result.add(Map.entry(s, "active")));
        idle.forEach(s -> result.add(Map.entry(s, "idle")));
        return result;
    }

    public synchronized PoolStats stats() {
        return new PoolStats(key, active.size(), idle.size(), opening, waiters.size(), limits.max(), limits.min());
    }

    /** The last error from opening a server, while no open has succeeded since; null otherwise. */
    public synchronized ErrorResponse lastOpenError() {
        return lastOpenError;
    }

    /** True while the pool has no live server (it is connecting, or failing to). */
    public synchronized boolean hasNoServer() {
        return active.isEmpty() && idle.isEmpty();
    }

    private List<Waiter<S>> drainWaiters() {
        List<Waiter<S>> all = new ArrayList<>(waiters.size());
        waiters.forEach(q -> all.add(q.waiter));
        waiters.clear();
        return all;
    }

    /** A waiter in the queue, since when it waits, and how often a server went to someone behind it. */
    private static final class Queued<S> {
        final Waiter<S> waiter;
        final Object affinity;
        final long sinceNanos;
        int passes;

        Queued(Waiter<S> waiter, long sinceNanos) {
            this.waiter = waiter;
            this.affinity = waiter.affinity();
            this.sinceNanos = sinceNanos;
        }
    }

    private int total() {
        return active.size() + idle.size() + opening;
    }

    private boolean inBackoff(long now) {
        if (consecutiveFailures == 0) {
            return false;
        }
        long delay = Math.min(RETRY_CAP_NANOS, RETRY_BASE_NANOS << Math.min(consecutiveFailures - 1, 10));
        return now - lastFailureNanos < delay;
    }

    /** Reserves openings for waiters not yet covered by a connection being opened. Under the lock. */
    private int reserveOpenings() {
        int n = 0;
        while (waiters.size() > opening && total() < limits.max()) {
            if (!budget.tryAcquire(this)) {
                reclaimPending = true; // acted on by openAll, outside this lock
                break;
            }
            opening++;
            n++;
        }
        return n;
    }

    private void openAll(int n) {
        openAll(n, null);
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

    private void closeAll(List<S> servers, String reason) {
        if (servers != null) {
            for (S server : servers) {
                server.close(reason);
            }
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
        return "pool " + key + ": " + s.active() + "/" + s.max() + " in use, " + s.idle() + " idle, "
                + s.opening() + " connecting, " + s.waiting() + " waiting";
    }
}
