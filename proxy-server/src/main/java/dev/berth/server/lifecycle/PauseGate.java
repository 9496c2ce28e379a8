package dev.berth.server.lifecycle;

import dev.berth.core.pool.PoolKey;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PAUSE on the admin console, of all databases or of one: while paused, clients of a paused database
 * that need a server are held here, in order of arrival, instead of joining their pool's queue; RESUME
 * lets them go on. A client that leaves is taken out at once, and one held longer than the connection
 * timeout is let go by {@link WaitSweeper}. (Waiting for the servers in use and closing them is {@link PauseWait}.)
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
    /** Databases paused one by one (PAUSE db), besides a pause of all. */
    private final Set<String> pausedDatabases = new HashSet<>();

    /** Paused as a whole (PAUSE without a database): /readyz answers 503. */
    public synchronized boolean paused() {
        return paused;
    }

    /** Whether new work of {@code database} is held, by a pause of all or of it. */
    public synchronized boolean paused(String database) {
        return paused || pausedDatabases.contains(database);
    }

    /** Holds the client if its database is paused (and returns true); otherwise it may go on at once. */
    public synchronized boolean hold(Held client, long sinceNanos) {
        boolean hold = paused || (!pausedDatabases.isEmpty() && pausedDatabases.contains(client.poolKey().database()));
        if (hold) {
            held.put(client, sinceNanos);
        }
        return hold;
    }

    /** The client left while held. */
    public synchronized void leave(Held client) {
        held.remove(client);
    }

    /** PAUSE (true) or RESUME (false) of all databases; a resume lets every held client go on, whichever database paused it. */
    public void pause(boolean on) {
        List<Held> released;
        synchronized (this) {
            paused = on;
            if (on) {
                return;
            }
            pausedDatabases.clear();
            released = new ArrayList<>(held.keySet());
            held.clear();
        }
        released.forEach(Held::resumed);
    }

    /** PAUSE of one database. */
    public synchronized void pause(String database) {
        pausedDatabases.add(database);
    }

    /**
     * RESUME of one database: its held clients go on. False, and nothing changes, while all databases are
     * paused (RESUME without a database ends that) or when this one is not paused.
     */
    public boolean resume(String database) {
        List<Held> released = new ArrayList<>();
        synchronized (this) {
            if (paused || !pausedDatabases.remove(database)) {
                return false;
            }
            for (Iterator<Held> it = held.keySet().iterator(); it.hasNext(); ) {
                Held client = it.next();
                if (client.poolKey().database().equals(database)) {
                    it.remove();
                    released.add(client);
                }
            }
        }
        released.forEach(Held::resumed);
        return true;
    }

    /** Whether anything is paused (RESUME without a database has something to do). */
    public synchronized boolean anyPaused() {
        return paused || !pausedDatabases.isEmpty();
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
