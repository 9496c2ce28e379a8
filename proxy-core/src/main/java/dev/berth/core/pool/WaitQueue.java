package dev.berth.core.pool;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A pool's waiting clients in order of arrival. A released server goes to the first waiter, unless one
 * a few places further runs on the server's own loop (then the two talk without changing threads); to
 * keep that fair, no waiter is passed over more than {@link #MAX_PASSES} times. Not thread-safe: the
 * pool calls it under its lock.
 */
final class WaitQueue<S> {
    /** How far into the queue a released server looks for a waiter of its own loop. */
    static final int LOOKAHEAD = 64;
    /**
     * How often a waiter may be passed over for one further back on the released server's loop. Each pass
     * costs it about one transaction's time; with 2, a third of the grants at 1,000 clients on 2 loops went
     * to the other loop (every message of those transactions then changed threads), with 32 about a tenth.
     */
    static final int MAX_PASSES = 32;

    private final ArrayDeque<Queued<S>> queue = new ArrayDeque<>();

    void add(Waiter<S> waiter, long nowNanos) {
        queue.addLast(new Queued<>(waiter, nowNanos));
    }

    int size() {
        return queue.size();
    }

    boolean remove(Waiter<S> waiter) {
        return queue.removeIf(q -> q.waiter == waiter);
    }

    /** When the longest waiter started waiting, or -1 when nobody waits. */
    long oldestSinceNanos() {
        Queued<S> head = queue.peekFirst();
        return head == null ? -1 : head.sinceNanos;
    }

    /** The waiter a server with this affinity goes to, taken out of the queue; null when nobody waits. */
    Waiter<S> next(Object affinity) {
        Queued<S> head = queue.peekFirst();
        if (head == null || affinity == null || affinity.equals(head.affinity)) {
            return head == null ? null : queue.pollFirst().waiter;
        }
        int position = 0;
        for (Iterator<Queued<S>> it = queue.iterator(); it.hasNext() && position < LOOKAHEAD; position++) {
            Queued<S> queued = it.next();
            if (affinity.equals(queued.affinity)) {
                it.remove();
                Iterator<Queued<S>> ahead = queue.iterator();
                for (int i = 0; i < position; i++) {
                    ahead.next().passes++;
                }
                return queued.waiter;
            }
            if (queued.passes >= MAX_PASSES) {
                break;
            }
        }
        return queue.pollFirst().waiter;
    }

    /** Takes out the waiters that arrived at or before {@code cutoffNanos}: only the head needs looking at. */
    List<Waiter<S>> takeArrivedBefore(long cutoffNanos, List<Waiter<S>> into) {
        List<Waiter<S>> result = into;
        Queued<S> head;
        while ((head = queue.peekFirst()) != null && head.sinceNanos <= cutoffNanos) {
            queue.pollFirst();
            if (result == null) {
                result = new ArrayList<>();
            }
            result.add(head.waiter);
        }
        return result;
    }

    /** Takes out every waiter. */
    List<Waiter<S>> drain() {
        List<Waiter<S>> all = new ArrayList<>(queue.size());
        queue.forEach(q -> all.add(q.waiter));
        queue.clear();
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
}
