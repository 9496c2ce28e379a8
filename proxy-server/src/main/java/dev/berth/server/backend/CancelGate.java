package dev.berth.server.backend;

import io.netty.channel.EventLoop;

/**
 * Holds a server connection back while cancel requests forwarded to its backend are unanswered:
 * PostgreSQL signals the backend from another connection, asynchronously, and only its closing of that
 * connection says the signal was sent. What would hand the server on (the release to the pool, the
 * cleanup after a client) waits here until then. The count is changed under this object's lock and
 * read without it on release, where it is almost always 0: one volatile read on the fast path.
 */
final class CancelGate {
    private volatile int pending;
    /** What waits for the pending cancels to be answered; under the lock. */
    private Runnable waiting;

    /** A cancel is about to be forwarded (the caller then checks that it should be, see ServerConnection#cancelling). */
    synchronized void opened() {
        pending++;
    }

    /** A cancel was answered (or never sent): what waited runs on {@code loop} once none is left. */
    void answered(EventLoop loop) {
        Runnable next = null;
        synchronized (this) {
            if (--pending == 0) {
                next = waiting;
                waiting = null;
            }
        }
        if (next != null) {
            loop.execute(next);
        }
    }

    /** While a cancel is unanswered, keeps {@code next} until it is and returns true; false (run it now) otherwise. */
    boolean defer(Runnable next) {
        if (pending == 0) {
            return false;
        }
        synchronized (this) {
            if (pending == 0) {
                return false;
            }
            Runnable earlier = waiting;
            waiting = earlier == null ? next : () -> {
                earlier.run();
                next.run();
            };
            return true;
        }
    }
}
