package dev.berth.server.backend;

/**
 * The cancel requests forwarded to a server connection's backend. One is forwarded only while a request of
 * the requesting client is in flight there; then the server is held back until it is answered: PostgreSQL
 * signals the backend from another connection, asynchronously, and only its closing of that connection says
 * the signal was sent. What would hand the server on (the release to the pool, the cleanup after a client)
 * waits here until then. The count is changed under this object's lock and read without it on release, where
 * it is almost always 0: one volatile read on the fast path.
 */
final class CancelGate {
    private final ServerConnection server;
    private volatile int pending;
    /** What waits for the pending cancels to be answered; under the lock. */
    private Runnable waiting;

    CancelGate(ServerConnection server) {
        this.server = server;
    }

    /**
     * On the connection's loop: registers a cancel request from {@code requester} if a request of that
     * client is in flight here (linked to it, and not yet answered); then the server is not handed on
     * before {@link #answered}. False, and nothing registered, otherwise.
     */
    boolean cancelling(LinkedClient requester) {
        synchronized (this) {
            pending++;
        }
        // after the count: a release that unlinked before it sees the client gone here, one after it sees the gate
        if (server.state() == ServerConnection.State.LINKED && server.relay().linkedTo(requester) && !server.relay().quiet()) {
            return true;
        }
        answered();
        return false;
    }

    /**
     * On the connection's loop: the query timeout passed for the request that was in flight since {@code
     * busySince}. If that request is still the one in flight, the cancel is registered as in {@link #cancelling}
     * and the client will get the server's 57014 as a message naming the timeout; false, nothing registered, if
     * it was answered meanwhile.
     */
    boolean cancellingForTimeout(LinkedClient requester, long busySince, long timeoutMs) {
        ServerActivity activity = server.activity();
        if (activity.busySinceNanos() != busySince || !cancelling(requester)) {
            return false;
        }
        activity.cancelledForTimeout(timeoutMs, System.nanoTime());
        return true;
    }

    /** A cancel registered by {@link #cancelling} was answered (or never sent): what waited runs on the connection's loop once none is left. */
    void answered() {
        Runnable next = null;
        synchronized (this) {
            if (--pending == 0) {
                next = waiting;
                waiting = null;
            }
        }
        if (next != null) {
            server.eventLoop().execute(next);
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
