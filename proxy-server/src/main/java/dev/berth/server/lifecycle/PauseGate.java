package dev.berth.server.lifecycle;

import dev.berth.core.pool.PoolKey;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PAUSE on the admin console: while paused, clients that need a server are held here, in order of
 * arrival, instead of joining their pool's queue; RESUME lets them all go on. A client that leaves is
 * taken out at once, and one held longer than the connection timeout is let go by {@link WaitSweeper}.
 */
public final class PauseGate {
    /** A client held at the gate. */
    public interface Held {
        /** RESUME: go on to the pool. Called outside the gate's lock, from any thread. */
        void resumed();

        /** Held longer than the connection timeout. Called outside the gate's lock, from the sweeper. */
        void pauseExpired();

        /** The pool the client waits for, for the waiting-time read-outs. */
        PoolKey poolKey();
    }

    private final LinkedHashMap<Held, Long> held = new LinkedHashMap<>();
    private boolean paused;

    public synchronized boolean paused() {
        return paused;
    }

    /** Holds the client if Berth is paused (and returns true); otherwise it may go on at once. */
    public synchronized boolean hold(Held client, long sinceNanos) {
        if (paused) {
            held.put(client, sinceNanos);
        }
        return paused;
    }

    /** The client left while held. */
    public synchronized void leave(Held client) {
        held.remove(client);
    }

    /** PAUSE (true) or RESUME (false); a resume lets every held client go on. */
    public void pause(boolean on) {
        List<Held> released;
        synchronized (this) {
            paused = on;
            if (on) {
                return;
            }
            released = new ArrayList<>(held.keySet());
            held.clear();
        }
        released.forEach(Held::resumed);
    }

    /** Lets go of the clients held since {@code cutoffNanos} or earlier (the oldest are first). */
    public void expire(long cutoffNanos) {
        List<Held> expired = null;
        synchronized (this) {
            for (Iterator<Map.Entry<Held, Long>> it = held.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Held, Long> e = it.next();
                if (e.getValue() > cutoffNanos) {
                    break;
                }
                it.remove();
                if (expired == null) {
                    expired = new ArrayList<>();
                }
                expired.add(e.getKey());
            }
        }
        if (expired != null) {
            expired.forEach(Held::pauseExpired);
        }
    }

    /** When the longest-held client of a pool arrived, or -1 when none of it is held. */
    public synchronized long oldestSinceNanos(PoolKey key) {
        for (Map.Entry<Held, Long> e : held.entrySet()) {
            if (key.equals(e.getKey().poolKey())) {
                return e.getValue();
            }
        }
        return -1;
    }
}
