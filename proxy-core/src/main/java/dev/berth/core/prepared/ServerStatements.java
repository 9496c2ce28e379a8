package dev.berth.core.prepared;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The statements prepared on one server, least recently used first, at most {@code capacity}. A
 * statement used since the last Sync is never chosen for eviction: closing it could close a portal the
 * same pipeline is about to execute.
 *
 * <p>A statement whose Parse is still unanswered is counted as prepared, but only the batch (up to the
 * Sync) that sent the Parse may rely on it: if that batch fails, the server skips the Parse, and a later
 * batch pipelined behind it would use a statement that does not exist. See {@link #ready}.
 */
public final class ServerStatements {
    private final int capacity;
    private final LinkedHashMap<String, Long> prepared = new LinkedHashMap<>(16, 0.75f, true);
    private long pipeline;
    private boolean uncertain;
    /** Statements whose Parse is unanswered: the pipeline of the latest one, and how many are in flight. */
    private final HashMap<String, long[]> inFlight = new HashMap<>();

    public ServerStatements(int capacity) {
        this.capacity = capacity;
    }

    public boolean contains(String name) {
        return prepared.containsKey(name);
    }

    /**
     * Whether the current batch can use the statement as it is: prepared here, and either answered or
     * prepared by this same batch (which fails as a whole). A statement still in flight from an earlier
     * batch may yet be skipped; the caller prepares it again (closing it first, as it may exist).
     */
    public boolean ready(String name) {
        if (!prepared.containsKey(name)) {
            return false;
        }
        long[] flight = inFlight.get(name);
        return flight == null || flight[0] == pipeline;
    }

    /** Marks a statement used in the current pipeline (and most recently used). */
    public void touch(String name) {
        prepared.put(name, pipeline);
    }

    /** Records a statement as prepared (its Parse now in flight); returns the statements to close to stay within the capacity. */
    public List<String> add(String name) {
        prepared.put(name, pipeline);
        long[] flight = inFlight.computeIfAbsent(name, n -> new long[2]);
        flight[0] = pipeline;
        flight[1]++;
        List<String> evicted = null;
        Iterator<Map.Entry<String, Long>> it = prepared.entrySet().iterator();
        int excess = prepared.size() - capacity;
        while (excess > 0 && it.hasNext()) {
            Map.Entry<String, Long> e = it.next();
            if (e.getValue() < pipeline) {
                it.remove();
                excess--;
                if (evicted == null) {
                    evicted = new ArrayList<>();
                }
                evicted.add(e.getKey());
            }
        }
        return evicted == null ? List.of() : evicted;
    }

    /** The server answered a Parse of the statement with ParseComplete. */
    public void parsed(String name) {
        landed(name);
    }

    /**
     * A Parse that was counted as prepared failed or was skipped by the server: the statement is not
     * there, unless a later Parse of it is still in flight (that one decides).
     */
    public void remove(String name) {
        if (landed(name) == 0) {
            prepared.remove(name);
        }
    }

    /** One Parse of the statement was answered; returns how many are still in flight. */
    private long landed(String name) {
        long[] flight = inFlight.get(name);
        if (flight == null) {
            return 0;
        }
        if (--flight[1] <= 0) {
            inFlight.remove(name);
            return 0;
        }
        return flight[1];
    }

    /**
     * The server lacked a statement Berth believed prepared there (something Berth could not see, such as
     * DEALLOCATE in a function, dropped it): nothing it holds is known any more. Statements prepared here
     * from now on are closed first, in case some of the forgotten ones are still there.
     */
    public void lost() {
        prepared.clear();
        inFlight.clear();
        uncertain = true;
    }

    /** Whether a statement about to be prepared may still exist here (see {@link #lost}). */
    public boolean uncertain() {
        return uncertain;
    }

    /** The server deallocated everything (DISCARD ALL, DEALLOCATE ALL). */
    public void clear() {
        prepared.clear();
        inFlight.clear();
        uncertain = false;
    }

    /** A Sync went out: statements used before it may be evicted from now on. */
    public void syncSent() {
        pipeline++;
    }

    public int size() {
        return prepared.size();
    }
}
